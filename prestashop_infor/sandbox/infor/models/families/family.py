"""What a family is: the ``Family`` the read engine reads, and the helpers every family's rows use."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from prestashop_infor.sandbox.infor.models.values import M3Failure, parse_date

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant

Row = dict[str, Any]

#: Inputs stored as given that are dates (YYYYMMDD on the way in, the call's date format out).
DATE_FIELDS = frozenset(
    {"ORDT", "RLDT", "CUDT", "RLDZ", "FDED", "LDED", "DWDT", "CODT", "DWDZ", "CODZ", "FVDT", "LVDT"}
)


@dataclass(frozen=True)
class Family:
    """One kind of record as the read engine sees it.

    ``fields`` lists every field ``row`` can produce (besides the echoed inputs of ``echo``);
    ``index`` gives fast candidate lookups for exact key values; ``ordered`` gives the records from
    a value of one field onward, in that field's order then the key's (a list positioned on that
    field alone reads a year of orders without a scan per call); ``labels`` words "does not exist"
    errors for key fields ("Order number 1000000001 does not exist").
    """

    name: str
    key: tuple[str, ...]
    objects: Callable[[M3Tenant], Iterable[Any]]
    row: Callable[[M3Tenant, Any], Row]
    fields: frozenset[str]
    echo: tuple[tuple[str, str], ...] = ()  # (program, write transaction) whose inputs are kept
    index: Mapping[str, Callable[[M3Tenant, str], Iterable[Any]]] = field(default_factory=dict)
    ordered: Mapping[str, Callable[[M3Tenant, str], Iterable[Any]]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    # records kept per division: "every read" answers one division (receivables, a customer's
    # financial data), "read by division" only a read whose transaction takes DIVI (invoices: listed
    # by order in any division); the DIVI given, else the call's division (``M3Tenant.call_division``)
    division_bound: Literal["", "every read", "read by division"] = ""

    @property
    def kept(self) -> bool:
        return self.name != NOT_KEPT


NOT_KEPT = "not_kept"

#: Records the emulator does not keep (charges, quotations, packages, lots, code tables, ...):
#: a ``Get`` of one fails as a missing record, a ``Lst`` answers no records.
NOTHING = Family(NOT_KEPT, key=(), objects=lambda m3: (), row=lambda m3, obj: {}, fields=frozenset())


def field_set(text: str) -> frozenset[str]:
    """``"CONO DIVI ITNO"`` -> the set of those field names."""
    return frozenset(text.split())


def numeric_key(value: str) -> str:
    """A numeric key as the emulator stores it (no leading zeros)."""
    return value.lstrip("0") or "0"


def echoed(stored: Mapping[str, str]) -> Row:
    """What a write transaction was given, dates parsed, as family fields."""
    row: Row = {}
    for name, value in stored.items():
        if name in DATE_FIELDS:
            try:
                row[name] = parse_date(stored, name)
            except M3Failure:  # a stored value that is no date stays text
                row[name] = value
        else:
            row[name] = value
    return row


def company_fields(m3: M3Tenant, divi: str = "") -> Row:
    """The company and division every row carries: ``divi`` for a record of a division of its own
    (an order's, an invoice's: ``M3Tenant.division_of`` its facility), else the company's."""
    return {"CONO": m3.cono, "DIVI": divi or m3.divi}
