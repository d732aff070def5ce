"""The door for shops running the ps_webhooks module (github.com/prestaalba/ps_webhooks, AFL-3.0):
``POST /webhooks/ps_webhooks/<token>`` turns its payloads into the contract's v1 envelope, stored in
the same inbox as the signed events (contract ``webhooks.md`` §10: "if ps_webhooks must be used as is").

The format, as read in the module's repository (v1.1.0, commit 0643213 of August 2025: ``executeUrl``
in ``ps_webhooks.php``, and the example of its ``README.md``): the hook ``actionObject<Entity><Action>After``
POSTs, with ``Content-Type: application/json``, ``{"action": "add"|"update"|"delete", "entity": "<the
PrestaShop class>", "data": {...}}``. ``data`` is the object's public properties (``get_object_vars``)
less ``passwd``, ``secure_key`` and ``password``, in PHP types: an id may be a number or a string of
digits, ``date_upd`` is shop-local ``YYYY-MM-DD HH:MM:SS``. The back office's Test button sends a new,
empty object (``"id": null``). It sends once, synchronously, within 3 s: no signature, no event id, no
timestamp, no retry.

Hence: the token in the URL is the only authentication (compared in constant time with every token of
``PS_WEBHOOKS_TOKEN``); the event id is a UUIDv5 of the class, the action, the object's id and its
``date_upd`` (for a class without one, a hash of ``data`` stands in), so a repeat of the same change
is stored once; ``data`` keeps only the contract's hints (ids, states, dates), never the record; the
class and action map to the contract's event types (``EVENTS``), and any other well-formed pair is
stored as ``ignored``, the receiver's rule for event types it does not handle. ``occurred_at`` is
when the door received it (the module sends as the hook runs).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prestashop_infor import names

PATH = "/webhooks/ps_webhooks/{token}"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/prestaalba/ps_webhooks")  # of the event ids
ENTITY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")  # a PrestaShop class name
ACTION = re.compile(r"[A-Za-z]{1,10}")  # add, update, delete: the module's column holds 10 characters
DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
NUMBER = re.compile(r"-?[0-9]{1,10}")  # a number as PHP may hold it, read from the database
MAX_ID = 2**31 - 1  # the inbox holds the record's id in a 32-bit column
MAX_TEXT = 100  # characters of a text hint kept (a reference, a tracking number, a date)


class Malformed(ValueError):
    """A body that is not a ps_webhooks payload; the message says what is wrong."""


@dataclass(frozen=True)
class Kind:
    """What the door knows of a PrestaShop class: the Webservice resource its events are about, the
    name its id takes among the hints, and the fields copied as hints (contract §6)."""

    resource: str
    id_hint: str
    hints: tuple[str, ...] = ()
    about: str | None = None  # the field holding the resource's id, when it is not the object itself


KINDS = {
    "Order": Kind(
        "orders", "id_order", ("reference", "id_customer", "current_state", "date_add", "date_upd")
    ),
    # a new order state is a new OrderHistory row: the event is about its order
    "OrderHistory": Kind(
        "orders", "id_order_history", ("id_order", "id_order_state", "date_add"), about="id_order"
    ),
    "OrderCarrier": Kind("order_carriers", "id_order_carrier", ("id_order", "tracking_number")),
    "Customer": Kind("customers", "id_customer", ("date_upd",)),
    "Address": Kind("addresses", "id_address", ("id_customer", "date_upd")),
    "Product": Kind("products", "id_product", ("date_upd",)),
    "Combination": Kind("combinations", "id_product_attribute", ("id_product",)),
    "StockAvailable": Kind(
        "stock_availables",
        "id_stock_available",
        ("id_product", "id_product_attribute", "id_shop", "quantity"),
    ),
}
RENAMED = {"id_order_state": "new_state"}  # a field whose hint the contract names otherwise
NUMBERS = {"current_state", "quantity"}  # hints that are numbers besides the ids (id_...)

#: (class, action) -> the contract's event type; any other pair is stored as ``ignored``.
EVENTS = {
    ("Order", "add"): names.ORDER_CREATED,
    ("Order", "update"): names.ORDER_UPDATED,
    ("OrderHistory", "add"): names.ORDER_STATUS_CHANGED,
    ("OrderCarrier", "update"): names.ORDER_TRACKING_UPDATED,
    ("Customer", "add"): names.CUSTOMER_CREATED,
    ("Customer", "update"): names.CUSTOMER_UPDATED,
    ("Customer", "delete"): names.CUSTOMER_DELETED,
    ("Address", "add"): names.ADDRESS_CREATED,
    ("Address", "update"): names.ADDRESS_UPDATED,
    ("Address", "delete"): names.ADDRESS_DELETED,
    ("Product", "add"): names.PRODUCT_CREATED,
    ("Product", "update"): names.PRODUCT_UPDATED,
    ("Product", "delete"): names.PRODUCT_DELETED,
    ("Combination", "add"): names.COMBINATION_CREATED,
    ("Combination", "update"): names.COMBINATION_UPDATED,
    ("Combination", "delete"): names.COMBINATION_DELETED,
    ("StockAvailable", "add"): names.STOCK_UPDATED,
    ("StockAvailable", "update"): names.STOCK_UPDATED,
}
_CLASSES = {name.lower(): name for name in KINDS}


def token_matches(given: str, tokens: Sequence[str]) -> bool:
    """Whether ``given`` is one of ``tokens`` (none: the door is closed), compared in constant time
    with every one of them."""
    given_bytes = given.encode("utf-8", "surrogatepass")
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(given_bytes, token.encode("utf-8"))
    return matched


def envelope_of(payload: Any, *, shop_url: str | None, received_at: float) -> dict[str, Any] | None:
    """The contract's v1 envelope for a parsed ps_webhooks payload; None for the module's Test button
    (an object with no id: nothing to store). ``Malformed`` names what is wrong."""
    if not isinstance(payload, dict):
        raise Malformed('the body must be a JSON object: {"action": ..., "entity": ..., "data": {...}}')
    action, entity, data = payload.get("action"), payload.get("entity"), payload.get("data")
    if not isinstance(action, str) or not ACTION.fullmatch(action):
        raise Malformed("action must be a ps_webhooks action: add, update or delete")
    if not isinstance(entity, str) or not ENTITY.fullmatch(entity):
        raise Malformed("entity must be a PrestaShop class name, such as Order or Customer")
    if not isinstance(data, dict):
        raise Malformed("data must be a JSON object (the PrestaShop object's fields)")
    if "id" not in data:
        raise Malformed("data.id is missing (the PrestaShop object's id)")
    if data["id"] is None:
        return None
    action, entity = action.lower(), _CLASSES.get(entity.lower(), entity)
    object_id = _record_id(data, "id")
    date_upd = data.get("date_upd")
    if date_upd is not None and not (isinstance(date_upd, str) and DATE_TIME.fullmatch(date_upd)):
        raise Malformed("data.date_upd must be a PrestaShop date-time, YYYY-MM-DD HH:MM:SS")
    kind = KINDS.get(entity)
    version = date_upd or "sha256:" + hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    hints: dict[str, Any] = {kind.id_hint if kind else f"id_{_snake(entity)}": object_id}
    for field in kind.hints if kind else ():
        value = _hint(field, data.get(field))
        if value is not None:
            hints[RENAMED.get(field, field)] = value
    envelope: dict[str, Any] = {
        "id": str(uuid.uuid5(NAMESPACE, f"{entity}/{action}/{object_id}/{version}")),
        "event": EVENTS.get((entity, action), f"ps_webhooks.{_snake(entity)}_{action}"),
        "contract_version": 1,
        "occurred_at": datetime.fromtimestamp(received_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source_hook": f"actionObject{entity}{action.capitalize()}After",
        "resource": {
            "type": kind.resource if kind else _snake(entity),
            "id": _record_id(data, kind.about) if kind and kind.about else object_id,
        },
        "data": hints,
    }
    if shop_url:
        envelope["shop"] = {"url": shop_url}
    return envelope


def _record_id(data: dict[str, Any], field: str) -> int:
    """``data[field]`` as a record id (a number, or digits as PHP holds what it read); ``Malformed``
    when it is missing or not one."""
    if field not in data:
        raise Malformed(f"data.{field} is missing")
    value = data[field]
    if isinstance(value, str) and NUMBER.fullmatch(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise Malformed(f"data.{field} must be a record id, a whole number from 1 to {MAX_ID}")
    return value


def _hint(field: str, value: Any) -> int | str | None:
    """A field's value as a hint: ids and quantities as numbers, other fields as short text; None
    for a value that is neither (a hint is never worth refusing an event for)."""
    if field.startswith("id_") or field in NUMBERS:
        if isinstance(value, str) and NUMBER.fullmatch(value):
            return int(value)
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return value if isinstance(value, str) and len(value) <= MAX_TEXT else None


def _snake(name: str) -> str:
    """``OrderCarrier`` as ``order_carrier``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
