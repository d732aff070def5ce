"""The emulator's living order lifecycle, stock and lookups, driven through the client and the
sandbox hooks (in-process HTTP)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client, M3TransactionError
from prestashop_infor.infor.models import BalanceChange, Delivery, Invoice, OrderHead, OrderLine, records_to
from prestashop_infor.sandbox.infor import LifecycleSettings, create_app, seed_tenant
from prestashop_infor.sync.mapping import load_mapping
from prestashop_infor_tests.in_process import in_process_client

VALID_LINE_STATUSES = {
    "05",
    "10",
    "22",
    "23",
    "24",
    "26",
    "27",
    "33",
    "34",
    "36",
    "37",
    "44",
    "46",
    "47",
    "66",
    "67",
    "77",
    "99",
}
ITEMS = [("SKU-1", "Mug", "10.00"), ("SKU-2", "Cup", "5.00"), ("SKU-3", "Plate", "20.00")]
STEPS = LifecycleSettings(
    confirm_delay=timedelta(seconds=30),
    pick_after=timedelta(minutes=2),
    ship_after=timedelta(minutes=5),
    invoice_after=timedelta(minutes=10),
    pay_after=timedelta(days=1),
)


def make(lifecycle: LifecycleSettings):
    tenant = seed_tenant(ITEMS, seed=5, lifecycle=lifecycle)
    for item, *_ in ITEMS:
        tenant.set_balance("100", item, 10)
    http = in_process_client(create_app(tenant))
    client = M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=http)
    return tenant, client, http


@pytest.fixture
def timed():
    tenant, client, http = make(STEPS)
    yield tenant, client, http
    http.close()


@pytest.fixture
def manual():
    tenant, client, http = make(LifecycleSettings.manual())
    yield tenant, client, http
    http.close()


def place(client: M3Client, cuor: str, lines, cuno: str = "WEB0000001") -> tuple[str, dict[str, str]]:
    orno = client.execute_one("OIS100MI", "AddBatchHead", CUNO=cuno, CUOR=cuor, YREF=f"ref {cuor}")["ORNO"]
    client.execute(
        "OIS100MI",
        "AddBatchAddress",
        ORNO=orno,
        ADRT="1",
        CUNM="Ada",
        CUA1="1 Street",
        TOWN="Paris",
        CSCD="FR",
    )
    results = client.bulk(
        [("OIS100MI", "AddBatchLine", {"ORNO": orno, "ITNO": i, "ORQT": q}) for i, q in lines]
    )
    assert all(r.ok for r in results), [r.error for r in results]
    return orno, client.execute_one("OIS100MI", "Confirm", ORNO=orno)


def head(client: M3Client, orno: str) -> OrderHead:
    return client.order_head(orno)


def milestone(client: M3Client, orno: str) -> str | None:
    """Where the order stands on the shop's ladder, by the mapping's one status rule."""
    return load_mapping().status.milestone_of_m3(client.execute_one("OIS100MI", "GetHead", ORNO=orno))


def test_lifecycle_from_confirm_to_payment_on_the_clock(timed):
    tenant, client, _ = timed
    temporary, confirm = place(client, "PS-100", [("SKU-1", 2), ("SKU-2", 3)])
    assert confirm["STAT"] == "10"  # the batch job has not run yet (confirm_delay)
    status = client.batch_order_status(temporary)
    assert not status.created and status.order_number == ""

    tenant.clock.advance(timedelta(seconds=30))
    status = client.batch_order_status(temporary)
    assert (
        status.created
        and client.execute_one("OIS100MI", "GetOrderNo", ORNO=temporary)["ORNR"] == status.order_number
    )
    orno = status.order_number
    h = head(client, orno)
    assert (h.status, h.lowest_status, h.highest_status) == ("20", "33", "33")
    assert milestone(client, orno) == "allocated"
    assert h.net_amount == Decimal("35") and h.customer_order_number == "PS-100"
    balance = client.item_balance("100", "SKU-2")
    assert (balance.on_hand, balance.allocated, balance.available) == (10, 3, 7)

    tenant.clock.advance(timedelta(minutes=2))
    h = head(client, orno)
    assert (h.lowest_status, h.highest_status, milestone(client, orno)) == ("44", "44", "picking")
    dlix = client.execute_one("OIS100MI", "LstDelLineByCO", ORNO=orno, PONR="1")["DLIX"]
    delivery = Delivery.from_record(client.execute_one("MWS410MI", "GetHead", DLIX=dlix))
    assert len(dlix) == 11 and delivery.status == "40" and delivery.tracking_number == ""

    tenant.clock.advance(timedelta(minutes=5))
    h = head(client, orno)
    assert (h.lowest_status, h.highest_status, milestone(client, orno)) == ("66", "66", "shipped")
    delivery = Delivery.from_record(client.execute_one("MWS410MI", "GetHead", DLIX=dlix))
    assert delivery.tracking_number and delivery.shipment and delivery.forwarder and delivery.status == "60"
    shipment = client.execute_one("DRS100MI", "GetShipment", CONN=delivery.shipment)
    assert shipment["CSTL"] == "60" and len(shipment["CONN"]) <= 7
    balance = client.item_balance("100", "SKU-2")
    assert (balance.on_hand, balance.allocated, balance.available) == (7, 0, 7)
    lines = records_to(OrderLine, client.execute("OIS100MI", "LstLine", ORNO=orno))
    assert [(ln.status, ln.delivered) for ln in lines] == [("66", 2), ("66", 3)]

    tenant.clock.advance(timedelta(minutes=10))
    h = head(client, orno)
    assert (h.lowest_status, h.highest_status, milestone(client, orno)) == ("77", "77", "invoiced")
    invoice = Invoice.from_record(client.execute_one("OIS350MI", "LstInvHeadByCo", ORNO=orno))
    assert (
        invoice.net_amount == Decimal("35")
        and invoice.gross_amount == Decimal("42")
        and invoice.remaining == 42
    )
    assert len(invoice.invoice_number) <= 9 and invoice.year == "2025"
    receivable = client.execute_one("ARS200MI", "LstInvoices", CUNO="WEB0000001")
    assert receivable["RECO"] == "0" and receivable["CINO"] == invoice.invoice_number
    assert client.execute_one("MWS410MI", "GetHead", DLIX=dlix)["PGRS"] == "70"

    tenant.clock.advance(timedelta(days=1))
    assert client.execute_one("ARS200MI", "LstInvoices", CUNO="WEB0000001")["RECO"] == "9"
    assert tenant.orders[orno].phase == "paid"


def test_header_statuses_stay_consistent_with_lines(timed):
    tenant, client, _ = timed
    ornos = []
    for n in range(4):
        temporary, _ = place(client, f"PS-2{n}", [("SKU-1", 1), ("SKU-3", 2)])
        ornos.append(temporary)
    for _ in range(12):
        tenant.clock.advance(timedelta(minutes=1, seconds=37))
        for order in tenant.orders.values():
            statuses = [ln.status for ln in order.lines]
            h = head(client, order.orno)
            assert set(statuses) <= VALID_LINE_STATUSES
            assert (h.lowest_status, h.highest_status) == (min(statuses), max(statuses))


def test_partial_allocation_then_stock_adjustment(manual):
    tenant, client, _ = manual
    tenant.set_balance("100", "SKU-1", 3)
    _, confirm = place(client, "PS-300", [("SKU-1", 5), ("SKU-2", 1)])
    orno = client.batch_order_status(confirm["ORNO"]).order_number
    lines = records_to(OrderLine, client.execute("OIS100MI", "LstLine", ORNO=orno))
    assert [(ln.status, ln.allocated) for ln in lines] == [("23", 3), ("33", 1)]
    h = head(client, orno)
    assert (h.lowest_status, h.highest_status) == ("23", "33")
    tenant.set_balance("100", "SKU-2", 1)  # nothing left for a second order
    _, second = place(client, "PS-301", [("SKU-2", 1)])
    assert (
        client.execute("OIS100MI", "LstLine", ORNO=client.batch_order_status(second["ORNO"]).order_number)[0][
            "ORST"
        ]
        == "22"
    )

    cursor = client.server_time().lmts
    client.execute(
        "MMS850MI", "AddAdjust", E0PA="WS", E065="WMS", WHLO="100", ITNO="SKU-1", QLQT="4", PMSN="REC-1"
    )
    assert head(client, orno).lowest_status == "33"
    changes = records_to(
        BalanceChange, client.execute("OIS100MI", "LstNewBalances", LMTS=str(cursor), maxrecs=0)
    )
    assert [(c.warehouse, c.item_number, c.available) for c in changes] == [("100", "SKU-1", Decimal(2))]
    # the same external message number again is refused, and GetMvxMsg finds the first
    with pytest.raises(M3TransactionError) as info:
        client.execute(
            "MMS850MI", "AddAdjust", E0PA="WS", E065="WMS", WHLO="100", ITNO="SKU-1", QLQT="4", PMSN="REC-1"
        )
    assert info.value.field == "PMSN"
    assert client.execute_one("MMS850MI", "GetMvxMsg", E0PB="WS", PMSN="REC-1")["MSGN"]
    assert client.item_balance("100", "SKU-1").on_hand == 7
    with pytest.raises(M3TransactionError, match="exceeds the unallocated"):
        client.execute("MMS850MI", "AddAdjust", E0PA="WS", E065="WMS", WHLO="100", ITNO="SKU-1", QLQT="-3")


def test_manual_lifecycle_through_mi_transactions_and_hooks(manual):
    tenant, client, http = manual
    _, confirm = place(client, "PS-400", [("SKU-3", 1)])
    orno = client.batch_order_status(confirm["ORNO"]).order_number
    tenant.clock.advance(timedelta(days=3))
    assert head(client, orno).highest_status == "33"  # nothing moves by itself
    tenant.release_for_picking(tenant.orders[orno])
    dlix = client.execute_one("OIS100MI", "LstDelLineByCO", ORNO=orno, PONR="1")["DLIX"]
    with pytest.raises(M3TransactionError) as info:
        client.execute("MWS420MI", "Confirm", DLIX=dlix, PLSX="2")
    assert info.value.field == "PLSX"
    client.execute("MHS850MI", "AddCfmPickList", WHLO="100", E0PA="WS", E065="WMS", DLIX=dlix, PLSX="1")
    assert head(client, orno).lowest_status == "66"
    invoiced = http.post(f"/_sandbox/orders/{orno}/invoice").json()
    assert head(client, orno).lowest_status == "77" and invoiced["IVNO"]
    paid = http.post(f"/_sandbox/orders/{orno}/pay").json()
    assert paid["RECO"] == "9"


def test_sandbox_ship_hook_with_tracking_number(manual):
    _, client, http = manual
    _, confirm = place(client, "PS-500", [("SKU-1", 1)])
    orno = client.batch_order_status(confirm["ORNO"]).order_number
    shipped = http.post(
        f"/_sandbox/orders/{orno}/ship", json={"tracking_number": "1Z999AA10123456784"}
    ).json()
    assert shipped["ETRN"] == "1Z999AA10123456784"
    assert client.execute_one("MWS410MI", "GetHead", DLIX=shipped["DLIX"])["ETRN"] == "1Z999AA10123456784"
    again = http.post(f"/_sandbox/orders/{orno}/ship")
    assert again.status_code == 409 and "already shipped" in again.json()["message"]


def test_sandbox_advance_stock_cancel_and_state(timed):
    tenant, client, http = timed
    _, confirm = place(client, "PS-600", [("SKU-1", 4)])
    assert http.post("/_sandbox/advance", json={"seconds": 30}).json()["orders"] == 1
    orno = client.batch_order_status(confirm["ORNO"]).order_number
    assert client.item_balance("100", "SKU-1").allocated == 4
    cancelled = http.post(f"/_sandbox/orders/{orno}/cancel").json()
    assert cancelled["STAT"] == "90"
    h = head(client, orno)
    assert (h.status, h.lowest_status, milestone(client, orno)) == ("90", "99", "cancelled")
    assert client.item_balance("100", "SKU-1").allocated == 0
    stock = http.post("/_sandbox/stock", json={"item": "SKU-1", "warehouse": "200", "quantity": 5}).json()
    assert stock["WHLO"] == "200" and Decimal(stock["AV01"]) >= 5
    assert http.post("/_sandbox/stock", json={"item": "NOPE", "quantity": 1}).status_code == 409
    assert http.post("/_sandbox/advance", json={"seconds": -1}).status_code == 400
    state = http.get("/_sandbox/state").json()
    assert state["orders_by_phase"] == {"cancelled": 1} and state["warehouses"] == ["100", "200"]


@pytest.mark.parametrize(
    ("case", "expected_stat", "expected_msid_field"),
    [
        ("unknown_customer", "15", "NOSUCHCUST"),
        ("unknown_item", "25", "GHOST"),
        ("credit_stop", "30", "WEB0000002"),
        ("no_lines", "20", None),
    ],  # fmt: skip
)
def test_batch_order_rejections_with_reasons(manual, case, expected_stat, expected_msid_field):
    tenant, client, _ = manual
    tenant.customers["WEB0000002"].credit_stop = True
    cuno = {"unknown_customer": "NOSUCHCUST", "credit_stop": "WEB0000002"}.get(case, "WEB0000001")
    orno = client.execute_one("OIS100MI", "AddBatchHead", CUNO=cuno, CUOR=f"PS-{case}")["ORNO"]
    if case != "no_lines":
        client.execute(
            "OIS100MI",
            "AddBatchLine",
            ORNO=orno,
            ITNO="GHOST" if case == "unknown_item" else "SKU-1",
            ORQT="1",
        )
    assert client.execute_one("OIS100MI", "Confirm", ORNO=orno)["STAT"] == expected_stat
    status = client.batch_order_status(orno)
    assert status.status == expected_stat and not status.created
    messages = client.execute("OIS100MI", "LstErrMsgOrder", ORNO=orno)
    assert messages and all(len(m["MSID"]) == 7 for m in messages)
    if expected_msid_field:
        assert messages[0]["MDTA"] == expected_msid_field
    assert client.execute_one("OIS275MI", "GetBatchHead", ORNO=orno)["STAT"] == expected_stat
    assert not tenant.orders


def test_confirmed_batch_order_cannot_be_changed(manual):
    _, client, _ = manual
    temporary, _ = place(client, "PS-700", [("SKU-1", 1)])
    with pytest.raises(M3TransactionError, match="already confirmed"):
        client.execute("OIS100MI", "AddBatchLine", ORNO=temporary, ITNO="SKU-2", ORQT="1")


def test_lookups_by_customer_order_number_are_positioned_not_filtered(manual):
    """LstCOStopByCUOR starts at the given CUOR and continues: a client must check the key."""
    _, client, _ = manual
    for cuor in ("PS-000010", "PS-000011", "PS-000012"):
        place(client, cuor, [("SKU-1", 1)])
    positioned = client.execute("OIS120MI", "LstCOStopByCUOR", CUOR="PS-000011", maxrecs=0)
    assert [r["CUOR"] for r in positioned] == ["PS-000011", "PS-000012"]
    exact = client.execute("OIS120MI", "LstCOStopByCUOR", CUOR="PS-000011", NFTR="1")
    assert [r["CUOR"] for r in exact] == ["PS-000011"]
    by_ref = client.execute("OIS175MI", "LstHeadByRef", CUNO="WEB0000001", YREF="ref PS-000012")
    assert [r["CUOR"] for r in by_ref] == ["PS-000012"]
    batches = client.execute("OIS100MI", "LstBatchHead", CUNO="WEB0000001")
    assert {r["CUOR"] for r in batches} == {"PS-000010", "PS-000011", "PS-000012"} and all(
        r["ORNR"] for r in batches
    )
    assert client.execute("OIS100MI", "LstHead", CUNO="WEB0000099") == []  # empty list succeeds


def test_list_positioned_by_item_and_default_maxrecs(manual):
    tenant, client, _ = manual
    for n in range(150):
        tenant.add_item(f"BULK-{n:03d}", f"Bulk {n}", "1")
    assert len(client.execute("MMS200MI", "LstItmByItm", ITNO="BULK-000")) == 100  # server default
    assert len(client.execute("MMS200MI", "LstItmByItm", ITNO="BULK-000", maxrecs=0)) == 153
    assert client.execute("MMS200MI", "LstItmByItm", ITNO="SKU-2", maxrecs=0)[0]["ITNO"] == "SKU-2"


def test_customers_add_and_change_cursor(manual):
    tenant, client, _ = manual
    cursor = client.server_time().lmts
    cuno = client.execute_one(
        "CRS610MI", "Add", CUTM="WEBTMPL", CUNM="Grace Hopper", CUA1="Navy Yard", MAIL="g@example.com"
    )["CUNO"]
    assert len(cuno) <= 10 and cuno not in ("WEB0000001", "WEB0000002", "WEB0000003")
    assert client.execute_one("CRS610MI", "GetBasicData", CUNO=cuno)["MAIL"] == "g@example.com"
    changed = client.execute("CRS610MI", "LstByNumber", LMTS=str(cursor), maxrecs=0)
    assert [r["CUNO"] for r in changed] == [cuno]
    with pytest.raises(M3TransactionError) as info:
        client.execute("CRS610MI", "Add", CUTM="WEBTMPL", CUNM="Dup", CUA1="x", CUNO=cuno)
    assert info.value.field == "CUNO"
