"""An order delivered in several deliveries by the M3 emulator (issue 19 §2), through its HTTP API
in-process: each delivery has its own DLIX, shipment and tracking number (``MWS410MI/GetHead``),
``OIS100MI/LstDelLineByCO`` gives each line's delivery, the head's ORSL/ORST are its least- and
most-progressed lines, and the order is invoiced once, after its last delivery. ``split_share`` of
the orders of two lines or more split by themselves; the ``/ship`` hook ships any lines now."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from prestashop_infor.cli import _settings, build_parser
from prestashop_infor.infor import IonApiCredentials, M3Client, M3TransactionError
from prestashop_infor.sandbox.infor import LifecycleSettings, create_app, seed_tenant
from prestashop_infor_tests.in_process import in_process_client

ITEMS = [("SKU-1", "Mug", "10.00"), ("SKU-2", "Cup", "5.00"), ("SKU-3", "Plate", "20.00")]
PICK_AFTER = timedelta(minutes=2)  # allocated -> the first delivery released for picking (44)
SHIP_AFTER = timedelta(minutes=5)  # a delivery released -> delivered (66)
INVOICE_AFTER = timedelta(minutes=10)  # the last delivery -> invoiced (77)
SECOND = timedelta(seconds=1)


def tenant_with(split_share: float, ship_after: timedelta | None = SHIP_AFTER, stock: int = 10):
    lifecycle = LifecycleSettings(
        pick_after=PICK_AFTER, ship_after=ship_after, invoice_after=INVOICE_AFTER, split_share=split_share
    )
    tenant = seed_tenant(ITEMS, seed=5, lifecycle=lifecycle)
    for item, *_ in ITEMS:
        tenant.set_balance("100", item, stock)
    http = in_process_client(create_app(tenant))
    client = M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=http)
    return client, http


@pytest.fixture
def split():
    """Every order of two lines or more splits; its client and HTTP client (for the hooks)."""
    client, http = tenant_with(1.0)
    yield client, http
    http.close()


@pytest.fixture
def by_hand():
    """No order splits by itself and none is delivered by itself: only the ``/ship`` hook ships."""
    client, http = tenant_with(0.0, ship_after=None)
    yield client, http
    http.close()


def place(client: M3Client, cuor: str, lines: list[tuple[str, int]]) -> str:
    """A confirmed customer order of ``lines`` (item, quantity); its order number."""
    temporary = client.execute_one("OIS100MI", "AddBatchHead", CUNO="WEB0000001", CUOR=cuor)["ORNO"]
    for item, quantity in lines:
        client.execute("OIS100MI", "AddBatchLine", ORNO=temporary, ITNO=item, ORQT=str(quantity))
    client.execute("OIS100MI", "Confirm", ORNO=temporary)
    return client.execute_one("OIS100MI", "GetOrderNo", ORNO=temporary)["ORNR"]


def statuses(client: M3Client, orno: str) -> tuple[str, str, list[str]]:
    """ORSL and ORST of the head, and the ORST of every line."""
    head = client.execute_one("OIS100MI", "GetHead", ORNO=orno)
    return (
        head["ORSL"],
        head["ORST"],
        [line["ORST"] for line in client.execute("OIS100MI", "LstLine", ORNO=orno)],
    )


def deliveries(client: M3Client, orno: str) -> dict[str, str]:
    """PONR -> the DLIX the line went (or goes) in, by ``OIS100MI/LstDelLineByCO`` line by line."""
    found = {}
    for line in client.execute("OIS100MI", "LstLine", ORNO=orno):
        for row in client.execute("OIS100MI", "LstDelLineByCO", ORNO=orno, PONR=line["PONR"]):
            found[line["PONR"]] = row["DLIX"]
    return found


def delivery_head(client: M3Client, dlix: str) -> dict[str, str]:
    return client.execute_one("MWS410MI", "GetHead", DLIX=dlix)


def advance(http: httpx.Client, delay: timedelta) -> None:
    assert http.post("/_sandbox/advance", json={"seconds": delay.total_seconds()}).status_code == 200


def balance(client: M3Client, item: str) -> tuple[Decimal, Decimal, Decimal]:
    """On hand, allocated and on picking lists."""
    b = client.item_balance("100", item)
    return b.on_hand, b.allocated, b.on_picking_lists


def balances(client: M3Client) -> list[tuple[Decimal, Decimal, Decimal]]:
    return [balance(client, item) for item, *_ in ITEMS]


def invoices(client: M3Client, orno: str) -> list[dict[str, str]]:
    return client.execute("OIS350MI", "LstInvHeadByCo", ORNO=orno)


def test_a_split_order_leaves_in_two_deliveries_each_with_its_tracking_number(split):
    client, http = split
    orno = place(client, "PS-1", [("SKU-1", 2), ("SKU-2", 3), ("SKU-3", 4)])

    # the first half of the lines (rounded up: 1 and 2 of 3) is released; line 3 waits
    advance(http, PICK_AFTER)
    assert statuses(client, orno) == ("33", "44", ["44", "44", "33"])
    first = deliveries(client, orno)["1"]
    assert deliveries(client, orno) == {"1": first, "2": first}

    # the first delivery goes; line 3 is released in a second delivery of its own
    advance(http, SHIP_AFTER)
    assert statuses(client, orno) == ("44", "66", ["66", "66", "44"])
    second = deliveries(client, orno)["3"]
    assert second != first and deliveries(client, orno) == {"1": first, "2": first, "3": second}
    shipped, open_ = delivery_head(client, first), delivery_head(client, second)
    assert (shipped["PGRS"], open_["PGRS"]) == ("60", "40")
    assert shipped["ETRN"] and shipped["CONN"] and not open_["ETRN"] and not open_["CONN"]
    assert balance(client, "SKU-1") == (8, 0, 0) and balance(client, "SKU-3") == (10, 4, 4)

    # the second delivery goes ship_after later, with its own shipment and tracking number
    advance(http, SHIP_AFTER)
    assert statuses(client, orno) == ("66", "66", ["66", "66", "66"])
    shipped_too = delivery_head(client, second)
    assert shipped_too["PGRS"] == "60" and shipped_too["ETRN"] and shipped_too["CONN"]
    assert shipped_too["ETRN"] != shipped["ETRN"] and shipped_too["CONN"] != shipped["CONN"]
    assert balances(client) == [(8, 0, 0), (7, 0, 0), (6, 0, 0)]
    lines = client.execute("MWS410MI", "LstItem", DLIX=second)
    assert [(row["ITNO"], Decimal(row["DLQT"])) for row in lines] == [("SKU-3", 4)]

    # invoiced once, invoice_after after the last delivery
    advance(http, INVOICE_AFTER - SECOND)
    assert invoices(client, orno) == []
    advance(http, SECOND)
    assert statuses(client, orno) == ("77", "77", ["77", "77", "77"])
    [invoice] = invoices(client, orno)
    assert Decimal(invoice["AMT2"]) == Decimal("115") and invoice["DLIX"] == second
    assert delivery_head(client, first)["IVNO"] == delivery_head(client, second)["IVNO"] == invoice["IVNO"]


def test_a_one_line_order_never_splits(split):
    client, http = split
    orno = place(client, "PS-2", [("SKU-1", 2)])
    advance(http, PICK_AFTER + SHIP_AFTER)
    assert statuses(client, orno) == ("66", "66", ["66"])
    assert len(set(deliveries(client, orno).values())) == 1


def test_with_no_split_share_every_order_leaves_in_one_delivery():
    client, http = tenant_with(0.0)
    with http:
        ornos = [place(client, f"PS-{n}", [("SKU-1", 1), ("SKU-2", 1)]) for n in range(10)]
        advance(http, PICK_AFTER)
        assert all(statuses(client, orno)[:2] == ("44", "44") for orno in ornos)
        advance(http, SHIP_AFTER)
        for orno in ornos:
            assert statuses(client, orno)[:2] == ("66", "66")
            assert len(set(deliveries(client, orno).values())) == 1


def split_orders(share: float, count: int) -> list[bool]:
    """Which of ``count`` new two-line orders split, on a fresh tenant: line 2 not released with line 1."""
    client, http = tenant_with(share, stock=count)
    with http:
        ornos = [place(client, f"PS-{n}", [("SKU-1", 1), ("SKU-2", 1)]) for n in range(count)]
        advance(http, PICK_AFTER)
        return [statuses(client, orno)[2] == ["44", "33"] for orno in ornos]


def test_which_orders_split_is_fixed_by_the_order_number():
    first, again = split_orders(0.5, 40), split_orders(0.5, 40)
    assert first == again
    assert 8 <= sum(first) <= 32  # a share, not all or none
    assert all(split_orders(1.0, 5)) and not any(split_orders(0.0, 5))


def ship(http: httpx.Client, orno: str, **body) -> dict:
    response = http.post(f"/_sandbox/orders/{orno}/ship", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_ship_hook_ships_some_lines_now_in_a_delivery_of_their_own(by_hand):
    client, http = by_hand
    orno = place(client, "PS-3", [("SKU-1", 2), ("SKU-2", 3), ("SKU-3", 4)])

    shipped = ship(http, orno, lines=[2], tracking_number="1Z-LINE-2")

    # line 2 left; the rest is released for picking at once, in one more delivery
    assert statuses(client, orno) == ("44", "66", ["44", "66", "44"])
    rest = deliveries(client, orno)["1"]
    assert (
        deliveries(client, orno) == {"1": rest, "2": shipped["DLIX"], "3": rest} and rest != shipped["DLIX"]
    )
    assert delivery_head(client, shipped["DLIX"])["ETRN"] == "1Z-LINE-2" == shipped["ETRN"]
    assert balance(client, "SKU-2") == (7, 0, 0) and balance(client, "SKU-1") == (10, 2, 2)
    advance(http, INVOICE_AFTER)
    assert invoices(client, orno) == []  # not every line is delivered: nothing to invoice

    # without lines: everything not delivered yet, here the open delivery lines 1 and 3 make up
    last = ship(http, orno)
    assert last["DLIX"] == rest and last["ETRN"] and last["ETRN"] != shipped["ETRN"]
    assert statuses(client, orno) == ("66", "66", ["66", "66", "66"])
    advance(http, INVOICE_AFTER)
    assert len(invoices(client, orno)) == 1


def test_the_ship_hook_takes_lines_off_a_delivery_they_shared(by_hand):
    client, http = by_hand
    orno = place(client, "PS-4", [("SKU-1", 2), ("SKU-2", 3), ("SKU-3", 4)])
    advance(http, PICK_AFTER)
    released = deliveries(client, orno)["1"]
    assert set(deliveries(client, orno).values()) == {released}

    shipped = ship(http, orno, lines=[1, 3])

    assert shipped["DLIX"] != released
    assert deliveries(client, orno) == {"1": shipped["DLIX"], "2": released, "3": shipped["DLIX"]}
    assert statuses(client, orno) == ("44", "66", ["66", "44", "66"])
    assert balances(client) == [(8, 0, 0), (10, 3, 3), (6, 0, 0)]
    assert ship(http, orno, lines=[2])["DLIX"] == released


def test_shipping_a_delivered_line_again_is_refused(by_hand):
    client, http = by_hand
    orno = place(client, "PS-5", [("SKU-1", 2), ("SKU-2", 3)])
    ship(http, orno, lines=[1])
    before = statuses(client, orno), deliveries(client, orno)

    again = http.post(f"/_sandbox/orders/{orno}/ship", json={"lines": [2, 1]})

    assert again.status_code == 409
    assert (again.json()["error"], again.json()["field"]) == ("EMI0203", "PONR")
    assert "Order line 1 has status 66" in again.json()["message"]
    assert (statuses(client, orno), deliveries(client, orno)) == before
    unknown = http.post(f"/_sandbox/orders/{orno}/ship", json={"lines": [9]})
    assert unknown.status_code == 409 and unknown.json()["error"] == "EMI0201"
    for body in ({"lines": []}, {"lines": "1"}, {"lines": [True]}):
        assert http.post(f"/_sandbox/orders/{orno}/ship", json=body).status_code == 400
    ship(http, orno, lines=[2])
    assert http.post(f"/_sandbox/orders/{orno}/ship").json()["message"].endswith("has already shipped")


def test_a_line_of_the_second_delivery_may_be_closed_after_the_first_left(split):
    client, http = split
    orno = place(client, "PS-6", [("SKU-1", 2), ("SKU-2", 3)])
    advance(http, PICK_AFTER + SHIP_AFTER)
    assert statuses(client, orno) == ("44", "66", ["66", "44"])
    second = deliveries(client, orno)["2"]

    with pytest.raises(M3TransactionError) as info:
        client.execute("OIS100MI", "CloLine", ORNO=orno, PONR="1")
    assert (info.value.code, info.value.field) == ("EMI0203", "PONR") and "status 66" in info.value.message

    assert client.execute("OIS100MI", "CloLine", ORNO=orno, PONR="2") == []

    assert statuses(client, orno) == ("66", "99", ["66", "99"])
    assert balance(client, "SKU-2") == (10, 0, 0)
    advance(http, SHIP_AFTER)
    assert delivery_head(client, second)["ETRN"] == ""  # its only line closed: nothing left in it
    advance(http, INVOICE_AFTER)  # what was delivered is invoiced
    [invoice] = invoices(client, orno)
    assert Decimal(invoice["AMT2"]) == Decimal("20")


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan", "some"])
def test_the_split_deliveries_flag_is_a_share(value, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "--split-deliveries", value])
    assert "--split-deliveries" in capsys.readouterr().err


def test_the_split_deliveries_flag_is_off_in_the_sandbox_and_on_in_the_demo():
    assert build_parser().parse_args(["sandbox"]).split_deliveries == 0.0
    assert build_parser().parse_args(["demo"]).split_deliveries == 0.3
    args = build_parser().parse_args(["sandbox", "--split-deliveries", "0.5"])
    assert _settings(args).split_deliveries == 0.5
