"""What the shop tells the outside world: the events it records for webhooks (contract webhooks.md
§6) and the customer emails it would send (an inspectable outbox, contract §6.6).

Events carry the PrestaShop hook that fires them (``actionOrderStatusPostUpdate``,
``actionObjectCustomerUpdateAfter``...) and, in a multistore, the shop of their record (``shop``).
Subscribers, such as the sandbox's webhook sender, are called for each one; seeding switches
recording off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prestashop_infor import names
from prestashop_infor.sandbox.prestashop.models.records import Row, Table
from prestashop_infor.sandbox.prestashop.resources import ResourceDef

Event = dict[str, Any]

# Resources whose object hooks become webhook events, with their event name.
_OBJECT_EVENTS = {
    "orders": "order",
    "customers": "customer",
    "addresses": "address",
    "products": "product",
    "combinations": "combination",
}


@dataclass
class Email:
    """One customer email the shop would have sent."""

    to: str
    template: str
    subject: str
    id_order: int
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "template": self.template,
            "subject": self.subject,
            "id_order": self.id_order,
            "data": self.data,
        }


class Notifications:
    """Events and emails of the ``Shop`` (a mixin; the state lives on the shop)."""

    definitions: dict[str, ResourceDef]
    tables: dict[str, Table]
    events: list[Event]
    subscribers: list[Callable[[Event], None]]
    outbox: list[Email]
    record_events: bool
    _emit_order_return: Callable[[str, str, int], None]  # models.returns
    is_multistore: Callable[[], bool]  # models.multistore
    event_shop: Callable[[str, int | None, dict[str, Any]], int]
    shop_group_of: Callable[[int], int]

    def subscribe(self, callback: Callable[[Event], None]) -> None:
        """Call ``callback(event)`` for every event (the webhook sender plugs in here)."""
        self.subscribers.append(callback)

    def _emit(
        self,
        event: str,
        hook: str,
        resource: str,
        record_id: int | None,
        data: dict[str, Any],
        version: int | None = None,
    ) -> None:
        """Record a webhook-worthy event (contract webhooks.md §6) and tell subscribers; ``version``:
        the module's per-resource ``resource_version`` (sent with the events only the module sends)."""
        if not self.record_events:
            return
        payload: dict[str, Any] = {
            "event": event,
            "source_hook": hook,
            "resource": {"type": resource, "id": record_id},
            "data": data,
        }
        if version is not None:
            payload["resource_version"] = version
        if self.is_multistore():  # which shop the record belongs to (one shop: always the default)
            id_shop = self.event_shop(resource, record_id, data)
            payload["shop"] = {"id_shop": id_shop, "id_shop_group": self.shop_group_of(id_shop)}
        self.events.append(payload)
        for subscriber in list(self.subscribers):
            subscriber(payload)

    def _emit_object_event(self, resource: str, action: str, record_id: int, row: Row) -> None:
        """``actionObject<Class>AddAfter`` / ``UpdateAfter`` / ``DeleteAfter`` as a ``<name>.<action>`` event."""
        if resource == "order_returns" and action == "updated":  # the module's event, with the lines
            self._emit_order_return(
                names.ORDER_RETURN_UPDATED, "actionObjectOrderReturnUpdateAfter", record_id
            )
            return
        singular = _OBJECT_EVENTS.get(resource)
        if singular is None:
            return
        definition = self.definitions[resource]
        verb = "Add" if action == "created" else action[:-1].capitalize()
        hook = f"actionObject{definition.class_name}{verb}After"
        data: dict[str, Any] = {
            f"id_{singular}" if singular != "combination" else "id_product_attribute": record_id
        }
        if "date_upd" in definition.by_name:
            data["date_upd"] = row[definition.by_name["date_upd"].pos]
        self._emit(f"{singular}.{action}", hook, resource, record_id, data)

    def _send_order_email(self, order: Row, template: str, subject: str, **data: Any) -> None:
        """Put an email about ``order`` to its customer in the outbox."""
        customer = self.tables["customers"].rows.get(int(self._field("orders", order, "id_customer")))
        to = self._field("customers", customer, "email") if customer is not None else ""
        reference = self._field("orders", order, "reference")
        self.outbox.append(Email(to, template, subject, order[0], {"reference": reference, **data}))
