"""The MI REST wire: values as M3 reads them, which transactions are reads, and M3's answers read
back (records right-trimmed, an error found in either of the shapes M3 reports it in)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from prestashop_infor.infor.errors import M3TransactionError

READ_PREFIXES = ("Get", "Lst", "Sel", "Search", "Srch")


def is_read(transaction: str) -> bool:
    """A read transaction (``Get…``, ``Lst…``, ...): repeating it changes nothing in M3."""
    return transaction.startswith(READ_PREFIXES)


def wire_value(value: Any) -> str:
    """Format a Python value the way M3 expects it on the wire (all strings, no float repr)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        raise TypeError("pass decimals as Decimal or str, not float (M3 must not receive a float repr)")
    if isinstance(value, Decimal):
        return (
            format(value.normalize(), "f")
            if value != value.to_integral_value()
            else str(value.quantize(Decimal(1)))
        )
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return str(value)


def trimmed(record: Mapping[str, Any]) -> dict[str, str]:
    """A record as callers get it: every value a right-trimmed string (M3 pads with blanks)."""
    return {str(k): ("" if v is None else str(v)).rstrip() for k, v in record.items()}


def entry_error(
    entry: Mapping[str, Any], program: str, transaction: str, status: int
) -> M3TransactionError | None:
    """The error one ``results[]`` entry (or a body) reports, if any."""
    if not any(entry.get(k) for k in ("errorMessage", "errorCode", "errorField")):
        return None
    return M3TransactionError(
        program,
        transaction,
        code=str(entry.get("errorCode") or "").strip(),
        field=str(entry.get("errorField") or "").strip(),
        message=str(entry.get("errorMessage") or "").strip(),
        error_type=str(entry.get("errorType") or "").strip(),
        http_status=status,
    )


def error_in(
    body: Mapping[str, Any], program: str, transaction: str, status: int
) -> M3TransactionError | None:
    """The error of a single-call answer: in ``results[0]`` first, else at the top level (both
    shapes exist, contract §5.2); also an error reported inside an HTTP 200."""
    results = body.get("results") or []
    if results and isinstance(results[0], dict):
        error = entry_error(results[0], program, results[0].get("transaction") or transaction, status)
        if error is not None:
            return error
    error = entry_error(body, program, transaction, status)
    if error is not None:
        if not error.message:
            error.message = str(body.get("terminationReason") or "").strip()
        if not error.error_type:
            error.error_type = str(body.get("terminationErrorType") or "").strip()
        return error
    if body.get("wasTerminated") or (body.get("nrOfFailedTransactions") or 0) > 0 or status == 400:
        return M3TransactionError(
            program,
            transaction,
            message=str(
                body.get("terminationReason") or "M3 reported a failed transaction without details"
            ).strip(),
            error_type=str(body.get("terminationErrorType") or "").strip(),
            http_status=status,
        )
    return None


def short_body(response: httpx.Response) -> str:
    """The start of an answer's body, on one line, for an error message."""
    text = response.text.strip().replace("\n", " ")
    return text[:200] or response.reason_phrase
