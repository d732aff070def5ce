"""The sandbox's history (``--history-days N --orders-per-day M``) and the discrepancies planted in
it, read the way the reconciliation reads them: through both emulators' HTTP APIs with the
project's own clients. A fresh history agrees order by order under the default mapping; each
planted discrepancy is visible, and only where it was planted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from prestashop_infor import cli
from prestashop_infor.infor import M3Client
from prestashop_infor.infor.ionapi import IonApiCredentials
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.sandbox import Sandbox, start_sandbox
from prestashop_infor.serving import free_port
from prestashop_infor.settings import SandboxSettings
from prestashop_infor.sync.mapping import MILESTONES, customer_order_number, load_mapping

ZONE = "Europe/Paris"
NOW = datetime(2025, 3, 12, 15, 30, tzinfo=ZoneInfo(ZONE))
DAYS = [NOW.date() - timedelta(days=age) for age in range(4, -1, -1)]
MAPPING = load_mapping()


def _start(tmp: Path) -> Sandbox:
    settings = SandboxSettings(prestashop_port=free_port(), infor_port=free_port(), time_zone=ZONE,
                               history_days=5, orders_per_day=20, ionapi_out=tmp / "sandbox.ionapi")  # fmt: skip
    return start_sandbox(settings, now=NOW)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    started = _start(tmp_path_factory.mktemp("history"))
    yield started
    started.stop()


@pytest.fixture
def fresh(tmp_path) -> Iterator[Sandbox]:
    started = _start(tmp_path)
    yield started
    started.stop()


def _clients(sandbox: Sandbox) -> tuple[PrestashopClient, M3Client]:
    shop = PrestashopClient(sandbox.prestashop_url, sandbox.settings.api_key, time_zone=ZONE, backoff=0.001)
    return shop, M3Client(IonApiCredentials.from_file(sandbox.ionapi_path), sleep=lambda _s: None)


def _shop_orders(shop: PrestashopClient) -> list[dict[str, Any]]:
    return shop.list("orders", filters={"date_add": f"[{DAYS[0]} 00:00:00,{DAYS[-1]} 23:59:59]"}, limit=1000)


def _m3_orders(m3: M3Client) -> dict[str, tuple[dict[str, str], list[dict[str, str]]]]:
    """CUOR -> (head, lines) of every M3 order from the first day on."""
    heads = m3.execute("OIS175MI", "LstHeadByDate", ORDT=DAYS[0].strftime("%Y%m%d"), maxrecs=0)
    results = m3.bulk([("OIS100MI", "LstLine", {"ORNO": h["ORNO"]}) for h in heads], max_records=0)
    found: dict[str, tuple[dict[str, str], list[dict[str, str]]]] = {}
    for head, result in zip(heads, results, strict=True):
        assert result.ok and head["CUOR"] not in found
        found[head["CUOR"]] = (head, result.records)
    return found


def _items(shop: PrestashopClient) -> dict[tuple[int, int], str]:
    """(product, combination) -> the item the default mapping resolves."""
    products = {int(p["id"]): p for p in shop.list("products", display="[id,reference]")}
    items = {(pid, 0): MAPPING.items.resolve(pid, 0, p["reference"], None) for pid, p in products.items()}
    for c in shop.list("combinations", display="[id,id_product,reference]"):
        pid, cid = int(c["id_product"]), int(c["id"])
        items[(pid, cid)] = MAPPING.items.resolve(pid, cid, products[pid]["reference"], c["reference"])
    return items


def _expected_state(shop: PrestashopClient, head: dict[str, str]) -> int:
    """The shop state the status map sets for an M3 head: the furthest milestone reached that sets
    one (paid apart, which the shipped states already are)."""
    resolved = MAPPING.status.resolve(shop.order_states())
    milestone = MAPPING.status.milestone_of_m3(head)
    assert milestone is not None
    for candidate in reversed(MILESTONES[: MILESTONES.index(milestone) + 1]):
        if candidate != "paid" and candidate in resolved.targets:
            return resolved.targets[candidate]
    raise AssertionError(f"no state for {milestone}")


def _amount(lines: list[dict[str, str]]) -> Decimal:
    return sum((Decimal(line["ORQT"]) * Decimal(line["SAPR"]) for line in lines), Decimal(0))


def _disagreements(shop: PrestashopClient, m3: M3Client) -> dict[str, set[int]]:
    """What a reconciliation of the history would find, by kind (shop order ids)."""
    items, orders, found = _items(shop), _shop_orders(shop), _m3_orders(m3)
    rates = {int(c["id"]): c["iso_code"] for c in shop.list("currencies", display="[id,iso_code]")}
    kinds: dict[str, set[int]] = {k: set() for k in ("dropped", "orphaned", "status_drift", "amount", "line")}
    cuors = set()
    for order in orders:
        cuor = customer_order_number(order["id"])
        cuors.add(cuor)
        if cuor not in found:
            kinds["dropped"].add(order["id"])
            continue
        head, lines = found[cuor]
        assert head["ORDT"] == str(order["date_add"])[:10].replace("-", "")
        rows = order["associations"]["order_rows"]
        want = [
            (items[(int(r["product_id"]), int(r["product_attribute_id"]))], Decimal(str(r["product_quantity"])),
             MAPPING.currency.to_erp(Decimal(str(r["unit_price_tax_excl"])), rates[int(order["id_currency"])],
                                     MAPPING.erp.currency, Decimal(str(order["conversion_rate"]))))
            for r in rows
        ]  # fmt: skip
        have = [(line["ITNO"], Decimal(line["ORQT"]), Decimal(line["SAPR"])) for line in lines]
        if [(i, q) for i, q, _ in want] != [(i, q) for i, q, _ in have]:
            kinds["line"].add(order["id"])
        elif sum(q * p for _, q, p in want) != _amount(lines):
            kinds["amount"].add(order["id"])
        if int(order["current_state"]) != _expected_state(shop, head):
            kinds["status_drift"].add(order["id"])
    kinds["orphaned"] = {int(cuor[2:]) for cuor in found if cuor not in cuors}
    return kinds


def _stock_drift(shop: PrestashopClient, m3: M3Client) -> set[tuple[int, int]]:
    """Shop stock rows stocked from M3 whose quantity is not M3's availability (AV01 of 100)."""
    items = _items(shop)
    with_combinations = {p for p, c in items if c}
    rows = [
        (int(s["id_product"]), int(s["id_product_attribute"]), int(s["quantity"]))
        for s in shop.list("stock_availables", display="full", limit=1000)
    ]
    stocked = [(p, c, q) for p, c, q in rows if c or p not in with_combinations]
    results = m3.bulk(
        [("MMS200MI", "GetItmWhsBal", {"WHLO": "100", "ITNO": items[(p, c)]}) for p, c, _ in stocked]
    )
    drift = set()
    for (p, c, quantity), result in zip(stocked, results, strict=True):
        assert result.ok
        if max(int(Decimal(result.records[0]["AV01"])), 0) != quantity:
            drift.add((p, c))
    return drift


# ----------------------------------------------------------------------------- the history


def test_a_fresh_history_agrees_order_by_order(sandbox):
    shop, m3 = _clients(sandbox)
    orders = _shop_orders(shop)
    assert len(orders) == len(sandbox.shop.tables["orders"].rows)
    per_day = {d: sum(str(o["date_add"]).startswith(str(d)) for o in orders) for d in DAYS}
    assert all(14 <= per_day[d] <= 26 for d in DAYS[:-1])  # 20 a day, varying a little
    assert 0 < per_day[DAYS[-1]] < per_day[DAYS[-2]] + 6  # today: the hours gone so far
    assert all(1 <= len(o["associations"]["order_rows"]) <= 4 for o in orders)
    assert {int(o["id_currency"]) for o in orders} == {1, 2, 3}  # EUR, USD, GBP

    assert _disagreements(shop, m3) == {
        k: set() for k in ("dropped", "orphaned", "status_drift", "amount", "line")
    }
    assert _stock_drift(shop, m3) == set()

    found = _m3_orders(m3)
    for order in orders:
        head, lines = found[customer_order_number(order["id"])]
        assert sandbox.infor.tenant.orders[head["ORNO"]].cucd == MAPPING.erp.currency
        for line in lines:
            assert Decimal(line["NLAM"]) == Decimal(line["ORQT"]) * Decimal(line["SAPR"])
        age = (NOW.date() - date.fromisoformat(str(order["date_add"])[:10])).days
        milestone = MAPPING.status.milestone_of_m3(head)
        if age == 1:
            assert milestone in ("allocated", "picking")
        else:
            assert milestone == {0: "confirmed", 2: "shipped"}.get(age, "invoiced")


def test_the_history_is_read_from_a_date_on_in_date_then_order_number_order(sandbox):
    _, m3 = _clients(sandbox)
    third = DAYS[2].strftime("%Y%m%d")
    everything = m3.execute("OIS175MI", "LstHeadByDate", ORDT=DAYS[0].strftime("%Y%m%d"), maxrecs=0)
    assert [(h["ORDT"], h["ORNO"]) for h in everything] == sorted((h["ORDT"], h["ORNO"]) for h in everything)
    page = m3.execute("OIS175MI", "LstHeadByDate", ORDT=third, maxrecs=7)
    assert page == [h for h in everything if h["ORDT"] >= third][:7]
    shipped = m3.execute("OIS175MI", "LstHeadByDate", ORDT=third, ORSL="60", maxrecs=0)
    assert shipped and all(h["ORSL"] >= "60" and h["ORDT"] >= third for h in shipped)


def test_a_day_of_shop_orders_pages_by_id(sandbox):
    shop, _ = _clients(sandbox)
    day = shop.list("orders", filters={"date_add": f"[{DAYS[1]} 00:00:00,{DAYS[1]} 23:59:59]"}, limit=1000)
    ids = [o["id"] for o in day]
    assert ids == sorted(ids) and all(str(o["date_add"]).startswith(str(DAYS[1])) for o in day)
    pages = [
        shop.list("orders", display="[id]", filters={"date_add": f"[{DAYS[1]} 00:00:00,{DAYS[1]} 23:59:59]"},
                  limit=5, offset=offset)
        for offset in range(0, len(ids), 5)
    ]  # fmt: skip
    assert [o["id"] for page in pages for o in page] == ids


# ----------------------------------------------------------------------------- planting


def test_planted_discrepancies_are_what_the_answer_says(fresh):
    shop, m3 = _clients(fresh)
    answer = httpx.post(
        f"{fresh.prestashop_url}/_sandbox/discrepancies",
        json={"seed": 1, "dropped": 2, "orphaned": 1, "status_drift": 2, "amount": 2, "line": 2, "stock": 2},
    )
    assert answer.status_code == 201, answer.text
    planted = answer.json()
    orders = [i for kind in ("dropped", "orphaned", "status_drift", "amount", "line") for i in planted[kind]]
    assert len(orders) == len(set(orders)) == 9
    assert {k: len(v) for k, v in planted.items()} == {
        "dropped": 2, "orphaned": 1, "status_drift": 2, "amount": 2, "line": 2, "stock": 2,
        "unpaid": 0, "credited": 0, "refunded": 0,  # money gaps: test_reconciliation plants and finds them
    }  # fmt: skip

    found = _disagreements(shop, m3)
    assert found == {k: set(planted[k]) for k in ("dropped", "orphaned", "status_drift", "amount", "line")}
    assert _stock_drift(shop, m3) == {(s["product_id"], s["combination_id"]) for s in planted["stock"]}
    items = _items(shop)
    assert all(items[(s["product_id"], s["combination_id"])] == s["itno"] for s in planted["stock"])
    assert shop.list("orders", filters={"id": f"[{planted['orphaned'][0]}]"}) == []


def test_planting_is_reproducible_from_its_seed_and_can_keep_to_days(fresh, tmp_path):
    wanted = {"seed": 7, "amount": 2, "line": 1, "days": [str(DAYS[0]), str(DAYS[1])]}
    first = fresh.plant_discrepancies(**wanted)
    again = _start(tmp_path / "again")
    try:
        assert again.plant_discrepancies(**wanted) == first
    finally:
        again.stop()
    shop, _ = _clients(fresh)
    for order_id in first["amount"] + first["line"]:
        (order,) = shop.list("orders", filters={"id": f"[{order_id}]"})
        assert date.fromisoformat(str(order["date_add"])[:10]) in DAYS[:2]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"dropped": -1}, "dropped"),
        ({"amount": "two"}, "amount"),
        ({"seed": 1, "bogus": 2}, "bogus"),
        ({"days": ["2025-13-40"]}, "days"),
        ({"days": "2025-03-10"}, "days"),
        ({"line": 500}, "500 orders asked for"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_planting_is_a_400_naming_the_field(sandbox, body, named):
    before = len(sandbox.shop.tables["orders"].rows)
    answer = httpx.post(f"{sandbox.prestashop_url}/_sandbox/discrepancies", json=body)
    assert answer.status_code == 400 and named in answer.json()["error"]
    assert len(sandbox.shop.tables["orders"].rows) == before  # nothing planted


def test_a_stock_miscount_beyond_the_rows_is_refused(sandbox):
    answer = httpx.post(f"{sandbox.prestashop_url}/_sandbox/discrepancies", json={"stock": 999})
    assert answer.status_code == 400 and "stock" in answer.json()["error"]


# ----------------------------------------------------------------------------- the command line


def _sandbox_args(*flags: str):
    return cli.build_parser().parse_args(["sandbox", *flags])


def test_the_history_flags_reach_the_settings():
    settings = cli._settings(_sandbox_args("--history-days", "365", "--orders-per-day", "300"))
    assert (settings.history_days, settings.orders_per_day) == (365, 300)
    assert (cli._settings(_sandbox_args()).history_days, SandboxSettings().orders_per_day) == (0, 0)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--history-days", "1001"), "above the maximum of 1000 days"),
        (("--orders-per-day", "2001"), "above the maximum of 2000 orders a day"),
        (("--history-days", "-3"), "negative"),
        (("--orders-per-day", "many"), "not a whole number"),
    ],
)
def test_out_of_range_history_flags_are_refused(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        _sandbox_args(*flags)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_history_needs_both_flags(capsys):
    assert cli.main(["sandbox", "--history-days", "30"]) == 2
    assert "--history-days and --orders-per-day go together" in capsys.readouterr().err
    with pytest.raises(ValueError, match="orders_per_day must be 0 to 2000"):
        SandboxSettings(history_days=1, orders_per_day=5000)


def test_seeding_reports_its_progress_day_by_day(tmp_path):
    calls = []
    settings = SandboxSettings(prestashop_port=free_port(), infor_port=free_port(), time_zone=ZONE,
                               history_days=3, orders_per_day=2, ionapi_out=tmp_path / "sandbox.ionapi")  # fmt: skip
    started = start_sandbox(settings, now=NOW, progress=lambda done, days: calls.append((done, days)))
    started.stop()
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_the_sandbox_binds_beyond_loopback_only_when_told_the_name_it_is_reached_by(tmp_path, capsys):
    assert cli.main(["sandbox", "--host", "0.0.0.0", "--ionapi-out", str(tmp_path / "s.ionapi")]) == 2
    assert "--advertised-host" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["sandbox", "--advertised-host", "not a host!"])
    # the URLs it hands out name the advertised host (here on loopback, as every test server)
    settings = SandboxSettings(prestashop_port=free_port(), infor_port=free_port(), advertised_host="localhost",
                               orders=3, ionapi_out=tmp_path / "sandbox.ionapi")  # fmt: skip
    started = start_sandbox(settings, now=NOW)
    try:
        assert started.prestashop_url.startswith("http://localhost:")
        assert started.webhooks.shop_url.startswith("http://localhost:")
        assert "http://localhost:" in (tmp_path / "sandbox.ionapi").read_text()
        assert httpx.get(f"{started.prestashop_url}/api/", auth=(settings.api_key, "")).status_code == 200
    finally:
        started.stop()


# ----------------------------------------------------------------------------- after-sales


def test_after_sales_cancel_return_and_refund_one_order_each_as_people_would(fresh):
    """Issue 19 §5: the demo's after-sales, acted in both emulators: an order M3 has not picked is
    cancelled in the shop, one invoiced is returned and credited in M3, one paid is
    refunded in the shop, one shipped is returned in the shop and the merchant accepts it; four
    different orders, the same ones from the same seed."""
    shop, m3 = _clients(fresh)
    done = fresh.act_after_sales(seed=3)
    assert set(done) == {"cancelled", "returned", "refunded", "return_requested"}
    orders = [done[story]["order"] for story in ("cancelled", "returned", "refunded", "return_requested")]
    assert len(set(orders)) == 4
    canceled = next(int(s["id"]) for s in shop.order_states() if "Canceled" in str(s["name"]))
    assert int(shop.get("orders", done["cancelled"]["order"])["current_state"]) == canceled
    returned = next(iter(m3.execute("OIS100MI", "GetHead", ORNO=_orno(m3, done["returned"]["order"]))))
    credits = [
        i
        for i in m3.execute("OIS350MI", "LstInvHeadByCo", ORNO=returned["ORNO"])
        if i["AMT1"].startswith("-")
    ]
    assert len(credits) == 1
    slips = shop.list("order_slip", filters={"id_order": f"[{done['refunded']['order']}]"})
    assert [int(s["id"]) for s in slips] == [done["refunded"]["slip"]]
    requested = done["return_requested"]
    assert int(shop.get("orders", requested["order"])["current_state"]) == 5  # delivered, then returned
    (shop_return,) = [r for r in fresh.shop.records("order_returns") if r["id"] == requested["return"]]
    assert (shop_return["id_order"], shop_return["state"]) == (str(requested["order"]), "2")  # accepted
    assert [e["event"] for e in fresh.shop.events if e["resource"]["type"] == "order_returns"] == [
        "order_return.created", "order_return.updated"]  # fmt: skip


def _orno(m3: M3Client, order_id: int) -> str:
    return m3.execute("OIS120MI", "LstCOStopByCUOR", CUOR=f"PS{order_id}", maxrecs=1)[0]["ORNO"]
