"""A long history in both systems at once: shop orders over the last N days and the M3 customer
orders the integration would have made of them, each at the stage its age implies.

``seed_history(shop, m3, days=365, orders_per_day=300)`` writes straight into both backends (no
HTTP, no events, nothing scheduled on the tenant clock), as if the sync had sent every order as it
came and the status sync had brought every shop order up to date since. So a fresh history
reconciles with no finding under the mapping it was seeded with (the packaged default unless one
is given): per shop order one M3 order with ``CUOR`` = ``PS<id>``, ``ORDT`` = the order's day in the
shop's time zone, the ERP currency, one line per order row (the item the mapping resolves, the row's
quantity, its ``unit_price_tax_excl`` converted as the mapper converts it), and a shop state that is
exactly what the status map sets for the M3 stage. Stages by age, in shop days: today confirmed
(lines 22), yesterday allocated (33) or picking (44), two days ago delivered (66), then invoiced
(77), and paid from a week on. Shop stock is set to M3's availability (the mapping's warehouses
and quantity field), allocations of the open orders included.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from prestashop_infor.sandbox.infor.models import (
    CustomerOrder,
    Delivery,
    Invoice,
    M3Tenant,
    OrderLine,
    Shipment,
)
from prestashop_infor.sandbox.infor.models.values import money
from prestashop_infor.sandbox.prestashop import Shop
from prestashop_infor.sandbox.prestashop.models import build_order
from prestashop_infor.sync.customers import customer_number, normalize_email
from prestashop_infor.sync.mapping import MILESTONES, Mapping, customer_order_number, load_mapping

CARD_PAYMENT = ("ps_checkout", "Card via PrestaShop Checkout", 2)  # module, label, first state
CURRENCY_OF_COUNTRY = {"US": "USD", "GB": "GBP"}
HOUR = 3600.0
DAY = 86400.0

# M3 phase of an order by its age in shop days (older than the table: paid)
PHASE_BY_AGE = {0: "allocating", 1: "allocated|picking", 2: "delivered", 3: "invoiced", 4: "invoiced",
                5: "invoiced", 6: "invoiced"}  # fmt: skip
MILESTONE_OF_PHASE = {"allocating": "confirmed", "allocated": "allocated", "picking": "picking",
                      "delivered": "shipped", "invoiced": "invoiced", "paid": "paid"}  # fmt: skip
PROGRESS = ("allocating", "allocated", "picking", "delivered", "invoiced", "paid")


def seed_history(
    shop: Shop,
    m3: M3Tenant,
    *,
    days: int,
    orders_per_day: int,
    seed: int = 42,
    mapping: Mapping | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[int]:
    """Seed ``days`` days up to the shop clock's now with about ``orders_per_day`` orders a day (today
    in proportion to the hours gone); returns the shop order ids, oldest first. ``progress(done,
    days)`` is called after each day."""
    mapping = mapping or load_mapping()
    rnd = random.Random(seed * 7919 + 17)
    # Millions of new objects, none in a cycle: the collector's passes over them would cost a third
    # of the time for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with shop.lock, m3.lock():
            history = _History(shop, m3, mapping, rnd)
            placed = history.orders(days, orders_per_day, progress)
            history.align_stock()
            shop.tables["orders"].touch()
    finally:
        if collecting:
            gc.enable()
    return placed


class _History:
    def __init__(self, shop: Shop, m3: M3Tenant, mapping: Mapping, rnd: random.Random):
        self.shop, self.m3, self.mapping, self.rnd = shop, m3, mapping, rnd
        self.zone = shop.clock.zone
        self.now = shop.clock.now()
        self.today = self.now.date()
        states = mapping.status.resolve(shop.records("order_states"))
        self.targets = states.targets
        self.customers = sorted(shop.customer_addresses)
        self.sellable = sellable_rows(shop)
        self.items: dict[tuple[int, int], str] = {}  # (product, combination) -> ITNO
        self.quantities = {n: Decimal(n) for n in range(0, 10)}
        self.prices: dict[tuple[str, str, str], Decimal] = {}  # shared Decimal per (price, currency, rate)
        self.line_fields = [{"CUPO": str(n)} for n in range(1, 10)]  # what AddBatchLine kept, shared
        self.cunos: dict[int, str] = {}  # shop customer -> M3 customer
        self.currencies: dict[int, str] = {}  # shop currency id -> ISO code
        self.detail_pos = {name: f.pos for name, f in shop.definitions["order_details"].by_name.items()}
        self.shared: dict[Any, Any] = {}  # one object per repeated value (amounts, dates): memory

    def same(self, value: Any) -> Any:
        return self.shared.setdefault(value, value)

    # -- orders --------------------------------------------------------------------------------

    def orders(
        self, days: int, per_day: int, progress: Callable[[int, int], None] | None = None
    ) -> list[int]:
        placed = []
        now_ts = self.now.timestamp()
        for age in range(days - 1, -1, -1):
            day = self.today - timedelta(days=age)
            start = datetime.combine(day, time(0), self.zone).timestamp()
            end = min(datetime.combine(day + timedelta(days=1), time(0), self.zone).timestamp(), now_ts - 60)
            if end <= start:
                continue
            count = round(per_day * self.rnd.uniform(0.85, 1.15) * (end - start) / DAY)
            for placed_ts in sorted(self.rnd.uniform(start, end) for _ in range(count)):
                placed.append(self.order(age, placed_ts, now_ts))
            if progress is not None:
                progress(days - age, days)
        return placed

    def order(self, age: int, placed_ts: float, now_ts: float) -> int:
        rnd = self.rnd
        phase = PHASE_BY_AGE.get(age, "paid")
        if "|" in phase:
            phase = rnd.choice(phase.split("|"))
        customer_id = rnd.choice(self.customers)
        iso = self.shop.customer_addresses[customer_id][0][1]
        currency_iso = CURRENCY_OF_COUNTRY.get(iso, "EUR") if rnd.random() < 0.9 else "EUR"
        rows = rnd.sample(self.sellable, rnd.randint(1, 4))
        lines = [(p, c, rnd.choices((1, 2, 3), (75, 18, 7))[0]) for p, c in rows]

        # When each step happened; every one before now, so nothing is dated in the future.
        def after(ts: float, low: float, high: float) -> float:
            return min(ts + rnd.uniform(low, high), now_ts - 1)

        confirmed = after(placed_ts, 60, 600)  # the sync's latency
        shipped = after(placed_ts, 18 * HOUR, 40 * HOUR)
        invoiced = after(shipped, 1 * HOUR, 20 * HOUR)
        paid = after(invoiced, 1 * DAY, 4 * DAY)
        path = [(CARD_PAYMENT[2], placed_ts)]
        for milestone, when in self.shop_steps(phase, confirmed, shipped):
            state = self.targets.get(milestone)
            if state is not None and state != path[-1][0]:
                path.append((state, when))
        order_id = build_order(
            self.shop,
            customer_id,
            lines,
            self.shop.currency_id(currency_iso),
            datetime.fromtimestamp(placed_ts, self.zone),
            path,
            rnd,
            CARD_PAYMENT,
        )
        m3_order = self.m3_order(order_id, customer_id, phase, confirmed, shipped, invoiced, paid)
        if m3_order.dlix and self.m3.deliveries[m3_order.dlix].etrn:
            self.set_tracking(order_id, self.m3.deliveries[m3_order.dlix].etrn)
        return order_id

    def shop_steps(self, phase: str, confirmed: float, shipped: float) -> list[tuple[str, float]]:
        """The milestones the status sync has shown in the shop, with when: the state of the
        furthest one reached (paid apart: the shipped states are flagged paid already)."""
        reached = MILESTONES[: MILESTONES.index(MILESTONE_OF_PHASE[phase]) + 1]
        steps = []
        for milestone in reached:
            if milestone == "paid":
                continue
            when = confirmed if MILESTONES.index(milestone) < MILESTONES.index("shipped") else shipped
            if milestone in self.targets:
                steps.append((milestone, when))
        return steps

    def set_tracking(self, order_id: int, tracking: str) -> None:
        """The shop shows M3's tracking number, as the status sync writes it."""
        shop = self.shop
        order = shop.tables["orders"].rows[order_id]
        shop._set("orders", order, "shipping_number", tracking)
        carrier = shop.tables["order_carriers"].rows[shop.tables["order_carriers"].next_id - 1]
        shop._set("order_carriers", carrier, "tracking_number", tracking)

    # -- the M3 side ---------------------------------------------------------------------------

    def m3_order(
        self,
        order_id: int,
        customer_id: int,
        phase: str,
        confirmed: float,
        shipped: float,
        invoiced: float,
        paid: float,
    ) -> CustomerOrder:
        """The customer order M3 made of one shop order, taken as far as ``phase``."""
        m3, shop = self.m3, self.shop
        order = shop.tables["orders"].rows[order_id]
        field = lambda name: shop._field("orders", order, name)  # noqa: E731
        currency_iso, rate = self.currency_iso(int(field("id_currency"))), field("conversion_rate")
        day = date.fromisoformat(field("date_add")[:10])  # the shop's day: ORDT, as the mapper sends it
        cuor = customer_order_number(order_id, self.mapping.orders.customer_order_prefix)
        cuno = self.customer(customer_id)
        whlo = m3.default_warehouse
        lines = []
        details = shop.tables["order_details"].rows
        d = self.detail_pos
        for ponr, detail_id in enumerate(shop._details_by_order[order_id], start=1):
            detail = details[detail_id]
            itno = self.item(int(detail[d["product_id"]]), int(detail[d["product_attribute_id"]]))
            quantity = self.quantities[int(detail[d["product_quantity"]])]
            price = self.price(detail[d["unit_price_tax_excl"]], currency_iso, rate)
            line = OrderLine(
                ponr=ponr, itno=itno, itds=m3.items[itno].itds[:30], orqt=quantity, sapr=price,
                discount_pct=self.quantities[0],
                whlo=whlo, cuor=cuor, fields=self.line_fields[ponr - 1],
            )  # fmt: skip
            lines.append(line)
        head = {"CUNO": cuno, "CUOR": cuor, "YREF": field("reference")[:30],
                "CUCD": self.mapping.erp.currency, "ORDT": self.same(day.strftime("%Y%m%d"))}  # fmt: skip
        m3_order = CustomerOrder(
            orno=str(m3._next("order")), batch_orno="", cuno=cuno, head=head, whlo=whlo,
            faci=m3.default_facility, cucd=self.mapping.erp.currency, ordt=day, rldt=None, lines=lines,
            lmts=m3.next_lmts(),
        )  # fmt: skip
        m3.add_order(m3_order)
        self.progress(m3_order, phase, confirmed, shipped, invoiced, paid)
        return m3_order

    def progress(
        self, order: CustomerOrder, phase: str, confirmed: float, shipped: float, invoiced: float, paid: float
    ) -> None:
        """The lifecycle's steps (lifecycle.py) up to ``phase``, dated in the past: the tenant
        clock only moves forward, so the records are written here with the dates they would have."""
        m3 = self.m3
        step = PROGRESS.index(phase)
        order.phase = phase
        if step == 0:
            return
        for line in order.lines:
            line.alqt = line.orqt
            if step <= 2:  # still allocated in the warehouse
                balance = m3.balances[(line.whlo, line.itno)]
                balance.allocated += line.orqt
                if step == 2:
                    balance.picking += line.orqt
        if step == 1:
            return
        dlix = str(m3._next("delivery"))
        delivery = Delivery(dlix, order.orno, order.whlo, order.cuor, "", created=self._date(confirmed),
                            lmts=m3.next_lmts())  # fmt: skip
        m3.deliveries[dlix] = delivery
        order.dlix = dlix
        for line in order.lines:
            line.plqt = line.orqt
            line.dlix = dlix
        if step == 2:
            return
        ship_day = self._date(shipped)
        conn = str(m3._next("shipment"))
        fwno = "DHL" if int(conn) % 2 else "UPS"
        ship_time = datetime.fromtimestamp(shipped, self.zone).strftime("%H%M")
        m3.shipments[conn] = Shipment(conn, order.whlo, fwno, ship_day, ship_time, [dlix], rgdt=ship_day,
                                      lmts=m3.next_lmts())  # fmt: skip
        delivery.conn, delivery.fwno, delivery.etrn = conn, fwno, f"{fwno}{order.orno}{dlix[-4:]}"
        delivery.dsdt, delivery.dshm, delivery.pgrs = ship_day, ship_time, "60"
        for line in order.lines:
            line.dlqt = line.orqt
        if step == 3:
            return
        invoice_day = self._date(invoiced)
        divi = m3.division_of(order.faci)
        ivno = m3.next_invoice_number(divi)
        net = self.same(money(order.net_amount))
        invoice = Invoice(
            ivno=ivno, yea4=str(invoice_day.year), orno=order.orno, cuno=order.cuno, dlix=dlix, conn=conn,
            ivdt=invoice_day, dudt=invoice_day + timedelta(days=m3.lifecycle.payment_days), net=net,
            vat=self.same(money(net * m3.lifecycle.vat_rate)), cucd=order.cucd, cino=ivno, jrno=str(m3._next("journal")),
            jsno="1", divi=divi,
        )  # fmt: skip
        m3.invoices[(invoice.yea4, ivno)] = invoice
        delivery.pgrs, delivery.ivno, delivery.ivdt = "70", ivno, invoice_day
        for line in order.lines:
            line.ivqt = line.orqt
        order.invoice = (invoice.yea4, ivno)
        if step == 5:
            invoice.paid, invoice.paid_on, invoice.reco = self.same(invoice.gross), self._date(paid), "9"

    def currency_iso(self, currency_id: int) -> str:
        if currency_id not in self.currencies:
            currency = self.shop.record("currencies", currency_id)
            assert currency is not None
            self.currencies[currency_id] = currency["iso_code"]
        return self.currencies[currency_id]

    def _date(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.zone).date()

    def item(self, product_id: int, combination_id: int) -> str:
        """The item the mapping resolves for a row, as the mapper does (memoised: 300 rows of stock)."""
        key = (product_id, combination_id)
        if key not in self.items:
            product = self.shop.record("products", product_id) or {}
            combination = self.shop.record("combinations", combination_id) if combination_id else None
            self.items[key] = self.mapping.items.resolve(
                product_id,
                combination_id,
                str(product.get("reference") or ""),
                str((combination or {}).get("reference") or "") if combination_id else None,
            )
        return self.items[key]

    def price(self, unit_price: str, currency: str, rate: str) -> Decimal:
        """``SAPR`` as the mapper sends it: the row's price in the ERP currency, rounded."""
        key = (unit_price, currency, rate)
        if key not in self.prices:
            self.prices[key] = self.mapping.currency.to_erp(
                Decimal(unit_price), currency, self.mapping.erp.currency, Decimal(rate)
            )
        return self.prices[key]

    def customer(self, customer_id: int) -> str:
        """The M3 customer of a shop customer, created on its first order with the number the sync
        derives from the e-mail."""
        cuno = self.cunos.get(customer_id)
        if cuno is not None:
            return cuno
        record = self.shop.record("customers", customer_id)
        assert record is not None
        cuno = customer_number(normalize_email(record["email"]), self.mapping.erp.customer_number_prefix)
        if cuno not in self.m3.customers:
            address_id, iso = self.shop.customer_addresses[customer_id][0]
            address = self.shop.record("addresses", address_id) or {}
            self.m3.add_customer(
                cuno,
                f"{record['firstname']} {record['lastname']}"[:36],
                cua1=str(address.get("address1", ""))[:36],
                pono=str(address.get("postcode", "")),
                town=str(address.get("city", ""))[:20],
                cscd=iso,
                mail=str(record["email"]),
                cucd=self.mapping.erp.currency,
            )
        self.cunos[customer_id] = cuno
        return cuno

    # -- stock ---------------------------------------------------------------------------------

    def align_stock(self) -> None:
        """Shop quantities = M3's availability per the mapping (``stock.warehouses`` summed in
        ``stock.quantity_field``, whole units, never below 0), in every shop; product rows of
        products with combinations are their total, as the stock sync leaves them."""
        shop, m3 = self.shop, self.m3
        field = {"AV01": "allocatable", "AV02": "on_hand", "STQT": "on_hand"}[
            self.mapping.stock.quantity_field
        ]
        for balance in m3.balances.values():  # the open orders' allocations fit in the stock on hand
            if balance.allocated > balance.on_hand:
                balance.on_hand = balance.allocated + self.rnd.randint(0, 20)
        table = shop.tables["stock_availables"]
        totals: dict[int, int] = {}
        with_combinations = {p for p, c in self.sellable if c}
        for product_id, combination_id in self.sellable:
            itno = self.item(product_id, combination_id)
            available = sum(
                (getattr(m3.balances[(whlo, itno)], field) for whlo in self.mapping.stock.warehouses
                 if (whlo, itno) in m3.balances),
                Decimal(0),
            )  # fmt: skip
            quantity = max(int(available.to_integral_value(ROUND_FLOOR)), 0)
            self._set_stock(table, product_id, combination_id, quantity)
            totals[product_id] = totals.get(product_id, 0) + quantity
        for product_id in with_combinations:
            self._set_stock(table, product_id, 0, totals[product_id])
        table.touch()

    def _set_stock(self, table, product_id: int, combination_id: int, quantity: int) -> None:
        """Every shop's row (a multistore's shops follow the mapping's one stock section here)."""
        for id_shop in self.shop.shop_ids():
            stock_id = self.shop.stock_id(product_id, combination_id, id_shop)
            if stock_id is not None:
                self.shop._set("stock_availables", table.rows[stock_id], "quantity", str(quantity))


def sellable_rows(shop: Shop) -> list[tuple[int, int]]:
    """(product, combination) of every row a customer can order: combinations, and products
    without any (as ``Shop.place_random_orders`` picks them)."""
    combinations = shop.records("combinations")
    with_combinations = {int(c["id_product"]) for c in combinations}
    rows = [(int(c["id_product"]), int(c["id"])) for c in combinations]
    rows += [(int(p["id"]), 0) for p in shop.records("products") if int(p["id"]) not in with_combinations]
    return sorted(rows)
