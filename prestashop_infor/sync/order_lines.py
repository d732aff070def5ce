"""One shop order row as an M3 order line: its item number and its unit price.

The one line rule. The order mapper (``sync.m3_order_request``) sends each line by it and the reconciliation
(``sync.reconcile``) expects each line by it, so what the reconciliation expects is by construction
what the sync sent: two copies of the rule drifted apart before (issue 18).

- **Item**: the mapping's item rules (``items``) on the references of the product and the
  combination the row refers to, as their records say (the store that ``prestashop_products``
  keeps, else the shop). The row's own ``product_reference`` stands in only for a record that
  cannot be read: PrestaShop writes the *combination's* reference there, so with
  ``items.product_reference_for_combinations`` the row alone would name the variant, not the item
  that stands for all of them.
- **Price**: the unit price ``orders.price`` names, converted to the ERP currency per unit and
  rounded: ``SAPR`` is a unit price, and M3 makes a line's amount of ``ORQT`` x ``SAPR``. A line's
  amount is computed the same way here, never by converting the line total (the roundings differ).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from prestashop_infor.prestashop import OrderRow
from prestashop_infor.sync.mapping import Mapping as SyncMapping


@dataclass(frozen=True)
class OrderLine:
    """What M3 gets of one shop order row."""

    itno: str
    quantity: int
    price: Decimal  # the unit price ``orders.price`` names, in the order's currency (kept as the original)

    def erp_price(
        self, mapping: SyncMapping, currency: str, conversion_rate: Decimal | None
    ) -> Decimal | None:
        """``SAPR``: the unit price in the ERP currency, rounded by the mapping's currency rules.
        None with ``orders.price: none`` (M3 prices the line). A rate the mapping cannot convert
        with is a ``MappingFailure`` naming the order's field."""
        if mapping.orders.price == "none":
            return None
        return mapping.currency.to_erp(self.price, currency, mapping.erp.currency, conversion_rate)

    def erp_amount(
        self, mapping: SyncMapping, currency: str, conversion_rate: Decimal | None
    ) -> Decimal | None:
        """The line's amount as M3 makes it: ``ORQT`` x ``SAPR`` (None with ``orders.price: none``)."""
        price = self.erp_price(mapping, currency, conversion_rate)
        return None if price is None else price * self.quantity


def order_line(
    row: OrderRow,
    product: Mapping[str, Any] | None,
    combination: Mapping[str, Any] | None,
    mapping: SyncMapping,
) -> OrderLine:
    """The M3 line of ``row``: the item of its product (``product``, its record) or combination
    (``combination``, its record; None for a row without one), its quantity and its unit price.
    A record not found is None: the row's ``product_reference`` stands in for its reference. No M3
    item for the row is a ``MappingFailure`` naming the field (``product_reference``...)."""
    return OrderLine(
        item_number(row, product, combination, mapping), row.product_quantity, unit_price(row, mapping)
    )


def item_number(
    row: OrderRow,
    product: Mapping[str, Any] | None,
    combination: Mapping[str, Any] | None,
    mapping: SyncMapping,
) -> str:
    """The M3 item number (``ITNO``) of the row's product or combination, by the mapping's items rules."""
    combination_id = row.product_attribute_id
    return mapping.items.resolve(
        row.product_id,
        combination_id,
        str((product or {}).get("reference") or row.product_reference or ""),
        str((combination or {}).get("reference") or row.product_reference or "") if combination_id else None,
    )


def unit_price(row: OrderRow, mapping: SyncMapping) -> Decimal:
    """The unit price the shop charged for the row, in the order's currency: tax included or
    excluded as ``orders.price`` says (with ``none`` the excluded price, kept and not sent)."""
    if mapping.orders.price == "unit_price_tax_incl":
        return row.unit_price_tax_incl
    return row.unit_price_tax_excl
