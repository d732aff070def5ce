"""A shop of a multistore in an M3 division of its own (issue 21 §4): the mapping's
``shops.<id>.division``. M3 derives an order's division from its facility and keeps invoices (a
number series per division), receivables and a customer's financial data per division; the lanes
that read or write those work in the order's division: the customers created, the credit gate, the
payments and the credit notes. Both emulators in process (the shop seeded with two shops; M3 with a
second division owning facility 300 and its warehouse), a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prestashop_infor.infor import M3Client, M3GatewayError, M3TransactionError
from prestashop_infor.store import id_map
from prestashop_infor.store.credit_notes import credit_notes_of
from prestashop_infor.sync.credit_notes import CURSOR, ENTITY, push_credit_slips, read_credit_notes
from prestashop_infor.sync.m3_order_states import _read_details, read_m3_orders
from prestashop_infor.sync.mapping import parse_mapping
from prestashop_infor.sync.orders import ShopLookups, sync_orders
from prestashop_infor_tests.two_systems import TwoSystems

SWISS = "BBB"  # shop 2's M3 division; the company's own is AAA
RULES = {
    "shops": {2: {"name": "Swiss shop", "division": SWISS, "order": {"warehouse": "300", "facility": "300"}}},
    "credit": {"customer_groups": [3]},  # the sandbox's registered customers pass the credit gate
}
BUSINESS = 3
LINES = [(1, 1, 2)]


class World(TwoSystems):
    def __init__(self, tmp_path: Path):
        super().__init__(tmp_path, RULES, shops=2)
        self.tenant.add_warehouse("300", "Geneva warehouse", "300", "CH", "Geneva")
        for itno in self.tenant.items:
            self.tenant.set_balance("300", itno, 50)
        self.tenant.add_division(SWISS, ["300"])

    def order_in(self, shop_id: int) -> tuple[int, str]:
        """An order placed in a shop and synced to M3, shipped and invoiced there: (order id, ORNO)."""
        customer = next(c for c in self.shop.records("customers") if int(c["id_shop"]) == shop_id)
        order_id = self.shop.place_order(int(customer["id"]), LINES)
        report = self.sync(order_id)
        assert report.created == [order_id], report.errors
        orno = id_map.binding(self.store, "sales_order", order_id).target_key
        for action in ("ship", "invoice"):
            assert self.m3_http.post(f"/_sandbox/orders/{orno}/{action}", json={}).is_success
        return order_id, orno

    def sync(self, order_id: int):
        return sync_orders([self.ps.get("orders", order_id)], shop_lookups=ShopLookups(self.ps), m3=self.m3,
                           store=self.store, mapping=self.mapping)  # fmt: skip

    def credit(self, orno: str) -> None:
        """A return of the order's first line, received and credited by M3."""
        whlo = self.tenant.orders[orno].whlo
        repn = self.m3.execute_one("OIS390MI", "AddHead", WHLO=whlo, RORN=orno, RSCD="RET")["REPN"]
        self.m3.execute("OIS390MI", "AddLine", WHLO=whlo, REPN=repn, RORL="1", REQ0="1")
        assert self.m3_http.post(f"/_sandbox/returns/{repn}/receive").is_success

    def read_notes(self):
        return read_credit_notes(self.m3, self.store, today=self.tenant.clock.now().date(),
                                 divisions=self.mapping.divisions())  # fmt: skip


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path)
    yield w
    w.close()


def test_the_mapping_gives_a_shop_its_division_and_lists_each_once():
    mapping = parse_mapping(
        {"erp": {"division": "AAA"}, "shops": {2: {"division": SWISS}, 3: {"division": "AAA"}}}
    )
    assert (mapping.for_shop(2).erp.division, mapping.for_shop(3).erp.division) == (SWISS, "AAA")
    assert mapping.for_shop(1).erp.division == "AAA"  # a shop not listed: the mapping's
    assert mapping.divisions() == ["AAA", SWISS]
    assert parse_mapping({"shops": {2: {"division": SWISS}}}).divisions() == [None, SWISS]


def test_the_emulators_division_owns_its_facilitys_warehouse_and_is_the_only_one_added_so(world: World):
    warehouse = world.m3.execute_one("MMS005MI", "GetWarehouse", WHLO="300")
    assert (warehouse["FACI"], warehouse["DIVI"]) == ("300", SWISS)
    with pytest.raises(ValueError, match="division BBB exists already"):
        world.tenant.add_division(SWISS, ["400"])
    with pytest.raises(M3TransactionError, match="Not authorized for division ZZZ"):
        world.m3.in_division("ZZZ").execute("ARS200MI", "LstInvoices", CUNO="X")


def test_each_shops_orders_invoices_and_credit_notes_are_in_its_division(world: World):
    home_order, home_orno = world.order_in(1)
    swiss_order, swiss_orno = world.order_in(2)
    heads = {orno: world.m3.execute_one("OIS100MI", "GetHead", ORNO=orno) for orno in (home_orno, swiss_orno)}
    assert (heads[home_orno]["DIVI"], heads[swiss_orno]["DIVI"]) == ("AAA", SWISS)

    world.credit(home_orno)
    world.credit(swiss_orno)
    read = world.read_notes()
    by_order = {note.orno: note for note in read.credit_notes}
    assert set(by_order) == {home_orno, swiss_orno}
    assert (by_order[home_orno].division, by_order[swiss_orno].division) == ("", SWISS)
    assert by_order[home_orno].key == f"{by_order[home_orno].year}:{by_order[home_orno].ivno}"  # as before
    assert by_order[swiss_orno].key.startswith(f"{SWISS}:")
    cursor = json.loads(world.store.get_cursor(CURSOR))
    year = by_order[swiss_orno].year
    assert cursor[year] == int(by_order[home_orno].ivno) and cursor[f"{SWISS}:{year}"] == int(
        by_order[swiss_orno].ivno
    )

    report = push_credit_slips(
        prestashop=world.ps, store=world.store, mapping=world.mapping, order_states=world.states
    )
    assert sorted(report.slips) == sorted(note.key for note in by_order.values()) and not report.dead_lettered
    for order_id in (home_order, swiss_order):
        assert len(world.ps.list("order_slip", filters={"id_order": f"[{order_id}]"})) == 1
    # nothing new in either division: nothing read again, nothing written twice
    assert world.read_notes().invoices_read == 0
    again = push_credit_slips(
        prestashop=world.ps, store=world.store, mapping=world.mapping, order_states=world.states
    )
    assert again.slips == [] and len(id_map.bindings(world.store, ENTITY)) == 2

    # a second credit in the Swiss division only: its cursor moves, the home division's stays
    world.credit(swiss_orno)
    read = world.read_notes()
    assert [(n.orno, n.division) for n in read.credit_notes] == [(swiss_orno, SWISS)]
    assert json.loads(world.store.get_cursor(CURSOR))[year] == cursor[year]


def test_a_swiss_orders_payment_is_read_in_its_division(world: World):
    _, swiss_orno = world.order_in(2)
    assert world.m3_http.post(f"/_sandbox/orders/{swiss_orno}/pay", json={}).is_success
    # M3 keeps receivables per division: the company's own division does not list it
    cuno = world.tenant.orders[swiss_orno].cuno
    assert world.m3.execute("ARS200MI", "LstInvoices", CUNO=cuno) == []
    assert len(world.m3.in_division(SWISS).execute("ARS200MI", "LstInvoices", CUNO=cuno)) == 1
    state = read_m3_orders(world.m3, [swiss_orno], mapping=world.mapping)[swiss_orno]
    _read_details(world.m3, [state])
    assert state.error is None and state.paid


def test_the_credit_gate_asks_for_the_customers_credit_in_the_orders_division(world: World):
    customer = next(int(c["id"]) for c in world.shop.records("customers")
                    if int(c["id_shop"]) == 2 and int(c["id_default_group"]) == BUSINESS)  # fmt: skip
    asked: list[tuple[str, str]] = []
    original = world.tenant.execute

    def recording(program, transaction, fields, **options):
        if (program, transaction) in {
            ("CRS610MI", "Add"),
            ("CRS610MI", "GetFinancial"),
            ("OIS100MI", "CheckCredit"),
        }:
            asked.append((transaction, fields.get("DIVI") or options.get("divi") or ""))
        return original(program, transaction, fields, **options)

    world.tenant.execute = recording
    first = world.shop.place_order(customer, LINES)
    assert world.sync(first).created == [first]
    cuno = world.tenant.orders[id_map.binding(world.store, "sales_order", first).target_key].cuno
    assert world.m3_http.post(f"/_sandbox/customers/{cuno}/credit", json={"limit": "100000"}).is_success
    second = world.shop.place_order(customer, LINES)
    assert world.sync(second).created == [second]
    # the customer M3 creates for the Swiss shop is given its division, and its credit is asked there
    assert asked == [("Add", SWISS), ("GetFinancial", SWISS), ("GetFinancial", SWISS), ("CheckCredit", SWISS)]


def test_m3_failing_in_the_second_division_stores_nothing_and_the_next_run_reads_both(
    world: World, monkeypatch
):
    """The notes and the cursors are stored once every division was read: M3 down while the Swiss
    division is read leaves both divisions' notes for the next run, none lost, none twice."""
    _, home_orno = world.order_in(1)
    _, swiss_orno = world.order_in(2)
    world.credit(home_orno)
    world.credit(swiss_orno)
    real = M3Client.execute

    def down_in_the_swiss_division(self, program, transaction, **fields):
        if self.division == SWISS and transaction == "LstInvHead":
            raise M3GatewayError(program, transaction, 503, "M3 is down", may_have_committed=False)
        return real(self, program, transaction, **fields)

    monkeypatch.setattr(M3Client, "execute", down_in_the_swiss_division)
    with pytest.raises(M3GatewayError):
        world.read_notes()
    assert (
        world.store.get_cursor(CURSOR) is None and credit_notes_of(world.store, [home_orno])[home_orno] == []
    )
    monkeypatch.setattr(M3Client, "execute", real)
    read = world.read_notes()
    assert sorted((n.orno, n.division) for n in read.credit_notes) == sorted(
        [(home_orno, ""), (swiss_orno, SWISS)]
    )
    assert world.read_notes().credit_notes == []
