"""M3's credit notes (``m3_credit_notes``), as ``infor_credit_notes`` found them in M3's invoice
list, and the ones the shop has no credit slip for yet (``prestashop_credit_slips`` reads them); the
shop's credit slips (``ps_order_slips``, kept by ``prestashop_order_slips``) M3 does not know of yet
(``infor_shop_refunds`` reads them)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from prestashop_infor.store.backlog import still_to_do
from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import id_map, m3_credit_notes, ps_order_slips, ps_orders


@dataclass(frozen=True)
class CreditNote:
    """One M3 credit note: ``amount`` is gross, in the ERP currency, below zero."""

    year: str
    ivno: str
    orno: str
    amount: Decimal
    currency: str
    corrects: str
    invoice_date: date | None
    division: str = ""  # a shop's own M3 division; "": the mapping's own (erp.division)

    @property
    def key(self) -> str:
        """``YEAR:IVNO`` (``DIVI:YEAR:IVNO`` in a shop's own division): how the id map and the dead
        letters name it."""
        return f"{self.division}:{self.year}:{self.ivno}" if self.division else f"{self.year}:{self.ivno}"


def _key_of(notes: sa.Table) -> sa.ColumnElement[str]:
    """``CreditNote.key`` in SQL."""
    plain = notes.c.year + ":" + notes.c.ivno
    return sa.case((notes.c.division == "", plain), else_=notes.c.division + ":" + plain)


def add_credit_notes(store: Store, notes: Iterable[CreditNote]) -> int:
    """Keep ``notes`` (a note M3 lists again replaces its row); returns how many."""
    loaded_at = datetime.now(UTC)
    rows = [
        {"division": n.division, "year": n.year, "ivno": n.ivno, "orno": n.orno, "amount": n.amount, "currency": n.currency,
         "corrects": n.corrects, "invoice_date": n.invoice_date, "loaded_at": loaded_at}
        for n in notes
    ]  # fmt: skip
    return store.upsert(m3_credit_notes, rows, key=("division", "year", "ivno"))


def _note(row: sa.Row) -> CreditNote:
    return CreditNote(row.year, row.ivno, row.orno, Decimal(row.amount), row.currency, row.corrects,
                      row.invoice_date, row.division)  # fmt: skip


def credit_notes_to_slip(store: Store, *, sent: str, entity: str, limit: int) -> list[tuple[int, CreditNote]]:
    """The credit notes of orders the integration sent (bound to an M3 order in the id map's ``sent``
    entity) that have no shop credit slip yet (not bound to ``entity``, no open dead letter of it):
    (shop order id, note), oldest first, ``limit`` at most."""
    key = _key_of(m3_credit_notes)
    query = (
        sa.select(id_map.c.source_key.label("order_id"), m3_credit_notes)
        .join(id_map, sa.and_(id_map.c.entity == sent, id_map.c.target_key == m3_credit_notes.c.orno))
        .where(still_to_do(key, entity))
        .order_by(m3_credit_notes.c.year, m3_credit_notes.c.division, m3_credit_notes.c.ivno)
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [(int(row.order_id), _note(row)) for row in connection.execute(query)]


def credit_notes_of(store: Store, ornos: Iterable[str]) -> dict[str, list[CreditNote]]:
    """Every stored credit note of these M3 orders, by order."""
    wanted = sorted(set(ornos))
    found: dict[str, list[CreditNote]] = {orno: [] for orno in wanted}
    if not wanted:
        return found
    query = sa.select(m3_credit_notes).where(m3_credit_notes.c.orno.in_(wanted))
    with store.engine.connect() as connection:
        for row in connection.execute(
            query.order_by(m3_credit_notes.c.year, m3_credit_notes.c.division, m3_credit_notes.c.ivno)
        ):
            found[row.orno].append(_note(row))
    return found


#: How far the shop's clock (a slip's date, to the second) may lag the integration's (the binding's).
CLOCK_SLACK = timedelta(minutes=10)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def slip_ids_of(store: Store, order_id: int) -> list[int]:
    """The ids of the stored shop credit slips of one order."""
    query = sa.select(ps_order_slips.c.id).where(ps_order_slips.c.id_order == int(order_id))
    with store.engine.connect() as connection:
        return sorted(int(i) for i in connection.execute(query).scalars())


@dataclass(frozen=True)
class StoredSlip:
    """A shop credit slip as stored, with its order's M3 number and the order's record."""

    slip_id: int
    order_id: int
    amount: Decimal
    record: dict
    orno: str
    order: dict


def slips_to_send(
    store: Store,
    *,
    sent: str,
    ours: str,
    entity: str,
    limit: int,
    order_ids: Iterable[int] | None = None,
    since_bound: bool = True,
) -> list[StoredSlip]:
    """The stored shop slips of orders bound to an M3 order (``sent``) that the integration did not
    write (not the target of an ``ours`` binding), made since the order was bound (``CLOCK_SLACK`` allowed; a slip from before
    the integration knew the order, e.g. a shop's refunds of the years before it was connected, is
    the reconciliation's to report, never sent blind), and that are not sent yet (not bound to
    ``entity``, no open dead letter of it), oldest first, ``limit`` at most. ``order_ids``: of these
    orders only; ``since_bound=False``: older slips too (the reconciliation's heal, for the orders it
    found M3 lacking a refund)."""
    slip_key = sa.cast(ps_order_slips.c.id, sa.String)
    order_key = sa.cast(ps_order_slips.c.id_order, sa.String)
    written = sa.select(id_map.c.target_key).where(id_map.c.entity == ours)
    query = (
        sa.select(
            ps_order_slips.c.id,
            ps_order_slips.c.id_order,
            ps_order_slips.c.amount,
            ps_order_slips.c.record,
            ps_order_slips.c.date_upd,
            id_map.c.target_key,
            id_map.c.created_at,
            ps_orders.c.record.label("order_record"),
        )  # fmt: skip
        .join(id_map, sa.and_(id_map.c.entity == sent, id_map.c.source_key == order_key))
        .join(ps_orders, ps_orders.c.id == ps_order_slips.c.id_order)
        .where(slip_key.not_in(written), still_to_do(slip_key, entity))
        .where(ps_order_slips.c.id_order.in_(sorted(set(order_ids))) if order_ids is not None else sa.true())
        .order_by(ps_order_slips.c.id)
    )
    found: list[StoredSlip] = []
    after = 0
    with store.engine.connect() as connection:
        for _ in range(100_000):  # bounded: pages of ``limit`` slips past the older ones
            rows = list(connection.execute(query.where(ps_order_slips.c.id > after).limit(limit)))
            for r in rows:
                if not since_bound or _aware(r.date_upd) >= _aware(r.created_at) - CLOCK_SLACK:
                    found.append(StoredSlip(int(r.id), int(r.id_order), Decimal(r.amount), json.loads(r.record),
                                            str(r.target_key), json.loads(r.order_record)))  # fmt: skip
            if len(found) >= limit or len(rows) < limit:
                return found[:limit]
            after = int(rows[-1].id)
    return found[:limit]
