"""PrestaShop Webservice emulator: writes and side effects, faults, the seeded shop, recorded traffic.

Write tests use a fresh small shop each (writes change state). The recorded OCA requests and PUT
bodies (PrestaShop 1.6, see fixtures/README.md) are replayed against the emulator.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from jsonschema import Draft7Validator
from starlette.testclient import TestClient

from prestashop_infor.prestashop import xml_codec
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, create_app, seed_shop
from prestashop_infor.serving import BackgroundServer

NOW = datetime(2024, 5, 31, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))
JSON = {"Output-Format": "JSON"}
FIXTURES = Path(__file__).parent / "fixtures" / "prestashop"


def client_for(shop: Shop) -> TestClient:
    client = TestClient(create_app(shop))
    client.auth = (DEFAULT_API_KEY, "")
    return client


@pytest.fixture
def shop() -> Shop:
    return seed_shop(seed=7, orders=30, now=NOW)


@pytest.fixture
def client(shop) -> TestClient:
    return client_for(shop)


def codes_of(response) -> list[int]:
    if response.headers.get("content-type", "").startswith("application/json"):
        return [error["code"] for error in response.json()["errors"]]
    return [code for code, _ in xml_codec.parse_errors(response.content)]


def body(entity: str, **fields: str) -> bytes:
    return xml_codec.render_entity(entity, fields)


# ----------------------------------------------------------------------------- order_histories


def test_post_order_history_moves_the_order_and_sends_no_email_without_sendemail(client, shop):
    order = shop.record("orders", 3)
    shop.clock.advance(timedelta(minutes=5))
    response = client.post(
        "/api/order_histories", content=body("order_history", id_order="3", id_order_state="4")
    )
    assert response.status_code == 201
    _, history = xml_codec.parse_record(response.content)
    assert history["id_order"] == "3" and history["id_order_state"] == "4"
    assert history["date_add"] == "2024-05-31 18:05:00"
    updated = shop.record("orders", 3)
    assert updated["current_state"] == "4"
    assert updated["date_upd"] == "2024-05-31 18:05:00" != order["date_upd"]
    assert shop.outbox == []
    histories = client.get(
        "/api/order_histories?filter[id_order]=3&display=full&sort=[id_ASC]", headers=JSON
    ).json()
    assert histories["order_histories"][-1]["id_order_state"] == "4"


def test_sendemail_records_the_state_email_and_sendmail_is_ignored(client, shop):
    client.post(
        "/api/order_histories?sendmail=1", content=body("order_history", id_order="3", id_order_state="2")
    )
    assert shop.outbox == []
    client.post(
        "/api/order_histories?sendemail=1", content=body("order_history", id_order="3", id_order_state="4")
    )
    assert [email.template for email in shop.outbox] == ["shipped"]
    assert (
        shop.outbox[0].to == shop.record("customers", int(shop.record("orders", 3)["id_customer"]))["email"]
    )
    outbox = client.get("/_sandbox/outbox").json()
    assert outbox[0]["template"] == "shipped" and outbox[0]["id_order"] == 3


def test_repeated_state_is_accepted_and_adds_a_history_row(client, shop):
    before = len([h for h in shop.records("order_histories") if h["id_order"] == "4"])
    state = shop.record("orders", 4)["current_state"]
    for _ in range(2):
        response = client.post(
            "/api/order_histories", content=body("order_history", id_order="4", id_order_state=state)
        )
        assert response.status_code == 201
    assert len([h for h in shop.records("order_histories") if h["id_order"] == "4"]) == before + 2


def test_paid_state_creates_the_payment(client, shop):
    unpaid = next(o for o in shop.records("orders") if o["total_paid_real"] == "0.000000")
    client.post(
        "/api/order_histories", content=body("order_history", id_order=str(unpaid["id"]), id_order_state="2")
    )
    payments = client.get(
        f"/api/order_payments?filter[order_reference]={unpaid['reference']}&display=full", headers=JSON
    )
    assert payments.json()["order_payments"][0]["amount"] == unpaid["total_paid_tax_incl"]
    assert shop.record("orders", unpaid["id"])["valid"] == "1"


def test_order_history_for_unknown_order_is_a_validation_error(client):
    response = client.post(
        "/api/order_histories", content=body("order_history", id_order="99999", id_order_state="2")
    )
    assert (response.status_code, codes_of(response)) == (400, [85])


# ----------------------------------------------------------------------------- stock_availables


def _stock_row(shop, product_id, attribute):
    return next(
        r
        for r in shop.records("stock_availables")
        if r["id_product"] == str(product_id) and r["id_product_attribute"] == str(attribute)
    )


def test_put_stock_takes_the_id_from_the_body_and_keeps_product_date_upd(client, shop):
    row = _stock_row(shop, 40, 0)
    product_before = shop.record("products", 40)["date_upd"]
    shop.clock.advance(timedelta(hours=1))
    payload = body(
        "stock_available",
        id=str(row["id"]),
        id_product="40",
        id_product_attribute="0",
        id_shop="1",
        id_shop_group="0",
        quantity="7",
        depends_on_stock="0",
        out_of_stock="2",
        location="A-01",
    )
    response = client.put("/api/stock_availables/1", content=payload)  # URL id is ignored
    assert response.status_code == 200
    _, record = xml_codec.parse_record(response.content)
    assert record["id"] == row["id"] and record["quantity"] == "7" and record["location"] == "A-01"
    assert shop.record("stock_availables", row["id"])["quantity"] == "7"
    assert shop.record("stock_availables", 1)["quantity"] == _stock_row(shop, 1, 0)["quantity"]
    assert shop.record("products", 40)["date_upd"] == product_before
    assert client.get("/api/products/40", headers=JSON).json()["product"]["quantity"] == "7"
    # PUT is a full replace: the optional location absent from the body is reset
    payload = body(
        "stock_available",
        id=str(row["id"]),
        id_product="40",
        id_product_attribute="0",
        quantity="9",
        depends_on_stock="0",
        out_of_stock="2",
    )
    client.put("/api/stock_availables", content=payload)
    assert shop.record("stock_availables", row["id"])["location"] == ""
    assert shop.record("stock_availables", row["id"])["id_shop"] == "0"


def test_stock_post_and_delete_are_refused_with_101(client):
    response = client.post("/api/stock_availables", content=body("stock_available", quantity="1"))
    assert (response.status_code, codes_of(response)) == (405, [101])
    response = client.delete("/api/stock_availables/1")
    assert (response.status_code, codes_of(response)) == (405, [101])


def test_put_errors(client, shop):
    response = client.put("/api/stock_availables", content=body("stock_available", quantity="1"))
    assert (response.status_code, codes_of(response)) == (400, [90])
    response = client.put(
        "/api/stock_availables",
        content=body(
            "stock_available",
            id="999999",
            id_product="1",
            id_product_attribute="0",
            quantity="1",
            depends_on_stock="0",
            out_of_stock="2",
        ),
    )
    assert (response.status_code, codes_of(response)) == (404, [92])
    twice = (
        b'<?xml version="1.0" encoding="UTF-8"?><prestashop><stock_available><id>1</id></stock_available>'
        b"<stock_available><id>1</id></stock_available></prestashop>"
    )
    response = client.put("/api/stock_availables", content=twice)
    assert (response.status_code, codes_of(response)) == (400, [89])
    response = client.put("/api/stock_availables", content=body("stock_available", id="1", quantity="1"))
    assert (response.status_code, codes_of(response)) == (400, [41])


# ----------------------------------------------------------------------------- order_carriers


def test_put_order_carrier_mirrors_tracking_into_the_order(client, shop):
    carrier = next(c for c in shop.records("order_carriers") if c["id_order"] == "5")
    fields = {k: v for k, v in carrier.items() if k != "associations"}
    fields.update(id=str(carrier["id"]), tracking_number="CC123456789FR")
    response = client.put(
        f"/api/order_carriers/{carrier['id']}?sendemail=1", content=body("order_carrier", **fields)
    )
    assert response.status_code == 200
    assert shop.record("orders", 5)["shipping_number"] == "CC123456789FR"
    assert client.get("/api/orders/5", headers=JSON).json()["order"]["shipping_number"] == "CC123456789FR"
    assert [email.template for email in shop.outbox] == ["in_transit"]
    fields.update(tracking_number="bad<tracking>{}")
    response = client.put("/api/order_carriers", content=body("order_carrier", **fields))
    assert (response.status_code, codes_of(response)) == (400, [85])


# ----------------------------------------------------------------------------- generic write rules


def test_post_order_payment_returns_201_with_the_full_record(client, shop):
    payload = body(
        "order_payment",
        order_reference="ABCDEFGHI",
        id_currency="1",
        amount="12.5",
        payment_method="Bank transfer",
    )
    response = client.post("/api/order_payments", content=payload, headers=JSON)
    assert response.status_code == 201
    payment = response.json()["order_payment"]
    assert payment["amount"] == "12.500000" and payment["date_add"] == "2024-05-31 18:00:00"
    assert payment["conversion_rate"] == "0.000000" and payment["id"] > 0


def test_post_rules(client):
    response = client.post(
        "/api/order_payments", content=body("order_payment", id="5", id_currency="1", amount="1")
    )
    assert (response.status_code, codes_of(response)) == (400, [91])
    response = client.post(
        "/api/order_payments", content=body("order_payment", id="", id_currency="1", amount="1")
    )
    assert response.status_code == 201  # an empty <id/> is fine
    response = client.post("/api/order_payments", content=body("order_payment", id_currency="1"))
    assert (response.status_code, codes_of(response)) == (400, [41])
    assert 'parameter "amount" required' in xml_codec.parse_errors(response.content)[0][1]
    response = client.post("/api/order_payments", content=body("order_payment", id_currency="x", amount="1"))
    assert (response.status_code, codes_of(response)) == (400, [85])
    response = client.post(
        "/api/order_payments",
        content=body("order_payment", id_currency="1", amount="1", order_reference="TOOLONGREFERENCE"),
    )
    assert (response.status_code, codes_of(response)) == (400, [85])


def test_not_writable_field_is_93(client, shop):
    product = shop.record("products", 1)
    payload = body("product", id="1", price=product["price"], quantity="5")
    response = client.put("/api/products", content=payload)
    assert (response.status_code, codes_of(response)) == (400, [93])
    assert "not writable" in xml_codec.parse_errors(response.content)[0][1]


def test_xml_prefix_is_stripped_and_json_bodies_fail_with_127(client):
    payload = b"xml=" + body("order_payment", id_currency="1", amount="3")
    assert client.post("/api/order_payments", content=payload).status_code == 201
    response = client.post(
        "/api/order_payments", content=json.dumps({"order_payment": {"amount": "1"}}).encode(), headers=JSON
    )
    assert (response.status_code, codes_of(response)) == (500, [127])
    assert '"amount"' in response.json()["errors"][0]["message"]  # the original body is quoted


def test_unknown_elements_are_ignored(client):
    response = client.post(
        "/api/order_payments", content=body("order_payment", id_currency="1", amount="3", nope="x")
    )
    assert response.status_code == 201


def test_order_put_ignores_order_rows(client, shop):
    _, order = xml_codec.parse_record(client.get("/api/orders/2").content)
    rows_before = shop.record("orders", 2)["associations"]["order_rows"]
    order.pop("shipping_number")
    order["associations"] = {"order_rows": [{"id": "1", "product_id": "1", "product_quantity": "99"}]}
    order["gift_message"] = "Happy birthday"
    response = client.put("/api/orders/2", content=xml_codec.render_entity("order", order))
    assert response.status_code == 200, response.text
    assert shop.record("orders", 2)["associations"]["order_rows"] == rows_before
    assert shop.record("orders", 2)["gift_message"] == "Happy birthday"


def test_delete(client, shop):
    response = client.delete("/api/order_payments/1")
    assert response.status_code == 200 and response.content == b""
    assert shop.record("order_payments", 1) is None
    response = client.delete("/api/order_payments/1")
    assert (response.status_code, codes_of(response)) == (404, [87])
    assert client.delete("/api/addresses?id=[1,2]").status_code == 200
    assert shop.record("addresses", 2) is None


def test_ps_method_overrides_the_verb(client, shop):
    response = client.get("/api/order_payments/2?ps_method=DELETE")
    assert response.status_code == 200 and shop.record("order_payments", 2) is None


def test_patch_on_8x_is_partial():
    shop8 = seed_shop(seed=1, orders=3, now=NOW, version="8.1.4")
    client = client_for(shop8)
    row = _stock_row(shop8, 2, 0)
    response = client.patch(
        "/api/stock_availables", content=body("stock_available", id=str(row["id"]), quantity="3")
    )
    assert response.status_code == 200
    stored = shop8.record("stock_availables", row["id"])
    assert stored["quantity"] == "3" and stored["id_shop"] == "1" and stored["out_of_stock"] == "2"
    response = client.patch("/api/stock_availables", content=body("stock_available", quantity="3"))
    assert (response.status_code, codes_of(response)) == (400, [90])


# ----------------------------------------------------------------------------- recorded write round trips


def _normalise(text: str) -> str:
    text = re.sub(r"http://[^/\"]+/api", "http://HOST/api", text)
    return "\n".join(line.strip() for line in text.strip().splitlines())


def _shop_matching_the_recordings() -> Shop:
    """A 1.6 shop with the records the OCA PUTs target: stock_available 1 and order_carrier 2 (order 2)."""
    shop = seed_shop(seed=11, orders=3, now=NOW, version="1.6.1.9")
    carrier = shop.tables["order_carriers"].rows[2]
    positions = shop.definitions["order_carriers"].by_name
    for name, value in (("id_carrier", "2"), ("id_order_invoice", "2"), ("date_add", "2016-09-02 14:37:22")):
        carrier[positions[name].pos] = value
    return shop


@pytest.mark.parametrize("resource", ["stock_availables", "order_carriers"])
def test_recorded_put_round_trips(resource):
    shop = _shop_matching_the_recordings()
    client = client_for(shop)
    request = (FIXTURES / "oca-extracted" / f"put_{resource}.request.xml").read_bytes()
    expected = (FIXTURES / "oca-extracted" / f"put_{resource}.xml").read_text()
    response = client.put(f"/api/{resource}", content=request)
    assert response.status_code == 200
    assert response.headers["psws-version"] == "1.6.1.9"
    assert _normalise(response.text) == _normalise(expected)


# ----------------------------------------------------------------------------- recorded queries


def _recorded_queries():
    index = json.loads((FIXTURES / "oca-extracted" / "index.json").read_text())
    served = set(seed_shop(orders=0).definitions)
    seen = set()
    for entry in index:
        resource = entry["uri"].split("/api/")[1].split("?")[0]
        if entry["query_decoded"] and resource in served and (resource, entry["query_decoded"]) not in seen:
            seen.add((resource, entry["query_decoded"]))
            yield resource, entry["query_decoded"], entry["file"]


@pytest.fixture(scope="module")
def replay_client():
    return client_for(seed_shop(seed=2, orders=40, now=NOW))


@pytest.mark.parametrize(("resource", "query", "file"), list(_recorded_queries()))
def test_recorded_queries_are_accepted(replay_client, resource, query, file):
    response = replay_client.get(
        f"/api/{resource}", params=[tuple(p.split("=", 1)) for p in query.split("&")]
    )
    assert response.status_code == 200, response.text
    recorded_root = {"order_discounts": "order_cart_rules"}.get(resource, resource)
    assert xml_codec.root_name(response.content) == recorded_root


def test_every_recorded_query_resource_is_covered():
    assert len(list(_recorded_queries())) >= 25


# ----------------------------------------------------------------------------- JSON schemas


@pytest.fixture(scope="module")
def json_client():
    return client_for(seed_shop(seed=9, orders=40, now=NOW))


@pytest.mark.parametrize(
    "schema_file", sorted((FIXTURES / "field-schemas").glob("*.json")), ids=lambda p: p.stem
)
def test_json_output_matches_the_airbyte_schemas(json_client, schema_file):
    validator = Draft7Validator(json.loads(schema_file.read_text()))
    resource = schema_file.stem
    response = json_client.get(f"/api/{resource}?display=full&limit=20&sort=[id_ASC]", headers=JSON)
    records = response.json()[resource]
    assert records
    for record in records:
        errors = [e for e in validator.iter_errors(record) if "format" not in str(e.validator)]
        assert not errors, f"{resource} {record['id']}: {errors[0].message}"


# ----------------------------------------------------------------------------- faults


def test_error_rate_gives_php_notice_documents(shop, client):
    shop.faults.update({"error_rate": 1.0})
    response = client.get("/api/orders?limit=1", headers=JSON)
    assert response.status_code == 500
    (code,) = codes_of(response)
    assert 2 <= code <= 15
    assert response.json()["errors"][0]["message"].startswith("[PHP ")


def test_faults_are_deterministic_for_a_seed(shop, client):
    def statuses() -> list[int]:
        shop.faults.update({"error_rate": 0.5, "seed": 99})
        return [client.get("/api/order_states/1").status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert set(first) == {200, 500}


def test_latency_and_timeouts_still_answer(shop, client):
    shop.faults.latency = 0.01
    shop.faults.timeout_rate = 1.0
    shop.faults.timeout_seconds = 0.02
    assert client.get("/api/order_states/1").status_code == 200


def test_revoked_key_and_disabled_webservice(shop, client):
    shop.faults.revoke_key = True
    response = client.get("/api/orders")
    assert (response.status_code, codes_of(response)) == (401, [20, 21])
    shop.faults.revoke_key = False
    shop.faults.disabled = True
    response = client.get("/api/orders")
    assert (response.status_code, codes_of(response)) == (503, [22])


def test_php_warning_before_the_document(shop, client):
    shop.faults.php_warning_rate = 1.0
    response = client.get("/api/orders/1")
    assert response.status_code == 200 and response.text.startswith("<br />\n<b>Warning</b>")
    with pytest.raises(xml_codec.MalformedDocument):
        xml_codec.parse_record(response.content)


def test_html_500(shop, client):
    shop.faults.html_error_rate = 1.0
    response = client.get("/api/orders/1")
    assert response.status_code == 500 and response.headers["content-type"].startswith("text/html")


def test_sandbox_fault_endpoint(shop, client):
    response = client.post("/_sandbox/faults", json={"disabled": True, "latency": 0})
    assert response.status_code == 200 and response.json()["disabled"] is True
    assert codes_of(client.get("/api/orders")) == [22]
    client.post("/_sandbox/faults", json={"disabled": False, "revoke_key": True})
    assert codes_of(client.get("/api/orders")) == [20, 21]
    assert client.post("/_sandbox/faults", json={"nope": 1}).status_code == 400
    assert client.post("/_sandbox/faults", json={"error_rate": 3}).status_code == 400


def test_sandbox_endpoints_can_be_switched_off(shop):
    client = TestClient(create_app(shop, sandbox_endpoints=False))
    assert client.post("/_sandbox/faults", json={"disabled": True}).status_code == 404


# ----------------------------------------------------------------------------- orders placed in the shop


def test_place_order_decrements_stock_and_stamps_local_time(shop):
    combination = shop.record("combinations", 1)
    product_id = int(combination["id_product"])
    before_combo = shop.stock_quantity(product_id, 1)
    before_total = shop.stock_quantity(product_id, 0)
    shop.clock.advance(timedelta(minutes=3))
    order_id = shop.place_order(2, [(product_id, 1, 2), (40, 0, 1)], "USD")
    order = shop.record("orders", order_id)
    assert order["date_add"] == order["date_upd"] == "2024-05-31 18:03:00"
    assert order["id_currency"] == str(shop.currency_id("USD"))
    assert order["reference"].isalpha() and order["reference"].isupper() and len(order["reference"]) == 9
    assert [row["product_quantity"] for row in order["associations"]["order_rows"]] == ["2", "1"]
    assert shop.stock_quantity(product_id, 1) == before_combo - 2
    assert shop.stock_quantity(product_id, 0) == before_total - 2
    histories = [h for h in shop.records("order_histories") if h["id_order"] == str(order_id)]
    assert [h["id_order_state"] for h in histories] == [order["current_state"]]
    assert any(e["event"] == "order.created" and e["resource"]["id"] == order_id for e in shop.events)
    assert len([c for c in shop.records("order_carriers") if c["id_order"] == str(order_id)]) == 1


def test_place_order_rejects_bad_input(shop):
    with pytest.raises(ValueError, match="no customer"):
        shop.place_order(999999, [(1, 0, 1)])
    with pytest.raises(ValueError, match="no product"):
        shop.place_order(1, [(999, 0, 1)])
    with pytest.raises(ValueError, match="no currency"):
        shop.place_order(1, [(40, 0, 1)], "JPY")


def test_sandbox_orders_endpoint(shop, client):
    response = client.post(
        "/_sandbox/orders", json={"customer_id": 1, "lines": [[40, 0, 1]], "currency": "EUR"}
    )
    assert response.status_code == 201
    order_id = response.json()["id"]
    assert client.get(f"/api/orders/{order_id}").status_code == 200
    assert client.post("/_sandbox/orders", json={"customer_id": 1}).status_code == 400


def test_dst_clock_jump(client, shop):
    shop.clock.set(datetime(2024, 10, 27, 2, 30, tzinfo=ZoneInfo("UTC")))  # after the autumn change in Paris
    order_id = shop.place_order(1, [(40, 0, 1)])
    assert shop.record("orders", order_id)["date_add"] == "2024-10-27 03:30:00"
    shop.clock.advance(timedelta(hours=-1))
    order_id = shop.place_order(1, [(40, 0, 1)])
    assert shop.record("orders", order_id)["date_add"] == "2024-10-27 02:30:00"  # the repeated hour


# ----------------------------------------------------------------------------- the seeded shop


def test_seed_is_deterministic():
    first, second = seed_shop(seed=4, orders=50, now=NOW), seed_shop(seed=4, orders=50, now=NOW)
    for resource in (
        "orders",
        "order_details",
        "customers",
        "addresses",
        "stock_availables",
        "order_histories",
    ):
        assert first.records(resource) == second.records(resource)
    assert seed_shop(seed=5, orders=50, now=NOW).records("orders") != first.records("orders")


def test_seeded_catalog_and_customers():
    shop = seed_shop(seed=42, orders=200, now=NOW)
    products, combinations = shop.records("products"), shop.records("combinations")
    assert len(products) == 40
    assert sum(1 for p in products if p["associations"]["combinations"]) >= 25
    references = [p["reference"] for p in products] + [c["reference"] for c in combinations]
    assert len(set(references)) == len(references)
    assert all(re.fullmatch(r"[A-Z0-9-]{1,15}", ref) for ref in references)
    countries = {c["id"]: c["iso_code"] for c in shop.records("countries")}
    used = {countries[int(a["id_country"])] for a in shop.records("addresses")}
    assert {"FR", "DE", "GB", "US", "ES", "IT", "NL"} <= used
    customers = shop.records("customers")
    assert any(c["is_guest"] == "1" for c in customers)
    assert any(re.search(r"[^\x00-\x7f]", c["lastname"] + c["firstname"]) for c in customers)
    assert max(len(a["address1"]) for a in shop.records("addresses")) > 100
    assert [c["iso_code"] for c in shop.records("currencies")] == ["EUR", "USD", "GBP"]
    assert len(shop.records("order_states")) == 13
    assert shop.records("order_states")[9]["module_name"] == "ps_wirepayment"


def test_seeded_orders_are_consistent():
    shop = seed_shop(seed=42, orders=200, now=NOW)
    orders = shop.records("orders")
    assert len(orders) == 200
    assert {o["id_currency"] for o in orders} == {"1", "2", "3"}
    assert len({o["current_state"] for o in orders}) >= 5
    dates = [o["date_add"] for o in orders]
    assert (
        min(dates) >= (NOW - timedelta(days=31)).strftime("%Y-%m-%d") and max(dates) <= "2024-05-31 18:00:00"
    )
    states = {s["id"]: s for s in shop.records("order_states")}
    references = {p["order_reference"] for p in shop.records("order_payments")}
    carriers = [c["id_order"] for c in shop.records("order_carriers")]
    assert sorted(carriers, key=int) == [str(o["id"]) for o in orders]  # one carrier row per order
    for order in orders:
        rows = order["associations"]["order_rows"]
        assert 1 <= len(rows) <= 5
        assert (order["total_paid_real"] != "0.000000") == (order["reference"] in references)
        assert order["date_upd"] >= order["date_add"]
        if states[int(order["current_state"])]["shipped"] == "1":
            assert order["shipping_number"]
    stock_keys = {(s["id_product"], s["id_product_attribute"]) for s in shop.records("stock_availables")}
    assert all((c["id_product"], str(c["id"])) in stock_keys for c in shop.records("combinations"))
    assert all((str(p["id"]), "0") in stock_keys for p in shop.records("products"))


# ----------------------------------------------------------------------------- real socket


def test_over_a_real_socket():
    shop = seed_shop(seed=42, orders=50, now=NOW)
    server = BackgroundServer(create_app(shop))
    with server, httpx.Client(base_url=server.url, auth=(DEFAULT_API_KEY, ""), timeout=10) as http:
        response = http.get(
            "/api/orders", params={"display": "full", "limit": "0,10", "sort": "[id_ASC]"}, headers=JSON
        )
        assert response.status_code == 200
        assert [o["id"] for o in response.json()["orders"]] == list(range(1, 11))
        listing = http.get("/api/orders?limit=1")
        assert f"{server.url}/api/orders/" in listing.text  # links use the request's base URL
        posted = http.post(
            "/api/order_histories", content=body("order_history", id_order="1", id_order_state="6")
        )
        assert posted.status_code == 201
        assert http.get("/api/orders/1", headers=JSON).json()["order"]["current_state"] == "6"
        assert httpx.get(f"{server.url}/api/orders").text == "401 Unauthorized"


def test_place_order_for_a_customer_created_through_the_api(client, shop):
    customer = body(
        "customer", passwd="secret", lastname="Nouveau", firstname="Client", email="new@example.fr"
    )
    customer_id = xml_codec.parse_record(client.post("/api/customers", content=customer).content)[1]["id"]
    address = body(
        "address",
        id_customer=str(customer_id),
        id_country="3",
        alias="Home",
        lastname="Nouveau",
        firstname="Client",
        address1="1 rue Neuve",
        city="Bruxelles",
    )
    address_id = xml_codec.parse_record(client.post("/api/addresses", content=address).content)[1]["id"]
    order_id = shop.place_order(customer_id, [(40, 0, 1)])
    assert shop.record("orders", order_id)["id_address_delivery"] == str(address_id)
