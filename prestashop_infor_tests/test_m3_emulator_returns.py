"""Customer returns in the M3 emulator (issue 19 §3), through its HTTP API in-process: ``OIS390MI``
registers a return against a delivered customer order line, the return is received (stock back
into the warehouse) and credited (a credit note in ``OIS350MI``, a negative receivable in
``ARS200MI``), by the sandbox hook or ``credit_after`` later; a credit-only return credits without
goods. What M3 refuses changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client, M3TransactionError
from prestashop_infor.infor.models import Invoice
from prestashop_infor.sandbox.infor import LifecycleSettings, create_app, seed_tenant
from prestashop_infor_tests.in_process import in_process_client
from prestashop_infor_tests.test_infor_emulator_specs import check_outputs

ITEMS = [("SKU-1", "Mug", "10.00"), ("SKU-2", "Cup", "5.00")]
CUNO = "WEB0000001"
CREDIT_AFTER = timedelta(minutes=30)


def tenant_client(lifecycle: LifecycleSettings) -> tuple[M3Client, httpx.Client]:
    tenant = seed_tenant(ITEMS, seed=5, lifecycle=lifecycle)
    for item, *_ in ITEMS:
        tenant.set_balance("100", item, 10)
    http = in_process_client(create_app(tenant))
    return M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=http), http


@pytest.fixture
def m3():
    """A tenant where nothing moves by itself: orders ship and invoice, returns are received, by the
    sandbox hooks."""
    client, http = tenant_client(LifecycleSettings.manual())
    yield client, http
    http.close()


def place(client: M3Client, cuor: str, lines: list[tuple[str, int]], cuno: str = CUNO) -> str:
    """A confirmed customer order of ``lines`` (item, quantity); its order number."""
    temporary = client.execute_one("OIS100MI", "AddBatchHead", CUNO=cuno, CUOR=cuor)["ORNO"]
    for item, quantity in lines:
        client.execute("OIS100MI", "AddBatchLine", ORNO=temporary, ITNO=item, ORQT=str(quantity))
    client.execute("OIS100MI", "Confirm", ORNO=temporary)
    return client.execute_one("OIS100MI", "GetOrderNo", ORNO=temporary)["ORNR"]


def delivered(client: M3Client, http: httpx.Client, cuor: str, *, invoiced: bool = True) -> str:
    """An order of 3 SKU-1 at 10.00 and 2 SKU-2 at 5.00, shipped (66) and by default invoiced (77)."""
    orno = place(client, cuor, [("SKU-1", 3), ("SKU-2", 2)])
    assert http.post(f"/_sandbox/orders/{orno}/ship", json={}).status_code == 200
    if invoiced:
        assert http.post(f"/_sandbox/orders/{orno}/invoice").status_code == 200
    return orno


def read(client: M3Client, transaction: str, **fields: str) -> list[dict[str, str]]:
    """An OIS390MI read, checked against the real spec's outputs."""
    records = client.execute("OIS390MI", transaction, maxrecs=0, **fields)
    check_outputs("OIS390MI", transaction, records)
    return records


def refused(client: M3Client, transaction: str, **fields: str) -> M3TransactionError:
    with pytest.raises(M3TransactionError) as info:
        client.execute("OIS390MI", transaction, **fields)
    return info.value


def on_hand(client: M3Client, item: str) -> Decimal:
    return client.item_balance("100", item).on_hand


def returns_state(client: M3Client, repn: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    return read(client, "GetHead", WHLO="100", REPN=repn)[0], read(client, "LstLine", WHLO="100", REPN=repn)


def receive(http: httpx.Client, repn: str):
    return http.post(f"/_sandbox/returns/{repn}/receive")


# ----------------------------------------------------------------------------- registering a return


def test_a_return_is_registered_against_a_delivered_order_line(m3):
    client, _ = m3
    orno = delivered(client, m3[1], "PS-1")
    invoice = client.execute_one("OIS350MI", "LstInvHeadByCo", ORNO=orno)

    (head,) = client.execute("OIS390MI", "AddHead", WHLO="100", RORN=orno, RSCD="RET", YREF="PS return 1")
    repn = head["REPN"]
    assert client.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="1", REQ0="2")[0]["RELI"] == "1"

    head, lines = returns_state(client, repn)
    assert (head["REPN"], head["ORNO"], head["CUNO"], head["PYNO"], head["RORC"]) == (
        repn,
        orno,
        CUNO,
        CUNO,
        "3",
    )
    assert (head["IVNO"], head["YEA4"]) == (invoice["IVNO"], invoice["YEA4"])  # the invoice it corrects
    assert (head["RESL"], head["RESH"], head["CRSB"], head["CRSH"]) == ("11", "11", "0", "0")
    assert (head["RSCD"], head["YREF"], head["CUCD"]) == ("RET", "PS return 1", "EUR")
    assert [(ln["RELI"], ln["ORNO"], ln["PONR"], ln["ITNO"]) for ln in lines] == [("1", orno, "1", "SKU-1")]
    line = read(client, "GetLine", WHLO="100", REPN=repn, RELI="1")[0]
    assert (line["REST"], line["REQ0"], line["REQ1"], line["REQ7"], line["CRES"]) == (
        "11",
        "2",
        "0",
        "0",
        "0",
    )
    assert Decimal(line["SAPR"]) == Decimal("10")  # the order line's net price
    opened = read(client, "LstOpenLine", WHLO="100", REPN=repn)
    assert [(o["REPN"], o["RELI"], o["REST"], o["REQ0"]) for o in opened] == [(repn, "1", "11", "2")]
    by_order = read(client, "SelOpenLine", WHLO="100", ORNO=orno)
    assert [(s["REPN"], s["CUNO"], s["ITDS"]) for s in by_order] == [(repn, CUNO, "Mug")]


def test_receiving_numbers_come_from_the_series_or_are_given_once(m3):
    client, http = m3
    orno = delivered(client, http, "PS-2")
    first = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=orno)["REPN"]
    second = client.execute_one("OIS390MI", "AddHead", WHLO="100", CUNO=CUNO)["REPN"]
    assert int(second) == int(first) + 1
    assert client.execute_one("OIS390MI", "AddHead", WHLO="100", CUNO=CUNO, REPN="4711")["REPN"] == "4711"
    error = refused(client, "AddHead", WHLO="100", CUNO=CUNO, REPN="4711")
    assert (error.code, error.field) == ("EMI0202", "REPN")


def test_a_line_is_returned_only_from_what_was_delivered_less_what_returns_advise(m3):
    client, http = m3
    orno = delivered(client, http, "PS-3")
    repn = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=orno)["REPN"]
    client.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="1", REQ0="2")
    other = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=orno)["REPN"]  # a second return
    before = returns_state(client, repn), returns_state(client, other)

    error = refused(client, "AddLine", WHLO="100", REPN=other, RORL="1", REQ0="2")

    assert (error.code, error.field) == ("EMI0203", "REQ0") and "1 left to return" in error.message
    assert (returns_state(client, repn), returns_state(client, other)) == before
    assert (
        client.execute_one("OIS390MI", "AddLine", WHLO="100", REPN=other, RORL="1", REQ0="1")["RELI"] == "1"
    )
    assert refused(client, "AddLine", WHLO="100", REPN=other, RORL="1", REQ0="1").field == "REQ0"
    assert client.execute(
        "OIS390MI", "AddLine", WHLO="100", REPN=other, RORL="2", REQ0="2"
    )  # SKU-2, both back


def test_what_m3_refuses_changes_nothing(m3):
    client, http = m3
    shipped = delivered(client, http, "PS-4", invoiced=False)  # 66 is enough
    waiting = place(client, "PS-5", [("SKU-1", 1)])  # allocated (33), not delivered
    repn = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=shipped)["REPN"]
    early = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=waiting)["REPN"]
    before = returns_state(client, repn), returns_state(client, early), on_hand(client, "SKU-1")

    cases = [
        ("AddLine", {"WHLO": "100", "REPN": early, "RORL": "1", "REQ0": "1"}, "EMI0203", "RORL"),  # status 33
        ("AddLine", {"WHLO": "100", "REPN": repn, "RORL": "9", "REQ0": "1"}, "EMI0201", "RORL"),
        ("AddLine", {"WHLO": "100", "REPN": repn, "REQ0": "1"}, "EMI0101", "RORL"),
        ("AddLine", {"WHLO": "100", "REPN": repn, "RORL": "1", "REQ0": "4"}, "EMI0203", "REQ0"),
        ("AddLine", {"WHLO": "100", "REPN": repn, "RORL": "1", "REQ0": "0"}, "EMI0105", "REQ0"),
        (
            "AddLine",
            {"WHLO": "100", "REPN": repn, "RORL": "1", "REQ0": "1", "ITNO": "SKU-2"},
            "EMI0203",
            "ITNO",
        ),
        ("AddLine", {"WHLO": "200", "REPN": repn, "RORL": "1", "REQ0": "1"}, "EMI0201", "REPN"),
        ("AddLine", {"WHLO": "100", "REPN": "99", "RORL": "1", "REQ0": "1"}, "EMI0201", "REPN"),
        ("AddLine", {"WHLO": "100", "REPN": repn, "RORL": "1"}, "EMI0101", "REQ0"),
        ("AddHead", {"WHLO": "100", "RORN": "1999999999"}, "EMI0201", "RORN"),
        ("AddHead", {"WHLO": "999", "RORN": shipped}, "EMI0201", "WHLO"),
        ("AddHead", {"WHLO": "100"}, "EMI0101", "CUNO"),
        ("AddHead", {"WHLO": "100", "CUNO": "NOBODY"}, "EMI0201", "CUNO"),
        ("AddHead", {"WHLO": "100", "CUNO": "WEB0000002", "RORN": shipped}, "EMI0203", "RORN"),
        ("AddHead", {"WHLO": "100", "RORN": shipped, "EXIN": "123"}, "EMI0201", "EXIN"),
    ]
    for transaction, fields, code, field in cases:
        error = refused(client, transaction, **fields)
        assert (error.code, error.field) == (code, field), (transaction, fields, error)
    assert (returns_state(client, repn), returns_state(client, early), on_hand(client, "SKU-1")) == before
    assert len(client.execute("OIS390MI", "LstOpenLine", maxrecs=0)) == 0
    error = refused(client, "GetHead", WHLO="100", REPN="99")
    assert (error.code, error.field) == ("EMI0201", "REPN")


# ----------------------------------------------------------------------------- receiving and crediting


def test_receiving_a_return_puts_the_stock_back_and_credits_the_customer(m3):
    client, http = m3
    orno = delivered(client, http, "PS-6")
    invoice = Invoice.from_record(client.execute_one("OIS350MI", "LstInvHeadByCo", ORNO=orno))
    repn = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=orno)["REPN"]
    client.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="1", REQ0="2")
    client.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="2", REQ0="1")
    stock = on_hand(client, "SKU-1"), on_hand(client, "SKU-2")

    answer = receive(http, repn)

    assert answer.status_code == 200
    assert (on_hand(client, "SKU-1"), on_hand(client, "SKU-2")) == (stock[0] + 2, stock[1] + 1)
    head, lines = returns_state(client, repn)
    assert (head["RESL"], head["RESH"], head["CRSB"], head["CRSH"]) == ("22", "22", "9", "9")
    for reli, quantity in (("1", "2"), ("2", "1")):
        line = read(client, "GetLine", WHLO="100", REPN=repn, RELI=reli)[0]
        assert (line["REST"], line["REQ1"], line["REQ7"], line["CRES"]) == ("22", quantity, quantity, "9")
    assert read(client, "LstOpenLine", WHLO="100", REPN=repn) == []

    # the credit note: listed with the order's invoice, negative, naming the invoice it corrects
    records = client.execute("OIS350MI", "LstInvHeadByCo", ORNO=orno)
    credit = next(r for r in records if r["IVNO"] == answer.json()["IVNO"])
    assert {r["IVNO"] for r in records} == {invoice.invoice_number, credit["IVNO"]}
    assert (credit["ORNO"], credit["CUNO"], credit["RXIN"]) == (orno, CUNO, invoice.invoice_number)
    # 2 x 10.00 + 1 x 5.00, and 20 % VAT
    assert (Decimal(credit["AMT2"]), Decimal(credit["AMT1"])) == (Decimal("-25"), Decimal("-30"))
    head_record = client.execute_one("OIS350MI", "GetInvHead", YEA4=credit["YEA4"], IVNO=credit["IVNO"])
    assert (head_record["RYEA"], head_record["RXIN"], Decimal(head_record["AMT1"])) == (
        invoice.year, invoice.invoice_number, Decimal("-30"))  # fmt: skip
    by_line = {
        ponr: client.execute("OIS350MI", "LstInvByCOLine", ORNO=orno, PONR=ponr) for ponr in ("1", "2")
    }  # each order line's invoice and credit, the credit naming the invoice it corrects
    credited = {ponr: next(r for r in rows if r["IVNO"] == credit["IVNO"]) for ponr, rows in by_line.items()}
    assert [(Decimal(r["IVAM"]), r["RIVN"]) for r in credited.values()] == [
        (Decimal(-20), invoice.invoice_number), (Decimal(-5), invoice.invoice_number)]  # fmt: skip
    credit_lines = client.execute("OIS350MI", "LstInvLine", YEA4=credit["YEA4"], IVNO=credit["IVNO"])
    assert sorted(Decimal(line["AMT2"]) for line in credit_lines) == [Decimal(-20), Decimal(-5)]

    # and its receivable, open, with a negative amount
    receivables = client.execute("ARS200MI", "LstInvoices", CUNO=CUNO)
    receivable = next(r for r in receivables if r["CINO"] == credit["IVNO"])
    assert (receivable["TRCD"], receivable["RECO"]) == ("10", "0")
    detail = client.execute_one("ARS200MI", "GetInvoice", YEA4=receivable["YEA4"], JRNO=receivable["JRNO"],
                                JSNO=receivable["JSNO"])  # fmt: skip
    assert Decimal(detail["CUAM"]) == Decimal("-30")

    # once credited, a return takes no more lines and is not received twice
    again = receive(http, repn)
    assert (again.status_code, again.json()["error"]) == (409, "EMI0203")
    assert refused(client, "AddLine", WHLO="100", REPN=repn, RORL="1", REQ0="1").code == "EMI0203"
    assert (on_hand(client, "SKU-1"), on_hand(client, "SKU-2")) == (stock[0] + 2, stock[1] + 1)


def test_stock_back_from_a_return_goes_to_an_order_waiting_for_it(m3):
    client, http = m3
    orno = delivered(client, http, "PS-7")  # 7 SKU-1 left
    waiting = place(client, "PS-8", [("SKU-1", 9)])
    assert client.execute_one("OIS100MI", "GetHead", ORNO=waiting)["ORSL"] == "23"
    repn = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=orno)["REPN"]
    client.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="1", REQ0="2")

    assert receive(http, repn).status_code == 200

    assert client.execute_one("OIS100MI", "GetHead", ORNO=waiting)["ORSL"] == "33"


def test_a_return_without_lines_or_unknown_is_not_received(m3):
    client, http = m3
    repn = client.execute_one("OIS390MI", "AddHead", WHLO="100", CUNO=CUNO)["REPN"]
    answer = receive(http, repn)
    assert (answer.status_code, answer.json()["error"], answer.json()["field"]) == (409, "EMI0203", "REPN")
    assert receive(http, "99").json()["error"] == "EMI0201"


def test_credit_after_receives_the_return_that_long_after_its_last_line():
    client, http = tenant_client(
        LifecycleSettings(pick_after=None, ship_after=None, invoice_after=None, credit_after=CREDIT_AFTER)
    )
    orno = delivered(client, http, "PS-9")
    repn = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=orno)["REPN"]
    client.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="1", REQ0="1")
    stock = on_hand(client, "SKU-1")
    http.post("/_sandbox/advance", json={"seconds": (CREDIT_AFTER / 2).total_seconds()})
    client.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="2", REQ0="1")  # the delay starts again

    http.post("/_sandbox/advance", json={"seconds": (CREDIT_AFTER * 3 / 4).total_seconds()})
    assert returns_state(client, repn)[0]["CRSH"] == "0" and on_hand(client, "SKU-1") == stock

    http.post("/_sandbox/advance", json={"seconds": (CREDIT_AFTER / 4).total_seconds()})
    assert returns_state(client, repn)[0]["CRSH"] == "9" and on_hand(client, "SKU-1") == stock + 1
    assert len(client.execute("OIS350MI", "LstInvHeadByCo", ORNO=orno)) == 2
    http.close()


# ----------------------------------------------------------------------------- a credit without goods back


def test_a_credit_only_return_credits_without_taking_goods_back(m3):
    client, http = m3
    orno = delivered(client, http, "PS-10")
    repn = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=orno, RSCD="CRO")["REPN"]
    client.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="2", REQ0="2", SAPR="4.50")
    stock = on_hand(client, "SKU-2")

    answer = receive(http, repn)

    assert answer.status_code == 200 and Decimal(answer.json()["AMT2"]) == Decimal("-9")
    assert on_hand(client, "SKU-2") == stock
    line = read(client, "GetLine", WHLO="100", REPN=repn, RELI="1")[0]
    nothing_received = ("11", "0", "2", "9")
    assert (line["REST"], line["REQ1"], line["REQ7"], line["CRES"]) == nothing_received
    assert line["RSCD"] == "CRO"
    invoices = client.execute("OIS350MI", "LstInvHeadByCo", ORNO=orno)
    credit = next(r for r in invoices if r["IVNO"] == answer.json()["IVNO"])
    assert Decimal(credit["AMT1"]) == Decimal("-10.80")
    # what was credited is no longer returnable
    other = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=orno)["REPN"]
    assert refused(client, "AddLine", WHLO="100", REPN=other, RORL="2", REQ0="1").field == "REQ0"


def test_a_return_without_an_order_credits_an_item_at_its_price(m3):
    client, http = m3
    repn = client.execute_one("OIS390MI", "AddHead", WHLO="200", CUNO=CUNO)["REPN"]
    assert refused(client, "AddLine", WHLO="200", REPN=repn, REQ0="1").field == "ITNO"
    assert refused(client, "AddLine", WHLO="200", REPN=repn, REQ0="1", ITNO="GHOST").field == "ITNO"
    client.execute("OIS390MI", "AddLine", WHLO="200", REPN=repn, ITNO="SKU-2", REQ0="3")
    stock = client.item_balance("200", "SKU-2").on_hand

    answer = receive(http, repn)

    assert (answer.json()["ORNO"], Decimal(answer.json()["AMT2"])) == ("", Decimal("-15"))
    assert client.item_balance("200", "SKU-2").on_hand == stock + 3
    head = read(client, "GetHead", WHLO="200", REPN=repn)[0]
    assert (head["ORNO"], head["IVNO"], head["RORC"], head["CRSH"]) == ("", "", "", "9")
