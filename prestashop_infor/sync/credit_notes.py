"""M3 credits -> the shop: each M3 credit note on an order the integration sent becomes a credit slip
(``order_slip``) on the shop order, and the order takes the mapping's refunded state.

**Finding them** (``read_credit_notes``, the ``infor_credit_notes`` asset): M3 lists every invoice
of a year and division by number (``OIS350MI/LstInvHead`` with ``DIVI``, positioned on ``IVNO``); the
store's cursor keeps the last number seen per division and year, so each run reads only the
invoices M3 made since (this year's and last year's series; the first run reads both whole). Each
division of the mapping (``erp.division`` and the shops' own) is read apart: M3 numbers invoices per
division. Credit notes are those with a negative amount; their
customer order comes from their lines (``OIS350MI/LstInvLine``). They are stored
(``m3_credit_notes``) before the cursor moves: a run that stops reads them again, which is harmless.

**Writing them** (``push_credit_slips``, the ``prestashop_credit_slips`` asset), through the one
synchronizer shape (``sync.synchronizer``):

1. claim each note (entity ``credit_slip``, key ``YEAR:IVNO``, ``DIVI:YEAR:IVNO`` in a shop's own
   division);
2. read the shop order (its total, currency and rate, customer and state) and its credit slips just
   before writing;
3. decide: the amount in the order's currency (``currency`` rules, the other way round); a slip of
   that amount the shop holds and no note is bound to yet is this note's (a POST that committed
   unheard, or the same refund made by hand): bind it, write nothing; otherwise write one;
4. write ``order_slip`` (POST: customer, order, rate, amount as products tax included and tax
   excluded at the order's own ratio, ``partial`` unless it covers the order);
5. bind the note to the slip id only once the shop answered with it; a shop that does not answer
   leaves the note for the next run, which finds the slip by its amount.

Then each order whose stored notes cover its products (``total_products_wt``: M3 invoices the
lines; shipping is refunded apart, as in PrestaShop; a cent's tolerance) takes ``refunds.full_state``, one still partly credited ``refunds.partial_state`` (if set): read
first, never set twice, never a no-op history row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError
from prestashop_infor.infor.models import m3_date, m3_decimal
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.prestashop.client import PrestashopError, PrestashopUnavailable
from prestashop_infor.store import Store, id_map
from prestashop_infor.store.credit_notes import (
    CreditNote,
    add_credit_notes,
    credit_notes_of,
    credit_notes_to_slip,
)
from prestashop_infor.sync.errors import LoadError, SyncError
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.synchronizer import Bind, DeadLetter, Decision, Leave, Outcome, Write, synchronize

ENTITY = "credit_slip"
SENT = "sales_order"
CURSOR = "infor_credit_notes:last_invoice"  # JSON: {year or DIVI:year: the last invoice number read}
PAGE = 500
TOLERANCE = Decimal("0.01")
STALE_CLAIM = timedelta(minutes=10)


# -- finding the credit notes in M3 ------------------------------------------------------------------


@dataclass
class CreditRead:
    invoices_read: int = 0
    credit_notes: list[CreditNote] = field(default_factory=list)
    without_order: int = 0  # credit notes with no customer order on their lines: not the shop's


def read_credit_notes(
    m3: M3Client, store: Store, *, today: date | None = None, divisions: Sequence[str | None] = (None,)
) -> CreditRead:
    """Store the credit notes M3 made since the last run (module docstring); what was read. The
    years read are M3's own (its server date, ``OIS100MI/GetServerTime``) unless ``today`` is given.

    ``divisions`` (``Mapping.divisions``): M3 numbers invoices per division, so each is read apart
    with a cursor of its own: the first is the mapping's own (``erp.division``; None: the API user's),
    its notes stored without a division as before shops had divisions; each other one by name."""
    today = today or m3.server_time().date or datetime.now(UTC).date()
    position: dict[str, int] = {k: int(v) for k, v in json.loads(store.get_cursor(CURSOR) or "{}").items()}
    read = CreditRead()
    own = divisions[0]
    for division in divisions:
        stored_as = "" if division == own else str(division)
        listed = m3.in_division(division)
        credits: list[tuple[str, dict[str, str]]] = []
        for year in (str(today.year - 1), str(today.year)):
            cursor = f"{stored_as}:{year}" if stored_as else year
            last = position.get(cursor, 0)
            for _ in range(100_000):  # bounded: 100,000 pages
                fields = {"YEA4": year, "IVNO": last + 1, "DIVI": division}
                page = listed.execute("OIS350MI", "LstInvHead", maxrecs=PAGE, **fields)
                new = [r for r in page if r.get("IVNO", "").isdigit() and int(r["IVNO"]) > last]
                read.invoices_read += len(new)
                credits += [(year, r) for r in new if m3_decimal(r, "AMT1") < 0]
                if new:
                    last = max(int(r["IVNO"]) for r in new)
                if len(page) < PAGE or not new:
                    break
            position[cursor] = last
        lines = listed.bulk(
            [
                ("OIS350MI", "LstInvLine", {"YEA4": y, "IVNO": r["IVNO"], "DIVI": division})
                for y, r in credits
            ],
            max_records=0,
        )
        for (year, record), result in zip(credits, lines, strict=True):
            if not result.ok:
                raise result.error or M3GatewayError("OIS350MI", "LstInvLine", None, "no answer")
            orno = next((line["ORNO"] for line in result.records if line.get("ORNO")), "")
            if not orno:
                read.without_order += 1
                continue
            read.credit_notes.append(
                CreditNote(
                    year,
                    record["IVNO"],
                    orno,
                    m3_decimal(record, "AMT1"),
                    record.get("CUCD", ""),
                    record.get("RXIN", ""),
                    m3_date(record, "IDAT"),
                    stored_as,
                )  # fmt: skip
            )
    add_credit_notes(store, read.credit_notes)
    store.set_cursor(CURSOR, json.dumps(position, sort_keys=True))
    return read


# -- writing them to the shop --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Note:
    order_id: int
    note: CreditNote


@dataclass
class SlipReport:
    slips: list[str] = field(default_factory=list)  # notes written as a new credit slip
    found: list[str] = field(default_factory=list)  # notes whose slip the shop held already
    refunded: list[int] = field(default_factory=list)  # orders moved to the full or partial state
    dead_lettered: dict[str, SyncError] = field(default_factory=dict)
    busy: list[str] = field(default_factory=list)
    left: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"credit_slips": len(self.slips), "found_in_shop": len(self.found),
                "refunded_orders": len(self.refunded), "dead_lettered": len(self.dead_lettered),
                "busy": len(self.busy), "left": len(self.left)}  # fmt: skip


def push_credit_slips(
    *,
    prestashop: PrestashopClient,
    store: Store,
    mapping: SyncMapping,
    order_states: Sequence[Mapping[str, Any]],
    limit: int = 500,
) -> SlipReport:
    """Write the stored credit notes the shop has no slip for, then the refunded states."""
    report = SlipReport()
    full, partial = mapping.refunds.states(order_states)
    currencies = {int(row["id"]): str(row["iso_code"]) for row in store.rows("ps_currencies")}
    work = {note.key: _Note(order_id, note) for order_id, note in credit_notes_to_slip(
        store, sent=SENT, entity=ENTITY, limit=limit)}  # fmt: skip
    entity = _Slips(prestashop, store, mapping, currencies, report)
    run = synchronize(work, entity, store, stale_after=STALE_CLAIM)
    report.busy, report.left = run.busy, dict(run.left)
    orders = {item.order_id for item in work.values()}
    for order_id in sorted(orders):
        if _set_refunded_state(prestashop, store, mapping, currencies, order_id, full, partial):
            report.refunded.append(order_id)
    return report


class _Slips:
    claims = ENTITY

    def __init__(self, shop: PrestashopClient, store: Store, mapping: SyncMapping, currencies: dict[int, str],
                 report: SlipReport):  # fmt: skip
        self.shop, self.store, self.mapping, self.currencies, self.report = (
            shop,
            store,
            mapping,
            currencies,
            report,
        )

    def planned(self, key: str, item: _Note) -> str | None:
        return None

    def read_current(self, work: Mapping[str, _Note]) -> Mapping[str, Any]:
        """Per note: the shop order, its credit slips and the slip ids bound to notes already; for a
        note bound meanwhile (a run that finished between our read and our claim has written its slip,
        bound it and released the note), None. A shop that does not answer stops the run (nothing
        written)."""
        late = id_map.bindings_for(self.store, ENTITY, list(work))
        work = {key: item for key, item in work.items() if key not in late}
        current: dict[str, Any] = dict.fromkeys(late)
        for order_id in sorted({item.order_id for item in work.values()}):
            order = self.shop.get("orders", order_id)
            slips = self.shop.list("order_slip", filters={"id_order": f"[{order_id}]"})
            bound = set(id_map.bindings_to(self.store, ENTITY, [str(slip["id"]) for slip in slips]))
            for key, item in work.items():
                if item.order_id == order_id:
                    current[key] = (order, slips, bound)
        return current

    def decide(self, key: str, item: _Note, current: Any) -> Decision:
        if current is None:
            return Leave("bound meanwhile by another run")
        order, slips, bound = current
        if order is None:
            return DeadLetter(
                LoadError("order_not_in_shop", "id_order", f"shop order {item.order_id} is gone")
            )
        amount = _in_order_currency(self.mapping, self.currencies, order, -item.note.amount)
        for slip in slips:
            if (
                str(slip["id"]) not in bound
                and abs(Decimal(str(slip.get("amount") or 0)) - amount) < TOLERANCE
            ):
                return Bind({"slip": str(slip["id"]), "written": False})
        return Write(_slip(order, amount))

    def write(self, sends: Mapping[str, tuple[_Note, Any]]) -> Iterable[tuple[str, Outcome]]:
        for key, (_item, slip) in sends.items():
            try:
                written = self.shop.create("order_slip", slip)
            except PrestashopUnavailable as error:
                yield key, Leave(f"the shop did not answer ({error}): the next run looks for the slip")
            except PrestashopError as error:
                if error.status is None or error.status >= 500:
                    yield key, Leave(f"the shop answered {error.status}: the next run looks for the slip")
                else:
                    yield key, DeadLetter(LoadError(f"prestashop_{error.status}", "order_slip", str(error)))
            else:
                yield key, Bind({"slip": str(written["id"]), "written": True})

    def bind(self, bound: Mapping[str, tuple[_Note, Any]]) -> None:
        id_map.bind_many(self.store, ENTITY, [(key, value["slip"], None, {"order_id": item.order_id,
                         "orno": item.note.orno}) for key, (item, value) in bound.items()])  # fmt: skip
        for key, (_item, value) in bound.items():
            (self.report.slips if value["written"] else self.report.found).append(key)

    def dead_letter(self, failed: Mapping[str, tuple[_Note, SyncError]]) -> None:
        letters = []
        for key, (item, error) in failed.items():
            self.report.dead_lettered[key] = error
            payload = {"order_id": item.order_id, "orno": item.note.orno, "amount": str(item.note.amount)}
            letters.append(error.dead_letter(ENTITY, key, payload))
        self.store.quarantine_many(letters)


def _in_order_currency(
    mapping: SyncMapping, currencies: Mapping[int, str], order: Mapping[str, Any], erp_amount: Decimal
) -> Decimal:
    erp_currency = mapping.for_shop(int(order.get("id_shop") or 0)).erp.currency  # the order's shop's
    iso = currencies.get(int(order.get("id_currency") or 0), erp_currency)
    rate = Decimal(str(order.get("conversion_rate") or "1"))
    return mapping.currency.from_erp(erp_amount, iso, erp_currency, rate)


def _slip(order: Mapping[str, Any], amount: Decimal) -> dict[str, Any]:
    """The credit slip of ``amount`` (tax included, the order's currency) on ``order``; tax excluded
    at the order's own ratio of its products' totals."""
    incl = Decimal(str(order.get("total_products_wt") or order.get("total_paid_tax_incl") or 0))
    excl = Decimal(str(order.get("total_products") or order.get("total_paid_tax_excl") or 0))
    ratio = excl / incl if incl > 0 else Decimal(1)
    return {
        "id_customer": int(order["id_customer"]),
        "id_order": int(order["id"]),
        "conversion_rate": order.get("conversion_rate") or "1",
        "total_products_tax_incl": f"{amount:.6f}",
        "total_products_tax_excl": f"{(amount * ratio).quantize(Decimal('0.000001')):.6f}",
        "total_shipping_tax_incl": "0",
        "total_shipping_tax_excl": "0",
        "amount": f"{amount:.6f}",
        "shipping_cost": 0,
        "shipping_cost_amount": "0",
        "partial": 0 if amount >= _products_total(order) - TOLERANCE else 1,
    }


def _products_total(order: Mapping[str, Any]) -> Decimal:
    """What a full refund gives back: the products, tax included (M3 invoices the lines; shipping is
    refunded apart, as in PrestaShop, where an order whose every product is refunded is refunded)."""
    return Decimal(str(order.get("total_products_wt") or order.get("total_paid_tax_incl") or 0))


def _set_refunded_state(
    shop: PrestashopClient,
    store: Store,
    mapping: SyncMapping,
    currencies: Mapping[int, str],
    order_id: int,
    full: int | None,
    partial: int | None,
) -> bool:
    """Move the order to the full or partial refunded state its stored credit notes call for; False
    when nothing was written (no such state mapped, or the shop shows it already)."""
    binding = id_map.binding(store, SENT, order_id)
    order = shop.get("orders", order_id)
    if binding is None or order is None:
        return False
    credited = sum(
        (-n.amount for n in credit_notes_of(store, [binding.target_key])[binding.target_key]), Decimal(0)
    )
    amount = _in_order_currency(mapping, currencies, order, credited)
    target = full if amount >= _products_total(order) - TOLERANCE else partial
    if target is None or int(order["current_state"]) in {target, full}:
        return False
    shop.add_order_history(order_id, target)
    return True


__all__ = ["CURSOR", "ENTITY", "CreditRead", "SlipReport", "push_credit_slips", "read_credit_notes"]
