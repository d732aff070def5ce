"""Rows in asset and check metadata as Dagster's own table values (``MetadataValue.table``): the UI
shows them as tables, and what reads the event log gets the records, not markdown to parse."""

import math
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
import pandas as pd

LISTED_ROWS = 50  # rows listed in a table; the counts beside it are always complete
Cell = str | int | float | bool | None


def table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], limit: int | None = LISTED_ROWS
) -> dg.TableMetadataValue:
    """The first ``limit`` of ``rows`` (every one with None) as a table of ``columns``; a column a
    row lacks is empty. No rows: an empty table."""
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord({column: _cell(row.get(column)) for column in columns}) for row in rows[:limit]
        ],
        schema=dg.TableSchema(columns=[dg.TableColumn(column) for column in columns]),
    )


def frame_table(frame: pd.DataFrame) -> dg.TableMetadataValue:
    """A data frame (a preview of records) as a table of its columns."""
    return table(frame.to_dict("records"), [str(column) for column in frame.columns])


def _cell(value: Any) -> Cell:
    """What a table record holds: a string, a number or a bool as it is, nothing (None, NaN, a
    pandas NA) as None, anything else (a date, a Decimal) as its text."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)
