"""Taking a customer order back in the M3 emulator (issue 19 §1), through its HTTP API in-process:
``OIS100MI/DelLine`` and ``DelHead`` before the picking list (status below 44), ``CloLine`` before
delivery (status below 66, the line closed at 99). What M3 refuses changes nothing; what it accepts
shows in ``GetHead``/``LstLine`` and gives the stock back."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client, M3TransactionError
from prestashop_infor.sandbox.infor import LifecycleSettings, create_app, seed_tenant
from prestashop_infor.sync.mapping import load_mapping
from prestashop_infor_tests.in_process import in_process_client

ITEMS = [("SKU-1", "Mug", "10.00"), ("SKU-2", "Cup", "5.00")]
PICK_AFTER = timedelta(minutes=2)  # released for picking (44) this long after full allocation


@pytest.fixture
def m3():
    """A tenant where an allocated order is released for picking after ``PICK_AFTER`` and goes no
    further by itself; its M3 client and its HTTP client (for the sandbox hooks)."""
    lifecycle = LifecycleSettings(pick_after=PICK_AFTER, ship_after=None, invoice_after=None)
    tenant = seed_tenant(ITEMS, seed=5, lifecycle=lifecycle)
    for item, *_ in ITEMS:
        tenant.set_balance("100", item, 10)
    http = in_process_client(create_app(tenant))
    client = M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=http)
    yield client, http
    http.close()


def place(client: M3Client, cuor: str, lines: list[tuple[str, int]]) -> str:
    """A confirmed customer order of ``lines`` (item, quantity); its order number."""
    temporary = client.execute_one("OIS100MI", "AddBatchHead", CUNO="WEB0000001", CUOR=cuor)["ORNO"]
    for item, quantity in lines:
        client.execute("OIS100MI", "AddBatchLine", ORNO=temporary, ITNO=item, ORQT=str(quantity))
    client.execute("OIS100MI", "Confirm", ORNO=temporary)
    return client.execute_one("OIS100MI", "GetOrderNo", ORNO=temporary)["ORNR"]


def order_state(client: M3Client, orno: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    return client.execute_one("OIS100MI", "GetHead", ORNO=orno), client.execute(
        "OIS100MI", "LstLine", ORNO=orno
    )


def statuses(client: M3Client, orno: str) -> tuple[str, str, list[tuple[str, str]]]:
    """ORSL and ORST of the head, and (PONR, ORST) of every line."""
    head, lines = order_state(client, orno)
    return head["ORSL"], head["ORST"], [(line["PONR"], line["ORST"]) for line in lines]


def allocated(client: M3Client, item: str) -> Decimal:
    return client.item_balance("100", item).allocated


def advance(http: httpx.Client, delay: timedelta) -> None:
    assert http.post("/_sandbox/advance", json={"seconds": delay.total_seconds()}).status_code == 200


def refused(client: M3Client, transaction: str, **fields: str) -> M3TransactionError:
    with pytest.raises(M3TransactionError) as info:
        client.execute("OIS100MI", transaction, **fields)
    return info.value


def test_deleting_a_line_of_a_new_order_gives_its_stock_back(m3):
    client, _ = m3
    orno = place(client, "PS-1", [("SKU-1", 2), ("SKU-2", 3)])
    assert statuses(client, orno) == ("33", "33", [("1", "33"), ("2", "33")])

    assert client.execute("OIS100MI", "DelLine", ORNO=orno, PONR="1", RSCD="CAN") == []

    assert statuses(client, orno) == ("33", "33", [("2", "33")])
    head = client.execute_one("OIS100MI", "GetHead", ORNO=orno)
    assert Decimal(head["NTAM"]) == Decimal("15")
    assert (allocated(client, "SKU-1"), allocated(client, "SKU-2")) == (0, 3)
    assert refused(client, "DelLine", ORNO=orno, PONR="1").code == "EMI0201"

    # the last line goes, the head stays (until DelHead) and nothing is released for picking
    client.execute("OIS100MI", "DelLine", ORNO=orno, PONR="2")
    assert statuses(client, orno) == ("00", "00", [])
    assert allocated(client, "SKU-2") == 0


def test_deleting_the_line_an_order_waits_for_lets_the_rest_move_on(m3):
    client, http = m3
    orno = place(client, "PS-2", [("SKU-1", 2), ("SKU-2", 30)])  # only 10 SKU-2 in stock
    assert statuses(client, orno) == ("23", "33", [("1", "33"), ("2", "23")])

    client.execute("OIS100MI", "DelLine", ORNO=orno, PONR="2")
    assert allocated(client, "SKU-2") == 0

    advance(http, PICK_AFTER)
    assert statuses(client, orno) == ("44", "44", [("1", "44")])


def test_a_line_on_a_picking_list_is_not_deleted(m3):
    client, http = m3
    orno = place(client, "PS-3", [("SKU-1", 2), ("SKU-2", 3)])
    advance(http, PICK_AFTER)
    before = order_state(client, orno)
    assert before[0]["ORSL"] == "44"

    error = refused(client, "DelLine", ORNO=orno, PONR="2")

    assert (error.code, error.field) == ("EMI0203", "PONR") and "status 44" in error.message
    assert order_state(client, orno) == before
    assert (allocated(client, "SKU-1"), allocated(client, "SKU-2")) == (2, 3)


def test_unknown_orders_and_lines_are_not_found(m3):
    client, _ = m3
    orno = place(client, "PS-4", [("SKU-1", 1)])
    error = refused(client, "DelLine", ORNO="999", PONR="1")
    assert (error.code, error.field) == ("EMI0201", "ORNO")
    error = refused(client, "DelLine", ORNO=orno, PONR="7")
    assert (error.code, error.field) == ("EMI0201", "PONR")
    error = refused(client, "CloLine", ORNO=orno)
    assert (error.code, error.field) == ("EMI0101", "PONR")
    assert refused(client, "DelHead", ORNO="999").code == "EMI0201"


def test_deleting_an_order_not_picked_yet(m3):
    client, _ = m3
    orno = place(client, "PS-5", [("SKU-1", 2), ("SKU-2", 3)])
    other = place(client, "PS-50", [("SKU-1", 1)])

    assert client.execute("OIS100MI", "DelHead", ORNO=orno) == []

    error = refused(client, "GetHead", ORNO=orno)
    assert (error.code, error.field) == ("EMI0201", "ORNO")
    assert client.execute("OIS100MI", "LstLine", ORNO=orno) == []
    assert [r["ORNO"] for r in client.execute("OIS100MI", "LstHead", CUNO="WEB0000001")] == [other]
    assert (allocated(client, "SKU-1"), allocated(client, "SKU-2")) == (1, 0)


def test_deleting_an_order_on_a_picking_list_is_refused(m3):
    client, http = m3
    orno = place(client, "PS-6", [("SKU-1", 2), ("SKU-2", 3)])
    advance(http, PICK_AFTER)
    before = order_state(client, orno)

    error = refused(client, "DelHead", ORNO=orno)

    assert (error.code, error.field) == ("EMI0203", "ORNO") and "status 44" in error.message
    assert order_state(client, orno) == before


def test_closing_a_line_not_picked_yet(m3):
    client, http = m3
    orno = place(client, "PS-7", [("SKU-1", 2), ("SKU-2", 3)])

    assert client.execute("OIS100MI", "CloLine", ORNO=orno, PONR="1", RSCD="CAN") == []

    assert statuses(client, orno) == ("33", "99", [("1", "99"), ("2", "33")])
    line = client.execute("OIS100MI", "LstLine", ORNO=orno)[0]
    assert (line["ITNO"], Decimal(line["ORQT"]), Decimal(line["ALQT"])) == ("SKU-1", 2, 0)  # kept, history
    assert Decimal(client.execute_one("OIS100MI", "GetHead", ORNO=orno)["NTAM"]) == Decimal("15")
    assert allocated(client, "SKU-1") == 0
    assert refused(client, "CloLine", ORNO=orno, PONR="1").field == "PONR"  # already closed

    # the rest of the order goes on without the closed line; closing every line cancels the order
    advance(http, PICK_AFTER)
    assert statuses(client, orno) == ("44", "99", [("1", "99"), ("2", "44")])
    client.execute("OIS100MI", "CloLine", ORNO=orno, PONR="2")
    head = client.execute_one("OIS100MI", "GetHead", ORNO=orno)
    assert (head["ORSL"], head["ORST"]) == ("99", "99")
    assert load_mapping().status.milestone_of_m3(head) == "cancelled"
    balance = client.item_balance("100", "SKU-2")
    assert (balance.on_hand, balance.allocated) == (10, 0)


def test_closing_a_delivered_line_is_refused(m3):
    client, http = m3
    orno = place(client, "PS-8", [("SKU-1", 2), ("SKU-2", 3)])
    assert http.post(f"/_sandbox/orders/{orno}/ship", json={}).status_code == 200
    before = order_state(client, orno)
    assert before[0]["ORSL"] == "66"

    error = refused(client, "CloLine", ORNO=orno, PONR="1")

    assert (error.code, error.field) == ("EMI0203", "PONR") and "status 66" in error.message
    assert order_state(client, orno) == before
    assert refused(client, "DelHead", ORNO=orno).field == "ORNO"
