"""A PrestaShop multistore (contract §5.8): several shops (``shops`` rows) of one shop group behind
one Webservice.

Shop 1 is the default shop, the one a request without ``id_shop`` acts on. The shop group shares
neither customers nor orders nor stock (``share_customer``, ``share_order``, ``share_stock`` all 0),
as a fresh multistore is set up: each customer belongs to one shop (``customers.id_shop``) and orders
there (``orders.id_shop``), and each shop has its own ``stock_availables`` row per product and
combination (``id_shop`` N, ``id_shop_group`` 0), which its checkouts take stock off. The events of
a record of another shop than the default one name its shop (``Event["shop"]``), which the webhook
sender puts in the envelope's ``shop`` object; with one shop the events stay as they always were.
"""

from __future__ import annotations

from typing import Any

from prestashop_infor.sandbox.prestashop.models.records import Row, Table
from prestashop_infor.sandbox.prestashop.resources import ResourceDef

DEFAULT_SHOP = 1


class Multistore:
    """The shops of the ``Shop`` and which shop a record belongs to (a mixin; the state lives on the shop)."""

    definitions: dict[str, ResourceDef]
    tables: dict[str, Table]
    _stock_by_shop: dict[tuple[int, int, int], int]

    def shop_ids(self) -> list[int]:
        """The ids of the shops (``/api/shops``), the default shop first."""
        return sorted(self.tables["shops"].rows)

    def is_multistore(self) -> bool:
        return len(self.tables["shops"].rows) > 1

    def check_shop_id(self, id_shop: Any) -> int:
        """``id_shop`` as the id of one of the shops; a ValueError naming the shops otherwise."""
        try:
            wanted = int(id_shop)
        except (TypeError, ValueError):
            raise ValueError(f"id_shop must be a shop id, got {id_shop!r}") from None
        if wanted not in self.tables["shops"].rows:
            known = ", ".join(str(shop_id) for shop_id in self.shop_ids())
            raise ValueError(f"no shop {wanted} in this PrestaShop (its shops: {known})")
        return wanted

    def shop_group_of(self, id_shop: int) -> int:
        row = self.tables["shops"].rows.get(id_shop)
        if row is None:
            return 1
        return _id_or_one(row[self.definitions["shops"].by_name["id_shop_group"].pos])

    def customer_shop(self, customer_id: int) -> int:
        """The shop a customer belongs to (the default shop when the record names none)."""
        row = self.tables["customers"].rows.get(int(customer_id))
        return DEFAULT_SHOP if row is None else self._shop_of_row("customers", row)

    def order_shop(self, order_id: int) -> int:
        row = self.tables["orders"].rows.get(int(order_id))
        return DEFAULT_SHOP if row is None else self._shop_of_row("orders", row)

    def stock_id(self, product_id: int, combination_id: int, id_shop: int = DEFAULT_SHOP) -> int | None:
        """The ``stock_availables`` id of a product (combination 0) or combination in a shop."""
        return self._stock_by_shop.get((id_shop, product_id, combination_id))

    def event_shop(self, resource: str, record_id: int | None, data: dict[str, Any]) -> int:
        """The shop an event's record belongs to: its own ``id_shop`` (orders, customers, stock), its
        order's (order lines, carriers, returns, slips) or its customer's (addresses); else the default."""
        table = self.tables.get(resource)
        row = None if table is None or record_id is None else table.rows.get(int(record_id))
        if row is not None and resource in ("orders", "customers", "stock_availables"):
            return self._shop_of_row(resource, row)
        if "id_order" in data:
            return self.order_shop(int(data["id_order"]))
        if "id_customer" in data:
            return self.customer_shop(int(data["id_customer"]))
        if row is not None and resource == "addresses":
            customer = row[self.definitions["addresses"].by_name["id_customer"].pos]
            return self.customer_shop(int(customer or 0))
        return DEFAULT_SHOP

    def _shop_of_row(self, resource: str, row: Row) -> int:
        return _id_or_one(row[self.definitions[resource].by_name["id_shop"].pos])


def _id_or_one(value: Any) -> int:
    """A stored ``id_shop`` (or ``id_shop_group``); 0 or empty (a record no shop was set on) is the
    default shop (group)."""
    text = str(value or "")
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_SHOP
