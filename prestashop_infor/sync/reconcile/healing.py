"""Healing: re-drive what the findings say a machine may repair, through the order sync, the status
lane (a payment M3 settled is pushed with the status) and the credit lanes (M3's credit notes as
shop slips, the shop's slips to M3); amount, line and invoice differences are left to people."""

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
    statuses_pushed: list[int] = field(default_factory=list)  # statuses, and payments M3 settled
    credit_slips: list[str] = field(default_factory=list)  # M3 credit notes written as shop slips
    refunds_sent: list[int] = field(default_factory=list)  # shop slips entered in M3
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
    from prestashop_infor.sync.credit_notes import push_credit_slips, read_credit_notes
    from prestashop_infor.sync.orders import ENTITY as SALES_ORDER
    from prestashop_infor.sync.orders import sync_order
    from prestashop_infor.sync.refunds import send_refunds
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
    behind = sorted({int(f.key) for f in findings if m3_ahead(f) or f.kind == "payment_missing_in_shop"})
    if behind:
        report.adopted = _adopt(store, mapping, behind)
        push_order_statuses(prestashop=shop, m3=m3, store=store, mapping=mapping, order_ids=behind)
        report.statuses_pushed = behind
    credited = sorted({int(f.key) for f in findings if f.kind == "refund_missing_in_shop"})
    if credited:  # M3's credit notes, as slips (on orders the id map knows: bind those it does not)
        report.adopted = sorted(set(report.adopted) | set(_adopt(store, mapping, credited)))
        read_credit_notes(m3, store, divisions=mapping.divisions())
        report.credit_slips = push_credit_slips(
            prestashop=shop, store=store, mapping=mapping, order_states=shop.order_states()
        ).slips
    refunded = sorted({int(f.key) for f in findings if f.kind == "refund_missing_in_m3"})
    if refunded:  # the shop's slips M3 lacks: the refund lane enters those it has extracted
        report.adopted = sorted(set(report.adopted) | set(_adopt(store, mapping, refunded)))
        report.refunds_sent = send_refunds(
            m3=m3, store=store, mapping=mapping, order_ids=refunded, since_bound=False
        ).sent
    report.left_to_people = sum(
        1
        for f in findings
        if f.kind
        in ("line_mismatch", "amount_mismatch", "missing_in_shop", "invoice_mismatch", "price_mismatch")
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
