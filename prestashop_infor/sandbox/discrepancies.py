"""Known discrepancies planted between the sandbox shop and its M3 tenant, for the reconciliation to
find (issue 10 §5).

``plant_discrepancies(shop, m3, Discrepancies(seed=1, dropped=2, ...))`` picks orders that have
an M3 counterpart (``CUOR`` = ``PS<id>``) at random, reproducibly from ``seed``, each kind on
different orders, and breaks exactly one thing on each:

- ``dropped``: the M3 order is deleted, the shop keeps its order (missing in M3);
- ``orphaned``: the shop order is deleted with its rows, M3 keeps its order (missing in the shop);
- ``status_drift``: the shop order's state is changed by hand so the status map disagrees with M3:
  back to the confirmed state when M3 shipped it, else the cancelled state;
- ``amount``: one M3 line's price goes up by 10 % (quantity unchanged): an amount mismatch only;
- ``line``: one M3 line gets another item at the same price: a line mismatch, amount and status
  unchanged;
- ``unpaid``: an invoiced order's M3 invoice is paid (if it was not) and the shop loses its payments
  (payment missing in the shop);
- ``credited``: M3 takes one unit of an invoiced order's first line back and credits it (a return
  received, a credit note), the shop gets no credit slip (refund missing in the shop);
- ``refunded``: the shop refunds one unit of an invoiced, paid order of two units or more (a credit
  slip; the order stays in its state), M3 credits nothing (refund missing in M3);
- ``stock``: a shop stock row (and its product total, as PrestaShop keeps it) moves off M3's
  availability for its item.

Nothing else moves: M3 balances stay as they are (a dropped order keeps its allocation), so each
planted change is the only finding it causes. The answer says what was planted. The same is served
as ``POST /_sandbox/discrepancies`` on the shop emulator (``discrepancies_route``).
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prestashop_infor.sandbox.history import sellable_rows
from prestashop_infor.sandbox.infor.models import CustomerOrder, M3Tenant
from prestashop_infor.sandbox.prestashop import Shop
from prestashop_infor.sync.mapping import Mapping, customer_order_number, load_mapping

ORDER_KINDS = ("dropped", "orphaned", "status_drift", "amount", "line", "unpaid", "credited", "refunded")
MAX_PER_KIND = 1000


@dataclass(frozen=True)
class Discrepancies:
    """How many of each discrepancy to plant, on orders of ``days`` (shop dates) or of any day."""

    seed: int = 0
    dropped: int = 0
    orphaned: int = 0
    status_drift: int = 0
    amount: int = 0
    line: int = 0
    unpaid: int = 0
    credited: int = 0
    refunded: int = 0
    stock: int = 0
    days: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        for name in (*ORDER_KINDS, "stock"):
            count = getattr(self, name)
            if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_PER_KIND:
                raise ValueError(f"{name}: a count from 0 to {MAX_PER_KIND}, got {count!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed: a whole number, got {self.seed!r}")

    @classmethod
    def from_json(cls, payload: Any) -> Discrepancies:
        """The request body of ``POST /_sandbox/discrepancies``; ValueError names the bad field."""
        if not isinstance(payload, dict):
            raise ValueError('the body must be a JSON object such as {"seed": 1, "dropped": 2}')
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(payload) - known)
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown field; use {sorted(known)}")
        days = payload.get("days") or []
        if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
            raise ValueError('days: a list of dates "YYYY-MM-DD"')
        try:
            parsed = tuple(date.fromisoformat(d) for d in days)
        except ValueError:
            raise ValueError(f'days: dates are "YYYY-MM-DD", got {days!r}') from None
        return cls(**{k: v for k, v in payload.items() if k != "days"}, days=parsed)


def plant_discrepancies(
    shop: Shop, m3: M3Tenant, wanted: Discrepancies, *, mapping: Mapping | None = None
) -> dict[str, list[Any]]:
    """Plant ``wanted`` and say what was planted: shop order ids per kind, and the stock rows as
    ``{"product_id", "combination_id", "itno"}``. ValueError (nothing planted) when there are not
    enough orders with an M3 counterpart on the chosen days."""
    mapping = mapping or load_mapping()
    rnd = random.Random(wanted.seed)
    with shop.lock, m3.lock():
        pairs = _pairs(shop, m3, mapping, set(wanted.days))
        where = f"on {', '.join(map(str, wanted.days))}" if wanted.days else "in the sandbox"
        needed = sum(getattr(wanted, kind) for kind in ORDER_KINDS)
        if needed > len(pairs):
            raise ValueError(f"{needed} orders asked for, {len(pairs)} have an M3 counterpart {where}")
        chosen = rnd.sample(pairs, len(pairs))  # a reproducible order to take each kind's orders from
        planted: dict[str, list[Any]] = {}
        for kind in ORDER_KINDS:
            count = getattr(wanted, kind)
            fits = _ELIGIBLE.get(kind, lambda *_: True)
            batch = (
                list(itertools.islice((pair for pair in chosen if fits(shop, m3, *pair)), count))
                if count
                else []
            )
            if len(batch) < count:
                raise ValueError(f"{kind}: {count} orders asked for, {len(batch)} fit {where}")
            chosen = [pair for pair in chosen if pair not in batch]
            plant = _PLANTERS[kind]
            for order_id, m3_order in batch:
                plant(shop, m3, mapping, rnd, order_id, m3_order)
            planted[kind] = sorted(order_id for order_id, _ in batch)
        planted["stock"] = _plant_stock(shop, m3, mapping, rnd, wanted.stock)
        return planted


def _pairs(shop: Shop, m3: M3Tenant, mapping: Mapping, days: set[date]) -> list[tuple[int, CustomerOrder]]:
    """(shop order id, its M3 order) for every shop order M3 holds once, in id order."""
    prefix = mapping.orders.customer_order_prefix
    date_pos = shop.definitions["orders"].by_name["date_add"].pos
    pairs = []
    for order_id, row in sorted(shop.tables["orders"].rows.items()):
        if days and date.fromisoformat(row[date_pos][:10]) not in days:
            continue
        found = m3.orders_of_cuor(customer_order_number(order_id, prefix))
        if len(found) == 1:
            pairs.append((order_id, found[0]))
    return pairs


def _drop(
    shop: Shop, m3: M3Tenant, mapping: Mapping, rnd: random.Random, order_id: int, order: CustomerOrder
) -> None:
    del m3.orders[order.orno]  # the indexes skip it from now on
    for line in order.lines:
        delivery = m3.deliveries.pop(line.dlix, None)
        if delivery is not None:
            m3.shipments.pop(delivery.conn, None)
    if order.invoice is not None:
        m3.invoices.pop(order.invoice, None)


def _orphan(
    shop: Shop, m3: M3Tenant, mapping: Mapping, rnd: random.Random, order_id: int, order: CustomerOrder
) -> None:
    reference = shop._field("orders", shop.tables["orders"].rows[order_id], "reference")
    for detail_id in list(shop._details_by_order.get(order_id, ())):
        shop.remove("order_details", detail_id)
    for resource, name, value in (
        ("order_histories", "id_order", str(order_id)),
        ("order_carriers", "id_order", str(order_id)),
        ("order_payments", "order_reference", reference),
    ):
        pos = shop.definitions[resource].by_name[name].pos
        for record_id in [i for i, row in shop.tables[resource].rows.items() if row[pos] == value]:
            shop.remove(resource, record_id)
    shop.remove("orders", order_id)


def _drift(
    shop: Shop, m3: M3Tenant, mapping: Mapping, rnd: random.Random, order_id: int, order: CustomerOrder
) -> None:
    targets = mapping.status.resolve(shop.records("order_states")).targets
    shipped = order.phase in ("delivered", "invoiced", "paid")
    state = targets.get("confirmed") if shipped else targets.get("cancelled")
    if state is None:
        raise ValueError("status_drift: the status map sets no confirmed or cancelled state to drift to")
    shop.change_order_state(order_id, state)  # by hand in the back office: a history row, hooks


def _amount(
    shop: Shop, m3: M3Tenant, mapping: Mapping, rnd: random.Random, order_id: int, order: CustomerOrder
) -> None:
    line = rnd.choice(order.lines)
    line.sapr = (line.sapr * Decimal("1.10")).quantize(Decimal("0.01")) + Decimal("0.01")
    m3._touch(order)


def _line(
    shop: Shop, m3: M3Tenant, mapping: Mapping, rnd: random.Random, order_id: int, order: CustomerOrder
) -> None:
    line = rnd.choice(order.lines)
    others = sorted(itno for itno in m3.items if itno != line.itno)
    line.itno = rnd.choice(others)
    line.itds = m3.items[line.itno].itds[:30]
    m3._touch(order)


def _invoiced(shop: Shop, m3: M3Tenant, order_id: int, order: CustomerOrder) -> bool:
    return order.invoice is not None and not m3.credit_notes.get(order.orno)


def _refundable(shop: Shop, m3: M3Tenant, order_id: int, order: CustomerOrder) -> bool:
    row = shop.tables["orders"].rows[order_id]
    return (
        _invoiced(shop, m3, order_id, order)
        and shop._field("orders", row, "total_paid_real") != "0.000000"
        and sum(line.orqt for line in order.lines) >= 2
        and not any(int(s["id_order"]) == order_id for s in shop.records("order_slip"))
    )


def _unpaid(
    shop: Shop, m3: M3Tenant, mapping: Mapping, rnd: random.Random, order_id: int, order: CustomerOrder
) -> None:
    invoice = m3.invoices[order.invoice]
    if invoice.reco != "9":
        m3.pay_invoice(invoice, invoice.gross - invoice.paid, m3.today())
    reference = shop._field("orders", shop.tables["orders"].rows[order_id], "reference")
    for payment in [p for p in shop.records("order_payments") if p["order_reference"] == reference]:
        shop.remove("order_payments", int(payment["id"]))


def _credited(
    shop: Shop, m3: M3Tenant, mapping: Mapping, rnd: random.Random, order_id: int, order: CustomerOrder
) -> None:
    line = order.lines[0]
    repn = m3.execute("OIS390MI", "AddHead", {"WHLO": line.whlo, "RORN": order.orno, "RSCD": "RET"})[0][
        "REPN"
    ]
    m3.execute("OIS390MI", "AddLine", {"WHLO": line.whlo, "REPN": repn, "RORL": str(line.ponr), "REQ0": "1"})
    m3.receive_return_now(repn)


def _refunded(
    shop: Shop, m3: M3Tenant, mapping: Mapping, rnd: random.Random, order_id: int, order: CustomerOrder
) -> None:
    detail = min(shop._details_by_order[order_id])
    shop.refund(order_id, [(detail, 1)])


_ELIGIBLE = {"unpaid": _invoiced, "credited": _invoiced, "refunded": _refundable}
_PLANTERS = {
    "dropped": _drop, "orphaned": _orphan, "status_drift": _drift, "amount": _amount, "line": _line,
    "unpaid": _unpaid, "credited": _credited, "refunded": _refunded,
}  # fmt: skip


def _plant_stock(
    shop: Shop, m3: M3Tenant, mapping: Mapping, rnd: random.Random, count: int
) -> list[dict[str, Any]]:
    """Move ``count`` stock rows that M3 stocks (combinations, products without any) off their
    quantity; the product total follows, as PrestaShop keeps it."""
    rows = sellable_rows(shop)
    if count > len(rows):
        raise ValueError(f"stock: {count} rows asked for, the shop stocks {len(rows)}")
    planted = []
    for product_id, combination_id in sorted(rnd.sample(rows, count)):
        product = shop.record("products", product_id) or {}
        combination = shop.record("combinations", combination_id) if combination_id else None
        itno = mapping.items.resolve(
            product_id,
            combination_id,
            str(product.get("reference") or ""),
            str((combination or {}).get("reference") or "") if combination_id else None,
        )
        shop.decrement_stock(product_id, combination_id, -rnd.randint(3, 15))  # a miscount: more
        planted.append({"product_id": product_id, "combination_id": combination_id, "itno": itno})
    return planted


def discrepancies_route(shop: Shop, m3: M3Tenant) -> Route:
    """``POST /_sandbox/discrepancies``: plant, answer 201 with what was planted; 400 naming the field."""

    async def endpoint(request: Request) -> Response:
        try:
            wanted = Discrepancies.from_json(await request.json())
            planted = plant_discrepancies(shop, m3, wanted)
        except (ValueError, TypeError, json.JSONDecodeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(planted, status_code=201)

    return Route("/_sandbox/discrepancies", endpoint, methods=["POST"])
