"""Typed views of PrestaShop Webservice records (pydantic v2).

The client returns plain dicts in the Webservice's JSON shape (contract §7.2) whatever format the
shop spoke: ``id`` an int, every other scalar a string, multilingual fields a string or a list of
``{"id", "value"}``, associations a dict of lists. These models turn such a dict into Python values:

- ids, quantities and counters → ``int`` (``""`` → 0, pitfall 15; numbers accepted as well as strings);
- money, rates, weights → ``Decimal`` (never float);
- flags ``"0"``/``"1"`` → ``bool``;
- dates stay **shop-local naive** ``datetime``/``date``; unset dates (``0000-00-00 00:00:00``,
  ``0000-00-00``, ``""``, ``null``) → ``None``. :func:`to_utc` turns a local value into UTC given the
  shop's IANA time zone (the client knows it, the record does not, §7.3);
- multilingual fields, either shape → ``dict[int, str]`` keyed by language id (a plain string, i.e.
  one language in play, is stored under key ``0``); :func:`pick_language` reads one.

Unknown fields are kept (``extra="allow"``): versions differ (§11) and nothing accepted is lost.
Values that cannot be read (``"abc"`` for a quantity, ``"2019-13-45"`` for a date) fail validation
with pydantic's message naming the field.

The models are split by subject: ``base`` (the field types and ``Record``), ``shop_time`` (shop-local
time and UTC), ``orders``, ``customers``, ``catalogue`` and ``shops``; every name is importable from
here.
"""

from __future__ import annotations

from prestashop_infor.prestashop.models.base import (
    SINGLE_LANGUAGE,
    ZERO_DATES,
    Flag,
    IdRef,
    Int,
    LocalDate,
    LocalDateTime,
    Money,
    Multilingual,
    OptionalInt,
    Record,
    Text,
    pick_language,
)
from prestashop_infor.prestashop.models.catalogue import Combination, Product, StockAvailable, StockMovement
from prestashop_infor.prestashop.models.customers import Address, Customer, CustomerAssociations
from prestashop_infor.prestashop.models.orders import (
    Cart,
    CartAssociations,
    CartRow,
    Order,
    OrderAssociations,
    OrderCarrier,
    OrderDetail,
    OrderHistory,
    OrderInvoice,
    OrderPayment,
    OrderRow,
    OrderState,
)
from prestashop_infor.prestashop.models.shop_time import (
    earliest_local_since,
    latest_local_until,
    to_shop_local,
    to_utc,
)
from prestashop_infor.prestashop.models.shops import Country, Currency, Language, Shop, ShopGroup

__all__ = [
    "MODELS",
    "SINGLE_LANGUAGE",
    "ZERO_DATES",
    "Address",
    "Cart",
    "CartAssociations",
    "CartRow",
    "Combination",
    "Country",
    "Currency",
    "Customer",
    "CustomerAssociations",
    "Flag",
    "IdRef",
    "Int",
    "Language",
    "LocalDate",
    "LocalDateTime",
    "Money",
    "Multilingual",
    "OptionalInt",
    "Order",
    "OrderAssociations",
    "OrderCarrier",
    "OrderDetail",
    "OrderHistory",
    "OrderInvoice",
    "OrderPayment",
    "OrderRow",
    "OrderState",
    "Product",
    "Record",
    "Shop",
    "ShopGroup",
    "StockAvailable",
    "StockMovement",
    "Text",
    "earliest_local_since",
    "latest_local_until",
    "model_for",
    "pick_language",
    "to_shop_local",
    "to_utc",
]

MODELS: dict[str, type[Record]] = {
    "orders": Order,
    "order_details": OrderDetail,
    "customers": Customer,
    "addresses": Address,
    "products": Product,
    "combinations": Combination,
    "stock_availables": StockAvailable,
    "order_histories": OrderHistory,
    "order_states": OrderState,
    "order_carriers": OrderCarrier,
    "order_payments": OrderPayment,
    "currencies": Currency,
    "countries": Country,
    "languages": Language,
    "shops": Shop,
    "shop_groups": ShopGroup,
    "order_invoices": OrderInvoice,
    "carts": Cart,
    "stock_movements": StockMovement,
}
"""The model for each resource name (URL name), for code that handles several resources alike."""


def model_for(resource: str) -> type[Record]:
    """The model of a resource; ``KeyError`` naming the known ones when there is none."""
    try:
        return MODELS[resource]
    except KeyError:
        raise KeyError(f"no model for resource {resource!r}; known: {', '.join(sorted(MODELS))}") from None
