"""The pandera models of the M3 records the Infor extraction gates: items, inventory balances and
order statuses (no Dagster).

M3 answers every value as a string; a frame keeps them as received and each model coerces, so a
value that does not coerce is a row-level failure naming the field (``prestashop_infor.sync.gates``
runs them, the same gate as the PrestaShop side).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

# Valid order-line status combinations (contract §10.3) plus header-level values seen on ORSL/ORST.
LINE_STATUSES = ["05", "10", "22", "23", "24", "26", "27", "33", "34", "36", "37", "44", "46", "47", "66", "67",
                 "77", "99"]  # fmt: skip


class ItemSchema(pa.DataFrameModel):
    """MMS200MI item rows."""

    ITNO: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 15}, unique=True)
    ITDS: Series[str] = pa.Field(str_length={"max_value": 60})
    STAT: Series[str] = pa.Field(str_matches=r"^\d{2}$")
    UNMS: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 3})


class BalanceSchema(pa.DataFrameModel):
    """OIS100MI/LstNewBalances rows: available quantity per item and warehouse."""

    WHLO: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 3})
    ITNO: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 15})
    AV01: Series[float] = pa.Field(coerce=True)
    AV02: Series[float] = pa.Field(coerce=True, ge=0)


class PriceSchema(pa.DataFrameModel):
    """M3 sales prices valid today (OIS017MI lists, base prices and quantity breaks), one row per
    list, item and from-quantity."""

    PRRF: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 10})
    CUCD: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    CUNO: Series[str] = pa.Field(str_length={"max_value": 10})  # blank: the list of any customer
    ITNO: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 15})
    FVDT: Series[str] = pa.Field(str_matches=r"^\d{8}$")
    LVDT: Series[str] = pa.Field(str_matches=r"^(\d{8})?$")
    QTYL: Series[float] = pa.Field(coerce=True, gt=0)
    SAPR: Series[float] = pa.Field(coerce=True, ge=0)


class OrderStatusSchema(pa.DataFrameModel):
    """OIS100MI/LstHead rows: header status and lowest/highest line status of each order."""

    ORNO: Series[str] = pa.Field(str_matches=r"^\d{1,10}$", unique=True)
    STAT: Series[str] = pa.Field(isin=["00", "05", "10", "20", "90"])
    ORSL: Series[str] = pa.Field(isin=LINE_STATUSES)
    ORST: Series[str] = pa.Field(isin=LINE_STATUSES)
    CUOR: Series[str] = pa.Field(str_length={"max_value": 20})

    @pa.dataframe_check(name="lowest_not_above_highest")
    def _order(cls, frame: pd.DataFrame) -> Series[bool]:
        return frame["ORSL"].astype(str) <= frame["ORST"].astype(str)
