"""Replaying dead letters: each one goes back through the very sync code its lane runs.

A dead letter says which record failed, at which stage and why. Once the cause is fixed (the item
added in M3, the mapping corrected, the shop record repaired) ``replay`` sends the record through
the same code again, chosen by the letter's entity:

- ``sales_order`` (any stage): ``sync.orders.sync_order`` — the order is read fresh from the shop;
  the id map and the M3 lookup by ``CUOR`` make a second replay create nothing;
- ``order_status``: ``sync.status.push_order_status`` — M3 read, shop written, never backwards;
- ``stock``: ``sync.stock.push_stock_levels`` limited to the letter's row (product and combination):
  M3's quantity as ``infor_inventory`` last stored it, the row read again and written if it differs;
- PrestaShop extraction letters (stage ``validate``, entity = the resource: ``orders``,
  ``customers``, ``products``, ``stock_availables``): the record is read again from the shop and
  passed through the extraction assets' own gate and snapshot upsert
  (``sync.prestashop_extraction.process_batch``).

Not replayable by id: M3 extraction letters (``m3_items``, ``m3_balances``, ``m3_order_statuses``)
are validated again by the next run of their asset, and ``customer`` failures are dead-lettered on
the orders that needed the customer (replaying the order runs the customer upsert again).

States (``store/tables.py``: open -> replayed | resolved): a replay that goes through marks the
letter ``replayed``, even when the sync unit itself already marked it ``resolved`` on the way
(``resolved`` is kept for "passed in a normal run" and "fixed by hand"). A replay that fails again
leaves the letter ``open``: the sync unit quarantines it again, which counts one more attempt and
stores the new error. Only open letters are replayed unless ``force``, which reopens the letter
first so the sync unit's own bookkeeping applies (and puts it back as it was when nothing was done). Exactly-once is the sync units' job; nothing
here writes to M3 or the shop by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from prestashop_infor.infor import M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.store import Store, id_map
from prestashop_infor.store.store import DeadLetter
from prestashop_infor.sync import cancellation, customers, orders, status, stock
from prestashop_infor.sync.mapping import Mapping
from prestashop_infor.sync.prestashop_extraction import CUSTOMERS, ORDERS, PRODUCTS, STOCK, process_batch

# PrestaShop resources extracted by the Dagster assets behind a pandera gate (entity = resource).
PRESTASHOP_RESOURCES = ("orders", "customers", "products", "stock_availables")
# M3 extraction letters: the Infor assets gate them after reading in bulk, not by id.
M3_EXTRACTIONS = {
    "m3_items": "infor_items",
    "m3_balances": "infor_inventory",
    "m3_order_statuses": "infor_order_statuses",
}

REPLAYED = "replayed"  # went through: the letter is marked replayed
FAILED = "failed"  # failed again: the letter stays open with the new error and one more attempt
SKIPPED = "skipped"  # nothing was done (the record is gone, busy elsewhere, not exported...): stays as is
NOT_ATTEMPTED = "not_attempted"  # the replay stopped before this letter (shop or M3 unreachable)


class ReplayRefused(ValueError):
    """The replay was refused before anything changed (unknown id, letter not open, not replayable)."""


@dataclass(frozen=True)
class LetterReplay:
    """What happened to one dead letter."""

    letter_id: int
    entity: str
    key: str
    stage: str
    outcome: str  # REPLAYED, FAILED, SKIPPED or NOT_ATTEMPTED
    detail: str
    attempts: int  # after the replay
    state: str  # of the letter after the replay


@dataclass
class ReplayReport:
    results: list[LetterReplay] = field(default_factory=list)
    stopped: str | None = None  # why the replay stopped early (the shop or M3 unreachable...)

    def of(self, outcome: str) -> list[LetterReplay]:
        return [r for r in self.results if r.outcome == outcome]

    @property
    def ok(self) -> bool:
        """Every letter went through."""
        return self.stopped is None and all(r.outcome == REPLAYED for r in self.results)


# ------------------------------------------------------------------------------------ which letters


def letters_by_id(store: Store, letter_ids: Iterable[int]) -> list[DeadLetter]:
    """The letters of ``letter_ids`` in the order given (duplicates once); raises ``ReplayRefused``
    naming every id the store does not have."""
    wanted = list(dict.fromkeys(int(i) for i in letter_ids))
    found = {i: store.dead_letter(i) for i in wanted}
    unknown = [i for i, letter in found.items() if letter is None]
    if unknown:
        raise ReplayRefused(f"no dead letter with id {', '.join(map(str, unknown))}")
    return [letter for letter in found.values() if letter is not None]


def why_not_replayable(letter: DeadLetter) -> str | None:
    """None when ``replay`` can handle the letter, else the reason (and what to do instead)."""
    if letter.entity in M3_EXTRACTIONS:
        return (
            f"M3 records are validated again by the next run of the {M3_EXTRACTIONS[letter.entity]} asset "
            "(it reads in bulk, not by id); once it passes, mark the letter with `dlq resolve`"
        )
    if letter.entity == customers.ENTITY:
        return (
            "customer failures are dead-lettered on the orders that needed the customer "
            "(entity sales_order): replay those"
        )
    if letter.entity == orders.ENTITY or letter.entity == status.ENTITY:
        return None if _record_id(letter) else f"key {letter.key!r} is not a PrestaShop order id"
    if letter.entity == stock.ENTITY:
        return None
    if letter.entity == cancellation.ENTITY:
        return (
            "an order M3 could not cancel needs a person: stop the delivery in M3, or take the goods back "
            "as a return; then mark the letter with `dlq resolve` (the order is not tried again)"
        )
    if letter.entity in PRESTASHOP_RESOURCES:
        if letter.stage != "validate":
            return f"{letter.entity} letters are replayed at stage validate only, not {letter.stage}"
        return (
            None if _record_id(letter) else f"the record has no id (key {letter.key!r}): it cannot be re-read"
        )
    return f"no replay is known for entity {letter.entity!r}"


def needs(letters: Iterable[DeadLetter]) -> set[str]:
    """What ``replay`` needs for these letters: ``prestashop``, ``m3``, ``mapping``."""
    wanted: set[str] = set()
    for letter in letters:
        wanted.add("prestashop")
        if letter.entity in (orders.ENTITY, status.ENTITY):
            wanted |= {"m3", "mapping"}
        elif letter.entity == stock.ENTITY:
            wanted.add("mapping")
    return wanted


# ------------------------------------------------------------------------------------------ replay


def replay(
    store: Store,
    letter_ids: Sequence[int],
    *,
    prestashop: PrestashopClient | None,
    m3: M3Client | None,
    mapping: Mapping | None,
    force: bool = False,
    progress: Callable[[LetterReplay], None] | None = None,
) -> ReplayReport:
    """Send the records of these dead letters through their sync code again (see the module docstring).

    Checked first, with nothing changed on refusal (``ReplayRefused``): every id exists, every
    letter can be replayed, every letter is open (unless ``force``) and the clients it needs are
    given. Then letter by letter; a failure of the infrastructure (the shop or M3 unreachable after
    the clients' retries, a rejected key) stops the replay: the remaining letters are reported
    ``not_attempted`` and ``stopped`` says why. ``progress`` hears of each letter's result as it comes.
    """
    letters = letters_by_id(store, letter_ids)
    problems = [
        f"letter {x.id} ({x.entity} {x.key}): {why}" for x in letters if (why := why_not_replayable(x))
    ]
    if problems:
        raise ReplayRefused("cannot replay " + "; ".join(problems))
    closed = [x for x in letters if x.state != "open"]
    if closed and not force:
        listed = ", ".join(f"{x.id} ({x.state})" for x in closed)
        raise ReplayRefused(
            f"only open letters are replayed; not open: {listed} (use --force to replay anyway)"
        )
    given = {"prestashop": prestashop, "m3": m3, "mapping": mapping}
    missing = sorted(name for name in needs(letters) if given[name] is None)
    if missing:
        raise ReplayRefused(f"replaying these letters needs {', '.join(missing)}")

    run = _Run(store, prestashop, m3, mapping)
    report = ReplayReport()
    for letter in letters:
        if report.stopped is not None:
            report.results.append(_result(letter, NOT_ATTEMPTED, "the replay stopped before this letter"))
            if progress is not None:
                progress(report.results[-1])
            continue
        if letter.state != "open":
            store.set_dead_letter_state(letter.id, "open")  # forced: the sync unit's bookkeeping applies
        try:
            outcome, detail = run.replay_one(letter)
        except Exception as error:  # noqa: BLE001 - per-record failures are dead-lettered, never raised
            if type(error) is LookupError:  # sync_order / the re-read: the shop no longer has the record
                outcome, detail = SKIPPED, f"{error}; if that is right, mark the letter with `dlq resolve`"
            else:  # the shop or M3 unreachable, a rejected key, a status map that does not fit...
                report.stopped = f"{type(error).__name__}: {error}"
                outcome, detail = NOT_ATTEMPTED, f"stopped: {report.stopped}"
        if outcome == REPLAYED:
            store.set_dead_letter_state(letter.id, "replayed")
        elif outcome in (SKIPPED, NOT_ATTEMPTED) and letter.state != "open":
            now = _current(store, letter)
            if now.state == "open" and now.attempts == letter.attempts:  # untouched: back as it was
                store.set_dead_letter_state(letter.id, letter.state)
        now = _current(store, letter)
        report.results.append(_result(now, outcome, detail))
        if progress is not None:
            progress(report.results[-1])
    return report


def resolve(store: Store, letter_ids: Iterable[int]) -> list[tuple[DeadLetter, str]]:
    """Mark these letters resolved (fixed by hand); returns each letter as it was and its new state.
    Unknown ids raise ``ReplayRefused`` before anything changes."""
    letters = letters_by_id(store, letter_ids)
    for letter in letters:
        if letter.state != "resolved":
            store.set_dead_letter_state(letter.id, "resolved")
    return [(letter, "resolved") for letter in letters]


def replayable_open_letters(
    store: Store, entity: str | None = None
) -> tuple[list[DeadLetter], list[tuple[DeadLetter, str]]]:
    """The open letters (of ``entity``) ``replay`` can handle, and the others with the reason."""
    replayable, others = [], []
    for letter in store.dead_letters(state="open", entity=entity):
        why = why_not_replayable(letter)
        if why is None:
            replayable.append(letter)
        else:
            others.append((letter, why))
    return replayable, others


# ----------------------------------------------------------------------------------- per entity


class _Run:
    """One replay call: the clients, and what is shared between its letters (shop lookups)."""

    def __init__(
        self, store: Store, prestashop: PrestashopClient | None, m3: M3Client | None, mapping: Mapping | None
    ):
        self.store = store
        self.prestashop = prestashop
        self.m3 = m3
        self.mapping = mapping
        self._lookups: orders.ShopLookups | None = None

    def replay_one(self, letter: DeadLetter) -> tuple[str, str]:
        if letter.entity == orders.ENTITY:
            return self.sales_order(letter)
        if letter.entity == status.ENTITY:
            return self.order_status(letter)
        if letter.entity == stock.ENTITY:
            return self.stock(letter)
        return self.extraction(letter)

    def sales_order(self, letter: DeadLetter) -> tuple[str, str]:
        order_id = _record_id(letter)
        if self._lookups is None:
            self._lookups = orders.ShopLookups(self.prestashop)
        report = orders.sync_order(
            order_id, shop_lookups=self._lookups, m3=self.m3, store=self.store, mapping=self.mapping
        )
        if order_id in report.errors:
            return FAILED, str(report.errors[order_id])
        binding = id_map.binding(self.store, orders.ENTITY, order_id)
        if binding is not None:
            if order_id in report.finished:
                how = "an unfinished batch order found by CUOR was checked, finished and confirmed"
            elif order_id in report.created:
                how = "created in M3"
            elif order_id in report.recovered:
                how = "found in M3 by CUOR and bound"
            else:
                how = "already in M3"
            return REPLAYED, f"{how} as order {binding.target_key}"
        if order_id in report.waiting:
            return SKIPPED, f"{report.waiting[order_id]}; replay it again later"
        if order_id in report.busy:
            return SKIPPED, "another run is syncing this order right now; replay it again later"
        return SKIPPED, (
            "the order's shop state is not sent to M3 (mapping status); "
            "if that is right, mark the letter with `dlq resolve`"
        )

    def order_status(self, letter: DeadLetter) -> tuple[str, str]:
        order_id = _record_id(letter)
        report = status.push_order_status(
            order_id, prestashop=self.prestashop, m3=self.m3, store=self.store, mapping=self.mapping
        )
        if order_id in report.dead_lettered:
            return FAILED, _current(self.store, letter).message
        # push_order_statuses resolves the letters of the orders it brought up to date
        if _current(self.store, letter).state == "open":
            return SKIPPED, report.notes.get(order_id, "the status was not pushed")
        done = [
            text
            for text, ids in (
                ("tracking number written", report.tracking),
                ("payment recorded", report.payments),
                ("state set", report.updated),
            )
            if order_id in ids
        ]
        note = report.notes.get(order_id)
        detail = ", ".join(done) or "the shop was already up to date"
        return REPLAYED, detail + (f" ({note})" if note else "")

    def stock(self, letter: DeadLetter) -> tuple[str, str]:
        report = stock.push_stock_levels(
            prestashop=self.prestashop, store=self.store, mapping=self.mapping, rows_only={letter.key}
        )
        if letter.key in report.dead_lettered:
            return FAILED, _current(self.store, letter).message
        written = [c for c in report.changed if f"{c.product_id}:{c.combination_id}" == letter.key]
        if written:
            return REPLAYED, f"quantity {written[-1].new} written"
        return (
            REPLAYED,
            "the row was not refused this time (it already held M3's quantity, or is no longer stocked from M3)",
        )

    def extraction(self, letter: DeadLetter) -> tuple[str, str]:
        entity = {e.resource: e for e in (ORDERS, CUSTOMERS, PRODUCTS, STOCK)}[letter.entity]
        assert self.prestashop is not None
        record = self.prestashop.get(letter.entity, int(letter.key))
        if record is None:
            raise LookupError(f"the shop no longer has {letter.entity} {letter.key}")
        process_batch(entity, [record], self.store, time_zone=self.prestashop.time_zone.key)
        now = _current(self.store, letter)
        if now.state == "open":  # quarantined again by the gate
            return FAILED, now.message
        return REPLAYED, f"passed the validation gate; {entity.table} updated"


# ---------------------------------------------------------------------------------------- helpers


def _record_id(letter: DeadLetter) -> int:
    """The letter's key as a positive PrestaShop id (order, customer...), 0 when it is not one."""
    key = letter.key.strip()
    return int(key) if key.isdigit() and int(key) > 0 else 0


def _current(store: Store, letter: DeadLetter) -> DeadLetter:
    """The letter as stored now."""
    now = store.dead_letter(letter.id)
    if now is None:
        raise LookupError(f"dead letter {letter.id} disappeared from the store")
    return now


def _result(letter: DeadLetter, outcome: str, detail: str) -> LetterReplay:
    return LetterReplay(
        letter.id, letter.entity, letter.key, letter.stage, outcome, detail, letter.attempts, letter.state
    )


def describe(letter: DeadLetter) -> dict[str, Any]:
    """Everything about a letter as JSON-ready values (timestamps in ISO 8601 UTC)."""
    return {
        "id": letter.id,
        "entity": letter.entity,
        "key": letter.key,
        "stage": letter.stage,
        "error_code": letter.error_code,
        "field": letter.field,
        "message": letter.message,
        "attempts": letter.attempts,
        "first_seen": letter.first_seen.isoformat(),
        "last_seen": letter.last_seen.isoformat(),
        "state": letter.state,
        "failures": letter.failures,
        "payload": letter.payload,
    }


__all__ = [
    "FAILED",
    "NOT_ATTEMPTED",
    "REPLAYED",
    "SKIPPED",
    "LetterReplay",
    "ReplayRefused",
    "ReplayReport",
    "describe",
    "letters_by_id",
    "needs",
    "replay",
    "replayable_open_letters",
    "resolve",
    "why_not_replayable",
]
