"""Shop customer and product changes to M3: the customer's name, address and e-mail, the item's
descriptions. Updates only: nothing here creates an M3 customer or item.

What flows, and nothing else:

- customers (``CRS610MI/ChgBasicData``): :data:`~prestashop_infor.sync.customers.SHOP_FIELDS`,
  the name and address lines of one shop address (the one the customer was created from while it
  is live, else the customer's most recent live address; through ``AddressRules`` as at the
  creation) and the e-mail (``MAIL``, when it fits M3's 50 characters). Template terms, currency,
  credit, status, type, search key, references, delivery and payment terms are M3's.
- items (``MMS200MI/UpdItmBasic``): ``ITDS``, the product name (``items.description_language``),
  whitespace collapsed and cut at a word boundary to M3's 60 characters; ``FUDS``, the short
  description without its HTML, whitespace collapsed, cut the same way to 120. A product's item and,
  when combinations map to items of their own, each combination's item get the product's texts. Units,
  weights, prices, status and groups are M3's.

M3 edits win, field by field (a three-way merge). The id map keeps, with each bound record, the
shop's value last acted on (``data["sent"]``) and, for a field where M3 held an edit of its own,
M3's value then (``data["kept"]``). A field is looked at only when the shop's value differs from
``sent``: M3 holding that value already is "in step"; M3 still holding its base (``kept``, else
``sent``; or nothing recorded: a customer bound before this existed) gets the shop's value; anything
else is an M3 edit, kept and reported (``kept_m3_edits``), and its value becomes M3's base, so a
later change in the shop flows again. Nothing changed in the snapshots: no M3 call at all.

Safety, the order protocol's rules: a claim per customer / item key (``customer_update``,
``item_update``) so two runs never work on the same record; M3 read (bulk ``GetBasicData`` /
``Get``) just before the write; the write carries the change number read (``CHNO``), so an edit in
M3 between read and write fails the write (``conflicts``) instead of being overwritten; the id map
is written only after M3 answered OK. A write that failed, or whose outcome is unknown (a gateway
error or a timeout that may hide a commit: ``unsure``), records nothing: the next run reads M3 again
and the merge finds the value in step or sends it again.

E-mail changes: every shop customer bound to an M3 customer is in the id map (``shop_customer``:
PrestaShop customer id -> ``CUNO``). When its e-mail in ``ps_customers`` is one no M3 customer has,
the new e-mail is bound to the same ``CUNO`` (as a second e-mail, under the e-mail's creation claim),
so its next order finds the M3 customer and never creates another. Shop accounts sharing a bound
e-mail (guest and registered) join that M3 customer.

Items M3 does not hold are reported (``unknown_items``), never bound and never an error of the run;
they are looked at again when their product changes (remembered in the cursor
:data:`UNKNOWN_ITEMS_CURSOR`). Bad shop data (an address the mapping cannot represent, a product
without a name) is an error naming the field, for that record only.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pydantic

from prestashop_infor.infor import M3Client, M3GatewayError, M3TransactionError
from prestashop_infor.prestashop.models import Multilingual, pick_language
from prestashop_infor.store import Store, id_map, master_data, tables
from prestashop_infor.sync.customers import ENTITY as CUSTOMER
from prestashop_infor.sync.customers import MAIL_LENGTH, SHOP_CUSTOMER, normalize_email, shop_fields
from prestashop_infor.sync.errors import LoadError, MappingFailure, SyncError, ValidationError
from prestashop_infor.sync.m3_order_request import ShopLookups, customer_address
from prestashop_infor.sync.mapping import Mapping as SyncMapping

CUSTOMER_UPDATE = "customer_update"  # claims: one run at a time changes one M3 customer
ITEM = "item"  # id map: "product:<id>" / "combination:<id>" -> ITNO
ITEM_UPDATE = "item_update"  # claims: one run at a time changes one item binding
ITEM_FIELDS = ("ITDS", "FUDS")
ITEM_NAME_LENGTH = 60  # ITDS of MMS200MI/UpdItmBasic and MMS200MI/Get
ITEM_DESCRIPTION_LENGTH = 120  # FUDS
UNKNOWN_ITEMS_CURSOR = "m3.item_descriptions.unknown"
CLEAR = "?"  # blanks a field in an M3 change transaction (a blank input leaves it as it is)
STALE_CLAIM = timedelta(minutes=15)

_TRANSLATIONS = pydantic.TypeAdapter(Multilingual)
_TAG = re.compile(r"<[^>]*>")


# ------------------------------------------------------------------------------------ the merge


@dataclass
class FieldMerge:
    """What to do with one record's fields: send, record as in step, keep M3's edit."""

    send: dict[str, str] = field(default_factory=dict)  # field -> the shop's value
    in_step: list[str] = field(default_factory=list)  # M3 holds the shop's value already
    kept: dict[str, str] = field(default_factory=dict)  # field -> M3's own value, left as it is


def merge_fields(
    desired: Mapping[str, str],
    current: Mapping[str, str],
    sent: Mapping[str, str],
    kept: Mapping[str, str],
) -> FieldMerge:
    """The three-way merge of one record (see the module docstring): ``desired`` the shop's values
    now, ``current`` M3's, ``sent`` the shop's values last acted on, ``kept`` M3's edits kept."""
    merge = FieldMerge()
    for name, want in desired.items():
        if sent.get(name) == want:
            continue  # the shop did not change it: whatever M3 holds stays
        have = current.get(name, "")
        if have == want:
            merge.in_step.append(name)
            continue
        base = kept.get(name, sent.get(name))
        if base is None or have == base:
            merge.send[name] = want
        else:
            merge.kept[name] = have
    return merge


def _merged_state(
    data: Mapping[str, Any], desired: Mapping[str, str], merge: FieldMerge, *, written: bool
) -> dict[str, Any]:
    """The id map ``data`` after a merge (``written``: M3 accepted the fields of ``merge.send``)."""
    sent = dict(data.get("sent") or {})
    kept = dict(data.get("kept") or {})
    for name in [*merge.in_step, *(merge.send if written else ())]:
        sent[name] = desired[name]
        kept.pop(name, None)
    for name, value in merge.kept.items():
        sent[name] = desired[name]
        kept[name] = value
    state = {**data, "sent": sent}
    if kept:
        state["kept"] = kept
    else:
        state.pop("kept", None)
    return state


def _changed(desired: Mapping[str, str], data: Mapping[str, Any]) -> bool:
    sent = data.get("sent") or {}
    return any(sent.get(name) != value for name, value in desired.items())


def _wire(fields: Mapping[str, str]) -> dict[str, str]:
    """Values for a change transaction: a blank value blanks the field (``?``)."""
    return {name: value if value != "" else CLEAR for name, value in fields.items()}


def _write_outcome(result: Any) -> str:
    """``ok``, ``conflict`` (changed in M3 since read), ``unsure`` (may have committed) or ``refused``."""
    if result.ok:
        return "ok"
    error = result.error
    if isinstance(error, M3TransactionError) and error.field == "CHNO":
        return "conflict"
    if isinstance(error, M3GatewayError):
        return "unsure" if error.may_have_committed else "refused"
    return "refused"


# -------------------------------------------------------------------------------------- customers


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
        return _changed(self.desired, self.data)

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
    if not work:
        return report
    got = id_map.claim_for_work(store, CUSTOMER_UPDATE, {c: c for c in work}, stale_after=stale_after)
    report.busy.extend(c for c, plan in work.items() if c not in got and plan.changed)
    try:
        _update_customers([work[c] for c in work if c in got], m3, store, mapping, report)
    finally:
        id_map.release(store, CUSTOMER_UPDATE, got)
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


def _update_customers(
    plans: list[_CustomerPlan], m3: M3Client, store: Store, mapping: SyncMapping, report: CustomerUpdateReport
) -> None:
    """Read, merge, write and record the claimed customers."""
    if not plans:
        return
    # another run may have finished some between our read of the id map and our claims
    fresh = id_map.bindings_for(store, CUSTOMER, [p.state_key for p in plans])
    done: list[tuple[str, str, None, dict[str, Any]]] = []
    for plan in plans:
        if plan.state_key in fresh:
            plan.data = dict(fresh[plan.state_key].data)
        if not plan.changed:  # only the shop side moved: recorded, no M3 call
            done.append((plan.state_key, plan.cuno, None, plan.state(plan.data)))
    plans = [p for p in plans if p.changed]
    bulk = mapping.orders.bulk_size
    reads = m3.bulk([("CRS610MI", "GetBasicData", {"CUNO": p.cuno}) for p in plans], max_per_request=bulk)
    report.checked += len(plans)
    writes: list[tuple[_CustomerPlan, FieldMerge, dict[str, str]]] = []
    for plan, result in zip(plans, reads, strict=True):
        if not result.ok:
            if isinstance(result.error, M3TransactionError):
                report.missing_in_m3.append(plan.cuno)  # reported: the binding needs a human
                continue
            raise result.error or RuntimeError("CRS610MI/GetBasicData failed")
        current = result.records[0] if result.records else {}
        merge = merge_fields(plan.desired, current, plan.data.get("sent") or {}, plan.data.get("kept") or {})
        if merge.kept:
            report.kept_m3_edits[plan.cuno] = sorted(merge.kept)
        if merge.send:
            writes.append(
                (plan, merge, {"CUNO": plan.cuno, "CHNO": current.get("CHNO", ""), **_wire(merge.send)})
            )
        else:
            if merge.in_step:
                report.in_step.append(plan.cuno)
            done.append(
                (
                    plan.state_key,
                    plan.cuno,
                    None,
                    plan.state(_merged_state(plan.data, plan.desired, merge, written=False)),
                )
            )
    results = m3.bulk([("CRS610MI", "ChgBasicData", fields) for *_, fields in writes], max_per_request=bulk)
    for (plan, merge, _), result in zip(writes, results, strict=True):
        outcome = _write_outcome(result)
        if outcome == "ok":
            report.updated.append(plan.cuno)
            done.append(
                (
                    plan.state_key,
                    plan.cuno,
                    None,
                    plan.state(_merged_state(plan.data, plan.desired, merge, written=True)),
                )
            )
        elif outcome == "conflict":
            report.conflicts.append(plan.cuno)
        elif outcome == "unsure":
            report.unsure.append(plan.cuno)
        else:
            report.errors[plan.cuno] = LoadError.from_m3(
                result.error or RuntimeError("unknown"), context=plan.cuno
            )
    id_map.bind_many(store, CUSTOMER, done)


# ------------------------------------------------------------------------------------------ items


@dataclass
class ItemUpdateReport:
    """What one pass did, by M3 item number (``ITNO``) unless said otherwise."""

    updated: list[str] = field(default_factory=list)  # MMS200MI/UpdItmBasic accepted
    in_step: list[str] = field(default_factory=list)  # M3 held the shop's texts already (nothing sent)
    kept_m3_edits: dict[str, list[str]] = field(default_factory=dict)  # ITNO -> fields M3 edited, kept
    unknown_items: dict[str, list[str]] = field(default_factory=dict)  # ITNO M3 does not hold -> shop keys
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # ITNO several shop records map to
    unresolved: list[str] = field(default_factory=list)  # shop keys the mapping gives no item number
    busy: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)
    errors: dict[str, SyncError] = field(default_factory=dict)  # shop key or ITNO -> why not
    checked: int = 0  # items read from M3

    def counts(self) -> dict[str, int]:
        return {
            "updated": len(self.updated),
            "in_step": len(self.in_step),
            "kept_m3_edits": len(self.kept_m3_edits),
            "unknown_items": len(self.unknown_items),
            "ambiguous": len(self.ambiguous),
            "unresolved": len(self.unresolved),
            "busy": len(self.busy),
            "conflicts": len(self.conflicts),
            "unsure": len(self.unsure),
            "errors": len(self.errors),
            "checked_in_m3": self.checked,
        }


@dataclass
class _ItemPlan:
    key: str  # "product:<id>" or "combination:<id>"
    itno: str
    desired: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)  # the binding's, when bound to this item

    @property
    def fingerprint(self) -> str:
        text = json.dumps([self.itno, self.desired], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def fit_text(text: str, length: int) -> str:
    """``text`` with its whitespace collapsed, cut at the last word boundary within ``length``
    characters (a first word longer than that is cut inside)."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[: length + 1].rsplit(" ", 1)[0] if " " in text[: length + 1] else text[:length]
    return cut[:length].rstrip(" ,;:-")


def plain_text(markup: str) -> str:
    """The text of an HTML fragment (a PrestaShop description): tags dropped, entities decoded."""
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())


def item_texts(product: Mapping[str, Any], language: int | None) -> dict[str, str]:
    """``ITDS`` and ``FUDS`` of a shop product record (see the module docstring); raises a
    ValidationError when the product has no name in that language."""
    try:
        names = _TRANSLATIONS.validate_python(product.get("name"))
        shorts = _TRANSLATIONS.validate_python(product.get("description_short"))
    except pydantic.ValidationError as exc:
        raise ValidationError(
            "invalid_value", "name", f"not a PrestaShop text: {exc.errors()[0]['msg']}"
        ) from None
    name = fit_text(pick_language(names, language), ITEM_NAME_LENGTH)
    if not name:
        raise ValidationError("missing_field", "name", f"product {product.get('id')} has no name")
    return {
        "ITDS": name,
        "FUDS": fit_text(plain_text(pick_language(shorts, language)), ITEM_DESCRIPTION_LENGTH),
    }


def push_item_updates(
    *, m3: M3Client, store: Store, mapping: SyncMapping, stale_after: timedelta = STALE_CLAIM
) -> ItemUpdateReport:
    """Bring the M3 items of the shop's products (``ps_products``, ``ps_combinations``) in step with
    their names and short descriptions: one bulk ``MMS200MI/Get`` and one bulk ``UpdItmBasic`` for
    the items whose shop texts changed. Never creates an item. M3 unreachable for the reads raises."""
    report = ItemUpdateReport()
    plans = _item_plans(store, mapping, report)
    bound = {b.source_key: b for b in id_map.bindings(store, ITEM)}
    unknown = _unknown_items(store)
    changed: dict[str, _ItemPlan] = {}
    for key, plan in plans.items():
        binding = bound.get(key)
        if binding is not None and binding.target_key == plan.itno:
            plan.data = dict(binding.data)
            if _changed(plan.desired, plan.data):
                changed[key] = plan
        elif binding is not None or unknown.get(key) != plan.fingerprint:
            changed[key] = plan  # never looked at, bound to another item, or changed since unknown
    if not changed:
        return report
    got = id_map.claim_for_work(
        store, ITEM_UPDATE, {k: p.itno for k, p in changed.items()}, stale_after=stale_after
    )
    report.busy.extend(changed[k].itno for k in changed if k not in got)
    try:
        _update_items([changed[k] for k in changed if k in got], m3, store, mapping, report, unknown)
    finally:
        id_map.release(store, ITEM_UPDATE, got)
    return report


def _item_plans(store: Store, mapping: SyncMapping, report: ItemUpdateReport) -> dict[str, _ItemPlan]:
    """Shop key -> the item it maps to and the texts it should carry; items several shop keys map to
    are ambiguous (which name?) and left out."""
    language = mapping.items.description_language
    combinations: dict[int, list[tuple[int, str]]] = {}
    for row in store.rows(tables.ps_combinations):
        combinations.setdefault(int(row["id_product"]), []).append(
            (int(row["id"]), str(row.get("reference") or ""))
        )
    targets: dict[str, tuple[str, dict[str, str]]] = {}
    for row in master_data.product_records(store):
        product_id, reference = int(row.id), str(row.reference or "")
        try:
            texts = item_texts(json.loads(row.record), language)
        except ValidationError as error:
            report.errors[f"product:{product_id}"] = error
            continue
        own = _resolve(mapping, product_id, 0, reference, None)
        variants = combinations.get(product_id)
        if not variants:
            if own is None:
                report.unresolved.append(f"product:{product_id}")
            else:
                targets[f"product:{product_id}"] = (own, texts)
            continue
        for combination_id, combination_reference in variants:
            itno = _resolve(mapping, product_id, combination_id, reference, combination_reference or None)
            if itno is None:
                report.unresolved.append(f"combination:{combination_id}")
                continue
            key = f"product:{product_id}" if itno == own else f"combination:{combination_id}"
            targets.setdefault(key, (itno, texts))
    keys_of: dict[str, list[str]] = {}
    for key, (itno, _) in targets.items():
        keys_of.setdefault(itno, []).append(key)
    report.ambiguous.update((itno, keys) for itno, keys in keys_of.items() if len(keys) > 1)
    return {
        key: _ItemPlan(key, itno, texts)
        for key, (itno, texts) in targets.items()
        if itno not in report.ambiguous
    }


def _resolve(
    mapping: SyncMapping,
    product_id: int,
    combination_id: int,
    reference: str,
    combination_reference: str | None,
) -> str | None:
    try:
        return mapping.items.resolve(product_id, combination_id, reference, combination_reference)
    except MappingFailure:
        return None


def _unknown_items(store: Store) -> dict[str, str]:
    """Shop key -> fingerprint of the item number and texts M3 was found not to hold."""
    stored = store.get_cursor(UNKNOWN_ITEMS_CURSOR)
    return dict(json.loads(stored)) if stored else {}


def _update_items(
    plans: list[_ItemPlan],
    m3: M3Client,
    store: Store,
    mapping: SyncMapping,
    report: ItemUpdateReport,
    unknown: dict[str, str],
) -> None:
    if not plans:
        return
    fresh = id_map.bindings_for(store, ITEM, [p.key for p in plans])  # another run may have just finished
    for plan in plans:
        binding = fresh.get(plan.key)
        plan.data = dict(binding.data) if binding is not None and binding.target_key == plan.itno else {}
    plans = [
        p
        for p in plans
        if p.key not in fresh or fresh[p.key].target_key != p.itno or _changed(p.desired, p.data)
    ]
    bulk = mapping.orders.bulk_size
    reads = m3.bulk([("MMS200MI", "Get", {"ITNO": p.itno}) for p in plans], max_per_request=bulk)
    report.checked += len(plans)
    writes: list[tuple[_ItemPlan, FieldMerge, dict[str, str]]] = []
    done: list[tuple[_ItemPlan, dict[str, Any]]] = []
    gone: list[str] = []
    for plan, result in zip(plans, reads, strict=True):
        if not result.ok:
            if isinstance(result.error, M3TransactionError):  # M3 does not hold the item: never created here
                report.unknown_items.setdefault(plan.itno, []).append(plan.key)
                unknown[plan.key] = plan.fingerprint
                if plan.key in fresh:
                    gone.append(plan.key)  # the id map never claims what M3 does not hold
                continue
            raise result.error or RuntimeError("MMS200MI/Get failed")
        current = result.records[0] if result.records else {}
        merge = merge_fields(plan.desired, current, plan.data.get("sent") or {}, plan.data.get("kept") or {})
        if merge.kept:
            report.kept_m3_edits[plan.itno] = sorted(merge.kept)
        if merge.send:
            writes.append(
                (plan, merge, {"ITNO": plan.itno, "CHNO": current.get("CHNO", ""), **_wire(merge.send)})
            )
        else:
            if merge.in_step:
                report.in_step.append(plan.itno)
            done.append((plan, _merged_state(plan.data, plan.desired, merge, written=False)))
    results = m3.bulk([("MMS200MI", "UpdItmBasic", fields) for *_, fields in writes], max_per_request=bulk)
    for (plan, merge, _), result in zip(writes, results, strict=True):
        outcome = _write_outcome(result)
        if outcome == "ok":
            report.updated.append(plan.itno)
            done.append((plan, _merged_state(plan.data, plan.desired, merge, written=True)))
        elif outcome == "conflict":
            report.conflicts.append(plan.itno)
        elif outcome == "unsure":
            report.unsure.append(plan.itno)
        else:
            report.errors[plan.itno] = LoadError.from_m3(
                result.error or RuntimeError("unknown"), context=plan.itno
            )
    id_map.unbind(store, ITEM, gone)
    for plan, data in done:
        try:
            id_map.bind(store, ITEM, plan.key, plan.itno, data={**data, "source": plan.key})
        except id_map.IdMapConflict:  # the item was bound to another shop key until it changed: next run
            report.errors[plan.key] = MappingFailure(
                "item_bound_elsewhere",
                "reference",
                f"item {plan.itno} is bound to another shop record in the id map",
            )
        unknown.pop(plan.key, None)
    store.set_cursor(UNKNOWN_ITEMS_CURSOR, json.dumps(unknown, sort_keys=True))


__all__ = [
    "CUSTOMER_UPDATE",
    "ITEM",
    "ITEM_FIELDS",
    "ITEM_UPDATE",
    "UNKNOWN_ITEMS_CURSOR",
    "CustomerUpdateReport",
    "FieldMerge",
    "ItemUpdateReport",
    "fit_text",
    "item_texts",
    "merge_fields",
    "plain_text",
    "push_customer_updates",
    "push_item_updates",
]
