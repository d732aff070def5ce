"""The validation gate of every extracted PrestaShop frame: pandera models and how records become frames.

PrestaShop's JSON gives ids as numbers and every other value as a string, so a frame keeps the
values as received and each model coerces them: a value that does not coerce (``total_paid: "abc"``)
is a row-level failure naming the column, not a crash. ``validate_frame`` runs a model lazily and
splits a frame into the rows that pass and, per failing row, the list of failed checks.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors
from pandera.typing import Series

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


# -- records to frames ---------------------------------------------------------------------------


def _columns(model: type[pa.DataFrameModel]) -> list[str]:
    return list(model.to_schema().columns)


def _scalar(value: Any) -> Any:
    """A field as one scalar: multilingual values (``[{"id": "1", "value": "Mug"}]``) give the first language."""
    if isinstance(value, list):
        return value[0].get("value") if value and isinstance(value[0], dict) else None
    if isinstance(value, dict):
        return value.get("value")
    return value


def frame_of(model: type[pa.DataFrameModel], rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """A frame with exactly the model's columns, values as received (missing fields become None)."""
    columns = _columns(model)
    data = [{column: _scalar(row.get(column)) for column in columns} for row in rows]
    return pd.DataFrame(data, columns=columns, dtype=object)


def order_rows_of(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order lines of one order record, each with ``id_order`` set."""
    rows = (order.get("associations") or {}).get("order_rows") or []
    if not isinstance(rows, list):
        rows = [rows]
    return [{**row, "id_order": order.get("id")} for row in rows if isinstance(row, dict)]


def order_frame(orders: Sequence[dict[str, Any]]) -> pd.DataFrame:
    frame = frame_of(OrderSchema, orders)
    frame["row_count"] = [len(order_rows_of(order)) for order in orders]
    return frame


# -- validation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """One failed check on one row: which check, on which field, and the offending value."""

    check: str
    field: str | None
    failure_case: Any

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "field": self.field, "failure_case": self.failure_case}

    def describe(self) -> str:
        where = self.field or "record"
        return f"{where}: {self.check} failed on {self.failure_case!r}"


@dataclass
class ValidationOutcome:
    """The rows that passed (coerced to the model's types) and the failures of the rest, by row label."""

    valid: pd.DataFrame
    failures: dict[int, list[Failure]] = field(default_factory=dict)


def validate_frame(
    model: type[pa.DataFrameModel], frame: pd.DataFrame, *, max_rounds: int = 5
) -> ValidationOutcome:
    """Validate lazily, set failing rows aside, and validate the rest again until it passes.

    A second round is needed because a check on a column that did not coerce cannot judge any row
    (pandera reports it without a row); once the uncoercible rows are out, it judges the others.
    Failures that name no row at all (a systematic problem) fail every remaining row.
    """
    failures: dict[int, list[Failure]] = defaultdict(list)
    remaining = frame
    for _ in range(max_rounds):
        try:
            return ValidationOutcome(model.validate(remaining, lazy=True), dict(failures))
        except SchemaErrors as errors:
            cases = errors.failure_cases
        row_level = cases[cases["index"].notna()]
        if row_level.empty:
            for label in remaining.index:
                failures[int(label)].extend(_failure(case) for case in cases.itertuples())
            return ValidationOutcome(remaining.iloc[0:0], dict(failures))
        coerce_failed = {
            (int(case.index), case.column)
            for case in row_level.itertuples()
            if str(case.check).startswith("coerce_dtype")
        }
        row_checks: set[tuple[int, str]] = set()
        for case in row_level.itertuples():
            label = int(case.index)
            # "dtype(...)" repeats a "coerce_dtype(...)" failure of the same value; keep one.
            if str(case.check).startswith("dtype(") and (label, case.column) in coerce_failed:
                continue
            if case.schema_context == "DataFrameSchema":
                # A check across columns reports every column of the row; one failure says it.
                if (label, str(case.check)) not in row_checks:
                    row_checks.add((label, str(case.check)))
                    failures[label].append(Failure(str(case.check), None, None))
                continue
            failures[label].append(_failure(case))
        remaining = remaining.drop(index=sorted({int(label) for label in row_level["index"]}))
    for label in remaining.index:
        failures[int(label)].append(Failure("validation_did_not_settle", None, None))
    return ValidationOutcome(remaining.iloc[0:0], dict(failures))


def _failure(case: Any) -> Failure:
    column = case.column if isinstance(case.column, str) else None
    failure_case = case.failure_case
    if isinstance(failure_case, float) and pd.isna(failure_case):
        failure_case = None
    elif hasattr(failure_case, "item"):
        failure_case = failure_case.item()  # numpy scalar → plain Python, for JSON
    return Failure(str(case.check), column, failure_case)


def record_key(record: dict[str, Any]) -> str:
    """The dead-letter key of a record: its id, or a digest of it when it has none."""
    record_id = record.get("id")
    if record_id not in (None, ""):
        return str(record_id)
    digest = hashlib.sha1(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"sha1:{digest}"
