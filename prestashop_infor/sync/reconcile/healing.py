"""Healing: re-drive what the findings say a machine may repair, through the order sync and the
status lane; amount and line differences are left to people."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from prestashop_infor.infor import M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.store import Store, id_map, reconciliation
from prestashop_infor.sync.m3_order_request import ShopLookups
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.mapping import customer_order_number
from prestashop_infor.sync.reconcile.findings import Finding, m3_ahead


@dataclass
class HealReport:
    resent: list[int] = field(default_factory=list)  # orders sent to M3 again
    unbound: list[int] = field(default_factory=list)  # bindings dropped: M3 no longer held the order
    statuses_pushed: list[int] = field(default_factory=list)
    adopted: list[int] = field(default_factory=list)  # orders M3 holds that the id map did not know
    failed: dict[int, str] = field(default_factory=dict)
    left_to_people: int = 0  # amount and line differences, statuses the shop is ahead on


def heal(
    store: Store,
    shop: PrestashopClient,
    m3: M3Client,
    mapping: SyncMapping,
    findings: Sequence[Finding],
) -> HealReport:
    """Re-drive what the findings say is missing or behind, through the order sync and the status
    lane (see the ``sync.reconcile`` docstring)."""
    from prestashop_infor.sync.orders import ENTITY as SALES_ORDER
    from prestashop_infor.sync.orders import sync_order
    from prestashop_infor.sync.status import push_order_statuses

    report = HealReport()
    lookups = ShopLookups(shop)
    missing = sorted({int(f.key) for f in findings if f.kind == "missing_in_m3"})
    # M3 does not hold these orders: a binding that says otherwise goes first (a dropped order)
    report.unbound = sorted(int(k) for k in id_map.bindings_for(store, SALES_ORDER, missing))
    id_map.unbind(store, SALES_ORDER, report.unbound)
    for order_id in missing:
        try:
            result = sync_order(order_id, shop_lookups=lookups, m3=m3, store=store, mapping=mapping)
        except LookupError as error:
            report.failed[order_id] = str(error)
            continue
        if order_id in result.errors:
            report.failed[order_id] = result.errors[order_id].message
        else:
            report.resent.append(order_id)
    behind = sorted(int(f.key) for f in findings if m3_ahead(f))
    if behind:
        report.adopted = _adopt(store, mapping, behind)
        push_order_statuses(prestashop=shop, m3=m3, store=store, mapping=mapping, order_ids=behind)
        report.statuses_pushed = behind
    report.left_to_people = sum(
        1 for f in findings if f.kind in ("line_mismatch", "amount_mismatch", "missing_in_shop")
    ) + sum(1 for f in findings if f.kind == "status_mismatch" and int(f.key) not in behind)
    return report


def _adopt(store: Store, mapping: SyncMapping, order_ids: Sequence[int]) -> list[int]:
    """Bind the shop orders the id map does not know to the one M3 order the snapshot found with their
    ``CUOR`` (entered before the integration, or by hand): the status lane works on bound orders.
    M3 holds each of them, so the binding claims nothing M3 does not hold."""
    from prestashop_infor.sync.orders import ENTITY as SALES_ORDER

    known = id_map.bindings_for(store, SALES_ORDER, order_ids)
    unknown = [o for o in order_ids if str(o) not in known]
    cuors = {customer_order_number(o, mapping.orders.customer_order_prefix): o for o in unknown}
    ornos: dict[str, list[str]] = {}
    for cuor, orno in reconciliation.m3_order_numbers(store, cuors):
        ornos.setdefault(cuor, []).append(orno)
    adopt = [(cuors[c], o[0], None, {"cuor": c, "ornr": o[0], "adopted_by": "reconciliation"})
             for c, o in ornos.items() if len(o) == 1]  # fmt: skip
    id_map.bind_many(store, SALES_ORDER, adopt)
    return sorted(int(order_id) for order_id, *_ in adopt)
