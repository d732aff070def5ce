"""M3 business errors and M3 values on the wire: synthetic message ids, numbers, dates.

Every value M3 answers is a string (§5.1, §9): numbers with ``.`` as separator and no exponent,
dates in the call's ``dateformat`` (``YMD8`` by default), empty dates as ``"0"``. Inputs arrive as
strings too; the parsers here turn them into Python values or fail the way M3 does.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# Synthetic message ids (seven characters, "EM" = emulator): real M3 ids are tenant-specific.
MSG_MANDATORY = "EMI0101"
MSG_TOO_LONG = "EMI0102"
MSG_UNKNOWN_FIELD = "EMI0103"
MSG_UNKNOWN_TRANSACTION = "EMI0104"
MSG_NOT_NUMERIC = "EMI0105"
MSG_INVALID_DATE = "EMI0106"
MSG_NOT_EMULATED = "EMI0107"  # an input M3 would keep and act on that the emulator does not model
MSG_NOT_FOUND = "EMI0201"
MSG_EXISTS = "EMI0202"
MSG_WRONG_STATE = "EMI0203"
MSG_CHANGED = "EMI0204"  # the record was changed by another user since the change number given
MSG_UNKNOWN_CUSTOMER = "EMI0301"
MSG_UNKNOWN_ITEM = "EMI0302"
MSG_CREDIT_STOP = "EMI0303"  # the customer is stopped (CRS610 BLCD 1): no order passes
MSG_NO_LINES = "EMI0304"
# Over the credit limit: an id of its own, not MSG_CREDIT_STOP. M3 tells the two apart (a customer
# stop holds every order until a person lifts it; a limit holds only what does not fit, and a
# smaller order or a payment lets the next one through), and a caller should be able to as well;
# the order held for either waits at batch status 30 all the same.
MSG_CREDIT_LIMIT = "EMI0305"


class M3Failure(Exception):
    """An M3 business error: one failed transaction (HTTP 400 on a single call)."""

    def __init__(self, code: str, message: str, field: str = "", error_type: str = "ServerReturnedNOK"):
        self.code = code
        self.message = message
        self.field = field
        self.error_type = error_type
        super().__init__(f"{code} {field}: {message}")


#: In a change transaction a blank input leaves the field as it is; ``?`` blanks it (the usual M3 MI
#: convention for ``Chg``/``Upd`` transactions, probable: not in the fixture specs).
CLEAR = "?"


def mandatory(field: str, description: str) -> M3Failure:
    return M3Failure(
        MSG_MANDATORY, f"{description} ({field}) must be entered", field, "MandatoryInputFieldNotFound"
    )


def check_change_number(fields: dict[str, str], current: int, what: str) -> None:
    """A change transaction given ``CHNO`` fails unless the record is still at that change number:
    someone changed it since the caller read it (M3's "record changed by another user")."""
    given = fields.get("CHNO")
    if given is not None and int(Decimal(given)) != current:
        raise M3Failure(
            MSG_CHANGED,
            f"{what} was changed by another user: change number is {current}, not {given}",
            "CHNO",
        )


def next_change_number(current: int) -> int:
    """The change number after ``current``: ``CHNO`` has three digits and wraps after 999."""
    return current % 999 + 1


def dec(value: Decimal | int | str) -> str:
    """An M3 number on the wire: plain digits, '.' as separator, no exponent, no trailing zeros."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def render_date(value: date | None, dateformat: str = "YMD8") -> str:
    if value is None:
        return "0"
    match dateformat.upper():
        case "YMD6":
            return value.strftime("%y%m%d")
        case "MDY6":
            return value.strftime("%m%d%y")
        case "DMY6":
            return value.strftime("%d%m%y")
        case "YWD5":
            iso = value.isocalendar()
            return f"{iso.year % 100:02d}{iso.week:02d}{iso.weekday}"
        case "YMD8-":
            return value.strftime("%Y-%m-%d")
        case _:
            return value.strftime("%Y%m%d")


def render(value: Any, dateformat: str = "YMD8") -> str:
    """Any emulator value as M3 writes it: always a string, right-trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return render_date(value.date(), dateformat)
    if isinstance(value, date):
        return render_date(value, dateformat)
    if isinstance(value, Decimal | int):
        return dec(value)
    return str(value).rstrip()


def is_number(value: str) -> bool:
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return value.strip() not in ("NaN", "Infinity", "-Infinity") and "e" not in value.lower()


def parse_decimal(fields: dict[str, str], name: str, default: Decimal | None) -> Decimal | None:
    value = fields.get(name)
    if value is None or value == "":
        return default
    if not is_number(value):
        raise M3Failure(MSG_NOT_NUMERIC, f"Field {name} must be numeric, got {value!r}", name)
    return Decimal(value)


def parse_date(fields: dict[str, str], name: str) -> date | None:
    value = fields.get(name)
    if value is None or value in ("", "0"):
        return None
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise M3Failure(
            MSG_INVALID_DATE, f"Field {name} must be a date YYYYMMDD, got {value!r}", name
        ) from None
