"""Entering an M3 customer return (``OIS390MI``) for shop order lines, exactly once: the one write
behind both a refund given in the shop (``sync.refunds``: a return that takes no goods back) and a
merchandise return requested in the shop (``sync.returns``: the goods come back).

Each request goes through the one synchronizer shape (``sync.synchronizer``):

1. claim it (the caller's entity, key the shop record's id);
2. read M3: the return has a number of its own, derived from the shop record (a base from the
   mapping + the record's id, like the derived customer numbers), so its head (``OIS390MI/GetHead``)
   and lines (``LstLine``) say what an earlier run already did; and the customer order's lines
   (``OIS100MI/LstLine``) to find the lines returned;
3. decide: head and every line there: bind; otherwise write what is missing;
4. write ``AddHead`` (warehouse of the order's lines, ``RORN`` the order, ``RSCD`` the request's
   transaction reason, ``YREF`` the shop record) and ``AddLine`` per line (``RORL`` the M3 line whose
   customer line ``CUPO`` is the order row's position, ``REQ0`` the quantity);
5. bind the shop record to the return number once M3 answered OK for all of it. An AddHead that
   committed unheard is found by its number on the next run, never entered twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError, M3TransactionError
from prestashop_infor.store import Store, id_map
from prestashop_infor.sync.errors import LoadError, SyncError
from prestashop_infor.sync.synchronizer import Bind, DeadLetter, Decision, Leave, Outcome, Write, synchronize

NOT_FOUND = "EMI0201"  # M3's "record does not exist"
STALE_CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class ReturnRequest:
    """One M3 customer return to enter for a shop record (a credit slip, a merchandise return)."""

    source_id: int  # the shop record's id: the id map's source key
    what: str  # the shop record, for messages and YREF: "credit slip 12", "merchandise return 3"
    order_id: int
    orno: str
    repn: str  # the return's derived number
    reason: str  # RSCD
    lines: tuple[tuple[int, int], ...]  # (order detail id, quantity)
    order_rows: tuple[int, ...]  # the order's detail ids in the order's own order (CUPO = position)
    context: Mapping[str, Any] = field(default_factory=dict)  # more for the dead letter


@dataclass
class ReturnReport:
    sent: list[int] = field(default_factory=list)  # entered in M3 by this run
    found: list[int] = field(default_factory=list)  # M3 held them already (an earlier run, unheard)
    dead_lettered: dict[int, SyncError] = field(default_factory=dict)
    busy: list[int] = field(default_factory=list)
    left: dict[int, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"sent_to_m3": len(self.sent), "found_in_m3": len(self.found),
                "dead_lettered": len(self.dead_lettered), "busy": len(self.busy), "left": len(self.left)}  # fmt: skip


def enter_returns(
    requests: Iterable[ReturnRequest], *, m3: M3Client, store: Store, entity: str, report: ReturnReport
) -> ReturnReport:
    """Enter each request's return in M3 once (module docstring); bound to ``entity``."""
    work = {str(request.source_id): request for request in requests}
    run = synchronize(work, _Returns(m3, store, entity, report), store, stale_after=STALE_CLAIM)
    report.busy = [int(k) for k in run.busy]
    report.left = {int(k): why for k, why in run.left.items()}
    return report


@dataclass(frozen=True)
class _Plan:
    head: dict[str, str] | None  # AddHead's fields, None when M3 holds the head
    lines: list[dict[str, str]]  # AddLine's fields still to enter


class _Returns:
    def __init__(self, m3: M3Client, store: Store, entity: str, report: ReturnReport):
        self.m3, self.store, self.claims, self.report = m3, store, entity, report

    def planned(self, key: str, item: ReturnRequest) -> str | None:
        return item.repn

    def read_current(self, work: Mapping[str, ReturnRequest]) -> Mapping[str, Any]:
        """Per request: (the order's lines, its return's lines or None when M3 has no such return)."""
        keys = list(work)
        order_lines = self.m3.bulk(
            [("OIS100MI", "LstLine", {"ORNO": work[k].orno}) for k in keys], max_records=0
        )
        current: dict[str, Any] = {}
        asked: list[str] = []
        for key, result in zip(keys, order_lines, strict=True):
            if isinstance(result.error, M3GatewayError):
                raise result.error
            if not result.ok or not result.records:
                current[key] = (
                    LoadError.from_m3(result.error, context=f"listing the lines of {work[key].orno}")
                    if result.error
                    else LoadError("order_not_in_m3", "ORNO", f"M3 order {work[key].orno} has no lines")
                )
            else:
                current[key] = (result.records, None)
                asked.append(key)
        calls = []
        for key in asked:
            fields = {"WHLO": current[key][0][0].get("WHLO", ""), "REPN": work[key].repn}
            calls += [("OIS390MI", "GetHead", fields), ("OIS390MI", "LstLine", fields)]
        results = self.m3.bulk(calls, max_records=0)
        for index, key in enumerate(asked):
            head, lines = results[2 * index], results[2 * index + 1]
            for result in (head, lines):
                if isinstance(result.error, M3GatewayError):
                    raise result.error
            if head.ok and lines.ok:
                current[key] = (current[key][0], lines.records)
            elif head.ok or not (isinstance(head.error, M3TransactionError) and head.error.code == NOT_FOUND):
                current[key] = LoadError.from_m3(head.error or lines.error, context="reading the return")
        return current

    def decide(self, key: str, item: ReturnRequest, current: Any) -> Decision:
        if isinstance(current, SyncError):
            return DeadLetter(current)
        order_lines, return_lines = current
        if not item.lines:
            return DeadLetter(LoadError("no_returned_lines", "lines", f"{item.what} names no order line"))
        by_cupo = {line.get("CUPO", "").strip(): line for line in order_lines}
        wanted: list[dict[str, str]] = []
        for detail_id, quantity in item.lines:
            if detail_id not in item.order_rows:
                return DeadLetter(LoadError("unknown_order_row", "id_order_detail",
                                            f"{item.what}: order row {detail_id} is not on order {item.order_id}"))  # fmt: skip
            line = by_cupo.get(str(item.order_rows.index(detail_id) + 1))
            if line is None:
                return DeadLetter(LoadError("line_not_in_m3", "CUPO",
                                            f"{item.what}: M3 order {item.orno} has no line for order row {detail_id}"))  # fmt: skip
            wanted.append({"WHLO": line.get("WHLO", ""), "RORL": line["PONR"].strip(), "REQ0": str(quantity)})
        held = {line.get("RORL", line.get("PONR", "")).strip() for line in return_lines or []}
        missing = [dict(line, REPN=item.repn) for line in wanted if line["RORL"] not in held]
        if return_lines is not None and not missing:
            return Bind((item.repn, False))
        head = None
        if return_lines is None:  # no such return yet
            head = {"WHLO": wanted[0]["WHLO"], "REPN": item.repn, "RORN": item.orno, "RSCD": item.reason,
                    "YREF": f"PrestaShop {item.what}"[:30]}  # fmt: skip
        return Write(_Plan(head, missing))

    def write(self, sends: Mapping[str, tuple[ReturnRequest, Any]]) -> Iterable[tuple[str, Outcome]]:
        for key, (item, plan) in sends.items():
            try:
                if plan.head is not None:
                    self.m3.execute("OIS390MI", "AddHead", **plan.head)
                for line in plan.lines:
                    self.m3.execute("OIS390MI", "AddLine", **line)
            except M3TransactionError as error:
                yield key, DeadLetter(LoadError.from_m3(error, context=f"entering {item.what}"))
            except M3GatewayError as error:
                yield key, Leave(f"M3 did not answer ({error}): the next run reads the return again")
            else:
                yield key, Bind((item.repn, True))

    def bind(self, bound: Mapping[str, tuple[ReturnRequest, Any]]) -> None:
        id_map.bind_many(self.store, self.claims, [(key, repn, None, {"order_id": item.order_id, "orno": item.orno})
                                                   for key, (item, (repn, _written)) in bound.items()])  # fmt: skip
        for _key, (item, (_repn, written)) in bound.items():
            (self.report.sent if written else self.report.found).append(item.source_id)

    def dead_letter(self, failed: Mapping[str, tuple[ReturnRequest, SyncError]]) -> None:
        letters = []
        for key, (item, error) in failed.items():
            self.report.dead_lettered[item.source_id] = error
            context = {"order_id": item.order_id, "orno": item.orno, "repn": item.repn, **item.context}
            letters.append(error.dead_letter(self.claims, key, context))
        self.store.quarantine_many(letters)


__all__ = ["ReturnReport", "ReturnRequest", "enter_returns"]
