"""Every transaction the emulator implements, checked against the real M3 Swagger specs.

The registry here is built independently of the emulator's own loader (the recipe in the fixtures'
README), from the byte-identical Swagger copies in ``fixtures/infor/m3-swagger`` (the emulator
itself ships and reads only its compact digest of them).
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest
from starlette.testclient import TestClient

from prestashop_infor.infor import IonApiCredentials, M3Client, M3TransactionError
from prestashop_infor.sandbox.infor import LifecycleSettings, create_app, seed_tenant

COMMON = {"cono", "divi", "lanc", "locale", "timeZone", "maxrecs", "dateformat", "excludeempty", "righttrim",
          "returncols", "format", "extendedresult"}  # fmt: skip
LEN = re.compile(r"\((\d+)\)\s*$")


def load_registry(folder: pathlib.Path) -> dict:
    reg: dict = {}
    for f in folder.glob("*.swagger.json"):
        spec = json.loads(f.read_text())
        prog = spec["info"]["title"].split(" - ")[0]
        for path, ops in spec["paths"].items():
            op = ops["get"]
            ins = [(p["name"], p.get("required", False), int(LEN.search(p["description"]).group(1)), p["type"])
                   for p in op["parameters"] if p["name"] not in COMMON]  # fmt: skip
            rec = op["responses"]["200"]["schema"]["properties"]["results"]["items"]
            ex = rec["properties"]["records"]["items"].get("example", {})
            outs = {k: int(LEN.search(v).group(1)) for k, v in ex.items()}
            reg.setdefault(prog, {})[path.strip("/")] = {"in": ins, "out": outs}
    return reg


SWAGGER_DIR = pathlib.Path(__file__).parent / "fixtures" / "infor" / "m3-swagger"
REGISTRY = load_registry(SWAGGER_DIR)
ITEMS = [("SKU-1", "Mug", "9.90"), ("SKU-2", "Cup", "5.00")]


@pytest.fixture(scope="module")
def env():
    tenant = seed_tenant(ITEMS, seed=3, lifecycle=LifecycleSettings.manual())
    http = TestClient(create_app(tenant))
    client = M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=http)
    yield tenant, client
    http.close()


IMPLEMENTED = sorted(seed_tenant([], customers=0).handlers)
#: Hand-written rules (writes): every one is walked through by the lifecycle test below; the reads
#: the generic engine serves are covered one by one in test_infor_emulator_reads.py.
WRITES = sorted(
    (program, transaction)
    for program, transaction in IMPLEMENTED
    if transaction in seed_tenant([], customers=0).programs[program].rules()
)


def test_specs_are_the_real_ones():
    assert REGISTRY["OIS100MI"]["AddBatchHead"]["in"][0] == ("CUNO", True, 10, "string")
    assert REGISTRY["OIS100MI"]["AddBatchAddress"]["in"][:2] == [
        ("ORNO", True, 10, "string"),
        ("ADRT", True, 2, "number"),
    ]
    for program, transaction in IMPLEMENTED:
        assert transaction in REGISTRY[program], f"{program}/{transaction} is not in the specs"


def _valid_value(name: str, length: int, kind: str) -> str:
    return "1" if kind == "number" else "A" * min(length, 3)


@pytest.mark.parametrize(("program", "transaction"), IMPLEMENTED)
def test_missing_required_input_names_the_field(env, program, transaction):
    _, client = env
    required = [(n, ln, k) for n, req, ln, k in REGISTRY[program][transaction]["in"] if req]
    for missing, _, _ in required:
        fields = {n: _valid_value(n, ln, k) for n, ln, k in required if n != missing}
        with pytest.raises(M3TransactionError) as info:
            client.execute(program, transaction, **fields)
        assert info.value.field == missing, (program, transaction, missing, str(info.value))
        assert info.value.program == program and info.value.transaction == transaction
        assert missing in info.value.message


@pytest.mark.parametrize(("program", "transaction"), [(p, t) for p, t in IMPLEMENTED if REGISTRY[p][t]["in"]])
def test_over_long_input_is_rejected_naming_the_field(env, program, transaction):
    _, client = env
    inputs = REGISTRY[program][transaction]["in"]
    required = {n: _valid_value(n, ln, k) for n, req, ln, k in inputs if req}
    for name, _, length, kind in inputs[:3]:
        value = "9" * (length + 1) if kind == "number" else "X" * (length + 1)
        with pytest.raises(M3TransactionError) as info:
            client.execute(program, transaction, **{**required, name: value})
        assert info.value.field == name and "too long" in info.value.message


@pytest.mark.parametrize(("program", "transaction"), IMPLEMENTED)
def test_unknown_input_field_is_rejected(env, program, transaction):
    _, client = env
    with pytest.raises(M3TransactionError) as info:
        client.execute(program, transaction, ZZZZ="1")
    assert info.value.field == "ZZZZ"


def test_numeric_inputs_must_be_numbers(env):
    _, client = env
    with pytest.raises(M3TransactionError) as info:
        client.execute("OIS100MI", "AddBatchAddress", ORNO="1", ADRT="X")
    assert info.value.field == "ADRT" and "numeric" in info.value.message


def test_generic_transactions_answer_on_every_program(env):
    _, client = env
    for program in ("OIS100MI", "MMS200MI", "CRS610MI"):
        record = client.execute_one(program, "GetServerTime")
        assert set(record) == set(REGISTRY[program]["GetServerTime"]["out"])
        assert len(record["DATE"]) == 8 and record["LMTS"].isdigit()
    user = client.execute_one("OIS100MI", "GetUserInfo")
    assert (user["ZDCONO"], user["ZDDIVI"]) == ("100", "AAA")


def check_outputs(program: str, transaction: str, records: list[dict[str, str]]) -> None:
    outputs = REGISTRY[program][transaction]["out"]
    for record in records:
        assert set(record) == set(outputs), f"{program}/{transaction} fields differ from the spec"
        for name, value in record.items():
            assert isinstance(value, str), (program, transaction, name)
            assert value == value.rstrip(), (program, transaction, name)
            assert len(value) <= outputs[name], (program, transaction, name, value)


def test_outputs_match_the_specs_over_a_whole_lifecycle(env):
    """Drive one order from batch entry to payment through every hand-written rule, reading the
    integration's read transactions on the way: only spec fields, every value a string within its
    length."""
    tenant, client = env
    seen: set[tuple[str, str]] = set()

    def read(program: str, transaction: str, **fields: str) -> list[dict[str, str]]:
        records = client.execute(program, transaction, maxrecs=0, **fields)
        check_outputs(program, transaction, records)
        seen.add((program, transaction))
        return records

    def write(program: str, transaction: str, **fields: str) -> list[dict[str, str]]:
        records = client.execute(program, transaction, **fields)
        check_outputs(program, transaction, records)
        seen.add((program, transaction))
        return records

    cuno = write(
        "CRS610MI", "Add", CUTM="WEBTMPL", CUNM="Ada Lovelace", CUA1="1 Analytical St", MAIL="ada@example.com"
    )[0]["CUNO"]
    orno = write("OIS100MI", "AddBatchHead", CUNO=cuno, CUOR="PS-000777", YREF="Web 777", ORDT="20250106")[0][
        "ORNO"
    ]
    write(
        "OIS100MI",
        "AddBatchAddress",
        ORNO=orno,
        ADRT="1",
        CUNM="Ada",
        CUA1="1 Analytical St",
        TOWN="London",
        CSCD="GB",
    )
    write("OIS100MI", "AddBatchLine", ORNO=orno, ITNO="SKU-1", ORQT="2", SAPR="9.90")
    write("OIS100MI", "AddBatchText", ORNO=orno, TYPE="1", TYTR="1", PARM="Gift wrap")
    confirm = write("OIS100MI", "Confirm", ORNO=orno)[0]
    ornr = read("OIS100MI", "GetOrderNo", ORNO=orno)[0]["ORNR"]
    assert confirm["STAT"] == "90" and ornr
    read("OIS100MI", "LstErrMsgOrder", ORNO=orno)
    read("OIS275MI", "GetTmpOrderStat", ORNO=orno)
    read("OIS275MI", "GetBatchHead", ORNO=orno)
    for program in ("OIS100MI", "OIS275MI"):
        (line,) = read(program, "LstBatchLine", ORNO=orno)
        assert (line["ITNO"], line["ORQT"], line["PONR"]) == ("SKU-1", "2", "1")
        assert read(program, "GetAddress", ORNO=orno, ADRT="1")[0]["TOWN"] == "London"
    read("OIS100MI", "LstBatchHead", CUNO=cuno)
    read("OIS175MI", "LstHeadByRef", CUNO=cuno, YREF="Web 777")
    read("OIS120MI", "LstCOStopByCUOR", CUOR="PS-000777")
    read("CRS610MI", "GetBasicData", CUNO=cuno)
    write("CRS610MI", "ChgBasicData", CUNO=cuno, CUA1="2 Difference Engine Rd", CHNO="1")
    assert read("CRS610MI", "GetBasicData", CUNO=cuno)[0]["CHNO"] == "2"
    read("CRS610MI", "LstByNumber", CUNO=cuno)
    write("MMS200MI", "UpdItmBasic", ITNO="SKU-1", FUDS="A mug for the analytical engine")
    read("MMS200MI", "Get", ITNO="SKU-1")
    read("MMS200MI", "LstItmByItm", ITNO="SKU-1")
    read("MMS200MI", "LstItmByChgDate", FLMD="20250101")
    read("MMS005MI", "LstWarehouses")
    read("MMS200MI", "GetItmWhsBal", WHLO="100", ITNO="SKU-1")
    read("MMS060MI", "LstBalID", WHLO="100")
    read("OIS100MI", "LstNewBalances", LMTS="0")
    read("OIS100MI", "LstWarehBalance", ITNO="SKU-1")
    write("MMS850MI", "AddAdjust", E0PA="WS", E065="WMS", WHLO="100", ITNO="SKU-1", QLQT="5", PMSN="ADJ-1")
    read("MMS850MI", "GetMvxMsg", E0PB="WS", PMSN="ADJ-1")
    tenant.release_for_picking(tenant.orders[ornr])
    dlix = read("OIS100MI", "LstDelLineByCO", ORNO=ornr, PONR="1")[0]["DLIX"]
    read("MWS410MI", "GetHead", DLIX=dlix)
    write("MWS420MI", "Confirm", DLIX=dlix, PLSX="1")
    conn = read("MWS410MI", "GetHead", DLIX=dlix)[0]["CONN"]
    read("DRS100MI", "GetShipment", CONN=conn)
    tenant.invoice_order(tenant.orders[ornr])
    invoice = read("OIS350MI", "LstInvHeadByCo", ORNO=ornr)[0]
    read("OIS350MI", "GetInvHead", YEA4=invoice["YEA4"], IVNO=invoice["IVNO"])
    receivable = read("ARS200MI", "LstInvoices", CUNO=cuno)[0]
    read("ARS200MI", "GetInvoice", YEA4=receivable["YEA4"], JRNO=receivable["JRNO"], JSNO=receivable["JSNO"])
    write("ARS040MI", "AddBatchHead", PBID="1", BOPE="WEB")
    write("ARS040MI", "AddBatchLine", PBID="1", TRNO="1", CINO=receivable["CINO"], INYR=receivable["INYR"], CUNO=cuno,
          PYAM=invoice["AMT1"])  # fmt: skip
    write("ARS040MI", "ControlBatch", PBID="1")
    read("OIS100MI", "GetHead", ORNO=ornr)
    read("OIS100MI", "GetLine", ORNO=ornr, PONR="1")
    read("OIS100MI", "LstLine", ORNO=ornr)
    read("OIS100MI", "LstHead", CUNO=cuno)
    assert read("ARS200MI", "LstInvoices", CUNO=cuno)[0]["RECO"] == "9"
    repn = write("OIS390MI", "AddHead", WHLO="100", RORN=ornr)[0]["REPN"]
    write("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="1", REQ0="1")
    assert read("OIS390MI", "GetHead", WHLO="100", REPN=repn)[0]["RESL"] == "11"
    read("OIS390MI", "LstLine", WHLO="100", REPN=repn)
    # AddCfmPickList and AddAddress: test_infor_emulator_reads.py; the cancellation transactions
    # (no outputs): test_m3_emulator_cancellation.py
    # exercised by their own tests (the credit ones in test_infor_credit.py)
    elsewhere = {("MHS850MI", "AddCfmPickList"), ("CRS610MI", "AddAddress"), ("OIS100MI", "CloLine"),
                 ("OIS100MI", "DelHead"), ("OIS100MI", "DelLine"), ("CRS610MI", "ChgFinancial"),
                 ("OIS100MI", "CheckCredit"),
                 # the sales price lists and the customer's price list table: test_infor_prices.py
                 ("OIS017MI", "AddPriceList"), ("OIS017MI", "ChgPriceList"), ("OIS017MI", "DelPriceList"),
                 ("OIS017MI", "AddBasePrice"), ("OIS017MI", "UpdBasePrice"), ("OIS017MI", "DelBasePrice"),
                 ("OIS017MI", "AddGradSlsPrc"), ("OIS017MI", "UpdGradSlsPrc"), ("OIS017MI", "DelGradSlsPrc"),
                 ("CRS610MI", "ChgOrderInfo")}  # fmt: skip
    missing = set(WRITES) - seen - elsewhere
    assert not missing, f"not exercised: {sorted(missing)}"
