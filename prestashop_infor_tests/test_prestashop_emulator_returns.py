"""Returns and refunds in the PrestaShop emulator (issue 19 §3): credit slips (``order_slip``) as the
Webservice serves them, merchandise returns (``order_returns``, served from 9.0 only), the shop's
``refund`` and ``request_return`` with PrestaShop's checks and the events they emit, their sandbox
hooks, and the returns and slips among the seeded history. Through the HTTP API in-process and the
project's own client."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from prestashop_infor.prestashop import PrestashopClient, PrestashopRequestError, xml_codec
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, create_app, seed_shop

NOW = datetime(2024, 5, 31, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))
JSON = {"Output-Format": "JSON"}
PAID, SHIPPED, DELIVERED, REFUNDED = 2, 4, 5, 7


def serve(shop: Shop) -> tuple[TestClient, PrestashopClient]:
    http = TestClient(create_app(shop))
    http.auth = (DEFAULT_API_KEY, "")
    return http, PrestashopClient(
        "http://testserver", DEFAULT_API_KEY, http_client=http, time_zone="Europe/Paris"
    )


@pytest.fixture
def shop() -> Shop:
    return seed_shop(seed=7, orders=60, now=NOW)


def order_of(shop: Shop, lines: list[int], states: tuple[int, ...] = (PAID, SHIPPED, DELIVERED)) -> int:
    """A new order of the first sellable products, ``lines`` their quantities, moved through ``states``."""
    products = [
        (product_id, combos[0][0] if combos else 0) for product_id, _r, _n, _p, combos in shop.catalog
    ]
    order_id = shop.place_order(1, [(p, c, q) for (p, c), q in zip(products, lines, strict=False)])
    for state in states:
        shop.clock.advance(timedelta(hours=1))
        shop.change_order_state(order_id, state)
    return order_id


def details_of(client: PrestashopClient, order_id: int) -> list[dict]:
    return sorted(client.order_details(order_id), key=lambda d: int(d["id"]))


def codes_of(response) -> list[int]:
    if response.headers.get("content-type", "").startswith("application/json"):
        return [error["code"] for error in response.json()["errors"]]
    return [code for code, _ in xml_codec.parse_errors(response.content)]


def events_since(shop: Shop, start: int) -> list[tuple[str, str, int]]:
    return [(e["event"], e["source_hook"], e["data"]["id_order"]) for e in shop.events[start:]]


# ----------------------------------------------------------------------------- the order_slip resource


def test_order_slips_are_served_under_their_own_root_in_xml_and_json(shop):
    http, client = serve(shop)
    order_id = order_of(shop, [2, 1])
    detail = details_of(client, order_id)[0]
    slip_id = shop.refund(order_id, [(int(detail["id"]), 1)])

    listing = http.get("/api/order_slip", params={"filter[id]": f"[{slip_id}]"})
    assert xml_codec.root_name(listing.content) == "order_slips"
    assert (
        f'<order_slip id="{slip_id}" xlink:href="http://testserver/api/order_slip/{slip_id}"/>'
        in listing.text
    )
    record = http.get(f"/api/order_slip/{slip_id}").text
    assert xml_codec.root_name(record.encode()) == "order_slip"
    assert (
        f'<id_order xlink:href="http://testserver/api/orders/{order_id}"><![CDATA[{order_id}]]></id_order>'
        in record
    )
    assert '<order_slip_details nodeType="order_slip_detail" virtualEntity="true">' in record
    assert re.search(rf"<order_slip_detail>\s*<id><!\[CDATA\[{slip_id}\]\]></id>", record)  # the slip's id

    single = http.get(f"/api/order_slip/{slip_id}", headers=JSON).json()
    assert list(single) == ["order_slip"] and single["order_slip"]["id"] == slip_id
    (line,) = single["order_slip"]["associations"]["order_slip_details"]
    assert line == {"id": str(slip_id), "id_order_detail": str(detail["id"]), "product_quantity": "1",
                    "amount_tax_excl": detail["unit_price_tax_excl"], "amount_tax_incl": detail["unit_price_tax_incl"]}  # fmt: skip
    ids = http.get("/api/order_slip", params={"filter[id_order]": f"[{order_id}]"}, headers=JSON).json()
    assert ids == {"order_slips": [{"id": slip_id}]}
    assert http.get("/api/order_slip", params={"filter[id_order]": "[999999]"}, headers=JSON).json() == []
    for fmt in ("json", "xml"):
        client.fmt = fmt
        (found,) = client.list("order_slip", filters={"id_order": f"[{order_id}]"})
        assert (found["id"], found["id_order"], found["total_products_tax_incl"]) == (
            slip_id, str(order_id), detail["unit_price_tax_incl"])  # fmt: skip


def test_posting_a_credit_slip_checks_the_fields_as_prestashop_does(shop):
    http, client = serve(shop)
    order = shop.record("orders", 3)
    complete = {
        "id_customer": order["id_customer"], "id_order": "3", "conversion_rate": "1", "total_products_tax_excl": "10",
        "total_products_tax_incl": "12", "total_shipping_tax_excl": "0", "total_shipping_tax_incl": "0", "amount": "12",
    }  # fmt: skip
    events, details, before = len(shop.events), shop.records("order_details"), len(shop.records("order_slip"))
    for missing in ("conversion_rate", "total_shipping_tax_incl"):
        with pytest.raises(PrestashopRequestError) as info:
            client.create("order_slip", {k: v for k, v in complete.items() if k != missing})
        assert info.value.codes == [41] and missing in str(info.value)
    with pytest.raises(PrestashopRequestError) as info:
        client.create("order_slip", {**complete, "amount": "twelve"})
    assert info.value.codes == [85]
    assert len(shop.records("order_slip")) == before  # nothing stored

    # the lines of a slip have no setter: a body carrying them stores none
    entity = xml_codec.render_entity("order_slip", complete)
    body = entity.replace(
        b"</order_slip>",
        b"<associations><order_slip_details><order_slip_detail><id_order_detail>5</id_order_detail>"
        b"<product_quantity>1</product_quantity></order_slip_detail></order_slip_details></associations></order_slip>",
    )
    response = http.post("/api/order_slip", content=body, headers=JSON)
    assert response.status_code == 201
    created = response.json()["order_slip"]
    assert (created["amount"], created["conversion_rate"]) == ("12.000000", "1.000000")
    assert "associations" not in created
    assert len(shop.records("order_slip")) == before + 1
    # a Webservice slip is a record, not a refund: no line counted, no event (the contract has none)
    assert shop.records("order_details") == details and len(shop.events) == events


# ----------------------------------------------------------------------------- the order_returns resource


@pytest.mark.parametrize("version", ["1.6.1.23", "1.7.8.0", "8.1.4"])
def test_order_returns_are_no_resource_before_9(version):
    shop = seed_shop(seed=7, orders=60, now=NOW, version=version)
    http, _ = serve(shop)
    assert shop.records("order_returns")  # kept by the shop all the same
    response = http.get("/api/order_returns")
    assert (response.status_code, codes_of(response)) == (400, [27])
    assert "order_returns" not in http.get("/api/").text and "<order_slip " in http.get("/api/").text


def test_order_returns_are_served_from_9_and_denied_ones_no_longer_count():
    shop = seed_shop(seed=7, orders=60, now=NOW, version="9.0.0")
    http, client = serve(shop)
    assert "<order_returns " in http.get("/api/").text
    order_id = order_of(shop, [2])
    (detail,) = details_of(client, order_id)
    return_id = shop.request_return(order_id, [(int(detail["id"]), 2)], question="Too small")

    listing = http.get(
        "/api/order_returns", params={"filter[id_order]": f"[{order_id}]"}, headers=JSON
    ).json()
    assert listing == {"order_returns": [{"id": return_id}]}
    record = http.get(f"/api/order_returns/{return_id}").text
    assert xml_codec.root_name(record.encode()) == "order_return"
    assert "xlink" not in record.split("<order_return>")[1]  # OrderReturn declares no links
    stored = client.get("order_returns", return_id)
    assert (stored["id_order"], stored["state"], stored["question"]) == (str(order_id), "1", "Too small")

    with pytest.raises(ValueError, match="0 left to return"):
        shop.request_return(order_id, [(int(detail["id"]), 1)])
    client.update("order_returns", {**stored, "state": "4"})  # the merchant denies it
    assert shop.request_return(order_id, [(int(detail["id"]), 1)]) > return_id


# ----------------------------------------------------------------------------- refunds


def test_a_partial_refund_makes_a_credit_slip_from_the_order_lines(shop):
    http, client = serve(shop)
    order_id = order_of(shop, [2, 1])
    first, second = details_of(client, order_id)
    order = client.get("orders", order_id)
    start, emails = len(shop.events), len(shop.outbox)

    slip_id = shop.refund(order_id, [(int(first["id"]), 1)])

    slip = client.get("order_slip", slip_id)
    assert (slip["id_order"], slip["id_customer"], slip["conversion_rate"]) == (
        str(order_id), order["id_customer"], order["conversion_rate"])  # fmt: skip
    unit_excl, unit_incl = Decimal(first["unit_price_tax_excl"]), Decimal(first["unit_price_tax_incl"])
    totals = Decimal(slip["total_products_tax_excl"]), Decimal(slip["total_products_tax_incl"])
    assert totals == (unit_excl, unit_incl)
    assert Decimal(slip["amount"]) == unit_incl  # the shop shows prices tax included
    no_shipping = ("0", "0.000000", "0")
    assert (slip["shipping_cost"], slip["total_shipping_tax_incl"], slip["order_slip_type"]) == no_shipping
    refunded = details_of(client, order_id)[0]  # after shipping: counted as returned
    assert (refunded["product_quantity_return"], refunded["product_quantity_refunded"]) == ("1", "0")
    assert Decimal(refunded["total_refunded_tax_incl"]) == unit_incl
    after = client.get("orders", order_id)
    assert (after["current_state"], after["date_upd"]) == (str(DELIVERED), order["date_upd"])  # not saved
    assert events_since(shop, start) == [("order.updated", "actionOrderSlipAdd", order_id)]
    assert [e.template for e in shop.outbox[emails:]] == ["credit_slip"]

    # more than is left is refused, and changes nothing
    slips, details = shop.records("order_slip"), details_of(client, order_id)
    for lines in ([(int(first["id"]), 2)], [(int(second["id"]), 2)], [(int(first["id"]), 0)], [(999999, 1)]):
        with pytest.raises(ValueError):
            shop.refund(order_id, lines)
    assert (shop.records("order_slip"), details_of(client, order_id)) == (slips, details)


def test_refunding_everything_left_moves_the_order_to_refunded(shop):
    http, client = serve(shop)
    order_id = order_of(shop, [2, 1])
    first, second = details_of(client, order_id)
    shop.refund(order_id, [(int(first["id"]), 1)])
    start = len(shop.events)

    slip_id = shop.refund(order_id, [(int(first["id"]), 1), (int(second["id"]), 1)], shipping=True)

    order = client.get("orders", order_id)
    slip = client.get("order_slip", slip_id)
    shipping = order["total_shipping_tax_incl"]
    assert (slip["total_shipping_tax_incl"], slip["shipping_cost_amount"]) == (shipping, shipping)
    assert (slip["shipping_cost"], slip["order_slip_type"]) == ("1", "2")
    assert order["current_state"] == str(REFUNDED)
    assert client.order_histories(order_id)[-1]["id_order_state"] == str(REFUNDED)
    assert events_since(shop, start) == [
        ("order.updated", "actionOrderSlipAdd", order_id), ("order.status_changed", "actionOrderStatusPostUpdate", order_id)]  # fmt: skip
    changed = shop.events[-1]["data"]
    assert (changed["old_state"], changed["new_state"]) == (DELIVERED, REFUNDED)
    with pytest.raises(ValueError, match="shipping"):
        shop.refund(order_id, [], shipping=True)


def test_before_shipping_a_refund_counts_as_refunded_and_an_unpaid_order_has_none(shop):
    _, client = serve(shop)
    order_id = order_of(shop, [3], states=(PAID,))
    (detail,) = details_of(client, order_id)
    shop.refund(order_id, [(int(detail["id"]), 3)])
    (detail,) = details_of(client, order_id)
    assert (detail["product_quantity_refunded"], detail["product_quantity_return"]) == ("3", "0")
    assert client.get("orders", order_id)["current_state"] == str(REFUNDED)  # nothing left unrefunded

    unpaid = next(o for o in client.list("orders") if o["total_paid_real"] == "0.000000")
    slips = shop.records("order_slip")
    with pytest.raises(ValueError, match="not been paid"):
        shop.refund(int(unpaid["id"]), [(int(details_of(client, int(unpaid["id"]))[0]["id"]), 1)])
    assert shop.records("order_slip") == slips


# ----------------------------------------------------------------------------- merchandise returns


def test_a_customer_returns_lines_of_a_delivered_order(shop):
    _, client = serve(shop)
    order_id = order_of(shop, [2, 1])
    first, second = details_of(client, order_id)
    order = client.get("orders", order_id)
    start = len(shop.events)

    return_id = shop.request_return(order_id, [(int(first["id"]), 1), (int(second["id"]), 1)], "Wrong size")

    stored = shop.record("order_returns", return_id)
    assert (stored["id_order"], stored["id_customer"], stored["state"], stored["question"]) == (
        str(order_id), order["id_customer"], "1", "Wrong size")  # fmt: skip
    assert stored["date_add"] == shop.clock.local_text()
    assert shop.order_return_details[return_id] == [(int(first["id"]), 1), (int(second["id"]), 1)]
    assert events_since(shop, start) == [("order_return.created", "actionOrderReturn", order_id)]
    assert shop.events[-1]["resource"] == {"type": "order_returns", "id": return_id}
    assert shop.events[-1]["data"]["lines"] == [
        {"id_order_detail": int(first["id"]), "product_quantity": 1},
        {"id_order_detail": int(second["id"]), "product_quantity": 1},
    ]
    assert client.get("orders", order_id)["date_upd"] == order["date_upd"]

    returns = dict(shop.order_return_details)
    not_delivered = order_of(shop, [1], states=(PAID, SHIPPED))
    (line,) = details_of(client, not_delivered)
    for target, lines in ((not_delivered, [(int(line["id"]), 1)]), (order_id, [(int(first["id"]), 2)]),
                          (order_id, [(int(line["id"]), 1)]), (order_id, []), (999999, [(1, 1)])):  # fmt: skip
        with pytest.raises(ValueError):
            shop.request_return(target, lines)
    assert shop.order_return_details == returns


def test_the_merchant_moves_a_return_and_the_module_event_carries_its_lines(shop):
    http, client = serve(shop)
    order_id = order_of(shop, [2])
    (detail,) = details_of(client, order_id)
    return_id = shop.request_return(order_id, [(int(detail["id"]), 2)])
    start = len(shop.events)
    shop.clock.advance(timedelta(minutes=5))

    answer = http.post(f"/_sandbox/order_returns/{return_id}", json={"state": 2})  # accepted
    assert answer.status_code == 200 and answer.json()["state"] == "2"
    (event,) = shop.events[start:]
    assert (event["event"], event["source_hook"]) == (
        "order_return.updated",
        "actionObjectOrderReturnUpdateAfter",
    )
    assert event["data"] == {"id_order_return": return_id, "id_order": order_id,
                             "id_customer": int(client.get("orders", order_id)["id_customer"]), "state": 2,
                             "date_upd": shop.clock.local_text(),
                             "lines": [{"id_order_detail": int(detail["id"]), "product_quantity": 2}]}  # fmt: skip
    for bad in ({"state": 9}, {"stat": 2}, {"state": "x"}):
        assert http.post(f"/_sandbox/order_returns/{return_id}", json=bad).status_code == 400
    assert http.post("/_sandbox/order_returns/99999", json={"state": 2}).status_code == 400
    assert len(shop.events) == start + 1
    assert shop.record("order_returns", return_id)["state"] == "2"


# ----------------------------------------------------------------------------- sandbox hooks


def test_the_sandbox_hooks_return_and_refund(shop):
    http, client = serve(shop)
    order_id = order_of(shop, [2, 1])
    first, _ = details_of(client, order_id)

    answer = http.post(
        f"/_sandbox/orders/{order_id}/return", json={"lines": [[int(first["id"]), 2]], "question": "?"}
    )
    assert answer.status_code == 201 and answer.json()["lines"] == [[int(first["id"]), 2]]
    (listed,) = http.get("/_sandbox/order_returns", params={"id_order": str(order_id)}).json()
    assert (listed["id"], listed["state"], listed["order_return_details"]) == (
        answer.json()["id"], "1", [{"id_order_detail": int(first["id"]), "product_quantity": 2}])  # fmt: skip

    answer = http.post(
        f"/_sandbox/orders/{order_id}/refund", json={"lines": [[int(first["id"]), 2]], "shipping": True}
    )
    assert answer.status_code == 201
    assert client.get("order_slip", answer.json()["id"])["shipping_cost"] == "1"

    too_much = http.post(f"/_sandbox/orders/{order_id}/refund", json={"lines": [[int(first["id"]), 1]]})
    assert too_much.status_code == 400 and "left to refund" in too_much.json()["error"]
    assert http.post(f"/_sandbox/orders/{order_id}/return", json={"lines": "all"}).status_code == 400
    assert http.post(f"/_sandbox/orders/{order_id}/exchange", json={}).status_code == 404


# ----------------------------------------------------------------------------- seeded history


def test_the_seeded_history_has_credit_slips_and_returns_and_the_same_orders():
    shop = seed_shop(seed=11, orders=1500, now=NOW)
    bare = seed_shop(seed=11, orders=1500, now=NOW, returns=False)
    now = shop.clock.local_text()

    for resource in ("orders", "customers", "products", "combinations", "order_histories"):
        assert shop.records(resource) == bare.records(resource), resource
    assert bare.records("order_slip") == bare.records("order_returns") == []
    assert shop.records("order_slip") == seed_shop(seed=11, orders=1500, now=NOW).records("order_slip")

    details = {d["id"]: d for d in shop.records("order_details")}
    slips = shop.records("order_slip")
    refunded = {o["id"] for o in shop.records("orders") if o["current_state"] == str(REFUNDED)}
    full = {int(s["id_order"]) for s in slips if s["shipping_cost"] == "1"}
    assert refunded and full == refunded  # every refunded order, and only those, refunded in full
    for slip in slips:
        assert slip["date_add"] <= now
        lines = slip["associations"]["order_slip_details"]
        assert sum(Decimal(line["amount_tax_incl"]) for line in lines) == Decimal(
            slip["total_products_tax_incl"]
        )
        for line in lines:
            assert details[int(line["id_order_detail"])]["id_order"] == slip["id_order"]

    returns = shop.records("order_returns")
    delivered = sum(1 for o in shop.records("orders") if o["current_state"] == str(DELIVERED))
    assert 0.005 * delivered <= len(returns) <= 0.05 * delivered
    assert {r["state"] for r in returns} >= {"1", "5"}
    for stored in returns:
        assert stored["date_add"] <= now
        for detail_id, quantity in shop.order_return_details[stored["id"]]:
            detail = details[detail_id]
            assert detail["id_order"] == stored["id_order"] and 1 <= quantity <= int(
                detail["product_quantity"]
            )
        if stored["state"] == "5":  # completed: refunded later
            assert any(
                s["id_order"] == stored["id_order"] and s["date_add"] > stored["date_add"] for s in slips
            )
