"""Errors of the sync units: one family, each saying what failed, on which field, and at which stage.

A :class:`SyncError` is what a sync unit raises (or collects) for one record that cannot go through;
the dead-letter row is built from it (:meth:`SyncError.dead_letter`). ``stage`` is where it failed:
``validate`` (the source record is unusable: a missing or mistyped field), ``map`` (the mapping has
no answer: an unknown item, an address that does not fit), ``load`` (M3 refused it; ``code`` and
``field`` are then M3's own message id and field).

What pydantic refuses is told one way everywhere (the mapping file, a shop record, the settings):
:func:`field_problems` turns its errors into field problems (:class:`FieldProblem`), each naming
its field by :func:`field_path` (``order_rows[2].product_id``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic

from prestashop_infor.infor import M3GatewayError, M3TransactionError

STAGES = ("validate", "map", "load")


class SyncError(Exception):
    """One record could not be synced. ``code`` is short and stable (``unresolved_item``, or M3's
    message id such as ``XIM0002``); ``field`` names the offending field (``order_rows[2].product_id``,
    or M3's ``ITNO``)."""

    def __init__(self, code: str, field: str | None, message: str, stage: str):
        if stage not in STAGES:
            raise ValueError(f"unknown sync stage {stage!r}; use one of {STAGES}")
        self.code = code
        self.field = field
        self.message = message
        self.stage = stage
        where = f" ({field})" if field else ""
        super().__init__(f"{stage}: {code}{where}: {message}")

    def dead_letter(self, entity: str, key: str | int, payload: Any) -> dict[str, Any]:
        """The row for ``Store.quarantine_many`` describing this failure of record ``key``."""
        return {
            "entity": entity,
            "key": str(key),
            "stage": self.stage,
            "error_code": self.code,
            "field": self.field,
            "message": self.message,
            "payload": payload,
        }


class ValidationError(SyncError):
    """The source record is unusable (missing field, text where a number belongs)."""

    def __init__(self, code: str, field: str | None, message: str):
        super().__init__(code, field, message, "validate")


class MappingFailure(SyncError):
    """The mapping has no answer for this record (unknown item, unknown country, address too long)."""

    def __init__(self, code: str, field: str | None, message: str):
        super().__init__(code, field, message, "map")


class LoadError(SyncError):
    """M3 refused the record; ``code``/``field`` are M3's message id and field when it gave them."""

    def __init__(self, code: str, field: str | None, message: str):
        super().__init__(code, field, message, "load")

    @classmethod
    def from_m3(cls, error: BaseException, *, context: str = "") -> LoadError:
        """A load error carrying M3's code and field (``M3TransactionError``), or the gateway status."""
        prefix = f"{context}: " if context else ""
        if isinstance(error, M3TransactionError):
            return cls(
                error.code or "m3_error",
                error.field or None,
                f"{prefix}{error.program}/{error.transaction}: {error.message or 'no message'}",
            )
        if isinstance(error, M3GatewayError):
            return cls(f"gateway_{error.status or 'no_response'}", None, f"{prefix}{error}")
        return cls("m3_error", None, f"{prefix}{error}")


def batch_errors(messages: list[Mapping[str, str]], fields: Mapping[str, str] | None = None) -> LoadError:
    """A load error from ``OIS100MI/LstErrMsgOrder`` records (why M3 rejected a batch order): the
    first message's id is the code. Those records carry the offending value (``MDTA``, e.g. the
    unknown item number) but no field name: ``fields`` maps values we sent to the field that carried
    them (``{"SKU-9": "ITNO"}``), so the dead letter can still name the field."""
    if not messages:
        return LoadError("batch_rejected", None, "M3 rejected the batch order without giving a reason")
    first = messages[0]
    text = "; ".join(
        f"{m.get('MSID', '')} {m.get('TX60', '')}".strip() + (f" [{m.get('MDTA')}]" if m.get("MDTA") else "")
        for m in messages
    )
    data = first.get("MDTA", "")
    return LoadError(first.get("MSID") or "batch_rejected", (fields or {}).get(data), text)


# -------------------------------------------------------------------------- what pydantic refused


@dataclass(frozen=True)
class FieldProblem:
    """One problem pydantic found: the field's ``path`` (empty for the whole record), pydantic's
    ``message`` and the ``value`` it refused."""

    path: str
    message: str
    value: Any

    @property
    def reason(self) -> str:
        """The message without pydantic's ``Value error,`` prefix: what a validator said, as it said it."""
        return self.message.removeprefix("Value error, ")


def field_path(loc: Sequence[str | int]) -> str:
    """A pydantic error location as a field path: ``status.m3_ranges.picking``,
    ``order_rows[2].product_id`` (list positions in brackets); empty for the whole record."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def field_problems(exc: pydantic.ValidationError) -> list[FieldProblem]:
    """Every problem of a pydantic validation error, in pydantic's order."""
    return [
        FieldProblem(field_path(error["loc"]), error["msg"], error.get("input")) for error in exc.errors()
    ]


def first_problem(exc: pydantic.ValidationError) -> tuple[FieldProblem, int]:
    """The first problem of a pydantic validation error, and how many more it holds."""
    problems = field_problems(exc)
    return problems[0], len(problems) - 1
