"""The M3 emulator's spec-driven reads: every ``Get``/``Lst``/``Sel`` transaction of the programs it
answers is served from its records, shaped by the real Swagger specs (checked here against the
fixtures, not against the emulator's compact copy), with M3's key semantics."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client, M3TransactionError
from prestashop_infor.sandbox.infor import LifecycleSettings, M3Tenant, create_app, seed_tenant
from prestashop_infor.sandbox.infor.models.families import FAMILIES
from prestashop_infor.sandbox.infor.models.programs import PROGRAMS
from prestashop_infor.sandbox.infor.models.reads import compile_read, family_fields
from prestashop_infor.sandbox.infor.models.values import render
from prestashop_infor.sandbox.infor.specs import GENERIC_TRANSACTIONS, READ_PREFIXES, load_specs
from prestashop_infor_tests.in_process import in_process_client
from prestashop_infor_tests.test_infor_emulator_specs import REGISTRY, check_outputs

ITEMS = [("SKU-1", "Mug", "9.90"), ("SKU-2", "Large breakfast cup with saucer and a matching spoon", "5.00")]
CUOR = "PS-000900"


def read_transactions() -> list[tuple[str, str]]:
    specs = load_specs()
    return sorted(
        (cls.name, t)
        for cls in PROGRAMS
        for t in specs[cls.name]
        if t.startswith(READ_PREFIXES) and t not in GENERIC_TRANSACTIONS
    )


READS = read_transactions()


def lifecycle_tenant() -> tuple[M3Tenant, M3Client, httpx.Client, dict[str, str]]:
    """A tenant with one order driven from batch entry to payment through the MI programs, plus a
    rejected batch order, a customer address, order texts, stock and warehouse messages and a
    customer return advised for one of its lines."""
    tenant = seed_tenant(ITEMS, seed=3, lifecycle=LifecycleSettings.manual())
    http = in_process_client(create_app(tenant))
    client = M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=http)
    one = client.execute_one
    cuno = one("CRS610MI", "Add", CUTM="WEBTMPL", CUNM="Ada Lovelace", CUA1="1 Analytical St", MAIL="ada@example.com",
               ALCU="ADA", YREF="Web shop", CSCD="GB", TOWN="London")["CUNO"]  # fmt: skip
    client.execute("CRS610MI", "AddAddress", CUNO=cuno, ADRT="1", ADID="HOME", CUNM="Ada at home",
                   CUA1="12 St James's Square", PONO="SW1Y 4JH", CSCD="GB", TOWN="London")  # fmt: skip
    orno = one("OIS100MI", "AddBatchHead", CUNO=cuno, CUOR=CUOR, YREF="Web 900", ORDT="20250106", TEPY="30",
               MODL="DHL", ORTP="WEB")["ORNO"]  # fmt: skip
    client.execute("OIS100MI", "AddBatchAddress", ORNO=orno, ADRT="1", CUNM="Ada Lovelace", CUA1="12 St James's Sq",
                   PONO="SW1Y 4JH", TOWN="London", CSCD="GB")  # fmt: skip
    client.execute("OIS100MI", "AddBatchLine", ORNO=orno, ITNO="SKU-1", ORQT="2", SAPR="9.90")
    client.execute("OIS100MI", "AddBatchLine", ORNO=orno, ITNO="SKU-2", ORQT="1")
    client.execute("OIS100MI", "AddBatchText", ORNO=orno, TYPE="1", TYTR="1", PARM="Gift wrap, please. " * 4)
    client.execute(
        "OIS100MI", "AddBatchText", ORNO=orno, TYPE="2", TYTR="1", PONR="1", PARM="Handle with care"
    )
    assert one("OIS100MI", "Confirm", ORNO=orno)["STAT"] == "90"
    ornr = one("OIS100MI", "GetOrderNo", ORNO=orno)["ORNR"]
    rejected = one("OIS100MI", "AddBatchHead", CUNO=cuno, CUOR="PS-000901")["ORNO"]
    client.execute("OIS100MI", "AddBatchLine", ORNO=rejected, ITNO="GHOST", ORQT="1")
    client.execute("OIS100MI", "Confirm", ORNO=rejected)
    client.execute(
        "MMS850MI", "AddAdjust", E0PA="WS", E065="WMS", WHLO="100", ITNO="SKU-1", QLQT="5", PMSN="ADJ-900"
    )
    delivery = tenant.release_for_picking(tenant.orders[ornr])
    client.execute("MHS850MI", "AddCfmPickList", WHLO="100", E0PA="WS", E065="WMS", DLIX=delivery.dlix, PLSX="1",
                   PMSN="PICK-900")  # fmt: skip
    invoice = tenant.invoice_order(tenant.orders[ornr])
    client.execute("ARS040MI", "AddBatchHead", PBID="1", BOPE="WEB")
    client.execute("ARS040MI", "AddBatchLine", PBID="1", TRNO="1", CINO=invoice.cino, INYR=invoice.yea4, CUNO=cuno,
                   PYAM=str(invoice.gross))  # fmt: skip
    client.execute("ARS040MI", "ControlBatch", PBID="1")
    repn = one("OIS390MI", "AddHead", WHLO="100", RORN=ornr, RSCD="RET", YREF="Web 900 return")["REPN"]
    client.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="2", REQ0="1")  # advised, not received
    keys = {"cuno": cuno, "orno": orno, "ornr": ornr, "rejected": rejected, "dlix": delivery.dlix}
    return tenant, client, http, keys


@pytest.fixture(scope="module")
def world():
    tenant, client, http, keys = lifecycle_tenant()
    yield tenant, client, keys
    http.close()


def _value(kind: str, name: str, numeric: bool, row: dict | None, target: str) -> str:
    if kind in ("key", "range") and row is not None:
        return render(row.get(target))
    return {"since": "0", "filter_count": "1", "open_only": "0", "changed_days": "30"}.get(
        kind, "1" if numeric else ("20250106" if name.endswith("DT") else "X")
    )


def call_inputs(tenant: M3Tenant, program: str, transaction: str) -> tuple[dict[str, str], bool]:
    """Inputs for a read, taken from the first record of the family it reads: its required inputs,
    and for a ``Get`` also the identity keys (``MWS410MI/GetHead`` needs ``DLIX``)."""
    rule = tenant.programs[program].reads[transaction]
    plan = compile_read(tenant.specs[program][transaction], rule)
    family = plan.family
    rows = sorted(
        (family.row(tenant, obj) for obj in family.objects(tenant)),
        key=lambda r: tuple(render(r.get(k)).zfill(20) for k in family.key),
    )
    row = rows[0] if rows else None
    inputs = {}
    for i in plan.inputs:
        identity = plan.is_get and i.kind == "key" and i.target in family.key
        if i.required or identity:
            inputs[i.name] = _value(i.kind, i.name, i.numeric, row, i.target)
    return inputs, family.kept


@pytest.mark.parametrize(("program", "transaction"), READS)
def test_every_read_answers_from_the_records_with_spec_fields(world, program, transaction):
    tenant, client, _ = world
    fields, kept = call_inputs(tenant, program, transaction)
    if not kept:  # records the emulator does not keep: nothing to list, nothing to get
        if transaction.startswith("Get"):
            with pytest.raises(M3TransactionError, match="does not exist"):
                client.execute(program, transaction, **fields)
        else:
            assert client.execute(program, transaction, maxrecs=0, **fields) == []
        return
    assert all(fields.values()), f"{program}/{transaction}: the seeded record leaves a key blank: {fields}"
    records = client.execute(program, transaction, maxrecs=0, **fields)
    assert records, f"{program}/{transaction} answered no record for {fields}"
    if transaction.startswith("Get"):
        assert len(records) == 1
    check_outputs(program, transaction, records)
    outputs = REGISTRY[program][transaction]["out"]
    for name, value in fields.items():
        if name in outputs and name not in ("CONO",):
            shown = {r[name].lstrip("0") for r in records}
            assert value[: outputs[name]].lstrip("0") in shown, (program, transaction, name, value, shown)


def test_most_reads_are_served_from_kept_records(world):
    tenant, _, _ = world
    kept = [(p, t) for p, t in READS if tenant.programs[p].reads[t].family != "not_kept"]
    assert len(READS) == 229 and len(kept) == 147, (len(READS), len(kept))


def test_every_read_transaction_has_a_rule_and_a_handler():
    tenant = seed_tenant([], customers=0)
    for program, transaction in READS:
        assert transaction in tenant.programs[program].reads, (program, transaction)
        assert (program, transaction) in tenant.handlers


def test_family_rows_hold_exactly_their_declared_fields(world):
    tenant, _, _ = world
    for family in FAMILIES.values():
        declared = family_fields(family)
        rows = [family.row(tenant, obj) for obj in family.objects(tenant)]
        assert rows or not family.kept, f"the lifecycle seeds no {family.name} record"
        for row in rows:
            assert family.fields <= set(row) <= declared, (family.name, set(row) ^ family.fields)
            assert set(family.key) <= set(row), family.name


def test_get_itm_basic_alone_and_in_bulk(world):
    tenant, client, _ = world
    item = client.execute_one("MMS200MI", "GetItmBasic", ITNO="SKU-2")
    assert (item["ITNO"], item["UNMS"], item["STAT"]) == ("SKU-2", "EA", "20")
    assert item["ITDS"] == tenant.items["SKU-2"].itds[:30].rstrip()  # ITDS is 30 here, 60 in MMS200MI/Get
    assert client.execute_one("MMS200MI", "Get", ITNO="SKU-2")["ITDS"] == tenant.items["SKU-2"].itds
    results = client.bulk([("MMS200MI", "GetItmBasic", {"ITNO": i}) for i in ("SKU-1", "GHOST", "SKU-2")])
    assert [r.ok for r in results] == [True, False, True]
    assert [r.records[0]["ITNO"] for r in results if r.ok] == ["SKU-1", "SKU-2"]
    assert results[1].error.field == "ITNO" and "Item number GHOST does not exist" in results[1].error.message


def test_a_missing_key_fails_a_get_and_empties_a_list(world):
    _, client, keys = world
    with pytest.raises(M3TransactionError) as info:
        client.execute("OIS100MI", "GetLine", ORNO=keys["ornr"], PONR="9", POSX="0")
    assert info.value.field == "PONR"
    with pytest.raises(M3TransactionError) as info:
        client.execute("MMS200MI", "GetItmWhsBal", WHLO="100", ITNO="GHOST")
    assert info.value.field == "ITNO" and "does not exist" in info.value.message
    with pytest.raises(M3TransactionError) as info:
        client.execute("MMS200MI", "GetItmWhsBal", WHLO="999", ITNO="SKU-1")
    assert info.value.field == "WHLO"
    for program, transaction, fields in [
        ("OIS100MI", "LstLine", {"ORNO": "1999999999"}),
        ("ARS200MI", "LstInvoices", {"CUNO": "NOBODY"}),
        ("MMS060MI", "LstBalID", {"WHLO": "999"}),
        ("OIS100MI", "LstErrMsgOrder", {"ORNO": "5999999999"}),
    ]:
        assert client.execute(program, transaction, **fields) == [], (program, transaction)


def test_records_answer_where_the_specs_share_fields(world):
    tenant, client, keys = world
    address = client.execute_one("CRS610MI", "GetAddress", CUNO=keys["cuno"], ADRT="1", ADID="HOME")
    assert (address["CUNM"], address["TOWN"], address["PONO"]) == ("Ada at home", "London", "SW1Y 4JH")
    assert [a["ADID"] for a in client.execute("CRS610MI", "LstAddresses", CUNO=keys["cuno"])] == ["HOME"]
    line2 = client.execute_one("OIS100MI", "GetLine2", ORNO=keys["ornr"], PONR="2")
    assert (line2["RIDN"], line2["RIDL"], line2["RORC"], line2["MODL"]) == (keys["ornr"], "2", "3", "DHL")
    assert line2["ITDS"] == tenant.items["SKU-2"].itds[:30].rstrip()
    head = client.execute_one("OIS100MI", "GetHead", ORNO=keys["ornr"])
    assert (head["TEPY"], head["ORTP"], head["YREF"], head["CUOR"]) == ("30", "WEB", "Web 900", CUOR)
    value = client.execute_one("OIS100MI", "GetOrderValue", ORNO=keys["ornr"])
    assert Decimal(value["NTAM"]) == Decimal("24.80") and value["CUCD"] == "EUR"
    # the delivery address of the order, read by its final number too, and as the consignee address
    assert client.execute_one("OIS100MI", "GetAddress", ORNO=keys["ornr"], ADRT="1")["TOWN"] == "London"
    assert client.execute_one("MWS410MI", "GetAdr", DLIX=keys["dlix"])["ADR1"] == "12 St James's Sq"
    # texts: 60 characters a line
    texts = client.execute("OIS100MI", "LstHeadText", ORNO=keys["ornr"], TYTR="1")
    assert len(texts) == 2 and "".join(t["TX60"] for t in texts).startswith("Gift wrap, please. Gift")
    assert (
        client.execute_one("OIS100MI", "GetLineText", ORNO=keys["ornr"], PONR="1")["TX60"]
        == "Handle with care"
    )
    # messages remembered by partner and external number
    assert client.execute_one("MHS850MI", "GetMvxMsg", E0PB="WS", PMSN="PICK-900")["MSGN"]
    assert client.execute_one("MMS850MI", "GetStkHead", MSNR=client.execute_one(
        "MMS850MI", "GetMvxMsg", E0PB="WS", PMSN="ADJ-900")["MSGN"])["PMSN"] == "ADJ-900"  # fmt: skip
    # invoices by order, by year, lines, and the receivable paid through ARS040MI
    invoice = client.execute_one("OIS350MI", "LstAllInvByCO", ORNO=keys["ornr"])
    lines = client.execute("OIS350MI", "LstInvLine", YEA4=invoice["YEA4"], IVNO=invoice["IVNO"])
    assert sorted(Decimal(line["AMT2"]) for line in lines) == [Decimal("5"), Decimal("19.8")]
    receivable = client.execute_one("ARS200MI", "GetInvTotInfo", PYNO=keys["cuno"], CINO=invoice["IVNO"],
                                    INYR=invoice["YEA4"], CUNO=keys["cuno"])  # fmt: skip
    assert receivable["RECO"] == "9"


def test_lists_position_filter_and_bound_as_the_contract_says(world):
    tenant, client, keys = world
    tenant.add_customer("ZED0000001", "Zed")
    # optional key: positioned (records from the key on), required key: filtered
    numbers = [c["CUNO"] for c in client.execute("CRS610MI", "LstByNumber", CUNO="WEB0000002", maxrecs=0)]
    assert numbers[0] == "WEB0000002" and "ZED0000001" in numbers and "WEB0000001" not in numbers
    assert {r["ORNO"] for r in client.execute("OIS100MI", "LstHead", CUNO=keys["cuno"])} == {keys["ornr"]}
    # NFTR makes the leading key a filter
    assert client.execute("OIS120MI", "LstCOStopByCUOR", CUOR="PS-0009", NFTR="1") == []
    assert [r["CUOR"] for r in client.execute("OIS120MI", "LstCOStopByCUOR", CUOR="PS-0009")] == [CUOR]
    # From/To ranges and the LMTS cursor
    assert [w["WHLO"] for w in client.execute("MMS005MI", "LstWarehouses", FWHL="150", TWHL="250")] == ["200"]
    assert [i["ITNO"] for i in client.execute("MMS200MI", "SelItem", FRIT="SKU-2", TOIT="SKU-9")] == ["SKU-2"]
    cursor = client.server_time().lmts
    assert client.execute("OIS100MI", "LstNewBalances", LMTS=str(cursor)) == []
    tenant.adjust_stock("200", "SKU-2", Decimal(3))
    changed = client.execute("OIS100MI", "LstNewBalances", LMTS=str(cursor))
    assert [(b["WHLO"], b["ITNO"]) for b in changed] == [("200", "SKU-2")]
    # only open receivables; status ranges of order heads
    assert client.execute("ARS200MI", "LstInvoices", CUNO=keys["cuno"], AAC0="1") == []
    assert len(client.execute("ARS200MI", "LstInvoices", CUNO=keys["cuno"])) == 1
    assert client.execute("OIS100MI", "LstHead", CUNO=keys["cuno"], ORSL="77", ORST="77")
    assert client.execute("OIS100MI", "LstHead", CUNO=keys["cuno"], ORST="66") == []
    # a Get needs its key even where the spec marks none required
    with pytest.raises(M3TransactionError) as info:
        client.execute("MWS410MI", "GetHead")
    assert info.value.field == "DLIX"
