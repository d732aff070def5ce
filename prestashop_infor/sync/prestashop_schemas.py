"""The pandera models of the PrestaShop records the extraction gates (orders and their rows,
customers, products, stock_availables), and how an order becomes a frame (no Dagster).

PrestaShop's JSON gives ids as numbers and every other value as a string, so a frame keeps the
values as received and each model coerces them (``prestashop_infor.sync.gates`` runs them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from prestashop_infor.sync.gates import frame_of

# PrestaShop writes dates as shop-local wall-clock text; "0000-00-00 00:00:00" means "never".
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# Order references are short upper-case codes ("XKBKNABJK"); EANs are 8 or 12–14 digits when set.
ORDER_REFERENCE_PATTERN = r"^[A-Z0-9]{1,32}$"
EAN_PATTERN = r"^(\d{8}|\d{12,14})?$"
FLAGS = ["0", "1"]


def _parseable_datetimes(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format=DATETIME_FORMAT, errors="coerce").notna()


class OrderSchema(pa.DataFrameModel):
    """One row per order (``display=full``), with the number of its order rows."""

    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    reference: Series[str] = pa.Field(str_matches=ORDER_REFERENCE_PATTERN)
    id_customer: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0)
    id_currency: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0)
    id_address_delivery: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0, nullable=True)
    id_address_invoice: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0, nullable=True)
    id_carrier: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0, nullable=True)
    id_shop: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0, nullable=True)
    current_state: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0)
    module: Series[str] = pa.Field(nullable=True)
    payment: Series[str] = pa.Field(nullable=True)
    total_paid: Series[float] = pa.Field(coerce=True, ge=0)
    total_paid_tax_incl: Series[float] = pa.Field(coerce=True, ge=0)
    total_paid_tax_excl: Series[float] = pa.Field(coerce=True, ge=0)
    total_products: Series[float] = pa.Field(coerce=True, ge=0)
    total_products_wt: Series[float] = pa.Field(coerce=True, ge=0)
    total_shipping: Series[float] = pa.Field(coerce=True, ge=0)
    total_discounts: Series[float] = pa.Field(coerce=True, ge=0)
    conversion_rate: Series[float] = pa.Field(coerce=True, gt=0, nullable=True)
    date_add: Series[str]
    date_upd: Series[str]
    row_count: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=1)

    @pa.check("date_add", "date_upd", name="parseable_datetime")
    def parseable_datetime(cls, series: Series[str]) -> Series[bool]:
        return _parseable_datetimes(series)

    @pa.dataframe_check(name="tax_incl_not_below_tax_excl")
    def tax_incl_not_below_tax_excl(cls, frame: pd.DataFrame) -> Series[bool]:
        return frame["total_paid_tax_incl"] + 0.005 >= frame["total_paid_tax_excl"]


class OrderRowSchema(pa.DataFrameModel):
    """One row per order line (``associations.order_rows`` of an order)."""

    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    id_order: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0)
    product_id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0)
    product_attribute_id: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    product_quantity: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=1)
    product_name: Series[str] = pa.Field(nullable=True)
    product_reference: Series[str] = pa.Field(nullable=True)
    product_price: Series[float] = pa.Field(coerce=True, ge=0, nullable=True)
    unit_price_tax_incl: Series[float] = pa.Field(coerce=True, ge=0)
    unit_price_tax_excl: Series[float] = pa.Field(coerce=True, ge=0)


class CustomerSchema(pa.DataFrameModel):
    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    email: Series[str] = pa.Field(str_matches=EMAIL_PATTERN)
    firstname: Series[str] = pa.Field(nullable=True)
    lastname: Series[str] = pa.Field(nullable=True)
    company: Series[str] = pa.Field(nullable=True)
    id_default_group: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0, nullable=True)
    id_lang: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0, nullable=True)
    active: Series[str] = pa.Field(isin=FLAGS)
    deleted: Series[str] = pa.Field(isin=FLAGS)
    is_guest: Series[str] = pa.Field(isin=FLAGS)
    newsletter: Series[str] = pa.Field(isin=FLAGS)
    date_add: Series[str]
    date_upd: Series[str]

    @pa.check("date_add", "date_upd", name="parseable_datetime")
    def parseable_datetime(cls, series: Series[str]) -> Series[bool]:
        return _parseable_datetimes(series)


class ProductSchema(pa.DataFrameModel):
    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    reference: Series[str] = pa.Field(nullable=True)
    name: Series[str] = pa.Field(nullable=True)
    ean13: Series[str] = pa.Field(str_matches=EAN_PATTERN, nullable=True)
    price: Series[float] = pa.Field(coerce=True, ge=0)
    wholesale_price: Series[float] = pa.Field(coerce=True, ge=0, nullable=True)
    weight: Series[float] = pa.Field(coerce=True, ge=0, nullable=True)
    active: Series[str] = pa.Field(isin=FLAGS)
    product_type: Series[str] = pa.Field(nullable=True)
    id_category_default: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0, nullable=True)
    date_add: Series[str]
    date_upd: Series[str]

    @pa.check("date_add", "date_upd", name="parseable_datetime")
    def parseable_datetime(cls, series: Series[str]) -> Series[bool]:
        return _parseable_datetimes(series)


class SpecificPriceSchema(pa.DataFrameModel):
    """One row per ``specific_prices`` record: a price or reduction for a product (0: all), a
    customer or group, currency, country, shop and from-quantity."""

    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    id_product: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    id_product_attribute: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    id_shop: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    id_currency: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    id_country: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    id_group: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    id_customer: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    from_quantity: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    price: Series[float] = pa.Field(coerce=True, ge=-1)  # -1: the product's own price
    reduction: Series[float] = pa.Field(coerce=True, ge=0)
    reduction_type: Series[str] = pa.Field(isin=["amount", "percentage", ""], nullable=True)


class StockSchema(pa.DataFrameModel):
    """One row per ``stock_availables`` record: a product (or combination) quantity in a shop."""

    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    id_product: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0)
    id_product_attribute: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    id_shop: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0)
    id_shop_group: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0, nullable=True)
    # Stock may be negative when the shop accepts orders out of stock, so no sign check.
    quantity: Series[pd.Int64Dtype] = pa.Field(coerce=True)
    depends_on_stock: Series[str] = pa.Field(isin=FLAGS, nullable=True)
    out_of_stock: Series[pd.Int64Dtype] = pa.Field(coerce=True, isin=[0, 1, 2], nullable=True)
    location: Series[str] = pa.Field(nullable=True)


class AddressSchema(pa.DataFrameModel):
    """One row per ``addresses`` record: where an order is delivered and invoiced."""

    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    id_customer: Series[pd.Int64Dtype] = pa.Field(coerce=True, ge=0, nullable=True)
    id_country: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0)
    address1: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 128})
    city: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 64})
    deleted: Series[str] = pa.Field(isin=FLAGS, nullable=True)
    date_upd: Series[str]

    @pa.check("date_upd", name="parseable_datetime")
    def parseable_datetime(cls, series: Series[str]) -> Series[bool]:
        return _parseable_datetimes(series)


class CountrySchema(pa.DataFrameModel):
    """One row per ``countries`` record: its ISO code and postcode format."""

    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    iso_code: Series[str] = pa.Field(str_matches=r"^[A-Za-z]{2,3}$")


class CurrencySchema(pa.DataFrameModel):
    """One row per ``currencies`` record: its ISO 4217 code."""

    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    iso_code: Series[str] = pa.Field(str_matches=r"^[A-Za-z]{3}$")


class OrderSlipSchema(pa.DataFrameModel):
    """One row per ``order_slip`` record (a credit slip: a refund given in the shop, or one the
    integration wrote for an M3 credit note): its order and amount."""

    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    id_order: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0)
    amount: Series[float] = pa.Field(coerce=True, ge=0)
    date_upd: Series[str] = pa.Field(nullable=False)


class OrderStateSchema(pa.DataFrameModel):
    """One row per ``order_states`` record: the states the status map is resolved against."""

    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)


class CombinationSchema(pa.DataFrameModel):
    """One row per ``combinations`` record: the variant of a product, and its reference (the M3
    item number the stock push resolves)."""

    id: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0, unique=True)
    id_product: Series[pd.Int64Dtype] = pa.Field(coerce=True, gt=0)
    reference: Series[str] = pa.Field(nullable=True, str_length={"max_value": 128})


# -- orders to frames ----------------------------------------------------------------------------


def order_rows_of(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order lines of one order record, each with ``id_order`` set."""
    rows = (order.get("associations") or {}).get("order_rows") or []
    if not isinstance(rows, list):
        rows = [rows]
    return [{**row, "id_order": order.get("id")} for row in rows if isinstance(row, dict)]


def order_frame(orders: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The orders as an ``OrderSchema`` frame, with the number of lines of each (``row_count``)."""
    frame = frame_of(OrderSchema, orders)
    frame["row_count"] = [len(order_rows_of(order)) for order in orders]
    return frame
