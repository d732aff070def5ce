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

    def rules(self) -> dict[str, Handler]:
        """Transaction -> the hand-written rule, for every transaction of the spec this class defines."""
        transactions = load_specs()[self.name]
        return {name: getattr(self, name) for name in transactions if callable(getattr(self, name, None))}
