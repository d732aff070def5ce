"""The order lifecycle (contract §6.6): checkout, state changes, tracking numbers and stock.

``place_order`` is a checkout in the shop (the order, its lines, carrier row and first history,
stock taken off). ``change_order_state`` does what ``OrderHistory::changeIdOrderState`` + ``add`` do
in PrestaShop: a history row, ``current_state``/``valid``/``date_upd``, invoice and delivery numbers,
the payment record, the state's email with ``sendemail=1``, and the hooks as webhook events. The
``_before_*``/``_after_*`` methods are the resource rules the generic writes (writes.py) call around
a create or update of ``order_histories``, ``order_carriers`` and ``stock_availables``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

from prestashop_infor import names
from prestashop_infor.sandbox.prestashop.models.checkout import build_order
from prestashop_infor.sandbox.prestashop.models.clock import ShopClock
from prestashop_infor.sandbox.prestashop.models.errors import WebserviceError
from prestashop_infor.sandbox.prestashop.models.records import Row, Table
from prestashop_infor.sandbox.prestashop.resources import ResourceDef


class OrderLifecycle:
    """Checkout and order rules of the ``Shop`` (a mixin; the state lives on the shop)."""

    definitions: dict[str, ResourceDef]
    tables: dict[str, Table]
    clock: ShopClock
    counters: dict[str, int]
    default_language: int
    lock: threading.RLock
    _stock_by_product: dict[tuple[int, int], int]
    check_shop_id: Callable[[Any], int]  # models.multistore
    customer_shop: Callable[[int], int]
    stock_id: Callable[..., int | None]

    # ------------------------------------------------------------------ checkout

    def place_random_orders(
        self, count: int, chooser: random.Random, id_shop: int | None = None
    ) -> list[int]:
        """Simulated customers' checkouts: each 1-4 lines of sellable products or combinations, 1-3
        each, mostly in euros (the sandbox's traffic and its ``/_sandbox/orders`` ``random`` call).
        Each customer orders in their own shop; ``id_shop`` picks the customers of one shop only."""
        with self.lock:
            wanted = None if id_shop is None else self.check_shop_id(id_shop)
            customers = sorted(
                int(c["id"])
                for c in self.records("customers")
                if wanted is None or self.customer_shop(int(c["id"])) == wanted
            )
            if wanted is not None and not customers:
                raise ValueError(f"no customer in shop {wanted} to place orders for")
            combinations = self.records("combinations")
            with_combinations = {int(c["id_product"]) for c in combinations}
            sellable = [(int(c["id_product"]), int(c["id"])) for c in combinations]
            sellable += [
                (int(p["id"]), 0) for p in self.records("products") if int(p["id"]) not in with_combinations
            ]
            sellable.sort()
            placed = []
            for _ in range(count):
                lines = [
                    (*chooser.choice(sellable), chooser.randint(1, 3)) for _ in range(chooser.randint(1, 4))
                ]
                currency = chooser.choices(["EUR", "USD", "GBP"], weights=[8, 1, 1])[0]
                placed.append(self.place_order(chooser.choice(customers), lines, currency))
            return placed

    def place_order(
        self,
        customer_id: int,
        lines: list[tuple[int, int, int]],
        currency_iso: str = "EUR",
        id_shop: int | None = None,
    ) -> int:
        """A checkout: creates the order, its lines, carrier row and first history; decrements stock.

        The order is placed in ``id_shop`` (a multistore's shop, §5.8), by default the customer's own
        shop; the customers of one shop cannot check out in another (the group shares no customers)."""

        with self.lock:
            if int(customer_id) not in self.tables["customers"].rows:
                raise ValueError(f"no customer {customer_id} in this shop")
            home = self.customer_shop(int(customer_id))
            shop_id = home if id_shop is None else self.check_shop_id(id_shop)
            if shop_id != home:
                raise ValueError(
                    f"customer {customer_id} belongs to shop {home}, not to shop {shop_id}: "
                    "the shops share no customers"
                )
            if not lines:
                raise ValueError("an order needs at least one line")
            for product_id, combination_id, quantity in lines:
                if int(product_id) not in self.tables["products"].rows:
                    raise ValueError(f"no product {product_id} in this shop")
                if combination_id and int(combination_id) not in self.tables["combinations"].rows:
                    raise ValueError(f"no combination {combination_id} in this shop")
                if int(quantity) <= 0:
                    raise ValueError(f"quantity must be positive, got {quantity}")
            currency_id = self.currency_id(currency_iso)
            order_id = build_order(
                self,
                int(customer_id),
                [(int(p), int(c), int(q)) for p, c, q in lines],
                currency_id,
                self.clock.now(),
                history=None,
                id_shop=shop_id,
            )
            order = self.tables["orders"].rows[order_id]
            self._emit(
                names.ORDER_CREATED,
                "actionValidateOrder",
                "orders",
                order_id,
                {
                    "id_order": order_id,
                    "reference": self._field("orders", order, "reference"),
                    "id_customer": int(customer_id),
                    "current_state": int(self._field("orders", order, "current_state")),
                    "date_add": self._field("orders", order, "date_add"),
                    "date_upd": self._field("orders", order, "date_upd"),
                },
            )
            return order_id

    def currency_id(self, iso_code: str) -> int:
        """The id of a currency by ISO code (``EUR``)."""
        pos = self.definitions["currencies"].by_name["iso_code"].pos
        for currency_id, row in self.tables["currencies"].rows.items():
            if row[pos].upper() == iso_code.upper():
                return currency_id
        raise ValueError(f"no currency {iso_code!r} in this shop")

    def decrement_stock(self, product_id: int, combination_id: int, quantity: int, id_shop: int = 1) -> None:
        """Take ``quantity`` off the combination row and the product total row (attribute 0) of a shop."""
        table = self.tables["stock_availables"]
        pos = self.definitions["stock_availables"].by_name["quantity"].pos
        targets = {(product_id, combination_id), (product_id, 0)}
        for key in targets:
            stock_id = self._stock_by_product.get(key) if id_shop == 1 else self.stock_id(*key, id_shop)
            if stock_id is not None:
                row = list(table.rows[stock_id])
                row[pos] = str(int(row[pos]) - quantity)
                table.rows[stock_id] = row
                self._emit_stock(row)
        table.touch()

    # ------------------------------------------------------------------ order states

    def _before_create_order_histories(self, row: Row) -> None:
        order_id = self._field("order_histories", row, "id_order")
        state_id = self._field("order_histories", row, "id_order_state")
        if int(order_id) not in self.tables["orders"].rows:
            raise WebserviceError(400, 85, 'Validation error: "Property OrderHistory->id_order is not valid"')
        if int(state_id) not in self.tables["order_states"].rows:
            raise WebserviceError(
                400, 85, 'Validation error: "Property OrderHistory->id_order_state is not valid"'
            )

    def _after_create_order_histories(self, row: Row, send_email: bool) -> None:
        order_id = int(self._field("order_histories", row, "id_order"))
        state_id = int(self._field("order_histories", row, "id_order_state"))
        self.change_order_state(order_id, state_id, send_email=send_email, history=row)

    def change_order_state(
        self, order_id: int, state_id: int, *, send_email: bool = False, history: Row | None = None
    ) -> None:
        """Move an order to a state as OrderHistory::changeIdOrderState + add do (§6.6)."""
        orders = self.tables["orders"]
        old_order = orders.rows[order_id]
        order = list(old_order)
        state = self.tables["order_states"].rows[state_id]
        flag = lambda name: self._field("order_states", state, name) == "1"  # noqa: E731
        old_state = int(self._field("orders", order, "current_state"))
        now = self.clock.local_text()
        if history is None:
            history = self.new_row(
                "order_histories", id_order=str(order_id), id_order_state=str(state_id), date_add=now
            )
            self.insert("order_histories", history)
        self._set("orders", order, "current_state", str(state_id))
        self._set("orders", order, "valid", "1" if flag("logable") else "0")
        self._set("orders", order, "date_upd", now)
        if flag("invoice") and self._field("orders", order, "invoice_number") == "0":
            self._set("orders", order, "invoice_number", str(self._next_number("invoice_number")))
            self._set("orders", order, "invoice_date", now)
        if flag("delivery") and self._field("orders", order, "delivery_number") == "0":
            self._set("orders", order, "delivery_number", str(self._next_number("delivery_number")))
            self._set("orders", order, "delivery_date", now)
        if flag("paid") and self._field("orders", order, "total_paid_real") == "0.000000":
            self._set("orders", order, "total_paid_real", self._field("orders", order, "total_paid_tax_incl"))
            reference = self._field("orders", order, "reference")
            ref_pos = self.definitions["order_payments"].by_name["order_reference"].pos
            if not any(p[ref_pos] == reference for p in self.tables["order_payments"].rows.values()):
                self.insert(
                    "order_payments",
                    self.new_row(
                        "order_payments",
                        order_reference=reference,
                        id_currency=self._field("orders", order, "id_currency"),
                        amount=self._field("orders", order, "total_paid_tax_incl"),
                        payment_method=self._field("orders", order, "payment"),
                        conversion_rate=self._field("orders", order, "conversion_rate"),
                        date_add=now,
                    ),
                )
        orders.rows[order_id] = order
        orders.touch()
        if send_email and flag("send_email"):
            template = self._field("order_states", state, "template").get(self.default_language, "")
            if template:
                self._send_order_email(
                    order, template, self._field("order_states", state, "name").get(self.default_language, "")
                )
        self._emit(
            names.ORDER_STATUS_CHANGED,
            "actionOrderStatusPostUpdate",
            "orders",
            order_id,
            {"id_order": order_id, "old_state": old_state, "new_state": state_id, "date_upd": now},
        )
        if flag("paid") and not self._state_flag(old_state, "paid"):
            self._emit(
                names.ORDER_PAYMENT_CONFIRMED,
                "actionPaymentConfirmation",
                "orders",
                order_id,
                {"id_order": order_id},
            )

    def _state_flag(self, state_id: int, name: str) -> bool:
        state = self.tables["order_states"].rows.get(state_id)
        return state is not None and self._field("order_states", state, name) == "1"

    def _next_number(self, name: str) -> int:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]

    # ------------------------------------------------------------------ tracking numbers and stock

    def _before_update_order_carriers(self, old: Row, row: Row) -> None:
        tracking = self._field("order_carriers", row, "tracking_number")
        if tracking and not self.definitions["order_carriers"].by_name[
            "tracking_number"
        ].type.pattern.fullmatch(tracking):
            raise WebserviceError(
                400, 85, 'Validation error: "Property OrderCarrier->tracking_number is not valid"'
            )

    def _after_update_order_carriers(self, old: Row, row: Row, send_email: bool) -> None:
        order_id = int(self._field("order_carriers", row, "id_order"))
        tracking = self._field("order_carriers", row, "tracking_number")
        order = self.tables["orders"].rows.get(order_id)
        if order is not None:
            updated = list(order)
            self._set("orders", updated, "shipping_number", tracking)
            self.tables["orders"].rows[order_id] = updated
            self.tables["orders"].touch()
            if send_email and tracking:
                self._send_order_email(updated, "in_transit", "Package in transit", tracking_number=tracking)
        self._emit(
            names.ORDER_TRACKING_UPDATED,
            "actionObjectOrderCarrierUpdateAfter",
            "order_carriers",
            row[0],
            {"id_order": order_id, "id_order_carrier": row[0], "tracking_number": tracking},
        )

    def _after_update_stock_availables(self, old: Row, row: Row, send_email: bool) -> None:
        # Stock edits do not move the product's date_upd (Pitfall 9).
        self._emit_stock(row)

    def _emit_stock(self, row: Row) -> None:
        self._emit(
            names.STOCK_UPDATED,
            "actionUpdateQuantity",
            "stock_availables",
            row[0],
            {
                "id_product": int(self._field("stock_availables", row, "id_product")),
                "id_product_attribute": int(self._field("stock_availables", row, "id_product_attribute")),
                "id_shop": int(self._field("stock_availables", row, "id_shop") or 0),
                "quantity": int(self._field("stock_availables", row, "quantity")),
            },
        )
