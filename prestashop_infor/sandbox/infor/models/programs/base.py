"""What every MI program module is: its write rules, and which record family each read reads.

A program is a class named like the MI program. Its methods named exactly like a transaction of
the program's spec (``AddBatchHead``, ``Confirm``) are that transaction's rules: they take the
validated inputs and return the output records as Python values. Its ``reads`` table says which
record family each ``Get``/``Lst``/``Sel`` transaction reads; the generic read engine does the rest
from the spec. A method named like a read transaction would override the engine where M3's behaviour
is special.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from prestashop_infor.sandbox.infor.models.reads import ReadRule
from prestashop_infor.sandbox.infor.models.values import (
    CLEAR,
    check_change_number,
    mandatory,
    next_change_number,
)
from prestashop_infor.sandbox.infor.specs import load_specs

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant

Fields = dict[str, str]
Records = list[dict[str, Any]]
Handler = Callable[[Fields], Iterable[dict[str, Any]]]


class Program:
    """One MI program of the tenant."""

    name: ClassVar[str]
    reads: ClassVar[dict[str, ReadRule]] = {}

    def __init__(self, m3: M3Tenant):
        self.m3 = m3

    def change(
        self, record: Any, f: Fields, changeable: Iterable[str], required: tuple[str, str], what: str
    ) -> None:
        """A change transaction (``Chg``/``Upd``) on a kept record: refuses a ``CHNO`` that is not the
        record's change number any more, sets the ``changeable`` fields given (a blank input leaves a
        field as it is, ``?`` blanks it; the ``required`` field, a name and its label, may not be
        blanked), and moves the change number, ``LMDT`` and ``LMTS``."""
        check_change_number(f, record.chno, what)
        changes = {name: "" if f[name] == CLEAR else f[name] for name in changeable if name in f}
        if changes.get(required[0]) == "":
            raise mandatory(*required)
        for name, value in changes.items():
            setattr(record, name.lower(), value)
        record.chno = next_change_number(record.chno)
        record.lmdt = self.m3.today()
        record.lmts = self.m3.next_lmts()

    def rules(self) -> dict[str, Handler]:
        """Transaction -> the hand-written rule, for every transaction of the spec this class defines."""
        transactions = load_specs()[self.name]
        return {name: getattr(self, name) for name in transactions if callable(getattr(self, name, None))}
