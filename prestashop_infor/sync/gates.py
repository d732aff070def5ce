"""The validation gate every extracted frame passes, whichever system it came from (no Dagster).

Both PrestaShop and M3 send values as strings, so a frame keeps the values as received
(``frame_of``) and each pandera model coerces them: a value that does not coerce
(``total_paid: "abc"``) is a row-level failure naming the column, not a crash. ``validate_frame``
runs a model lazily and splits a frame into the rows that pass and, per failing row, the list of
failed checks; ``quarantine`` turns those failures into dead letters (stage ``validate``) and
``gate`` does all three for a list of records.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from prestashop_infor.store import Store

STAGE = "validate"  # the dead-letter stage of every gate failure

# -- records to frames ---------------------------------------------------------------------------


def scalar(value: Any) -> Any:
    """A field as one scalar: multilingual values (``[{"id": "1", "value": "Mug"}]``) give the first language."""
    if isinstance(value, list):
        return value[0].get("value") if value and isinstance(value[0], dict) else None
    if isinstance(value, dict):
        return value.get("value")
    return value


def frame_of(model: type[pa.DataFrameModel], rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A frame with exactly the model's columns, values as received (missing fields become None)."""
    columns = list(model.to_schema().columns)
    data = [{column: scalar(row.get(column)) for column in columns} for row in rows]
    return pd.DataFrame(data, columns=columns, dtype=object)


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


# -- failures to dead letters --------------------------------------------------------------------


def record_key(record: Mapping[str, Any], key_field: str = "id") -> str:
    """The dead-letter key of a record: its ``key_field`` (``id``, M3's ``ITNO``...), or a digest of
    the record when that is empty (stable across runs, unlike the record's position in a batch)."""
    value = record.get(key_field)
    if value not in (None, ""):
        return str(value)
    digest = hashlib.sha1(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"sha1:{digest}"


def quarantine(
    store: Store,
    entity: str,
    records: Sequence[Mapping[str, Any]],
    failures: Mapping[int, Sequence[Failure]],
    *,
    key_field: str = "id",
) -> int:
    """Put the failing records (``failures`` by position in ``records``) in the dead-letter table at
    stage ``validate``, each with every check it failed; returns how many."""
    letters = []
    for label, found in sorted(failures.items()):
        record = records[label]
        fields = list(dict.fromkeys(f.field for f in found if f.field))
        letters.append(
            {
                "entity": entity,
                "key": record_key(record, key_field),
                "stage": STAGE,
                "error_code": found[0].check,
                "field": ",".join(fields) or None,
                "message": "; ".join(f.describe() for f in found),
                "payload": dict(record),
                "failures": [f.as_dict() for f in found],
            }
        )
    return store.quarantine_many(letters)


def gate(
    model: type[pa.DataFrameModel],
    records: Sequence[Mapping[str, Any]],
    store: Store,
    entity: str,
    *,
    key_field: str = "id",
) -> tuple[pd.DataFrame, int]:
    """Validate ``records``; quarantine the failures; return the valid rows (as received, not coerced)
    and how many were quarantined."""
    frame = frame_of(model, records)
    outcome = validate_frame(model, frame)
    quarantined = quarantine(store, entity, records, outcome.failures, key_field=key_field)
    return frame.drop(index=list(outcome.failures)), quarantined
