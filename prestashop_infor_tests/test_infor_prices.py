"""Sales price lists in the M3 emulator (OIS017MI), through its HTTP API in-process: heads identified
by price list, currency, customer and valid-from date, so one price list name is several lists; their
item lines and quantity breaks; the writes a person maintains them with and their errors; the change
stamps; the customer's price list table (CRS610MI ``PLTB``); the seeded B2B lists; the sandbox hook
``POST /_sandbox/prices``. Every record is checked against the real OIS017MI/CRS610MI specs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client, M3TransactionError
from prestashop_infor.sandbox.infor import (
    LifecycleSettings,
    M3Tenant,
    create_app,
    seed_tenant,
    seed_tenant_from_shop,
)
from prestashop_infor.sandbox.infor.models.values import (
    MSG_CHANGED,
    MSG_EXISTS,
    MSG_MANDATORY,
    MSG_NOT_EMULATED,
    MSG_NOT_FOUND,
    MSG_UNKNOWN_ITEM,
    MSG_WRONG_STATE,
)
from prestashop_infor.sandbox.infor.seed import B2B
from prestashop_infor_tests.in_process import in_process_client
from prestashop_infor_tests.test_infor_emulator_specs import REGISTRY, check_outputs

ITEMS = [("SKU-1", "Mug", "10.00"), ("SKU-2", "Cup", "5.00"), ("FREE", "Sample", "0")]
# the seeded B2B lists on the tenant clock's 2025-01-06: to the end of January, from February, in CHF
JAN, FEB = "20250101", "20250201"
EUR_NOW = {"PRRF": B2B, "CUCD": "EUR", "FVDT": JAN}
EUR_NEXT = {"PRRF": B2B, "CUCD": "EUR", "FVDT": FEB}
CHF_NOW = {"PRRF": B2B, "CUCD": "CHF", "FVDT": JAN}
NEW_LIST = {"PRRF": "SPRING", "CUCD": "EUR", "FVDT": "20250301", "LVDT": "20250531", "TX40": "Spring offer",
            "CRTP": "1"}  # fmt: skip


@pytest.fixture
def world():
    tenant = seed_tenant(ITEMS, seed=7, lifecycle=LifecycleSettings.manual())
    http = in_process_client(create_app(tenant))
    client = M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=http)
    yield tenant, client, http
    http.close()


def read(
    client: M3Client, transaction: str, program: str = "OIS017MI", **fields: str
) -> list[dict[str, str]]:
    records = client.execute(program, transaction, maxrecs=0, **fields)
    check_outputs(program, transaction, records)
    return records


def refused(
    client: M3Client, transaction: str, program: str = "OIS017MI", **fields: str
) -> M3TransactionError:
    with pytest.raises(M3TransactionError) as info:
        client.execute(program, transaction, **fields)
    return info.value


def prices(client: M3Client, **keys: str) -> dict[str, Decimal]:
    return {line["ITNO"]: Decimal(line["SAPR"]) for line in read(client, "LstBasePrice", **keys)}


# -- the seeded lists ------------------------------------------------------------------------------


def test_the_spec_is_the_real_one():
    assert REGISTRY["OIS017MI"]["AddPriceList"]["in"][:4] == [
        ("PRRF", True, 10, "string"), ("CUCD", True, 3, "string"), ("FVDT", True, 10, "string"),
        ("LVDT", True, 10, "string"),
    ]  # fmt: skip
    assert "QTYL" in REGISTRY["OIS017MI"]["LstGradSlsPrc"]["out"]
    assert "LMTS" not in REGISTRY["OIS017MI"]["LstBasePrice"]["out"]  # no change stamp on the wire
    assert {"PLTB", "DIPC"} <= set(REGISTRY["CRS610MI"]["GetOrderInfo"]["out"])


def test_one_price_list_name_is_three_lists_told_apart_by_currency_and_from_date(world):
    _, client, _ = world
    heads = read(client, "LstPriceList")
    assert [(h["PRRF"], h["CUCD"], h["CUNO"], h["FVDT"], h["LVDT"]) for h in heads] == [
        (B2B, "CHF", "", JAN, "20251231"),
        (B2B, "EUR", "", JAN, "20250131"),
        (B2B, "EUR", "", FEB, "20251231"),
    ]
    now, later, swiss = prices(client, **EUR_NOW), prices(client, **EUR_NEXT), prices(client, **CHF_NOW)
    assert set(now) == set(later) == set(swiss) == {"SKU-1", "SKU-2"}  # no line for an item without price
    for itno, shop_price in (("SKU-1", Decimal("10.00")), ("SKU-2", Decimal("5.00"))):
        assert shop_price * Decimal("0.88") <= now[itno] <= shop_price * Decimal("0.92")  # ~10 % below
        assert later[itno] == (now[itno] * Decimal("1.03")).quantize(Decimal("0.01"))
        assert swiss[itno] == (now[itno] * Decimal("0.94")).quantize(Decimal("0.01"))
    head = read(client, "GetPriceList", **EUR_NEXT)[0]
    assert (head["TX40"], head["TX15"], head["LVDT"]) == (
        "Business customers, new prices",
        "B2B new",
        "20251231",
    )


def test_quantity_breaks_at_ten_units(world):
    _, client, _ = world
    base = Decimal(read(client, "GetBasePrice", ITNO="SKU-1", **EUR_NOW)[0]["SAPR"])
    (brk,) = read(client, "LstGradSlsPrc", ITNO="SKU-1", **EUR_NOW)
    assert (brk["QTYL"], Decimal(brk["SAPR"])) == ("10", (base * Decimal("0.95")).quantize(Decimal("0.01")))
    assert read(client, "LstGradSlsPrc", ITNO="SKU-1", **CHF_NOW) == []


def test_seeded_prices_are_reproducible_from_the_seed():
    def seeded(seed: int) -> list[tuple]:
        tenant = seed_tenant(ITEMS, seed=seed, lifecycle=LifecycleSettings.manual())
        return [(p.key, i, line.sapr) for p in tenant.price_lists.values() for i, line in p.lines.items()]

    assert seeded(7) == seeded(7)
    assert any(seeded(seed) != seeded(7) for seed in (1, 2, 3))
    bare = seed_tenant(ITEMS, seed=7, price_lists=False)
    assert bare.price_lists == {} and all(not c.pltb for c in bare.customers.values())


def test_customers_buy_by_the_b2b_list(world):
    _, client, _ = world
    info = {
        c: read(client, "GetOrderInfo", "CRS610MI", CUNO=c)[0]
        for c in ("WEB0000001", "WEB0000002", "WEB0000003")
    }
    assert [i["PLTB"] for i in info.values()] == ["", B2B, B2B]
    assert info["WEB0000002"]["DIPC"] == "0"
    assert {c["DIPC"] for c in read(client, "LstByNumber", "CRS610MI")} == {"0"}


class Shop:
    """Just what ``items_from_shop`` reads of the PrestaShop sandbox."""

    def records(self, resource: str) -> list[dict]:
        return {
            "products": [{"id": 1, "reference": "MUG-01", "price": "12.000000", "name": "Mug"},
                         {"id": 2, "reference": "TEE", "price": "20.000000", "name": "T-shirt"}],
            "combinations": [{"id": 5, "id_product": 2, "reference": "TEE-S", "price": "1.500000"}],
        }[resource]  # fmt: skip


def test_a_tenant_seeded_from_a_shop_prices_every_reference_below_the_shop():
    tenant = seed_tenant_from_shop(Shop(), seed=42, lifecycle=LifecycleSettings.manual())
    current = tenant.price_list(B2B, "EUR", date(2025, 1, 1))
    assert set(current.lines) == {"MUG-01", "TEE", "TEE-S"}
    for itno, line in current.lines.items():
        shop_price = tenant.items[itno].price
        assert shop_price * Decimal("0.88") <= line.sapr <= shop_price * Decimal("0.92")
        assert list(line.breaks) == [Decimal(10)]
    assert [c.cuno for c in tenant.customers.values() if c.pltb == B2B] == ["WEB0000002", "WEB0000003"]


# -- reading: filters and positions as the spec defines them ---------------------------------------


def test_list_heads_positioned_or_filtered_by_nftr(world):
    _, client, _ = world
    client.execute("OIS017MI", "AddPriceList", **NEW_LIST)
    client.execute("OIS017MI", "AddPriceList", **{**NEW_LIST, "PRRF": "A-LIST"})
    every = [h["PRRF"] for h in read(client, "LstPriceList")]
    assert every == ["A-LIST", B2B, B2B, B2B, "SPRING"]
    assert [h["PRRF"] for h in read(client, "LstPriceList", PRRF=B2B)] == [
        B2B,
        B2B,
        B2B,
        "SPRING",
    ]  # from B2B on
    assert [h["PRRF"] for h in read(client, "LstPriceList", PRRF=B2B, NFTR="1")] == [B2B] * 3
    euro = read(client, "LstPriceList", PRRF=B2B, CUCD="EUR", NFTR="2")
    assert [h["FVDT"] for h in euro] == [JAN, FEB]
    assert read(client, "LstPriceList", PRRF="NONE", NFTR="1") == []


def test_get_reads_exactly_the_list_asked_for(world):
    _, client, _ = world
    assert read(client, "GetPriceList", **EUR_NOW)[0]["LVDT"] == "20250131"
    assert read(client, "GetPriceList", **EUR_NEXT)[0]["LVDT"] == "20251231"
    error = refused(client, "GetPriceList", PRRF=B2B, CUCD="EUR", FVDT="20250115")
    assert (error.code, error.field) == (MSG_NOT_FOUND, "FVDT")
    error = refused(client, "GetPriceList", PRRF=B2B, CUCD="USD", FVDT=JAN)
    assert error.field == "CUCD"
    error = refused(client, "GetBasePrice", ITNO="FREE", **EUR_NOW)
    assert (error.code, error.field) == (MSG_NOT_FOUND, "ITNO")
    assert read(client, "LstBasePrice", PRRF=B2B, CUCD="USD", FVDT=JAN) == []
    assert read(client, "LstScaleKey", **EUR_NOW) == []  # scale keys are not kept


def test_a_customer_list_beside_the_list_for_any_customer(world):
    _, client, _ = world
    client.execute("OIS017MI", "AddPriceList", CUNO="WEB0000003", LVDT="20250131", TX40="Contract WEB3", CRTP="1",
                   **EUR_NOW)  # fmt: skip
    client.execute("OIS017MI", "AddBasePrice", CUNO="WEB0000003", ITNO="SKU-1", SAPR="7.50", **EUR_NOW)
    assert read(client, "GetPriceList", **EUR_NOW)[0]["CUNO"] == ""
    assert read(client, "GetPriceList", CUNO="WEB0000003", **EUR_NOW)[0]["TX40"] == "Contract WEB3"
    assert set(prices(client, **EUR_NOW)) == {"SKU-1", "SKU-2"}  # the general list's lines only
    assert prices(client, CUNO="WEB0000003", **EUR_NOW) == {"SKU-1": Decimal("7.50")}
    heads = read(client, "LstPriceList", PRRF=B2B, CUCD="EUR", NFTR="2")
    assert [(h["CUNO"], h["FVDT"]) for h in heads] == [("", JAN), ("", FEB), ("WEB0000003", JAN)]
    error = refused(client, "GetBasePrice", CUNO="WEB0000003", ITNO="SKU-2", **EUR_NOW)
    assert error.field == "ITNO"
    error = refused(client, "GetPriceList", CUNO="WEB0000002", **EUR_NOW)
    assert (error.field, error.message) == ("CUNO", "Price list of customer WEB0000002 does not exist")


def test_the_price_a_customer_pays_is_picked_by_currency_date_and_quantity(world):
    tenant, client, _ = world
    now = prices(client, **EUR_NOW)["SKU-1"]
    quote = tenant.sales_price("WEB0000002", "SKU-1", 1, on=date(2025, 1, 15))
    assert (quote.price_list.fvdt, quote.qtyl, quote.sapr) == (date(2025, 1, 1), 0, now)
    assert tenant.sales_price("WEB0000002", "SKU-1", 10, on=date(2025, 1, 15)).qtyl == 10
    assert tenant.sales_price("WEB0000002", "SKU-1", 9, on=date(2025, 1, 15)).qtyl == 0
    assert (
        tenant.sales_price("WEB0000002", "SKU-1", 1, on=date(2025, 2, 15)).sapr
        == prices(client, **EUR_NEXT)["SKU-1"]
    )
    assert (
        tenant.sales_price("WEB0000002", "SKU-1", 1, on=date(2025, 1, 15), cucd="CHF").price_list.cucd
        == "CHF"
    )
    assert tenant.sales_price("WEB0000001", "SKU-1") is None  # no price list table
    assert tenant.sales_price("WEB0000002", "SKU-1", on=date(2026, 1, 1)) is None  # no list valid then
    client.execute("OIS017MI", "AddPriceList", CUNO="WEB0000002", LVDT="20250131", TX40="Contract", CRTP="1",
                   **EUR_NOW)  # fmt: skip
    client.execute("OIS017MI", "AddBasePrice", CUNO="WEB0000002", ITNO="SKU-1", SAPR="6.00", **EUR_NOW)
    assert tenant.sales_price("WEB0000002", "SKU-1", 20, on=date(2025, 1, 15)).sapr == Decimal("6.00")


# -- writes --------------------------------------------------------------------------------------


def test_add_a_list_with_lines_and_breaks(world):
    tenant, client, _ = world
    assert client.execute("OIS017MI", "AddPriceList", TX15="Spring", **NEW_LIST) == []
    keys = {k: NEW_LIST[k] for k in ("PRRF", "CUCD", "FVDT")}
    client.execute("OIS017MI", "AddBasePrice", ITNO="SKU-2", SAPR="4.20", **keys)
    client.execute("OIS017MI", "AddBasePrice", ITNO="SKU-1", SAPR="9.00", SACD="1", SPUN="EA", VFDT="20250315",
                   LVDT="20250430", **keys)  # fmt: skip
    lines = read(client, "LstBasePrice", **keys)
    assert [(line["ITNO"], line["SAPR"], line["VFDT"], line["LVDT"]) for line in lines] == [
        ("SKU-1", "9", "20250315", "20250430"),
        ("SKU-2", "4.2", "20250301", "20250531"),  # the list's dates unless given
    ]
    assert lines[0]["TX15"] == "Spring" and lines[0]["SPUN"] == "EA" and lines[0]["SACD"] == "1"
    client.execute("OIS017MI", "AddGradSlsPrc", ITNO="SKU-1", QTYL="100", SAPR="7.00", **keys)
    client.execute("OIS017MI", "AddGradSlsPrc", ITNO="SKU-1", QTYL="5", PCOF="0.9", **keys)  # 9.00 x 0.9
    breaks = read(client, "LstGradSlsPrc", ITNO="SKU-1", **keys)
    assert [(b["QTYL"], b["SAPR"], b["PCOF"]) for b in breaks] == [("5", "8.1", "0.9"), ("100", "7", "0")]
    head = read(client, "GetPriceList", **keys)[0]
    assert (head["TX40"], head["CRTP"], head["LVDT"]) == ("Spring offer", "1", "20250531")
    assert tenant.price_list("SPRING", "EUR", date(2025, 3, 1)).rgdt == tenant.today()


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"CUCD": "XXX"}, MSG_NOT_FOUND, "CUCD"),
        ({"CUNO": "NOBODY"}, MSG_NOT_FOUND, "CUNO"),
        ({"LVDT": "20250228"}, MSG_WRONG_STATE, "LVDT"),
        ({"FVDT": "20250231"}, "EMI0106", "FVDT"),
        ({"PRRF": B2B, "FVDT": JAN}, MSG_EXISTS, "PRRF"),
        ({"TX40": ""}, MSG_MANDATORY, "TX40"),
    ],
)
def test_add_price_list_refuses(world, change, code, field):
    _, client, _ = world
    fields = {k: v for k, v in {**NEW_LIST, **change}.items() if v}
    if change.get("PRRF") == B2B:
        fields["LVDT"] = "20250131"
    error = refused(client, "AddPriceList", **fields)
    assert (error.code, error.field) == (code, field), error


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"ITNO": "GHOST"}, MSG_UNKNOWN_ITEM, "ITNO"),
        ({"ITNO": "SKU-1"}, MSG_EXISTS, "ITNO"),
        ({"FVDT": "20250102"}, MSG_NOT_FOUND, "PRRF"),
        ({"SAPR": "-1"}, MSG_WRONG_STATE, "SAPR"),
        ({"VFDT": "20250201"}, MSG_WRONG_STATE, "VFDT"),
        ({"LVDT": "20250301"}, MSG_WRONG_STATE, "LVDT"),
        ({"SPUN": "BOX"}, MSG_NOT_FOUND, "SPUN"),
        ({"SACD": "0"}, MSG_WRONG_STATE, "SACD"),
        ({"MXID": "S1"}, MSG_NOT_EMULATED, "MXID"),
        ({"OBV1": "100"}, MSG_NOT_EMULATED, "OBV1"),
    ],
)
def test_add_base_price_refuses(world, change, code, field):
    tenant, client, _ = world
    tenant.add_item("SKU-3", "Plate", "3.00")
    error = refused(client, "AddBasePrice", **{**EUR_NOW, "ITNO": "SKU-3", "SAPR": "2.70", **change})
    assert (error.code, error.field) == (code, field), error
    assert "SKU-3" not in tenant.price_list(B2B, "EUR", date(2025, 1, 1)).lines


def test_changing_a_line_moves_its_change_stamp(world):
    tenant, client, _ = world
    line = tenant.price_list(B2B, "EUR", date(2025, 1, 1)).lines["SKU-1"]
    before = (line.lmts, line.chno)
    client.execute("OIS017MI", "UpdBasePrice", ITNO="SKU-1", SAPR="8.88", CMNO="C1", **EUR_NOW)
    assert read(client, "GetBasePrice", ITNO="SKU-1", **EUR_NOW)[0]["SAPR"] == "8.88"
    assert line.lmts > before[0] and line.chno == before[1] + 1 and line.lmdt == tenant.today()
    assert line.lmts <= int(client.server_time().lmts)  # a cursor taken now is past the change
    stamp = line.lmts
    client.execute("OIS017MI", "UpdGradSlsPrc", ITNO="SKU-1", QTYL="10", SAPR="8.00", **EUR_NOW)
    assert line.lmts > stamp and line.breaks[Decimal(10)].sapr == Decimal("8.00")  # the line's prices changed
    other = tenant.price_list(B2B, "EUR", date(2025, 2, 1)).lines["SKU-1"]
    assert other.lmts < stamp  # the list of February, same name and currency, is untouched
    client.execute("OIS017MI", "UpdBasePrice", ITNO="SKU-1", LVDT="20250120", **EUR_NOW)
    got = read(client, "GetBasePrice", ITNO="SKU-1", **EUR_NOW)[0]
    assert (got["SAPR"], got["LVDT"], got["CMNO"]) == ("8.88", "20250120", "C1")  # blank inputs leave fields
    client.execute("OIS017MI", "UpdBasePrice", ITNO="SKU-1", LVDT="?", **EUR_NOW)
    assert read(client, "GetBasePrice", ITNO="SKU-1", **EUR_NOW)[0]["LVDT"] == "20250131"


def test_update_and_delete_refuse_what_does_not_exist(world):
    _, client, _ = world
    assert refused(client, "UpdBasePrice", ITNO="FREE", SAPR="1", **EUR_NOW).field == "ITNO"
    assert (
        refused(client, "UpdBasePrice", ITNO="SKU-1", SAPR="1", **{**EUR_NOW, "CUCD": "USD"}).field == "PRRF"
    )
    assert refused(client, "UpdBasePrice", ITNO="SKU-1", VFDT="20250102", SAPR="1", **EUR_NOW).field == "ITNO"
    assert refused(client, "UpdGradSlsPrc", ITNO="SKU-1", QTYL="11", SAPR="1", **EUR_NOW).field == "QTYL"
    assert refused(client, "DelGradSlsPrc", ITNO="SKU-2", QTYL="11", **EUR_NOW).field == "QTYL"
    assert refused(client, "AddGradSlsPrc", ITNO="SKU-1", QTYL="10", SAPR="1", **EUR_NOW).code == MSG_EXISTS
    assert refused(client, "AddGradSlsPrc", ITNO="SKU-1", QTYL="0", SAPR="1", **EUR_NOW).field == "QTYL"
    error = refused(client, "AddGradSlsPrc", ITNO="SKU-1", QTYL="20", **EUR_NOW)
    assert (error.code, error.field) == (MSG_MANDATORY, "SAPR")
    assert refused(client, "AddGradSlsPrc", ITNO="FREE", QTYL="20", SAPR="1", **EUR_NOW).field == "ITNO"
    assert refused(client, "DelPriceList", **{**EUR_NOW, "FVDT": "20250102"}).field == "PRRF"


def test_delete_breaks_lines_and_lists(world):
    tenant, client, _ = world
    client.execute("OIS017MI", "DelGradSlsPrc", ITNO="SKU-1", QTYL="10", **EUR_NOW)
    assert read(client, "LstGradSlsPrc", ITNO="SKU-1", **EUR_NOW) == []
    client.execute("OIS017MI", "DelBasePrice", ITNO="SKU-2", **EUR_NOW)
    assert set(prices(client, **EUR_NOW)) == {"SKU-1"}
    assert set(prices(client, **EUR_NEXT)) == {"SKU-1", "SKU-2"}  # the other list of B2B in EUR keeps it
    client.execute("OIS017MI", "DelPriceList", **EUR_NOW)
    assert [(h["CUCD"], h["FVDT"]) for h in read(client, "LstPriceList")] == [("CHF", JAN), ("EUR", FEB)]
    assert read(client, "LstBasePrice", **EUR_NOW) == []
    assert refused(client, "GetPriceList", **EUR_NOW).code == MSG_NOT_FOUND
    assert tenant.sales_price("WEB0000002", "SKU-1", on=date(2025, 1, 15)) is None


def test_change_a_list_head(world):
    tenant, client, _ = world
    plist = tenant.price_list(B2B, "EUR", date(2025, 2, 1))
    stamp = plist.lmts
    client.execute("OIS017MI", "ChgPriceList", LVDT="20250630", TX40="Business customers 2025", TX15="?",
                   SCMU="1", **EUR_NEXT)  # fmt: skip
    head = read(client, "GetPriceList", **EUR_NEXT)[0]
    assert (head["LVDT"], head["TX40"], head["TX15"], head["SCMU"]) == (
        "20250630",
        "Business customers 2025",
        "",
        "1",
    )
    assert plist.lmts > stamp and plist.chno == 2
    assert refused(client, "ChgPriceList", TX40="?", **EUR_NEXT).field == "TX40"
    assert refused(client, "ChgPriceList", LVDT="20250115", **EUR_NEXT).field == "LVDT"
    client.execute("OIS017MI", "UpdBasePrice", ITNO="SKU-2", LVDT="20250531", **EUR_NEXT)
    error = refused(client, "ChgPriceList", LVDT="20250430", **EUR_NEXT)  # would end before a line does
    assert (error.code, error.field) == (MSG_WRONG_STATE, "LVDT")


def test_a_customer_gets_a_price_list_table_and_discount(world):
    tenant, client, _ = world
    cursor = client.server_time().lmts
    client.execute("CRS610MI", "ChgOrderInfo", CUNO="WEB0000001", PLTB=B2B, DIPC="2.5", CHNO="1")
    info = read(client, "GetOrderInfo", "CRS610MI", CUNO="WEB0000001")[0]
    assert (info["PLTB"], info["DIPC"], info["CHNO"]) == (B2B, "2.5", "2")
    changed = read(client, "LstByNumber", "CRS610MI", LMTS=str(cursor))
    assert [c["CUNO"] for c in changed] == ["WEB0000001"] and changed[0]["DIPC"] == "2.5"
    assert tenant.sales_price("WEB0000001", "SKU-1", on=date(2025, 1, 15)) is not None
    error = refused(client, "ChgOrderInfo", "CRS610MI", CUNO="WEB0000001", PLTB="NOLIST")
    assert (error.code, error.field) == (MSG_NOT_FOUND, "PLTB")
    assert refused(client, "ChgOrderInfo", "CRS610MI", CUNO="WEB0000001", DIPC="120").field == "DIPC"
    assert (
        refused(client, "ChgOrderInfo", "CRS610MI", CUNO="WEB0000001", PLTB=B2B, CHNO="1").code == MSG_CHANGED
    )
    assert refused(client, "ChgOrderInfo", "CRS610MI", CUNO="NOBODY", PLTB=B2B).field == "CUNO"
    client.execute("CRS610MI", "ChgOrderInfo", CUNO="WEB0000001", PLTB="?")
    assert read(client, "GetOrderInfo", "CRS610MI", CUNO="WEB0000001")[0]["PLTB"] == ""


# -- the sandbox hook ------------------------------------------------------------------------------


def test_the_hook_changes_one_price_as_a_person_would(world):
    tenant, client, http = world
    line = tenant.price_list(B2B, "EUR", date(2025, 1, 1)).lines["SKU-1"]
    stamp = line.lmts
    answer = http.post(
        "/_sandbox/prices", json={"price_list": B2B, "currency": "EUR", "item": "SKU-1", "price": "8.10"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["FVDT"], body["SAPR"], body["QTYL"], body["CHNO"]) == (
        JAN,
        "8.1",
        "0",
        "2",
    )  # the list valid today
    assert int(body["LMTS"]) == line.lmts > stamp
    assert prices(client, **EUR_NOW)["SKU-1"] == Decimal("8.10")
    broke = http.post("/_sandbox/prices", json={"price_list": B2B, "currency": "EUR", "item": "SKU-1", "price": 7,
                                                "quantity": 50, "valid_from": FEB})  # fmt: skip
    assert broke.status_code == 200 and broke.json()["QTYL"] == "50"
    assert [b["QTYL"] for b in read(client, "LstGradSlsPrc", ITNO="SKU-1", **EUR_NEXT)] == ["10", "50"]
    added = http.post(
        "/_sandbox/prices", json={"price_list": B2B, "currency": "CHF", "item": "FREE", "price": "1"}
    )
    assert added.status_code == 200 and "FREE" in prices(client, **CHF_NOW)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"price_list": "NOLIST", "currency": "EUR", "item": "SKU-1", "price": "1"}, 404),
        ({"price_list": B2B, "currency": "EUR", "item": "GHOST", "price": "1"}, 404),
        ({"price_list": B2B, "currency": "EUR", "item": "FREE", "price": "1", "quantity": 10}, 404),
        (
            {"price_list": B2B, "currency": "EUR", "item": "SKU-1", "price": "1", "valid_from": "20250102"},
            404,
        ),
        ({"price_list": B2B, "currency": "EUR", "item": "SKU-1"}, 400),
        ({"price_list": B2B, "currency": "EUR", "item": "SKU-1", "price": "-1"}, 400),
        ({"price_list": B2B, "currency": "EUR", "item": "SKU-1", "price": "1", "colour": "red"}, 400),
        ({"price_list": B2B, "currency": "EUR", "item": "SKU-1", "price": "1", "valid_from": "soon"}, 400),
        ({"price_list": B2B, "currency": "EUR", "item": "SKU-1", "price": "1", "quantity": 0}, 400),
    ],
)
def test_the_hook_refuses(world, body, status):
    tenant: M3Tenant = world[0]
    http: httpx.Client = world[2]
    answer = http.post("/_sandbox/prices", json=body)
    assert answer.status_code == status, answer.text
    assert tenant.price_list(B2B, "EUR", date(2025, 1, 1)).lines["SKU-1"].chno == 1
