"""Shop product changes to M3 (``MMS200MI/UpdItmBasic``): the item half of ``sync.master_data``
(see there for what flows and the three-way merge). Never creates an item.

Each changed item goes through the one synchronizer shape (``sync.synchronizer``): the claim
``item_update`` per shop key; the id map and ``MMS200MI/Get`` read just before the write; the merge
decides; ``UpdItmBasic`` carries the change number read (``CHNO``); the id map is written only after
M3 answered OK, and a conflict or an unsure outcome records nothing. An item M3 does not hold is
reported and its binding, if any, removed: the id map never claims what M3 does not hold.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pydantic

from prestashop_infor.infor import M3Client
from prestashop_infor.prestashop.models import Multilingual, pick_language
from prestashop_infor.store import Store, id_map, master_data, tables
from prestashop_infor.sync.errors import MappingFailure, SyncError, ValidationError, first_problem
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
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.synchronizer import Bind, Decision, Leave, Outcome, Write, synchronize

ITEM = "item"  # id map: "product:<id>" / "combination:<id>" -> ITNO
ITEM_UPDATE = "item_update"  # claims: one run at a time changes one item binding
ITEM_FIELDS = ("ITDS", "FUDS")
ITEM_NAME_LENGTH = 60  # ITDS of MMS200MI/UpdItmBasic and MMS200MI/Get
ITEM_DESCRIPTION_LENGTH = 120  # FUDS
UNKNOWN_ITEMS_CURSOR = "m3.item_descriptions.unknown"
_UNKNOWN = "unknown_item"  # what MMS200MI/Get read for an item M3 does not hold

_TRANSLATIONS = pydantic.TypeAdapter(Multilingual)
_TAG = re.compile(r"<[^>]*>")


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
        problem, _more = first_problem(exc)
        raise ValidationError("invalid_value", "name", f"not a PrestaShop text: {problem.message}") from None
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
    work: dict[str, _ItemPlan] = {}
    for key, plan in plans.items():
        binding = bound.get(key)
        if binding is not None and binding.target_key == plan.itno:
            plan.data = dict(binding.data)
            if shop_changed(plan.desired, plan.data):
                work[key] = plan
        elif binding is not None or unknown.get(key) != plan.fingerprint:
            work[key] = plan  # never looked at, bound to another item, or changed since unknown
    run = synchronize(work, _ItemUpdates(m3, store, mapping, report, unknown), store, stale_after=stale_after)
    report.busy.extend(work[key].itno for key in run.busy)
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


class _ItemUpdates:
    """The changed items (key: the shop key, ``product:<id>`` or ``combination:<id>``) for
    ``synchronizer.synchronize``."""

    claims = ITEM_UPDATE

    def __init__(
        self,
        m3: M3Client,
        store: Store,
        mapping: SyncMapping,
        report: ItemUpdateReport,
        unknown: dict[str, str],
    ):
        self.m3 = m3
        self.store = store
        self.bulk_size = mapping.orders.bulk_size
        self.report = report
        self.unknown = unknown  # shop key -> fingerprint, kept in UNKNOWN_ITEMS_CURSOR
        self.fresh: dict[str, id_map.Binding] = {}
        self.gone: list[str] = []  # bound shop keys whose item M3 does not hold

    def planned(self, key: str, plan: _ItemPlan) -> str:
        return plan.itno

    def read_current(self, work: Mapping[str, _ItemPlan]) -> dict[str, Any]:
        """The id map again (another run may have just finished some), then M3's item of each key
        still to look at; a key another run brought in step is absent."""
        fresh = self.fresh = id_map.bindings_for(self.store, ITEM, list(work))
        for plan in work.values():
            binding = fresh.get(plan.key)
            plan.data = dict(binding.data) if binding is not None and binding.target_key == plan.itno else {}
        plans = [
            p
            for p in work.values()
            if p.key not in fresh or fresh[p.key].target_key != p.itno or shop_changed(p.desired, p.data)
        ]
        self.report.checked += len(plans)
        inputs = {p.key: {"ITNO": p.itno} for p in plans}
        return read_records(self.m3, "MMS200MI", "Get", inputs, bulk_size=self.bulk_size, missing=_UNKNOWN)

    def decide(self, key: str, plan: _ItemPlan, current: Any) -> Decision:
        if current is None:
            return Leave()  # in step: another run finished it between our read and our claim
        if current == _UNKNOWN:  # M3 does not hold the item: never created here
            self.report.unknown_items.setdefault(plan.itno, []).append(key)
            self.unknown[key] = plan.fingerprint
            if key in self.fresh:
                self.gone.append(key)  # the id map never claims what M3 does not hold
            return Leave(_UNKNOWN)
        merge = merge_fields(plan.desired, current, plan.data.get("sent") or {}, plan.data.get("kept") or {})
        if merge.kept:
            self.report.kept_m3_edits[plan.itno] = sorted(merge.kept)
        if merge.send:
            return Write((merge, {"ITNO": plan.itno, "CHNO": current.get("CHNO", ""), **wire(merge.send)}))
        if merge.in_step:
            self.report.in_step.append(plan.itno)
        return Bind(merged_state(plan.data, plan.desired, merge, written=False))

    def write(self, sends: Mapping[str, tuple[_ItemPlan, Any]]) -> Iterator[tuple[str, Outcome]]:
        calls = [("MMS200MI", "UpdItmBasic", fields) for _, (_, fields) in sends.values()]
        results = self.m3.bulk(calls, max_per_request=self.bulk_size)
        for (key, (plan, (merge, _))), result in zip(sends.items(), results, strict=True):
            state = merged_state(plan.data, plan.desired, merge, written=True)
            outcome = change_outcome(result, state, context=plan.itno)
            if isinstance(outcome, Bind):
                self.report.updated.append(plan.itno)
            elif isinstance(outcome, Leave):
                (self.report.conflicts if outcome.reason == CONFLICT else self.report.unsure).append(
                    plan.itno
                )
            yield key, outcome

    def bind(self, bound: Mapping[str, tuple[_ItemPlan, dict[str, Any]]]) -> None:
        """Unbind the items M3 does not hold, bind the others, remember the unknown ones."""
        id_map.unbind(self.store, ITEM, self.gone)
        for key, (plan, data) in bound.items():
            try:
                id_map.bind(self.store, ITEM, key, plan.itno, data={**data, "source": key})
            except id_map.IdMapConflict:  # the item was bound to another shop key until it changed: next run
                self.report.errors[key] = MappingFailure(
                    "item_bound_elsewhere",
                    "reference",
                    f"item {plan.itno} is bound to another shop record in the id map",
                )
            self.unknown.pop(key, None)
        self.store.set_cursor(UNKNOWN_ITEMS_CURSOR, json.dumps(self.unknown, sort_keys=True))

    def dead_letter(self, failed: Mapping[str, tuple[_ItemPlan, SyncError]]) -> None:
        self.report.errors.update((plan.itno, error) for plan, error in failed.values())


__all__ = [
    "ITEM",
    "ITEM_FIELDS",
    "ITEM_UPDATE",
    "UNKNOWN_ITEMS_CURSOR",
    "ItemUpdateReport",
    "fit_text",
    "item_texts",
    "plain_text",
    "push_item_updates",
]
