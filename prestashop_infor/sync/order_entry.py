"""Shop orders into M3 as customer orders through OIS100MI batch orders, bound as done only once
M3 holds the customer order.

A batch order is entered in steps: ``AddBatchHead`` (a temporary ``ORNO``), its texts if it has
any (``AddBatchText``: the whole delivery address when it does not fit M3's four address lines),
``AddBatchAddress``, one ``AddBatchLine`` per line, ``Confirm``; then M3 checks it and creates the
customer order with its final number ``ORNR`` (batch ``STAT`` 90, contract infor §10.1), at once or
in its batch job. A run can stop between any two steps, and a write can commit in M3 and still
answer with an error. So every order starts from what M3 already holds for its customer order
number ``CUOR``:

- **a customer order** (``OIS120MI/LstCOStopByCUOR``, or a batch order at 90 with its ``ORNR``):
  done, ``recovered``;
- **a batch order M3 rejected** (15/20/25/55) or **credit-stopped** (30): a dead letter with M3's
  messages (``LstErrMsgOrder``); once a person fixes and releases it in OIS275, a replay binds it.
  A credit-stopped order of a customer behind the credit gate (``BatchOrder.gated``, mapping
  ``credit``) is ``held`` instead: no dead letter, the next run looks it up again and binds it once
  a person has released the stop in M3;
- **a batch order not (yet) a customer order** (``STAT`` 10, no ``ORNR``): **finished**. Its head
  is checked against the shop order (a field M3 left blank is no contradiction), its delivery address and lines are read (``GetAddress``,
  ``LstBatchLine``, lines matched on the customer's line number ``CUPO``) and checked too, the
  missing parts are added, then ``Confirm``;
- **nothing**: entered with ``AddBatchHead``, then finished the same way.

Texts: M3 cannot list a batch order's texts back, so they are written in the same bulk list right
before ``AddBatchAddress`` and a batch order that holds its delivery address counts as holding its
texts, which are added again only with a missing address (or, one by one, when their own write
failed earlier in the same run): a run stopped between the two leaves a text twice rather than none.

Finishing rather than deleting and entering again: the temporary number is kept, the integration
never deletes anything in M3 (a batch order carrying this ``CUOR`` may have been keyed by a
person), and a second ``Confirm`` of a confirmed batch order is refused by M3 rather than doubled.
Parts that disagree with the shop order (another item on a line number, another address) are not
overwritten: the order becomes the dead letter ``batch_order_mismatch``, to be corrected or
deleted in OIS275 by a person and then replayed.

After ``Confirm``: ``STAT`` 90, then ``GetOrderNo``: done. ``STAT`` 10: M3's batch job has not
created the customer order yet, so the order is ``waiting``. It is neither bound nor dead-lettered,
and the next run looks it up again and binds it once the customer order exists. A write that
answered with a gateway error may have committed: the order goes round once more (at most
``ROUNDS``, a short pause before each), starting again from the lookup, so no write is ever
repeated blindly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from prestashop_infor.infor import M3Client, M3TransactionError
from prestashop_infor.infor.client import BulkResult
from prestashop_infor.sync.batch_order_parts import missing_parts
from prestashop_infor.sync.errors import LoadError, SyncError, batch_errors

BATCH_CREATED = "90"
BATCH_CREDIT_STOP = "30"
BATCH_REJECTED = frozenset({"15", "20", "25", "30", "55"})  # stay in OIS275 until a person acts
ROUNDS = 5  # lookup -> head -> parts -> confirm passes for orders a gateway error left uncertain
# seconds before each round after the first: a gateway failing a third of the writes (the chaos
# benchmark) left a fifth of the batches unsure after three immediate rounds; a pause lets a burst
# of errors pass, and the order's claim keeps other runs off it meanwhile
ROUND_PAUSES = (0.5, 1.0, 2.0, 4.0)

# where an order came from, as the first lookup found it
NEW, UNFINISHED, EXISTING = "new", "unfinished", "existing"


@dataclass
class BatchOrder:
    """One shop order on its way into M3: what the mapper made of it, and what M3 said."""

    key: int  # the PrestaShop order id
    cuor: str
    cuno: str
    head: dict[str, Any]
    address: dict[str, Any]
    lines: list[dict[str, Any]]
    texts: list[dict[str, Any]] = field(default_factory=list)  # AddBatchText fields, in order
    # texts written by this run that did not come back ok: written again even if the address is there
    texts_again: list[dict[str, Any]] = field(default_factory=list)
    temp_orno: str = ""
    ornr: str = ""
    status: str = ""
    origin: str = ""
    m3_head: dict[str, str] = field(default_factory=dict)  # the batch head M3 held (LstBatchHead)
    gated: bool = False  # a customer behind the credit gate: M3's credit stop holds, it fails nothing
    credit_note: str = ""  # what the credit check said before Confirm (limit, CheckCredit's answer)
    division: str | None = None  # the M3 division of its shop (mapping ``shops``; None: the client's)


@dataclass
class EntryReport:
    """What ``enter_orders`` did, by shop order id."""

    done: list[BatchOrder] = field(default_factory=list)  # M3 holds the customer order: bind these
    waiting: dict[int, str] = field(default_factory=dict)  # confirmed, no customer order yet: why
    held: dict[int, str] = field(default_factory=dict)  # gated orders M3 holds for credit: why
    failed: dict[int, SyncError] = field(default_factory=dict)

    def keys(self, *origins: str) -> list[int]:
        return [order.key for order in self.done if order.origin in origins]


@dataclass(frozen=True)
class Found:
    """What M3 holds for one CUOR."""

    temp_orno: str
    ornr: str
    status: str
    head: dict[str, str]


def enter_orders(
    orders: Sequence[BatchOrder],
    m3: M3Client,
    *,
    bulk_size: int,
    known_items: Collection[str] = (),
    pause: Callable[[float], None] = time.sleep,
) -> EntryReport:
    """Bring each order to a customer order in M3 (see the module docstring). Orders M3 refuses
    are in ``failed``; a lookup or read M3 cannot answer raises, and the caller binds nothing.
    ``known_items``: items ``infor_items`` found in M3, not asked for again."""
    report = EntryReport()
    steps = _Steps(m3, bulk_size, report, known_items)
    work = list(orders)
    for round_ in range(ROUNDS):
        if not work:
            break
        if round_:
            pause(ROUND_PAUSES[min(round_, len(ROUND_PAUSES)) - 1])
        new, unfinished, unsure = steps.look_up(work)
        steps.check_items([o for o in [*new, *unfinished] if o.key not in steps.checked])
        new = [o for o in new if o.key not in report.failed]
        unfinished = [o for o in unfinished if o.key not in report.failed]
        entered, more = steps.add_heads(new)
        unsure += more
        complete, more = steps.add_missing_parts(entered, read=False)
        unsure += more
        finished, more = steps.add_missing_parts(unfinished, read=True)
        unsure += more
        unsure += steps.confirm([*complete, *finished])
        work = unsure
    for order in work:
        report.failed[order.key] = LoadError(
            "m3_no_answer",
            None,
            f"M3 did not answer for batch order {order.temp_orno or '(no head yet)'} of {order.cuor} "
            f"after {ROUNDS} rounds; `dlq replay` finishes it from where M3 stands",
        )
    return report


class _Steps:
    """The steps of ``enter_orders``, each one bulk round for all the orders that need it."""

    def __init__(self, m3: M3Client, bulk_size: int, report: EntryReport, known_items: Collection[str] = ()):
        self.m3 = m3
        self.size = bulk_size
        self.report = report
        self.known_items = frozenset(known_items)
        self.checked: set[int] = set()

    def bulk(self, calls: list[tuple[str, str, dict[str, Any]]], **options: Any) -> list[BulkResult]:
        return self.m3.bulk(calls, max_per_request=self.size, **options) if calls else []

    def fail(self, order: BatchOrder, error: SyncError) -> None:
        self.report.failed[order.key] = error

    def done(self, order: BatchOrder) -> None:
        self.report.done.append(order)

    # -- what M3 holds ---------------------------------------------------------------------------

    def look_up(
        self, orders: list[BatchOrder]
    ) -> tuple[list[BatchOrder], list[BatchOrder], list[BatchOrder]]:
        """Sort orders by what M3 holds for their CUOR; returns (new, unfinished, unsure)."""
        found = find_in_m3(orders, self.m3, self.size)
        new, held = [], []
        for order in orders:
            hit = found.get(order.cuor)
            if hit is None:
                order.temp_orno, order.status, order.m3_head = "", "", {}
                order.origin = order.origin or NEW
                new.append(order)
                continue
            order.temp_orno, order.ornr, order.status, order.m3_head = (
                hit.temp_orno,
                hit.ornr,
                hit.status,
                hit.head,
            )
            order.origin = order.origin or (EXISTING if hit.status == BATCH_CREATED else UNFINISHED)
            held.append(order)
        unfinished, unsure = self.settle(held)
        return new, unfinished, unsure

    def settle(self, orders: list[BatchOrder]) -> tuple[list[BatchOrder], list[BatchOrder]]:
        """Act on where M3 says each batch order stands: a customer order is done, a rejected or
        credit-stopped one a dead letter, a created one is numbered. Returns (still open, unsure):
        batch orders not a customer order yet, and those ``GetOrderNo`` could not number."""
        rejected, created, still_open = [], [], []
        for order in orders:
            if order.ornr:
                self.done(order)
            elif order.status in BATCH_REJECTED:
                rejected.append(order)
            elif order.status == BATCH_CREATED:
                created.append(order)
            else:
                still_open.append(order)
        self.reject(rejected)
        return still_open, self.number(created)

    def check_items(self, orders: list[BatchOrder]) -> None:
        """``MMS200MI/Get`` once per distinct item not known already (``known_items``): an unknown
        item fails its orders with M3's code and field before any line of theirs is written."""
        items = sorted({line["ITNO"] for o in orders for line in o.lines} - self.known_items)
        results = self.bulk([("MMS200MI", "Get", {"ITNO": itno}) for itno in items])
        unknown: dict[str, M3TransactionError] = {}
        for itno, result in zip(items, results, strict=True):
            if result.ok:
                continue
            if not isinstance(result.error, M3TransactionError):
                raise result.error or RuntimeError("MMS200MI/Get failed")
            unknown[itno] = result.error
        for order in orders:
            self.checked.add(order.key)
            for index, line in enumerate(order.lines):
                if line["ITNO"] in unknown:
                    self.fail(order, LoadError.from_m3(unknown[line["ITNO"]], context=f"order_rows[{index}]"))
                    break

    # -- writing ---------------------------------------------------------------------------------

    def add_heads(self, orders: list[BatchOrder]) -> tuple[list[BatchOrder], list[BatchOrder]]:
        """``AddBatchHead``; returns (entered, unsure). Unsure heads are looked up next round."""
        results = self.bulk([("OIS100MI", "AddBatchHead", o.head) for o in orders])
        entered, unsure = [], []
        for order, result in zip(orders, results, strict=True):
            if result.ok and result.records and result.records[0].get("ORNO"):
                order.temp_orno = result.records[0]["ORNO"]
                entered.append(order)
            elif _refused(result):
                self.fail(order, LoadError.from_m3(result.error, context="head"))
            else:
                unsure.append(order)
        return entered, unsure

    def add_missing_parts(
        self, orders: list[BatchOrder], *, read: bool
    ) -> tuple[list[BatchOrder], list[BatchOrder]]:
        """Add the texts, delivery address and lines the batch orders lack (all of them for a head
        just entered; what ``read`` finds missing otherwise: texts go with a missing address, see
        ``missing_parts``). Returns (complete, unsure)."""
        held = self.read_parts(orders) if read else {}
        calls: list[tuple[str, str, dict[str, Any]]] = []
        owners: list[tuple[BatchOrder, dict[str, Any]]] = []
        candidates, unsure = [], []
        for order in orders:
            if read and order.key not in held:
                unsure.append(order)  # the batch order went away between lookup and read
                continue
            lines, address = held.get(order.key, ([], None))
            try:
                missing = missing_parts(order, lines, address)
            except SyncError as error:
                self.fail(order, error)
                continue
            candidates.append(order)
            order.texts_again = []  # the texts are written now; those that fail are noted below
            for transaction, fields in missing:
                calls.append(("OIS100MI", transaction, {"ORNO": order.temp_orno, **fields}))
                owners.append((order, fields))
        refused: dict[int, SyncError] = {}
        uncertain: set[int] = set()
        for (order, fields), call, result in zip(owners, calls, self.bulk(calls), strict=True):
            if result.ok:
                continue
            if call[1] == "AddBatchText":
                order.texts_again.append(fields)  # perhaps not written, while its address may be
            if _refused(result):
                refused.setdefault(order.key, LoadError.from_m3(result.error, context=call[1]))
            else:
                uncertain.add(order.key)
        complete = []
        for order in candidates:
            if order.key in refused:
                # M3 refused a part: the batch order stays unfinished in OIS275, a replay finishes it
                self.fail(order, refused[order.key])
            elif order.key in uncertain:
                unsure.append(order)
            else:
                complete.append(order)
        return complete, unsure

    def read_parts(
        self, orders: list[BatchOrder]
    ) -> dict[int, tuple[list[dict[str, str]], dict[str, str] | None]]:
        """Lines and delivery address of unfinished batch orders; a batch order M3 no longer has is
        left out. A read M3 cannot answer raises."""
        calls: list[tuple[str, str, dict[str, Any]]] = []
        for order in orders:
            calls.append(("OIS100MI", "LstBatchLine", {"ORNO": order.temp_orno}))
            calls.append(("OIS100MI", "GetAddress", {"ORNO": order.temp_orno, "ADRT": order.address["ADRT"]}))
        results = self.bulk(calls, max_records=0)
        held = {}
        for index, order in enumerate(orders):
            lines, address = results[2 * index], results[2 * index + 1]
            for result in (lines, address):
                if not result.ok and not isinstance(result.error, M3TransactionError):
                    raise result.error or RuntimeError(f"{result.transaction} failed")
            if lines.ok:
                held[order.key] = (
                    lines.records,
                    address.records[0] if address.ok and address.records else None,
                )
        return held

    def confirm(self, orders: list[BatchOrder]) -> list[BatchOrder]:
        """``Confirm`` complete batch orders and settle what M3 made of them; returns the unsure."""
        results = self.bulk([("OIS100MI", "Confirm", {"ORNO": o.temp_orno}) for o in orders])
        answered, refused, unsure = [], [], []
        for order, result in zip(orders, results, strict=True):
            if result.ok:
                order.status = result.records[0].get("STAT", "") if result.records else ""
                answered.append(order)
            elif _refused(result):
                refused.append(order)  # e.g. "already confirmed": ask M3 where the batch order stands
            else:
                unsure.append(order)
        unsure += self.batch_status(refused)
        waiting, unnumbered = self.settle([*answered, *refused])
        for order in waiting:
            self.report.waiting[order.key] = (
                f"batch order {order.temp_orno} is confirmed (status {order.status or 'blank'}) and "
                "M3 has not created the customer order yet; the next run binds it once it has"
            )
        return unsure + unnumbered

    def batch_status(self, orders: list[BatchOrder]) -> list[BatchOrder]:
        """``OIS275MI/GetTmpOrderStat``: status and final number; returns orders M3 no longer has."""
        results = self.bulk([("OIS275MI", "GetTmpOrderStat", {"ORNO": o.temp_orno}) for o in orders])
        gone = []
        for order, result in zip(orders, results, strict=True):
            if result.ok and result.records:
                order.status = result.records[0].get("STAT", "")
                order.ornr = result.records[0].get("ORNR", "")
            elif _refused(result):
                gone.append(order)
            else:
                raise result.error or RuntimeError("OIS275MI/GetTmpOrderStat failed")
        return gone

    def number(self, orders: list[BatchOrder]) -> list[BatchOrder]:
        """``GetOrderNo`` for batch orders M3 turned into customer orders; returns those without one."""
        results = self.bulk([("OIS100MI", "GetOrderNo", {"ORNO": o.temp_orno}) for o in orders])
        unsure = []
        for order, result in zip(orders, results, strict=True):
            order.ornr = result.records[0].get("ORNR", "") if result.ok and result.records else ""
            if order.ornr:
                self.done(order)
            else:
                unsure.append(order)
        return unsure

    def reject(self, orders: list[BatchOrder]) -> None:
        """Batch orders M3 rejected or credit-stopped: dead letters with M3's messages."""
        results = self.bulk(
            [("OIS100MI", "LstErrMsgOrder", {"ORNO": o.temp_orno}) for o in orders], max_records=0
        )
        for order, result in zip(orders, results, strict=True):
            values = {line["ITNO"]: "ITNO" for line in order.lines}
            values.update({v: k for k, v in order.head.items() if k in ("WHLO", "CUNO", "FACI", "ORTP")})
            values.update({line["WHLO"]: "WHLO" for line in order.lines if line.get("WHLO")})
            error = batch_errors(result.records if result.ok else [], values)
            if order.gated and order.status == BATCH_CREDIT_STOP:
                self.report.held[order.key] = (
                    (f"{order.credit_note} " if order.credit_note else "") + f"M3 holds batch order "
                    f"{order.temp_orno} for credit ({error.message}); once the stop is released in M3 "
                    "(OIS275), the next cycle sends the order on"
                )
                continue
            what = "is credit-stopped" if order.status == BATCH_CREDIT_STOP else "was rejected"
            note = (
                f" (batch order {order.temp_orno} {what}, status {order.status}: correct or release it in "
                "OIS275, or delete it there, then replay)"
            )
            self.fail(order, LoadError(error.code, error.field, error.message + note))


def _refused(result: BulkResult) -> bool:
    """M3 answered and said no (as opposed to a gateway failure or a transaction not processed,
    after which nobody knows whether it ran)."""
    return isinstance(result.error, M3TransactionError) and not result.not_processed


# -------------------------------------------------------------------------------------- the lookup


def find_in_m3(orders: Sequence[BatchOrder], m3: M3Client, bulk_size: int) -> dict[str, Found]:
    """CUOR -> what M3 holds: customer orders by ``OIS120MI/LstCOStopByCUOR`` (exact match, NFTR=1)
    and batch orders by ``OIS100MI/LstBatchHead`` of their customer. Lists position rather than
    filter, so the key is checked on every record (contract §9). A lookup that cannot answer
    raises: not knowing risks a duplicate."""
    if not orders:
        return {}
    wanted = {o.cuor for o in orders}
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("OIS120MI", "LstCOStopByCUOR", {"CUOR": o.cuor, "NFTR": 1}) for o in orders
    ]
    calls += [("OIS100MI", "LstBatchHead", {"CUNO": cuno}) for cuno in sorted({o.cuno for o in orders})]
    results = m3.bulk(calls, max_per_request=bulk_size, max_records=0)
    final: dict[str, str] = {}
    batches: dict[str, list[dict[str, str]]] = {}
    for (_, transaction, _fields), result in zip(calls, results, strict=True):
        if not result.ok:
            raise result.error or RuntimeError(f"{transaction} failed")
        for record in result.records:
            cuor = record.get("CUOR", "")
            if cuor not in wanted:
                continue
            if transaction == "LstCOStopByCUOR":
                final.setdefault(cuor, record.get("ORNO", ""))
            else:
                batches.setdefault(cuor, []).append(record)
    found: dict[str, Found] = {}
    for cuor in wanted:
        # several batch orders may carry one CUOR (a rejected one and its correction): prefer the
        # one that became a customer order, then one still open, then the oldest
        candidates = sorted(
            batches.get(cuor, []),
            key=lambda r: (not r.get("ORNR"), r.get("STAT", "") in BATCH_REJECTED, r.get("ORNO", "")),
        )
        batch = candidates[0] if candidates else {}
        ornr = final.get(cuor) or batch.get("ORNR", "")
        if ornr or batch:
            status = BATCH_CREATED if ornr else batch.get("STAT", "")
            found[cuor] = Found(batch.get("ORNO", ""), ornr, status, batch)
    return found
