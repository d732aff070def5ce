"""Credit limits in the M3 emulator, through its HTTP API in-process: a customer's credit limit 3
(``CRL3``: the most in outstanding invoices and orders not invoiced) read by
``CRS610MI/GetFinancial`` and set by ``ChgFinancial`` or the sandbox hook; ``OIS100MI/CheckCredit``
answering whether an amount fits; ``Confirm`` holding an order over the limit at batch status 30
until a person releases it (``/_sandbox/batch_orders/{ORNO}/release``)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client, M3TransactionError
from prestashop_infor.sandbox.infor import LifecycleSettings, create_app, seed_tenant
from prestashop_infor.sandbox.infor.models.values import MSG_CREDIT_LIMIT, MSG_CREDIT_STOP, MSG_NOT_EMULATED
from prestashop_infor_tests.in_process import in_process_client
from prestashop_infor_tests.test_infor_emulator_specs import check_outputs

ITEMS = [("SKU-1", "Mug", "10.00"), ("SKU-2", "Cup", "5.00")]
CUNO = "WEB0000001"


def tenant_client(lifecycle: LifecycleSettings) -> tuple[M3Client, httpx.Client]:
    tenant = seed_tenant(ITEMS, seed=5, lifecycle=lifecycle)
    for item, *_ in ITEMS:
        tenant.set_balance("100", item, 50)
    http = in_process_client(create_app(tenant))
    return M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=http), http


@pytest.fixture
def m3():
    """A tenant where nothing moves by itself: orders ship, invoice and are paid by the hooks."""
    client, http = tenant_client(LifecycleSettings.manual())
    yield client, http
    http.close()


def financial(client: M3Client, cuno: str = CUNO) -> dict[str, str]:
    records = client.execute("CRS610MI", "GetFinancial", CUNO=cuno)
    check_outputs("CRS610MI", "GetFinancial", records)
    return records[0]


def set_limit(client: M3Client, limit: str, cuno: str = CUNO) -> None:
    assert client.execute("CRS610MI", "ChgFinancial", CUNO=cuno, CRL3=limit) == []


def check(client: M3Client, amount: str | None = None, **fields: str) -> list[dict[str, str]]:
    if amount is not None:
        fields["AMNT"] = amount
    return client.execute("OIS100MI", "CheckCredit", CUNO=fields.pop("CUNO", CUNO), **fields)


def refused(client: M3Client, program: str, transaction: str, **fields: str) -> M3TransactionError:
    with pytest.raises(M3TransactionError) as info:
        client.execute(program, transaction, **fields)
    return info.value


def enter(
    client: M3Client, cuor: str, lines: list[tuple[str, int, str | None]], cuno: str = CUNO
) -> dict[str, str]:
    """A batch order of ``lines`` (item, quantity, price or None) confirmed: Confirm's answer."""
    temporary = client.execute_one("OIS100MI", "AddBatchHead", CUNO=cuno, CUOR=cuor)["ORNO"]
    for item, quantity, price in lines:
        extra = {"SAPR": price} if price is not None else {}
        client.execute("OIS100MI", "AddBatchLine", ORNO=temporary, ITNO=item, ORQT=str(quantity), **extra)
    return client.execute_one("OIS100MI", "Confirm", ORNO=temporary)


def orders_of(client: M3Client, cuor: str) -> list[dict[str, str]]:
    return client.execute("OIS120MI", "LstCOStopByCUOR", CUOR=cuor, NFTR="1", maxrecs=0)


def placed(client: M3Client, cuor: str, lines: list[tuple[str, int, str | None]]) -> str:
    """A customer order of ``lines``; its order number."""
    confirm = enter(client, cuor, lines)
    assert confirm["STAT"] == "90", confirm
    return client.execute_one("OIS100MI", "GetOrderNo", ORNO=confirm["ORNO"])["ORNR"]


def exposure(client: M3Client) -> tuple[Decimal, Decimal]:
    record = financial(client)
    return Decimal(record["TOIN"]), Decimal(record["TBLG"])


# ------------------------------------------------------------------------ reading and setting a limit


def test_get_financial_shows_the_customer_and_its_credit(m3):
    client, _ = m3
    record = financial(client)
    assert (record["CUNO"], record["CUNM"], record["CUCD"]) == (CUNO, "Web customer 1", "EUR")
    # seeded customers have no limit and no stop; the limits the emulator does not model are 0 too
    assert (record["CRL3"], record["CRLM"], record["CRL2"], record["ODUD"], record["BLCD"]) == ("0",) * 5
    assert (record["TOIN"], record["TBLG"]) == ("0", "0")
    error = refused(client, "CRS610MI", "GetFinancial", CUNO="GHOST")
    assert error.field == "CUNO" and "Customer number GHOST does not exist" in error.message


def test_chg_financial_sets_the_limit_and_the_stop_and_leaves_the_rest(m3):
    client, _ = m3
    before = financial(client)
    set_limit(client, "500.00")
    after = financial(client)
    assert after["CRL3"] == "500" and int(after["CHNO"]) == int(before["CHNO"]) + 1
    assert {k: v for k, v in after.items() if k not in ("CRL3", "CHNO", "LMDT")} == {
        k: v for k, v in before.items() if k not in ("CRL3", "CHNO", "LMDT")
    }
    # a list of customers shows the limit too
    listed = client.execute("CRS610MI", "LstByNumber", CUNO=CUNO, maxrecs=1)[0]
    assert (listed["CUNO"], listed["CRL3"]) == (CUNO, "500")

    client.execute("CRS610MI", "ChgFinancial", CUNO=CUNO, BLCD="1", CHNO=after["CHNO"])
    stopped = financial(client)
    assert (stopped["BLCD"], stopped["CRL3"], stopped["CUNM"]) == ("1", "500", "Web customer 1")
    client.execute("CRS610MI", "ChgFinancial", CUNO=CUNO, BLCD="0", CRL3="0")
    assert (financial(client)["BLCD"], financial(client)["CRL3"]) == ("0", "0")


def test_chg_financial_refuses_what_it_cannot_keep_and_changes_nothing(m3):
    client, _ = m3
    set_limit(client, "500")
    before = financial(client)
    for fields, field in (
        ({"CRLM": "100"}, "CRLM"),  # credit limit 1 (overdue invoices): not modelled
        ({"CRL2": "100", "CRL3": "50"}, "CRL2"),
        ({"CRL3": "-1"}, "CRL3"),
        ({"BLCD": "2", "CRL3": "50"}, "BLCD"),
        ({"CRL3": "50", "CHNO": str(int(before["CHNO"]) - 1)}, "CHNO"),  # changed by another user since
        ({"CRL3": "abc"}, "CRL3"),
    ):
        error = refused(client, "CRS610MI", "ChgFinancial", CUNO=CUNO, **fields)
        assert error.field == field, (fields, error)
    assert refused(client, "CRS610MI", "ChgFinancial", CUNO=CUNO, CRLM="100").code == MSG_NOT_EMULATED
    assert "CRL3" in refused(client, "CRS610MI", "ChgFinancial", CUNO=CUNO, CRLM="100").message
    assert financial(client) == before
    assert refused(client, "CRS610MI", "ChgFinancial", CUNO="GHOST", CRL3="1").field == "CUNO"
    client.execute("CRS610MI", "ChgFinancial", CUNO=CUNO, CRLM="0")  # 0 = no limit: that is what it is


# ---------------------------------------------------------------------------------- the credit check


def test_check_credit_without_a_limit_passes_any_amount(m3):
    client, _ = m3
    assert check(client, "999999999") == [] and check(client) == []


def test_check_credit_passes_up_to_the_limit_and_refuses_above_it(m3):
    client, _ = m3
    set_limit(client, "100")
    assert check(client, "99.99") == []
    assert check(client, "100", CUCD="EUR") == []  # at the limit passes
    error = refused(client, "OIS100MI", "CheckCredit", CUNO=CUNO, AMNT="100.01")
    assert error.code == MSG_CREDIT_LIMIT and error.field == "AMNT"
    assert error.message == f"Credit limit exceeded for customer {CUNO}: limit 100, exposure 0, amount 100.01"


def test_check_credit_refuses_a_stopped_customer_even_without_a_limit(m3):
    client, _ = m3
    client.execute("CRS610MI", "ChgFinancial", CUNO=CUNO, BLCD="1")
    error = refused(client, "OIS100MI", "CheckCredit", CUNO=CUNO, AMNT="1")
    assert error.code == MSG_CREDIT_STOP and "credit-stopped" in error.message


def test_check_credit_takes_the_customer_currency_only_and_a_known_customer(m3):
    client, _ = m3
    set_limit(client, "100")
    error = refused(client, "OIS100MI", "CheckCredit", CUNO=CUNO, AMNT="1", CUCD="USD")
    assert error.field == "CUCD" and "USD" in error.message and "EUR" in error.message
    error = refused(client, "OIS100MI", "CheckCredit", CUNO="GHOST", AMNT="1")
    assert error.field == "CUNO" and "does not exist" in error.message


# --------------------------------------------------------------------------------------- exposure


def test_exposure_counts_orders_not_invoiced_then_open_invoices_until_paid(m3):
    client, http = m3
    set_limit(client, "100")
    # 3 x 10.00 + 2 x 5.00 at the item prices, a third line at a price of its own less 10 %
    orno = placed(client, "PS-1", [("SKU-1", 3, None), ("SKU-2", 2, None)])
    assert exposure(client) == (Decimal(0), Decimal(40))
    assert (
        check(client, "60") == []
        and "exposure 40," in refused(client, "OIS100MI", "CheckCredit", CUNO=CUNO, AMNT="60.01").message
    )

    assert http.post(f"/_sandbox/orders/{orno}/ship", json={}).status_code == 200
    assert exposure(client) == (Decimal(0), Decimal(40))  # delivered, not invoiced yet
    assert http.post(f"/_sandbox/orders/{orno}/invoice").status_code == 200
    assert exposure(client) == (Decimal(48), Decimal(0))  # the receivable, VAT included
    assert check(client, "52") == []
    assert "exposure 48," in refused(client, "OIS100MI", "CheckCredit", CUNO=CUNO, AMNT="52.01").message

    assert http.post(f"/_sandbox/orders/{orno}/pay").json()["RECO"] == "9"
    assert exposure(client) == (Decimal(0), Decimal(0))
    assert check(client, "100") == []


def test_exposure_leaves_out_cancelled_orders_and_lines_and_other_customers(m3):
    client, http = m3
    orno = placed(client, "PS-2", [("SKU-1", 1, None)])
    assert exposure(client) == (Decimal(0), Decimal(10))
    assert http.post(f"/_sandbox/orders/{orno}/cancel").status_code == 200
    other = placed(client, "PS-3", [("SKU-1", 2, "7.50"), ("SKU-2", 1, None)])
    client.execute("OIS100MI", "CloLine", ORNO=other, PONR="2")
    assert exposure(client) == (Decimal(0), Decimal(15))
    placed_for_other = enter(client, "PS-4", [("SKU-1", 5, None)], cuno="WEB0000002")
    assert placed_for_other["STAT"] == "90" and exposure(client) == (Decimal(0), Decimal(15))


def test_an_open_credit_note_lowers_the_exposure(m3):
    client, http = m3
    orno = placed(client, "PS-5", [("SKU-1", 3, None)])
    assert http.post(f"/_sandbox/orders/{orno}/ship", json={}).status_code == 200
    assert http.post(f"/_sandbox/orders/{orno}/invoice").status_code == 200
    repn = client.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=orno)["REPN"]
    client.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="1", REQ0="1")
    assert http.post(f"/_sandbox/returns/{repn}/receive").status_code == 200
    assert exposure(client) == (Decimal(24), Decimal(0))  # 36.00 invoiced less 12.00 credited


# -------------------------------------------------------------------------- holding and releasing


def test_confirm_holds_an_order_over_the_limit_until_a_person_releases_it(m3):
    client, http = m3
    set_limit(client, "50")
    placed(client, "PS-10", [("SKU-1", 2, None)])  # 20.00, fits
    confirm = enter(client, "PS-11", [("SKU-1", 2, "9.00"), ("SKU-2", 3, None)])  # 18.00 + 15.00 = 33.00
    temporary = confirm["ORNO"]
    assert confirm["STAT"] == "30"
    status = client.execute_one("OIS275MI", "GetTmpOrderStat", ORNO=temporary)
    assert (status["STAT"], status["ORNR"]) == ("30", "")
    (error,) = client.execute("OIS100MI", "LstErrMsgOrder", ORNO=temporary)
    assert (error["MSID"], error["MDTA"]) == (MSG_CREDIT_LIMIT, CUNO)
    assert error["TX60"] == "Credit limit 50 exceeded: exposure 20, order 33"
    assert orders_of(client, "PS-11") == []
    assert exposure(client) == (Decimal(0), Decimal(20))  # a held order is no customer order yet
    # held, it cannot be confirmed again: only released
    assert "already confirmed" in refused(client, "OIS100MI", "Confirm", ORNO=temporary).message

    answer = http.post(f"/_sandbox/batch_orders/{temporary}/release")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["ORNO"], body["STAT"]) == (temporary, "90") and body["ORNR"]
    (order,) = orders_of(client, "PS-11")
    assert order["ORNO"] == body["ORNR"] and order["CUNO"] == CUNO
    status = client.execute_one("OIS275MI", "GetTmpOrderStat", ORNO=temporary)
    assert (status["STAT"], status["ORNR"]) == ("90", body["ORNR"])
    assert client.execute("OIS100MI", "LstErrMsgOrder", ORNO=temporary) == []
    assert exposure(client) == (Decimal(0), Decimal(53))  # over the limit: a person said so

    again = http.post(f"/_sandbox/batch_orders/{temporary}/release")
    assert again.status_code == 400 and "status 90" in again.json()["message"]
    assert http.post("/_sandbox/batch_orders/5999999999/release").status_code == 404


def test_confirm_passes_an_order_that_just_fits(m3):
    client, _ = m3
    set_limit(client, "40")
    assert enter(client, "PS-20", [("SKU-1", 3, None), ("SKU-2", 2, None)])["STAT"] == "90"  # 40.00 of 40
    confirm = enter(client, "PS-21", [("SKU-2", 1, "0.01")])
    assert confirm["STAT"] == "30"


def test_a_discount_counts_as_the_order_line_will_have_it(m3):
    client, _ = m3
    set_limit(client, "18")
    temporary = client.execute_one("OIS100MI", "AddBatchHead", CUNO=CUNO, CUOR="PS-22")["ORNO"]
    client.execute("OIS100MI", "AddBatchLine", ORNO=temporary, ITNO="SKU-1", ORQT="2", DIP1="10")
    assert client.execute_one("OIS100MI", "Confirm", ORNO=temporary)["STAT"] == "90"  # 2 x 9.00
    assert exposure(client) == (Decimal(0), Decimal(18))


def test_a_stopped_customer_is_held_as_before_and_released_alike(m3):
    client, http = m3
    client.execute("CRS610MI", "ChgFinancial", CUNO=CUNO, BLCD="1")
    confirm = enter(client, "PS-30", [("SKU-1", 1, None)])
    assert confirm["STAT"] == "30"
    (error,) = client.execute("OIS100MI", "LstErrMsgOrder", ORNO=confirm["ORNO"])
    assert error["MSID"] == MSG_CREDIT_STOP and "credit-stopped" in error["TX60"]
    assert http.post(f"/_sandbox/batch_orders/{confirm['ORNO']}/release").json()["STAT"] == "90"
    assert len(orders_of(client, "PS-30")) == 1


def test_release_refuses_a_batch_order_not_held():
    client, http = tenant_client(LifecycleSettings.manual())
    with http:
        confirm = enter(client, "PS-40", [("GHOST", 1, None)])  # line error, status 25
        answer = http.post(f"/_sandbox/batch_orders/{confirm['ORNO']}/release")
        assert answer.status_code == 400
        assert answer.json()["message"] == (
            f"Batch order {confirm['ORNO']} has status 25, not 30 (held for credit): there is nothing to release"
        )


def test_orders_waiting_for_the_batch_job_count_against_the_limit():
    client, http = tenant_client(LifecycleSettings(confirm_delay=timedelta(seconds=30)))
    with http:
        set_limit(client, "50")
        assert enter(client, "PS-50", [("SKU-1", 4, None)])["STAT"] == "10"  # 40.00, on its way
        assert exposure(client) == (Decimal(0), Decimal(40))
        held = enter(client, "PS-51", [("SKU-1", 2, None)])
        assert held["STAT"] == "30"
        answer = http.post(f"/_sandbox/batch_orders/{held['ORNO']}/release")
        assert answer.json()["STAT"] == "10"  # released: on its way through the batch job as well
        http.post("/_sandbox/advance", json={"seconds": 30})
        assert len(orders_of(client, "PS-50")) == 1 and len(orders_of(client, "PS-51")) == 1
        assert exposure(client) == (Decimal(0), Decimal(60))


# --------------------------------------------------------------------------------- the credit hook


def test_credit_hook_sets_the_limit_and_the_stop(m3):
    client, http = m3
    answer = http.post(f"/_sandbox/customers/{CUNO}/credit", json={"limit": "500.00"})
    assert answer.status_code == 200
    assert answer.json() == {
        "CUNO": CUNO,
        "CRL3": "500",
        "BLCD": "0",
        "TOIN": "0",
        "TBLG": "0",
        "exposure": "0",
    }
    assert financial(client)["CRL3"] == "500"
    answer = http.post(f"/_sandbox/customers/{CUNO}/credit", json={"stop": True, "limit": 0})
    assert (answer.json()["CRL3"], answer.json()["BLCD"]) == ("0", "1")
    assert (financial(client)["CRL3"], financial(client)["BLCD"]) == ("0", "1")
    http.post(f"/_sandbox/customers/{CUNO}/credit", json={"stop": False})
    assert financial(client)["BLCD"] == "0"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "nothing to set"),
        ({"limit": "500", "color": "red"}, "unknown key(s) color"),
        ({"limit": "-1"}, "limit must be"),
        ({"limit": "lots"}, "limit must be"),
        ({"limit": True}, "limit must be"),
        ({"limit": None}, "limit must be"),
        ({"limit": "NaN"}, "limit must be"),
        ({"limit": "1" * 16}, "limit must be"),
        ({"stop": "yes"}, "stop must be true or false"),
        ({"stop": 1}, "stop must be true or false"),
        ([1, 2], "JSON object"),
    ],
)
def test_credit_hook_validates_its_input(m3, body, says):
    client, http = m3
    before = financial(client)
    answer = http.post(f"/_sandbox/customers/{CUNO}/credit", json=body)
    assert answer.status_code == 400 and says in answer.json()["error_description"], answer.json()
    assert financial(client) == before


def test_credit_hook_needs_json_and_a_known_customer(m3):
    _, http = m3
    answer = http.post(f"/_sandbox/customers/{CUNO}/credit", content=b"limit=5")
    assert answer.status_code == 400 and "JSON" in answer.json()["error_description"]
    assert http.post("/_sandbox/customers/GHOST/credit", json={"limit": "5"}).status_code == 404
