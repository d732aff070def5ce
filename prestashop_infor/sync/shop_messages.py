"""A private message on a shop order (the merchant's note, never shown to the customer): why a
cancellation did not reach M3, why M3 holds an order for credit. PrestaShop keeps them as
``customer_messages`` with ``private`` 1 in the order's ``customer_threads``."""

from __future__ import annotations

import secrets

from prestashop_infor.prestashop import PrestashopClient


def private_message(shop: PrestashopClient, order_id: int, customer_id: int, text: str) -> int:
    """The id of the shop's private message ``text`` on the order: found in the order's customer
    threads (a write that committed unheard is not repeated), else written, in a new thread if the
    order has none."""
    threads = shop.list("customer_threads", filters={"id_order": f"[{order_id}]"})
    for thread in threads:
        for message in shop.list("customer_messages", filters={"id_customer_thread": f"[{thread['id']}]"}):
            if str(message.get("message", "")) == text:
                return int(message["id"])
    if threads:
        thread_id = int(threads[0]["id"])
    else:
        thread = shop.create(
            "customer_threads",
            {"id_order": order_id, "id_customer": customer_id, "id_lang": 1, "id_contact": 0,
             "status": "open", "token": secrets.token_hex(6)},
        )  # fmt: skip
        thread_id = int(thread["id"])
    written = shop.create(
        "customer_messages",
        {"id_customer_thread": thread_id, "id_employee": 0, "message": text, "private": 1},
    )
    return int(written["id"])


__all__ = ["private_message"]
