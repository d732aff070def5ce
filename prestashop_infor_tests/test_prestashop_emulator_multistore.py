"""PrestaShop Webservice emulator, multistore (issue 21 §4, contract §5.8): ``seed_shop(shops=2)``
seeds two shops of one shop group behind one Webservice, each with its own stock rows and customers;
checkouts and the sandbox's ``/_sandbox/orders`` place orders in either shop and take the stock off
that shop's rows; the webhook envelope names the order's shop. One shop (the default) seeds what it
always did, record for record."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, create_app, seed_shop
from prestashop_infor.sandbox.prestashop.webhooks import WebhookSender
from prestashop_infor.serving import BackgroundServer, free_port

NOW = datetime(2024, 5, 31, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))
JSON = {"Output-Format": "JSON"}


def client_for(shop: Shop) -> TestClient:
    client = TestClient(create_app(shop))
    client.auth = (DEFAULT_API_KEY, "")
    return client


def two_shops() -> Shop:
    shop = seed_shop(seed=42, orders=300, now=NOW, shops=2)
    shop.clock.freeze()
    return shop


def listed(client: TestClient, resource: str, **params: str) -> list[dict]:
    answer = client.get(
        f"/api/{resource}", params={"display": "full", "sort": "[id_ASC]", **params}, headers=JSON
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return [] if body == [] else body[resource]


def stock_row(client: TestClient, product_id: int, combination_id: int, id_shop: int) -> dict:
    (row,) = listed(client, "stock_availables", **{"filter[id_product]": f"[{product_id}]",
                    "filter[id_product_attribute]": f"[{combination_id}]", "filter[id_shop]": f"[{id_shop}]"})  # fmt: skip
    return row


def customer_of_shop(shop: Shop, id_shop: int) -> int:
    return next(c["id"] for c in shop.records("customers") if c["id_shop"] == str(id_shop))


# ----------------------------------------------------------------------------- the seeded multistore


def test_the_webservice_lists_two_shops_of_one_group():
    client = client_for(two_shops())
    shops = listed(client, "shops")
    assert [(s["id"], s["id_shop_group"], s["active"]) for s in shops] == [(1, "1", "1"), (2, "1", "1")]
    assert shops[0]["name"] == "PrestaShop Sandbox" and shops[1]["name"] == "PrestaShop Sandbox CH"
    (group,) = listed(client, "shop_groups")
    assert (group["share_customer"], group["share_order"], group["share_stock"]) == ("0", "0", "0")
    assert client.get("/api/orders", params={"id_shop": "2"}).status_code == 200  # a shop context
    assert client.get("/api/orders", params={"id_shop": "3"}).status_code == 404  # code 999


def test_orders_and_customers_belong_to_either_shop():
    shop = two_shops()
    client = client_for(shop)
    orders = listed(client, "orders")
    counts = Counter(order["id_shop"] for order in orders)
    assert set(counts) == {"1", "2"} and counts["2"] >= 30  # about a third in shop 2
    assert {order["id_shop_group"] for order in orders} == {"1"}
    in_shop_2 = listed(client, "orders", **{"filter[id_shop]": "[2]"})
    assert [o["id"] for o in in_shop_2] == sorted(o["id"] for o in orders if o["id_shop"] == "2")
    customers = {c["id"]: c["id_shop"] for c in listed(client, "customers")}
    assert set(customers.values()) == {"1", "2"}
    assert all(customers[int(order["id_customer"])] == order["id_shop"] for order in orders)


def test_every_product_and_combination_has_a_stock_row_per_shop():
    client = client_for(two_shops())
    rows = listed(client, "stock_availables")
    by_shop = Counter((row["id_shop"], row["id_shop_group"]) for row in rows)
    assert by_shop[("1", "0")] == by_shop[("2", "0")] == len(rows) // 2 > 0
    keys = {shop_id: {(r["id_product"], r["id_product_attribute"]) for r in rows if r["id_shop"] == shop_id}
            for shop_id in ("1", "2")}  # fmt: skip
    assert keys["1"] == keys["2"]
    both = listed(
        client, "stock_availables", **{"filter[id_product]": "[1]", "filter[id_product_attribute]": "[1]"}
    )
    assert sorted(row["id_shop"] for row in both) == ["1", "2"]  # multistore: filter[id_shop] picks one
    second = [r for r in rows if r["id_shop"] == "2"]
    combinations = [r for r in second if r["id_product"] == "1" and r["id_product_attribute"] != "0"]
    total = stock_row(client, 1, 0, 2)
    assert int(total["quantity"]) == sum(int(r["quantity"]) for r in combinations)
    assert [r["quantity"] for r in second] != [r["quantity"] for r in rows if r["id_shop"] == "1"]


# ----------------------------------------------------------------------------- checkouts


def test_a_checkout_in_shop_2_takes_the_stock_off_shop_2_only():
    shop = two_shops()
    client = client_for(shop)
    customer = customer_of_shop(shop, 2)
    before = {
        s: (stock_row(client, 1, 2, s)["quantity"], stock_row(client, 1, 0, s)["quantity"]) for s in (1, 2)
    }
    placed = client.post(
        "/_sandbox/orders", json={"customer_id": customer, "lines": [[1, 2, 3]], "id_shop": 2}
    )
    assert placed.status_code == 201, placed.text
    order = client.get(f"/api/orders/{placed.json()['id']}", headers=JSON).json()["order"]
    assert (order["id_shop"], order["id_shop_group"], order["id_customer"]) == ("2", "1", str(customer))
    after = {
        s: (stock_row(client, 1, 2, s)["quantity"], stock_row(client, 1, 0, s)["quantity"]) for s in (1, 2)
    }
    assert after[1] == before[1]
    assert after[2] == tuple(str(int(q) - 3) for q in before[2])
    # without id_shop the order goes to the customer's own shop
    again = client.post("/_sandbox/orders", json={"customer_id": customer, "lines": [[1, 2, 1]]})
    assert shop.record("orders", again.json()["id"])["id_shop"] == "2"
    home = customer_of_shop(shop, 1)
    first = client.post("/_sandbox/orders", json={"customer_id": home, "lines": [[1, 2, 1]], "id_shop": 1})
    assert shop.record("orders", first.json()["id"])["id_shop"] == "1"
    assert stock_row(client, 1, 2, 1)["quantity"] == str(int(before[1][0]) - 1)


def test_random_orders_in_one_shop():
    shop = two_shops()
    client = client_for(shop)
    placed = client.post("/_sandbox/orders", json={"random": 6, "seed": 3, "id_shop": 2})
    assert placed.status_code == 201, placed.text
    assert {shop.record("orders", order_id)["id_shop"] for order_id in placed.json()["ids"]} == {"2"}


def test_an_unknown_shop_or_another_shops_customer_is_refused_with_a_clear_message():
    shop = two_shops()
    client = client_for(shop)
    orders = len(shop.tables["orders"].rows)
    unknown = client.post("/_sandbox/orders", json={"customer_id": 1, "lines": [[1, 1, 1]], "id_shop": 3})
    assert unknown.status_code == 400
    assert "no shop 3 in this PrestaShop (its shops: 1, 2)" in unknown.json()["error"]
    stranger = client.post("/_sandbox/orders", json={"customer_id": customer_of_shop(shop, 1),
                                                     "lines": [[1, 1, 1]], "id_shop": 2})  # fmt: skip
    assert stranger.status_code == 400 and "belongs to shop 1, not to shop 2" in stranger.json()["error"]
    random_orders = client.post("/_sandbox/orders", json={"random": 2, "id_shop": "x"})
    assert random_orders.status_code == 400 and "id_shop must be a shop id" in random_orders.json()["error"]
    assert len(shop.tables["orders"].rows) == orders
    with pytest.raises(ValueError, match="no shop 2 in this PrestaShop"):  # one shop: shop 2 is unknown
        seed_shop(seed=1, orders=0, now=NOW).place_order(1, [(1, 1, 1)], id_shop=2)


# ----------------------------------------------------------------------------- webhooks


class Receiver:
    """A webhook receiver that keeps the envelopes it is sent."""

    def __init__(self) -> None:
        self.envelopes: list[dict] = []
        self.lock = threading.Lock()

        async def receive(request: Request) -> Response:
            envelope = await request.json()
            with self.lock:
                self.envelopes.append(envelope)
            return Response(status_code=204)

        self.app = Starlette(routes=[Route("/hook", receive, methods=["POST"])])

    def wait_for(self, count: int) -> list[dict]:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.envelopes) >= count:
                    return list(self.envelopes)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.envelopes)} envelopes, expected {count}")


def test_the_webhook_envelope_names_the_orders_shop():
    shop = two_shops()
    receiver = Receiver()
    sender = WebhookSender("http://127.0.0.1:8081", workers=1)
    shop.subscribe(sender)
    try:
        with BackgroundServer(receiver.app) as server:
            sender.subscribe(server.url + "/hook", ["s" * 40])
            second = shop.place_order(customer_of_shop(shop, 2), [(1, 1, 1)], id_shop=2)
            first = shop.place_order(customer_of_shop(shop, 1), [(1, 1, 1)])
            envelopes = receiver.wait_for(len(shop.events))
    finally:
        sender.stop()
    shops = {(e["event"], e["resource"]["type"], e["resource"]["id"]): e["shop"] for e in envelopes}
    assert shops[("order.created", "orders", second)]["id_shop"] == 2
    assert shops[("order.created", "orders", first)]["id_shop"] == 1
    assert all(
        e["shop"]["id_shop_group"] == 1 and e["shop"]["url"] == "http://127.0.0.1:8081" for e in envelopes
    )
    stock = [e for e in envelopes if e["event"] == "stock.updated"]
    assert sorted(e["shop"]["id_shop"] for e in stock) == [1, 1, 2, 2]  # combination and product rows
    assert all(e["shop"]["id_shop"] == e["data"]["id_shop"] for e in stock)
    states = [e for e in envelopes if e["event"] == "order.status_changed" and e["resource"]["id"] == second]
    assert states and all(e["shop"]["id_shop"] == 2 for e in states)


# ----------------------------------------------------------------------------- one shop, as before


def test_one_shop_seeds_what_it_always_did():
    default = seed_shop(seed=7, orders=60, now=NOW)
    explicit = seed_shop(seed=7, orders=60, now=NOW, shops=1)
    for resource in default.definitions:
        assert default.records(resource) == explicit.records(resource), resource
    assert [s["id"] for s in default.records("shops")] == [1]
    for resource in ("orders", "customers", "stock_availables"):
        assert {r["id_shop"] for r in default.records(resource)} == {"1"}, resource
    assert all("shop" not in event for event in _events_of_a_checkout(default))  # events as they were


def test_a_second_shop_leaves_the_first_shops_data_as_it_was():
    one = seed_shop(seed=7, orders=60, now=NOW)
    two = seed_shop(seed=7, orders=60, now=NOW, shops=2)
    assert seed_shop(seed=7, orders=60, now=NOW, shops=2).records("stock_availables") == two.records(
        "stock_availables"
    )  # reproducible
    first = [r for r in two.records("stock_availables") if r["id_shop"] == "1"]
    assert first == one.records("stock_availables")
    for resource in ("orders", "customers", "order_details", "order_histories", "products", "addresses"):
        strip = lambda rows: [{k: v for k, v in r.items() if k != "id_shop"} for r in rows]  # noqa: E731
        assert strip(one.records(resource)) == strip(two.records(resource)), resource


def test_the_number_of_shops_is_checked():
    for shops in (0, 5):
        with pytest.raises(ValueError, match="shops must be 1 to 4"):
            seed_shop(seed=1, orders=0, shops=shops)
    shop = seed_shop(seed=1, orders=10, now=NOW, shops=4)
    assert [s["name"][-2:] for s in shop.records("shops")[1:]] == ["CH", "BE", "UK"]
    assert Counter(r["id_shop"] for r in shop.records("stock_availables")).keys() == {"1", "2", "3", "4"}
    from prestashop_infor.settings import SandboxSettings

    with pytest.raises(ValueError, match="shops must be 1 to 4, got 5"):
        SandboxSettings(shops=5)


def _events_of_a_checkout(shop: Shop) -> list[dict]:
    start = len(shop.events)
    shop.place_order(1, [(1, 1, 1)])
    return shop.events[start:]


# ----------------------------------------------------------------------------- the sandbox


def test_the_sandbox_starts_a_multistore_whose_history_fills_both_shops(tmp_path: Path):
    from prestashop_infor.sandbox import start_sandbox
    from prestashop_infor.settings import SandboxSettings

    settings = SandboxSettings(prestashop_port=free_port(), infor_port=free_port(), history_days=3,
                               orders_per_day=30, ionapi_out=tmp_path / "sandbox.ionapi", shops=2)  # fmt: skip
    sandbox = start_sandbox(settings)
    try:
        base, auth = sandbox.prestashop_url, (DEFAULT_API_KEY, "")
        shops = httpx.get(f"{base}/api/shops", params={"display": "full"}, headers=JSON, auth=auth).json()
        assert sorted(s["id"] for s in shops["shops"]) == [1, 2]
        orders = httpx.get(f"{base}/api/orders", params={"display": "[id,id_shop]"}, headers=JSON, auth=auth)
        assert {o["id_shop"] for o in orders.json()["orders"]} == {"1", "2"}
        customer = customer_of_shop(sandbox.shop, 2)
        placed = httpx.post(f"{base}/_sandbox/orders", json={"customer_id": customer, "lines": [[1, 1, 1]],
                                                             "id_shop": 2})  # fmt: skip
        assert placed.status_code == 201 and sandbox.shop.order_shop(placed.json()["id"]) == 2
    finally:
        sandbox.stop()
