"""The M3 MI REST client against the emulator: single and bulk calls, error mapping, retries."""

from __future__ import annotations

import json
import pickle
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from prestashop_infor.infor import (
    IonApiCredentials,
    M3Client,
    M3CompanyError,
    M3GatewayError,
    M3TransactionError,
    wire_value,
)
from prestashop_infor.infor.client import _error_in
from prestashop_infor.infor.models import ItemWarehouseBalance, M3RecordError, m3_date
from prestashop_infor.sandbox.infor import Fault, LifecycleSettings, create_app, seed_tenant
from prestashop_infor.serving import BackgroundServer
from prestashop_infor_tests.in_process import in_process_client

BASE = "http://testserver"
ITEMS = [("SKU-1", "Mug", "9.90"), ("SKU-2", "Cup", "5.00"), ("SKU-3", "Plate", "12.50")]


@pytest.fixture
def tenant():
    return seed_tenant(ITEMS, seed=7, lifecycle=LifecycleSettings.manual())


@pytest.fixture
def http(tenant):
    with in_process_client(create_app(tenant)) as client:
        yield client


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(tenant, http, sleeps):
    creds = IonApiCredentials.from_dict(tenant.ionapi(BASE))
    with M3Client(creds, http_client=http, sleep=sleeps.append, seed=1) as m3:
        yield m3


def create_batch_order(client: M3Client, cuor: str = "PS-1", lines=(("SKU-1", 2), ("SKU-2", 1))) -> str:
    orno = client.execute_one("OIS100MI", "AddBatchHead", CUNO="WEB0000001", CUOR=cuor)["ORNO"]
    results = client.bulk(
        [("OIS100MI", "AddBatchLine", {"ORNO": orno, "ITNO": i, "ORQT": q}) for i, q in lines]
    )
    assert all(r.ok for r in results)
    return orno


def test_single_call_returns_trimmed_string_records(client, tenant):
    tenant.items["SKU-1"].itds = "Mug   "  # M3 pads; the emulator trims, so does the client
    record = client.execute_one("MMS200MI", "Get", ITNO="SKU-1")
    assert record["ITNO"] == "SKU-1" and record["ITDS"] == "Mug"
    assert all(isinstance(v, str) for v in record.values())
    assert record["LMDT"] == "20250106"
    balance = client.item_balance("100", "SKU-1")
    assert (
        isinstance(balance, ItemWarehouseBalance) and balance.available == balance.on_hand - balance.allocated
    )


def test_m3_error_carries_program_transaction_code_field_message(client):
    with pytest.raises(M3TransactionError) as info:
        client.execute("OIS100MI", "GetHead", ORNO="9999999999")
    error = info.value
    assert (error.program, error.transaction, error.field, error.http_status) == (
        "OIS100MI",
        "GetHead",
        "ORNO",
        400,
    )
    assert len(error.code) == 7 and error.message == "Order number 9999999999 does not exist"  # trimmed
    assert "OIS100MI/GetHead" in str(error) and "ORNO" in str(error)


def test_error_at_top_level_variant(client, tenant):
    tenant.error_style = "top"
    with pytest.raises(M3TransactionError) as info:
        client.execute("OIS100MI", "GetHead", ORNO="9999999999")
    assert info.value.field == "ORNO" and "does not exist" in info.value.message
    assert info.value.error_type == "ServerReturnedNOK"


def test_error_parsing_of_recorded_shapes(fixtures_dir: Path):
    """Error fields in results[0], at the top level, and inside an HTTP 200 body."""
    schema = json.loads(
        (fixtures_dir / "infor" / "m3_v2_swagger_definitions_and_common_params.json").read_text()
    )
    assert "errorField" in schema["definitions"]["BulkResponseResult"]["properties"]
    in_results = {"results": [{"transaction": "GetHead", "errorMessage": "Designed to fail!      ", "errorCode": "CPF9898",
                               "errorField": "RETT      ", "errorType": "ServerReturnedNOK", "records": []}],
                  "wasTerminated": False, "nrOfSuccessfullTransactions": 0, "nrOfFailedTransactions": 1}  # fmt: skip
    error = _error_in(in_results, "TST001MI", "GetHead", 400)
    assert (error.code, error.field, error.message) == ("CPF9898", "RETT", "Designed to fail!")
    top = {"wasTerminated": True, "terminationReason": "Not authorized for company 0", "terminationErrorType": "ServerReturnedNOK",
           "errorCode": "XAU0008", "errorField": "CONO"}  # fmt: skip
    error = _error_in(top, "OIS100MI", "GetHead", 200)
    assert (error.code, error.field, error.message, error.error_type) == (
        "XAU0008", "CONO", "Not authorized for company 0", "ServerReturnedNOK")  # fmt: skip
    bare = {"results": [], "wasTerminated": False, "nrOfFailedTransactions": 1}
    assert _error_in(bare, "OIS100MI", "GetHead", 200) is not None
    ok = {"results": [{"transaction": "GetHead", "records": [{}]}], "nrOfFailedTransactions": 0}
    assert _error_in(ok, "OIS100MI", "GetHead", 200) is None


def test_a_company_m3_refuses_stops_the_caller_instead_of_failing_a_record(client, tenant, http):
    """XAU0008 on CONO is the connection's setup, not one record's fault: M3CompanyError, which is
    no M3TransactionError (a sync unit would dead-letter that), from a single call and from bulk."""
    with pytest.raises(M3CompanyError) as info:
        client.execute("MMS200MI", "Get", ITNO="SKU-1", cono=999)
    assert not isinstance(info.value, M3TransactionError)
    assert (info.value.refused.code, info.value.refused.field, info.value.company) == ("XAU0008", "CONO", 999)
    assert "company 999" in str(info.value) and "erp.company" in str(info.value)
    creds = IonApiCredentials.from_dict(tenant.ionapi(BASE))
    with M3Client(creds, http_client=http, company=999) as elsewhere:
        with pytest.raises(M3CompanyError, match="company 999"):
            elsewhere.execute("MMS200MI", "Get", ITNO="SKU-1")
        with pytest.raises(M3CompanyError, match="company 999"):
            elsewhere.bulk([("OIS100MI", "AddBatchHead", {"CUNO": "WEB0000001", "CUOR": "PS-77"})])
    assert not tenant.batch_orders or all(b.cuor != "PS-77" for b in tenant.batch_orders.values())


def test_every_call_carries_the_clients_company_and_division(tenant, http):
    """The mapping's erp.company / erp.division go on every call as cono / divi (contract §4): the
    query of a single call, the body of a bulk request; a call's own cono wins; none: not sent."""
    sent: list[httpx.Request] = []
    http.event_hooks["request"].append(sent.append)
    creds = IonApiCredentials.from_dict(tenant.ionapi(BASE))
    with M3Client(creds, http_client=http, company=100, division="AAA") as m3:
        assert m3.execute_one("MMS200MI", "Get", ITNO="SKU-1")["ITNO"] == "SKU-1"
        assert all(r.ok for r in m3.bulk([("MMS200MI", "Get", {"ITNO": "SKU-2"})]))
        with pytest.raises(M3CompanyError):
            m3.execute("MMS200MI", "Get", ITNO="SKU-1", cono=200)
    calls = [r for r in sent if "/m3api-rest/" in r.url.path]
    single, bulk, own = calls
    assert (single.url.params["cono"], single.url.params["divi"]) == ("100", "AAA")
    assert (json.loads(bulk.content)["cono"], json.loads(bulk.content)["divi"]) == (100, "AAA")
    assert own.url.params["cono"] == "200"
    sent.clear()
    with M3Client(creds, http_client=http) as m3:
        m3.execute_one("MMS200MI", "Get", ITNO="SKU-1")
        m3.bulk([("MMS200MI", "Get", {"ITNO": "SKU-2"})])
    single, bulk = [r for r in sent if "/m3api-rest/" in r.url.path]
    assert "cono" not in single.url.params and "divi" not in single.url.params
    assert "cono" not in json.loads(bulk.content) and "divi" not in json.loads(bulk.content)


def test_bulk_keeps_order_and_reports_partial_failure(client):
    orno = client.execute_one("OIS100MI", "AddBatchHead", CUNO="WEB0000001", CUOR="PS-9")["ORNO"]
    calls = [
        ("OIS100MI", "AddBatchLine", {"ORNO": orno, "ITNO": "SKU-1", "ORQT": 1}),
        ("OIS100MI", "AddBatchLine", {"ORNO": orno, "ORQT": 1}),  # ITNO missing
        ("OIS100MI", "AddBatchLine", {"ORNO": orno, "ITNO": "X" * 16, "ORQT": 1}),  # too long
        ("MMS200MI", "Get", {"ITNO": "SKU-3"}),  # another program: another request
        ("OIS100MI", "AddBatchLine", {"ORNO": orno, "ITNO": "SKU-2", "ORQT": Decimal("2.5")}),
    ]
    results = client.bulk(calls, max_per_request=2)
    assert [r.ok for r in results] == [True, False, False, True, True]
    assert [r.transaction for r in results] == ["AddBatchLine"] * 3 + ["Get", "AddBatchLine"]
    assert results[1].error.field == "ITNO" and results[2].error.field == "ITNO"
    assert "too long" in results[2].error.message
    assert results[3].records[0]["ITDS"] == "Plate"
    # Chunks go out concurrently, so M3 numbers the two lines in arrival order: distinct, not ordered.
    assert sorted(r.records[0]["PONR"] for r in results if r.transaction == "AddBatchLine" and r.ok) == [
        "1",
        "2",
    ]


def test_bulk_wire_shape_and_counters(http, client, tenant):
    token = client.tokens.access_token()
    body = {"program": "MMS200MI", "cono": 100, "maxReturnedRecords": 1, "transactions": [
        {"transaction": "Get", "record": {"ITNO": "SKU-1"}, "selectedColumns": ["ITNO", "STAT"]},
        {"transaction": "Get", "record": {"ITNO": "NOPE"}},
        {"transaction": "LstItmByItm", "record": {"ITNO": "SKU-1"}},
    ]}  # fmt: skip
    response = http.post(
        f"{BASE}/SANDBOX_TST/M3/m3api-rest/v2/execute",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    data = response.json()
    assert response.status_code == 200
    assert data["nrOfSuccessfullTransactions"] == 2 and data["nrOfFailedTransactions"] == 1
    assert data["results"][0]["records"] == [{"ITNO": "SKU-1", "STAT": "20"}]
    assert data["results"][1]["errorField"] == "ITNO" and data["results"][1]["records"] == []
    assert len(data["results"][2]["records"]) == 1  # maxReturnedRecords


def test_common_parameters_query_and_matrix(http, client):
    token = client.tokens.access_token()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{BASE}/SANDBOX_TST/M3/m3api-rest/v2/execute/MMS200MI"
    lst = http.get(f"{url}/LstItmByItm;metadata=false;maxrecs=2;excludempty=true;returncols=ITNO,ITDS,FUDS",
                   params={"ITNO": "SKU-1", "_rid": "123"}, headers=headers).json()  # fmt: skip
    assert lst["results"][0]["records"] == [
        {"ITNO": "SKU-1", "ITDS": "Mug"},
        {"ITNO": "SKU-2", "ITDS": "Cup"},
    ]
    padded = http.get(
        f"{url}/Get",
        params={"ITNO": "SKU-1", "righttrim": "false", "extendedresult": "true"},
        headers=headers,
    ).json()
    assert padded["results"][0]["records"][0]["ITNO"] == "SKU-1".ljust(15)
    assert padded["results"][0]["parameters"] == {"ITNO": "SKU-1"}
    every = http.get(
        f"{url}/LstItmByItm",
        params={"ITNO": "SKU-1", "maxrecs": "0", "excludeempty": "true"},
        headers=headers,
    ).json()
    assert len(every["results"][0]["records"]) == 3 and all(
        v != "" for r in every["results"][0]["records"] for v in r.values()
    )
    dated = http.get(f"{url}/Get", params={"ITNO": "SKU-1", "dateformat": "YMD8-"}, headers=headers).json()
    assert dated["results"][0]["records"][0]["LMDT"] == "2025-01-06"
    assert client.execute("MMS200MI", "LstItmByItm", ITNO="SKU-2", maxrecs=1, returncols=["ITNO"]) == [
        {"ITNO": "SKU-2"}
    ]


def test_gateway_404_405_and_unknown_transaction(http, client):
    token = client.tokens.access_token()
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        http.get(f"{BASE}/OTHER_TST/M3/m3api-rest/v2/execute/MMS200MI/Get", headers=headers).status_code
        == 404
    )
    assert http.get(f"{BASE}/SANDBOX_TST/M3/nothing", headers=headers).status_code == 404
    assert (
        http.post(f"{BASE}/SANDBOX_TST/M3/m3api-rest/v2/execute/MMS200MI/Get", headers=headers).status_code
        == 405
    )
    with pytest.raises(M3TransactionError) as info:
        client.execute("MMS200MI", "Frobnicate")
    assert info.value.http_status == 400 and "Frobnicate" in info.value.message
    with pytest.raises(M3TransactionError, match="Program XYZ999MI does not exist"):
        client.execute("XYZ999MI", "Get")


def test_v1_endpoint_shape(http, client):
    token = client.tokens.access_token()
    headers = {"Authorization": f"Bearer {token}"}
    ok = http.get(
        f"{BASE}/SANDBOX_TST/M3/m3api-rest/execute/MMS200MI/Get", params={"ITNO": "SKU-1"}, headers=headers
    ).json()
    assert ok["Program"] == "MMS200MI" and ok["MIRecord"][0]["RowIndex"] == 0
    assert {"Name": "ITNO", "Value": "SKU-1"} in ok["MIRecord"][0]["NameValue"]
    nok = http.get(
        f"{BASE}/SANDBOX_TST/M3/m3api-rest/execute/MMS200MI/Get", params={"ITNO": "NO"}, headers=headers
    ).json()
    assert nok["@type"] == "ServerReturnedNOK" and nok["@field"].strip() == "ITNO"


# -- retries --------------------------------------------------------------------------------------


def test_429_honours_retry_after_then_succeeds(client, tenant, sleeps):
    tenant.gateway.faults.append(Fault(status=429, count=2, match="MMS200MI/Get", retry_after="3"))
    assert client.execute_one("MMS200MI", "Get", ITNO="SKU-1")["ITNO"] == "SKU-1"
    assert sleeps == [3.0, 3.0] and client.stats["retries"] == 2


def test_429_without_retry_after_backs_off_exponentially(client, tenant, sleeps):
    tenant.gateway.faults.append(Fault(status=429, count=3, match="MMS200MI/Get"))
    client.execute_one("MMS200MI", "Get", ITNO="SKU-1")
    assert len(sleeps) == 3 and all(s > 0 for s in sleeps)
    assert 0.125 <= sleeps[0] <= 0.25 and 0.5 <= sleeps[2] <= 1.0  # base 0.25 doubled, jittered


def test_429_retried_for_writes_too(client, tenant, sleeps):
    tenant.gateway.faults.append(Fault(status=429, count=1, match="OIS100MI/AddBatchHead", retry_after="1"))
    orno = client.execute_one("OIS100MI", "AddBatchHead", CUNO="WEB0000001")["ORNO"]
    assert len(tenant.batch_orders) == 1 and orno in tenant.batch_orders


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_retried_for_reads(client, tenant, sleeps, status):
    tenant.gateway.faults.append(Fault(status=status, count=2, match="MMS200MI/"))
    assert client.execute_one("MMS200MI", "Get", ITNO="SKU-2")["ITDS"] == "Cup"
    assert len(sleeps) == 2


def test_retries_are_bounded(client, tenant, sleeps):
    tenant.gateway.faults.append(Fault(status=503, count=10, match="MMS200MI/"))
    with pytest.raises(M3GatewayError) as info:
        client.execute("MMS200MI", "Get", ITNO="SKU-2")
    assert info.value.status == 503 and not info.value.may_have_committed
    assert client.stats["requests"] == client.max_attempts and len(sleeps) == client.max_attempts - 1


def test_write_committed_then_504_is_not_blindly_repeated(client, tenant):
    """The gateway times out after M3 did the write: repeating would make a second order."""
    tenant.gateway.faults.append(Fault(status=504, count=1, match="OIS100MI/AddBatchHead", after_commit=True))
    with pytest.raises(M3GatewayError) as info:
        client.execute("OIS100MI", "AddBatchHead", CUNO="WEB0000001", CUOR="PS-504")
    assert info.value.status == 504 and info.value.may_have_committed
    assert len(tenant.batch_orders) == 1  # it did commit; the caller looks it up by CUOR
    found = client.execute("OIS100MI", "LstBatchHead", CUNO="WEB0000001")
    assert [r["CUOR"] for r in found] == ["PS-504"]


def test_a_fault_with_a_rate_hits_that_share_of_calls_and_the_same_ones_every_run(tenant, http):
    """A standing error rate (``rate``, drawn from the gateway's seeded generator): 20% of calls."""

    def hits() -> list[int]:
        tenant.gateway.fault_random.seed(0)
        tenant.gateway.faults[:] = [Fault(status=503, count=10**6, match="MMS200MI/", rate=0.2)]
        token = tenant.gateway.token({"grant_type": "client_credentials"})["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/{tenant.tenant}/M3/m3api-rest/v2/execute/MMS200MI/Get?ITNO=SKU-1"
        return [n for n in range(500) if http.get(path, headers=headers).status_code == 503]

    first = hits()
    assert 70 <= len(first) <= 130 and hits() == first
    assert tenant.gateway.faults[0].count == 10**6 - len(first)  # only the calls it hit used it up
    refused = http.post("/_sandbox/faults", json={"status": 503, "rate": 1.5})
    assert refused.status_code == 400
    assert http.post("/_sandbox/faults", json={"status": 503, "count": 5, "rate": 0.2}).status_code == 200
    assert tenant.gateway.faults[-1].rate == 0.2


def test_a_write_that_commits_then_times_out_commits_before_the_slow_answer(client, tenant):
    """``after_commit`` with a ``delay``: M3 holds the write while the gateway is still waiting, as
    when the gateway times out on a write M3 finished (a lookup during the wait finds it)."""
    import threading

    tenant.gateway.faults.append(
        Fault(status=504, count=1, match="OIS100MI/AddBatchHead", after_commit=True, delay=0.5)
    )
    seen: list[int] = []
    timer = threading.Timer(0.25, lambda: seen.append(len(tenant.batch_orders)))
    timer.start()
    with pytest.raises(M3GatewayError) as info:
        client.execute("OIS100MI", "AddBatchHead", CUNO="WEB0000001", CUOR="PS-SLOW")
    timer.join()
    assert info.value.status == 504 and info.value.may_have_committed
    assert seen == [1] and len(tenant.batch_orders) == 1


def test_retry_writes_opt_in(tenant, http, sleeps):
    creds = IonApiCredentials.from_dict(tenant.ionapi(BASE))
    m3 = M3Client(creds, http_client=http, sleep=sleeps.append, retry_writes=True)
    tenant.gateway.faults.append(Fault(status=502, count=1, match="OIS100MI/AddBatchHead"))
    m3.execute("OIS100MI", "AddBatchHead", CUNO="WEB0000001")
    assert len(sleeps) == 1 and len(tenant.batch_orders) == 1


def test_bulk_retries_5xx_for_reads_and_reports_refused_writes(client, tenant, sleeps):
    tenant.gateway.faults.append(Fault(status=500, count=1, match="MMS200MI/"))
    reads = client.bulk([("MMS200MI", "Get", {"ITNO": i}) for i, _, _ in ITEMS])
    assert all(r.ok for r in reads) and len(sleeps) == 1
    tenant.gateway.faults.append(Fault(status=503, count=1, match="OIS100MI/"))
    writes = client.bulk([("OIS100MI", "AddBatchHead", {"CUNO": "WEB0000001"})] * 2)
    assert [r.ok for r in writes] == [False, False]
    assert all(isinstance(r.error, M3GatewayError) and r.error.may_have_committed for r in writes)


def test_quota_answers_429_with_retry_after(client, tenant, sleeps):
    from datetime import timedelta

    tenant.gateway.quota = (3, timedelta(seconds=10))
    for _ in range(3):
        client.execute("MMS200MI", "Get", ITNO="SKU-1")
    # the 4th call is over quota; the emulator clock is manual, so move it while the client sleeps
    client._retry.sleep = lambda seconds: (
        sleeps.append(seconds),
        tenant.clock.advance(timedelta(seconds=seconds)),
    )
    client.execute("MMS200MI", "Get", ITNO="SKU-1")
    assert sleeps == [10.0]


def test_bounded_concurrency_over_a_real_socket(tenant):
    with BackgroundServer(create_app(tenant)) as server:
        creds = IonApiCredentials.from_dict(tenant.ionapi(server.url))
        with M3Client(creds, max_concurrency=3) as m3:
            results = m3.bulk([("MMS200MI", "Get", {"ITNO": i}) for i, _, _ in ITEMS * 10], max_per_request=2)
            assert len(results) == 30 and all(r.ok for r in results)
            assert [r.records[0]["ITNO"] for r in results[:3]] == ["SKU-1", "SKU-2", "SKU-3"]
            assert m3._slots._value == 3  # every slot given back


def test_wire_values():
    assert (
        wire_value(Decimal("2.50")) == "2.5" and wire_value(Decimal("3.000")) == "3" and wire_value(7) == "7"
    )
    with pytest.raises(TypeError, match="not float"):
        wire_value(0.1)


def test_retry_after_as_an_http_date_is_honoured(client, tenant, sleeps):
    """Retry-After comes in two forms (RFC 9110): seconds, or an HTTP date; both are waited on."""
    import email.utils
    import time

    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    tenant.gateway.faults.append(Fault(status=503, count=1, match="MMS200MI/Get", retry_after=when))
    assert client.execute_one("MMS200MI", "Get", ITNO="SKU-1")["ITNO"] == "SKU-1"
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 31


def test_the_sandbox_state_counts_doubles_per_customer_order_number_and_per_e_mail(client, tenant, http):
    before = http.get("/_sandbox/state").json()
    assert before["duplicate_orders"] == 0 and before["duplicate_customers"] == 0
    for cuno in ("CHAOS00001", "CHAOS00002"):
        client.execute(
            "CRS610MI", "Add", CUNO=cuno, CUTM="WEBTMPL", CUNM="Ann Example", CUA1="1 Main St",
            MAIL="Ann@Example.org" if cuno.endswith("1") else " ann@example.org",
        )  # fmt: skip
    assert http.get("/_sandbox/state").json()["duplicate_customers"] == 1


def test_a_fault_with_seconds_answers_every_call_for_that_time_then_ends(tenant, http):
    """A burst in time, as a gateway's rate limit is: every call in it gets the fault, whatever the
    count; after it the calls pass (the chaos benchmark's 429s, whose Retry-After tells the truth)."""
    import time

    token = tenant.gateway.token({"grant_type": "client_credentials"})["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/{tenant.tenant}/M3/m3api-rest/v2/execute/MMS200MI/Get?ITNO=SKU-1"
    answer = http.post(
        "/_sandbox/faults", json={"status": 429, "count": 1, "seconds": 0.5, "retry_after": "1"}
    )
    assert answer.status_code == 200
    during = [http.get(path, headers=headers) for _ in range(5)]
    assert [a.status_code for a in during] == [429] * 5 and during[0].headers["retry-after"] == "1"
    time.sleep(0.6)
    assert http.get(path, headers=headers).status_code != 429
    assert not tenant.gateway.faults  # expired and gone
    assert http.post("/_sandbox/faults", json={"status": 429, "seconds": 0}).status_code == 400


def test_dates_are_read_as_ymd8_and_nothing_else():
    assert m3_date({"DT": "20260131"}, "DT") == date(2026, 1, 31)
    assert m3_date({"DT": " 20240229 "}, "DT") == date(2024, 2, 29)
    for empty in ("", "0", "00000000"):
        assert m3_date({"DT": empty}, "DT") is None
    assert m3_date({}, "DT") is None
    for bad in ("2026131", "20261301", "20250229", "2026-01-31", "２０２６０１３１", "202601311"):
        with pytest.raises(M3RecordError, match="DT is not a date YYYYMMDD"):
            m3_date({"DT": bad}, "DT")


def test_m3_errors_cross_a_process_whole():
    refused = M3TransactionError("OIS100MI", "GetHead", code="XAU0008", field="CONO",
                                 message="Not authorized for company 300", http_status=400)  # fmt: skip
    gateway = M3GatewayError("OIS100MI", "Confirm", 504, "timeout", may_have_committed=True)
    for error in (refused, M3CompanyError(refused, 300), gateway):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error)
    again = pickle.loads(pickle.dumps(M3CompanyError(refused, 300)))
    assert (again.company, again.refused.code, again.refused.field, again.refused.http_status) == (
        300, "XAU0008", "CONO", 400)  # fmt: skip
    assert pickle.loads(pickle.dumps(gateway)).may_have_committed is True


def test_a_second_company_of_the_tenant_keeps_records_of_its_own(tenant, http):
    """M3 keeps items, customers and orders per company; one token serves every company of the
    tenant and ``cono`` names the one a call runs in (the single call, the bulk request, v1 too)."""
    other = tenant.add_company("200", divi="BBB")
    other.add_item("BOWL-1", "Bowl", "4.00")
    other.add_customer("C200000001", "Lyon shop")
    creds = IonApiCredentials.from_dict(tenant.ionapi(BASE))
    with M3Client(creds, http_client=http) as default, M3Client(creds, http_client=http, company=200) as m3:
        assert m3.execute_one("MMS200MI", "Get", ITNO="BOWL-1")["ITDS"] == "Bowl"
        with pytest.raises(M3TransactionError):
            default.execute("MMS200MI", "Get", ITNO="BOWL-1")  # company 100 has no such item
        with pytest.raises(M3TransactionError):
            m3.execute("MMS200MI", "Get", ITNO="SKU-1")  # nor 200 company 100's
        head = m3.execute_one("OIS100MI", "AddBatchHead", CUNO="C200000001", CUOR="PS-200")
        assert head["ORNO"] in other.batch_orders and head["ORNO"] not in tenant.batch_orders
        (line,) = m3.bulk([("OIS100MI", "AddBatchLine", {"ORNO": head["ORNO"], "ITNO": "BOWL-1", "ORQT": 2})])
        assert line.ok and other.batch_orders[head["ORNO"]].lines
        user = m3.execute_one("OIS100MI", "GetUserInfo")
        assert (user["ZDCONO"], user["ZDDIVI"]) == ("200", "BBB")
        assert default.execute_one("OIS100MI", "GetUserInfo")["ZDCONO"] == "100"
    token = default.tokens.access_token()
    v1 = http.get(f"{BASE}/SANDBOX_TST/M3/m3api-rest/execute/MMS200MI/Get",
                  params={"ITNO": "BOWL-1", "cono": "200"}, headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert v1.status_code == 200 and "Bowl" in v1.text
    # the sandbox's hooks act on the company ?cono= names (none: the tenant's default)
    other.add_warehouse("200", "Lyon")
    moved = http.post("/_sandbox/stock?cono=200", json={"item": "BOWL-1", "quantity": 7, "warehouse": "200"})
    assert moved.status_code == 200 and other.balances[("200", "BOWL-1")].on_hand == 7
    assert ("200", "BOWL-1") not in tenant.balances
    state = http.get("/_sandbox/state?cono=200&balances=1").json()
    assert state["balances"] == [{"WHLO": "200", "ITNO": "BOWL-1", "AV01": "7"}]
    unknown = http.post("/_sandbox/stock?cono=300", json={"item": "BOWL-1", "quantity": 1})
    assert unknown.status_code == 404 and "no company 300" in unknown.json()["error_description"]
    ticked = []
    other.tick = lambda: ticked.append("200") or 0  # the clock moves every company's lifecycle
    tenant.clock.advance(timedelta(minutes=1))
    assert ticked == ["200"]
    for cono in ("100", "2000", "AB"):
        with pytest.raises(ValueError):
            tenant.add_company(cono)
