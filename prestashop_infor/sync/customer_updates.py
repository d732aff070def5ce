"""Shop customer changes to M3 (``CRS610MI/ChgBasicData``) and shop e-mail changes to the id map:
the customer half of ``sync.master_data`` (see there for what flows and the three-way merge).

Each changed customer goes through the one synchronizer shape (``sync.synchronizer``): the claim
``customer_update`` per ``CUNO``; the id map and ``CRS610MI/GetBasicData`` read just before the
write; the merge decides; ``ChgBasicData`` carries the change number read (``CHNO``); the id map is
written only after M3 answered OK, and a conflict or an unsure outcome records nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prestashop_infor.infor import M3Client
from prestashop_infor.store import Store, id_map, master_data, tables
from prestashop_infor.sync.customers import ENTITY as CUSTOMER
from prestashop_infor.sync.customers import MAIL_LENGTH, SHOP_CUSTOMER, normalize_email, shop_fields
from prestashop_infor.sync.errors import MappingFailure, SyncError, ValidationError
from prestashop_infor.sync.field_merge import (
    CONFLICT,
    STALE_CLAIM,
    change_outcome,
    merge_fields,
    merged_state,
    read_records,
    shop_changed,
    wire,
)
from prestashop_infor.sync.m3_order_request import ShopLookups, customer_address
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.synchronizer import Bind, Decision, Leave, Outcome, Write, synchronize

CUSTOMER_UPDATE = "customer_update"  # claims: one run at a time changes one M3 customer
_MISSING = "missing_in_m3"  # what GetBasicData read for a bound customer M3 does not hold


@dataclass
class CustomerUpdateReport:
    """What one pass did, by M3 customer number (``CUNO``)."""

    updated: list[str] = field(default_factory=list)  # CRS610MI/ChgBasicData accepted
    in_step: list[str] = field(default_factory=list)  # M3 held the shop's values already (nothing sent)
    kept_m3_edits: dict[str, list[str]] = field(default_factory=dict)  # CUNO -> fields M3 edited, kept
    emails_bound: dict[str, str] = field(default_factory=dict)  # new shop e-mail -> the CUNO it joined
    busy: list[str] = field(default_factory=list)  # another run holds the customer's claim
    conflicts: list[str] = field(default_factory=list)  # changed in M3 between read and write: next run
    unsure: list[str] = field(default_factory=list)  # the write may have committed: next run reads again
    missing_in_m3: list[str] = field(default_factory=list)  # bound, but M3 does not hold the customer
    errors: dict[str, SyncError] = field(default_factory=dict)  # CUNO -> bad shop data, M3 refused
    checked: int = 0  # customers read from M3

    def counts(self) -> dict[str, int]:
        return {
            "updated": len(self.updated),
            "in_step": len(self.in_step),
            "kept_m3_edits": len(self.kept_m3_edits),
            "emails_bound": len(self.emails_bound),
            "update_busy": len(self.busy),
            "update_conflicts": len(self.conflicts),
            "update_unsure": len(self.unsure),
            "missing_in_m3": len(self.missing_in_m3),
            "update_errors": len(self.errors),
            "checked_in_m3": self.checked,
        }


@dataclass(frozen=True)
class _ShopCustomer:
    id: int
    email: str | None  # normalized; None: not an e-mail address
    updated: datetime


@dataclass(frozen=True)
class _ShopAddress:
    id: int
    customer_id: int | None
    deleted: bool
    updated: datetime


@dataclass
class _CustomerPlan:
    cuno: str
    state_key: str  # the e-mail binding that keeps the customer's state (the oldest of the CUNO)
    data: dict[str, Any]  # that binding's data as read
    desired: dict[str, str]
    address_id: int | None  # the shop address the fields come from (None: no live address)
    ps_customer_id: int  # the shop customer whose e-mail flows

    @property
    def changed(self) -> bool:
        """The shop's values differ from those last acted on: M3 has to be read."""
        return shop_changed(self.desired, self.data)

    @property
    def moved(self) -> bool:
        """What the id map keeps about the customer's shop side is not true any more."""
        return (self.address_id is not None and self.data.get("address_id") != self.address_id) or (
            "ps_customer_id" not in self.data
        )

    def state(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` with the shop side of this plan recorded."""
        state = dict(data)
        if self.address_id is not None:
            state["address_id"] = self.address_id
        state.setdefault("ps_customer_id", self.ps_customer_id)
        return state


def push_customer_updates(
    *, m3: M3Client, store: Store, mapping: SyncMapping, stale_after: timedelta = STALE_CLAIM
) -> CustomerUpdateReport:
    """Bring the bound M3 customers in step with the shop's snapshots (``ps_customers``,
    ``ps_addresses``, ``ps_countries``): e-mail changes bound first (no M3 call), then one bulk
    ``GetBasicData`` and one bulk ``ChgBasicData`` for the customers whose shop values changed.

    Per-customer failures are in the report; M3 unreachable for the reads raises (nothing written).
    """
    report = CustomerUpdateReport()
    customers = _shop_customers(store)
    members = _link_shop_customers(customers, store, report, stale_after)
    plans = _customer_plans(customers, members, store, mapping, report)
    work = {cuno: plan for cuno, plan in plans.items() if plan.changed or plan.moved}
    run = synchronize(work, _CustomerUpdates(m3, store, mapping, report), store, stale_after=stale_after)
    report.busy.extend(cuno for cuno in run.busy if work[cuno].changed)
    return report


def _shop_customers(store: Store) -> dict[int, _ShopCustomer]:
    """The live (not deleted) shop customers of the snapshot, e-mails normalized."""
    found = {}
    for row in master_data.live_customers(store):
        try:
            email: str | None = normalize_email(row.email)
        except ValidationError:
            email = None
        found[int(row.id)] = _ShopCustomer(int(row.id), email, row.date_upd)
    return found


def _link_shop_customers(
    customers: Mapping[int, _ShopCustomer], store: Store, report: CustomerUpdateReport, stale_after: timedelta
) -> dict[str, list[int]]:
    """Keep ``shop_customer`` (shop customer id -> CUNO) true to the snapshot and bind changed
    e-mails; returns CUNO -> its live shop customers. Store only, no M3 call."""
    by_email = {b.source_key: b.target_key for b in id_map.bindings(store, CUSTOMER)}
    linked = {int(b.source_key): b.target_key for b in id_map.bindings(store, SHOP_CUSTOMER)}
    links: list[tuple[int, str, None, dict[str, Any]]] = []
    new_emails: dict[str, tuple[int, str]] = {}  # e-mail nobody bound -> (shop customer, its CUNO)
    for customer in sorted(customers.values(), key=lambda c: c.id):
        if customer.email is None:
            continue
        cuno = by_email.get(customer.email)
        if cuno is not None:
            if linked.get(customer.id) != cuno:  # an account sharing a bound e-mail, or a legacy binding
                links.append((customer.id, cuno, None, {}))
                linked[customer.id] = cuno
        elif customer.id in linked:  # its e-mail changed in the shop
            new_emails.setdefault(customer.email, (customer.id, linked[customer.id]))
    id_map.bind_many(store, SHOP_CUSTOMER, links)
    if new_emails:
        _bind_new_emails(new_emails, store, report, stale_after)
    members: dict[str, list[int]] = {}
    for customer_id, cuno in linked.items():
        if customer_id in customers:
            members.setdefault(cuno, []).append(customer_id)
    return members


def _bind_new_emails(
    new_emails: Mapping[str, tuple[int, str]],
    store: Store,
    report: CustomerUpdateReport,
    stale_after: timedelta,
) -> None:
    """Bind each new e-mail to its shop customer's CUNO, under the e-mail's creation claim (the
    order sync's ``upsert_customers`` takes the same one before creating a customer)."""
    got = id_map.claim_for_work(
        store, CUSTOMER, {email: cuno for email, (_, cuno) in new_emails.items()}, stale_after=stale_after
    )
    try:
        late = id_map.bindings_for(store, CUSTOMER, got)  # bound meanwhile (an order created it)
        rows = [
            (email, new_emails[email][1], None, {"ps_customer_id": new_emails[email][0], "rebound": True})
            for email in sorted(got)
            if email not in late
        ]
        id_map.bind_many(store, CUSTOMER, rows)
        report.emails_bound.update((email, cuno) for email, cuno, _, _ in rows)
    finally:
        id_map.release(store, CUSTOMER, got)


def _customer_plans(
    customers: Mapping[int, _ShopCustomer],
    members: Mapping[str, list[int]],
    store: Store,
    mapping: SyncMapping,
    report: CustomerUpdateReport,
) -> dict[str, _CustomerPlan]:
    """Per bound M3 customer with live shop customers: the shop-owned fields it should hold."""
    states: dict[str, id_map.Binding] = {}
    for binding in id_map.bindings(store, CUSTOMER):  # oldest first: the creation's binding
        states.setdefault(binding.target_key, binding)
    addresses = _shop_addresses(store, {c for ids in members.values() for c in ids})
    chosen: dict[str, _ShopAddress | None] = {}
    for cuno, ids in members.items():
        if cuno in states:
            chosen[cuno] = _pick_address(states[cuno].data.get("address_id"), ids, addresses)
    records = {
        int(r["id"]): json.loads(r["record"])
        for r in store.rows_by_id(tables.ps_addresses, [a.id for a in chosen.values() if a is not None])
    }
    countries = [json.loads(r["record"]) for r in store.rows(tables.ps_countries)]
    lookups = ShopLookups(None, countries=countries or None)
    plans: dict[str, _CustomerPlan] = {}
    for cuno, address in chosen.items():
        state = states[cuno]
        ids = members[cuno]
        owner = address.customer_id if address is not None and address.customer_id in ids else None
        principal = (
            customers[owner]
            if owner is not None
            else max((customers[i] for i in ids), key=lambda c: (c.updated, c.id))
        )
        email = principal.email or ""
        try:
            if address is not None and address.id in records:
                desired = shop_fields(email, customer_address(records[address.id], lookups, mapping))
            else:  # no live address: only the e-mail flows
                desired = {"MAIL": email} if 0 < len(email) <= MAIL_LENGTH else {}
        except MappingFailure as error:
            report.errors[cuno] = error
            continue
        plans[cuno] = _CustomerPlan(
            cuno, state.source_key, dict(state.data), desired, address.id if address else None, principal.id
        )
    return plans


def _shop_addresses(store: Store, customer_ids: set[int]) -> dict[int, list[_ShopAddress]]:
    """The stored addresses of these shop customers, per customer (ids and dates, no records)."""
    found: dict[int, list[_ShopAddress]] = {}
    for row in master_data.addresses_of(store, customer_ids):
        found.setdefault(int(row.id_customer), []).append(
            _ShopAddress(int(row.id), int(row.id_customer), bool(row.deleted), row.date_upd)
        )
    return found


def _pick_address(
    recorded: Any, customer_ids: Iterable[int], addresses: Mapping[int, list[_ShopAddress]]
) -> _ShopAddress | None:
    """The address the customer's M3 fields come from: the recorded one (the creation's) while it is
    live, else the customers' most recently changed live address (PrestaShop replaces an address
    used by an order with a new one when it is edited); None when there is no live address."""
    live = [a for i in customer_ids for a in addresses.get(i, []) if not a.deleted]
    for address in live:
        if recorded is not None and address.id == int(recorded):
            return address
    return max(live, key=lambda a: (a.updated, a.id)) if live else None


class _CustomerUpdates:
    """The changed customers (key: ``CUNO``) for ``synchronizer.synchronize``."""

    claims = CUSTOMER_UPDATE

    def __init__(self, m3: M3Client, store: Store, mapping: SyncMapping, report: CustomerUpdateReport):
        self.m3 = m3
        self.store = store
        self.bulk_size = mapping.orders.bulk_size
        self.report = report

    def planned(self, cuno: str, plan: _CustomerPlan) -> str:
        return cuno

    def read_current(self, work: Mapping[str, _CustomerPlan]) -> dict[str, Any]:
        """The id map again (another run may have finished some between our read of it and our
        claims), then M3's record of each customer whose shop values changed."""
        fresh = id_map.bindings_for(self.store, CUSTOMER, [p.state_key for p in work.values()])
        for plan in work.values():
            if plan.state_key in fresh:
                plan.data = dict(fresh[plan.state_key].data)
        plans = [p for p in work.values() if p.changed]
        self.report.checked += len(plans)
        inputs = {p.cuno: {"CUNO": p.cuno} for p in plans}
        return read_records(
            self.m3, "CRS610MI", "GetBasicData", inputs, bulk_size=self.bulk_size, missing=_MISSING
        )

    def decide(self, cuno: str, plan: _CustomerPlan, current: Any) -> Decision:
        if not plan.changed:  # only the shop side moved: recorded, no M3 call
            return Bind(plan.state(plan.data))
        if current == _MISSING:
            self.report.missing_in_m3.append(cuno)  # reported: the binding needs a human
            return Leave(_MISSING)
        merge = merge_fields(plan.desired, current, plan.data.get("sent") or {}, plan.data.get("kept") or {})
        if merge.kept:
            self.report.kept_m3_edits[cuno] = sorted(merge.kept)
        if merge.send:
            return Write((merge, {"CUNO": cuno, "CHNO": current.get("CHNO", ""), **wire(merge.send)}))
        if merge.in_step:
            self.report.in_step.append(cuno)
        return Bind(plan.state(merged_state(plan.data, plan.desired, merge, written=False)))

    def write(self, sends: Mapping[str, tuple[_CustomerPlan, Any]]) -> Iterator[tuple[str, Outcome]]:
        calls = [("CRS610MI", "ChgBasicData", fields) for _, (_, fields) in sends.values()]
        results = self.m3.bulk(calls, max_per_request=self.bulk_size)
        for (cuno, (plan, (merge, _))), result in zip(sends.items(), results, strict=True):
            state = plan.state(merged_state(plan.data, plan.desired, merge, written=True))
            outcome = change_outcome(result, state, context=cuno)
            if isinstance(outcome, Bind):
                self.report.updated.append(cuno)
            elif isinstance(outcome, Leave):
                (self.report.conflicts if outcome.reason == CONFLICT else self.report.unsure).append(cuno)
            yield cuno, outcome

    def bind(self, bound: Mapping[str, tuple[_CustomerPlan, dict[str, Any]]]) -> None:
        rows = [(plan.state_key, cuno, None, data) for cuno, (plan, data) in bound.items()]
        id_map.bind_many(self.store, CUSTOMER, rows)

    def dead_letter(self, failed: Mapping[str, tuple[_CustomerPlan, SyncError]]) -> None:
        self.report.errors.update((cuno, error) for cuno, (_, error) in failed.items())


__all__ = ["CUSTOMER_UPDATE", "CustomerUpdateReport", "push_customer_updates"]
