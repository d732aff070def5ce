"""M3's sales prices valid today (issue 21 §1, the read): per price list, currency and customer the
list with the latest from-date not after today, never the first M3 answers with; its base prices
and quantity breaks stored in one transaction; M3 failing mid-read changes nothing stored. The M3
emulator in process (OIS017MI as its spec serves it), a real SQLite store."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from prestashop_infor.infor import M3GatewayError
from prestashop_infor.sandbox.infor import Fault
from prestashop_infor.store.prices import m3_prices_on, stored_m3_prices
from prestashop_infor.sync.price_lists import read_price_lists, valid_lists
from prestashop_infor_tests.two_systems import TwoSystems


@pytest.fixture
def world(tmp_path: Path):
    w = TwoSystems(tmp_path)
    yield w
    w.close()


def today(world: TwoSystems):
    return world.tenant.clock.now().date()


def prices(world: TwoSystems) -> dict[tuple[str, str, str, Decimal], Decimal]:
    return {
        (r["prrf"], r["cucd"], r["itno"], r["from_quantity"]): r["price"]
        for r in m3_prices_on(world.store, today(world))
    }


def test_todays_list_of_each_currency_is_read_with_its_breaks_never_the_first_list(world: TwoSystems):
    lists = world.tenant.price_lists
    current = next(
        pl for key, pl in lists.items() if key[:2] == ("B2B", "EUR") and pl.fvdt <= today(world) <= pl.lvdt
    )
    later = [pl for key, pl in lists.items() if key[:2] == ("B2B", "EUR") and pl.fvdt > today(world)]
    assert later, "the seeded tenant has next month's list too"

    read = read_price_lists(world.m3, world.store, today=today(world))
    chosen = {(p, c): f for p, c, _u, f in read.chosen}
    assert chosen[("B2B", "EUR")] == current.fvdt.strftime("%Y%m%d") and ("B2B", "CHF") in chosen
    assert read.quarantined == 0 and read.prices == read.extracted
    stored = prices(world)
    line = next(iter(current.lines.values()))
    assert stored[("B2B", "EUR", line.itno, Decimal(1))] == line.sapr
    for grad in line.breaks.values():
        assert stored[("B2B", "EUR", line.itno, grad.qtyl)] == grad.sapr

    # a new list from today on takes over: the latest from-date not after today
    fvdt = today(world).strftime("%Y%m%d")
    lvdt = (today(world) + timedelta(days=365)).strftime("%Y%m%d")
    world.m3.execute("OIS017MI", "AddPriceList", PRRF="B2B", CUCD="EUR", FVDT=fvdt, LVDT=lvdt, CRTP="1",
                     TX40="From today", TX15="Today")  # fmt: skip
    world.m3.execute(
        "OIS017MI", "AddBasePrice", PRRF="B2B", CUCD="EUR", FVDT=fvdt, ITNO=line.itno, SAPR="1.23"
    )
    read = read_price_lists(world.m3, world.store, today=today(world))
    assert {(p, c): f for p, c, _u, f in read.chosen}[("B2B", "EUR")] == fvdt
    assert prices(world) == {("B2B", "EUR", line.itno, Decimal(1)): Decimal("1.23"),
                             **{k: v for k, v in prices(world).items() if k[1] != "EUR"}}  # fmt: skip
    # the list it took over from is kept, up to yesterday: a past day's orders are judged by its prices
    before = m3_prices_on(world.store, today(world) - timedelta(days=1))
    assert {(r["itno"], r["from_quantity"], r["price"]) for r in before if r["cucd"] == "EUR"} >= {
        (line.itno, Decimal(1), line.sapr)
    }
    assert {
        r["valid_to"]
        for r in stored_m3_prices(world.store)
        if r["valid_from"] == current.fvdt and r["cucd"] == "EUR"
    } == {today(world) - timedelta(days=1)}


def test_a_list_that_ended_or_starts_later_is_no_price_today():
    heads = [
        {"PRRF": "A", "CUCD": "EUR", "CUNO": "", "FVDT": "20250101", "LVDT": "20250131"},
        {"PRRF": "A", "CUCD": "EUR", "CUNO": "", "FVDT": "20250201", "LVDT": ""},
        {"PRRF": "A", "CUCD": "EUR", "CUNO": "", "FVDT": "20250301", "LVDT": ""},
        {"PRRF": "A", "CUCD": "EUR", "CUNO": "C1", "FVDT": "20240101", "LVDT": ""},
        {"PRRF": "A", "CUCD": "USD", "CUNO": "", "FVDT": "00000000", "LVDT": ""},
    ]
    from datetime import date

    chosen = valid_lists(heads, date(2025, 2, 15))
    assert {k: v["FVDT"] for k, v in chosen.items()} == {
        ("A", "EUR", ""): "20250201",
        ("A", "EUR", "C1"): "20240101",
    }


def test_m3_failing_mid_read_leaves_the_stored_prices_as_they_were(world: TwoSystems):
    read_price_lists(world.m3, world.store, today=today(world))
    before = prices(world)
    world.tenant.gateway.faults.append(Fault(status=503, count=1_000, match="OIS017MI/LstGradSlsPrc"))
    with pytest.raises(M3GatewayError):
        read_price_lists(world.m3, world.store, today=today(world) + timedelta(days=0))
    world.tenant.gateway.faults.clear()
    assert prices(world) == before and before
