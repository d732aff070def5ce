"""PrestaShop Webservice emulator, reads: auth, formats, display, filters, sort, limit, date=1, shapes.

Every expectation comes from contracts/prestashop-webservice.md; filter results are checked against
the shop's stored records, so a wrong grammar or comparison rule fails here.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from prestashop_infor.prestashop import xml_codec
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, create_app, seed_shop

NOW = datetime(2024, 5, 31, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))
JSON = {"Output-Format": "JSON"}
REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
    'No password required."'
)


def client_for(shop) -> TestClient:
    client = TestClient(create_app(shop))
    client.auth = (DEFAULT_API_KEY, "")
    return client


@pytest.fixture(scope="module")
def shop():
    return seed_shop(seed=42, orders=300, now=NOW)


@pytest.fixture(scope="module")
def client(shop):
    return client_for(shop)


def ids_of(response) -> list[int]:
    body = response.json()
    if body == []:
        return []
    (records,) = body.values()
    return [record["id"] for record in records]


def codes_of(response) -> list[int]:
    if response.headers["content-type"].startswith("application/json"):
        return [error["code"] for error in response.json()["errors"]]
    return [code for code, _ in xml_codec.parse_errors(response.content)]


# ----------------------------------------------------------------------------- authentication


def test_default_key_is_32_upper_case_letters_and_digits():
    assert re.fullmatch(r"[A-Z0-9]{32}", DEFAULT_API_KEY)


def test_no_key_is_a_plain_text_401_with_the_realm(shop):
    response = TestClient(create_app(shop)).get("/api/orders")
    assert response.status_code == 401
    assert response.text == "401 Unauthorized"
    assert response.headers["www-authenticate"] == REALM


def test_ws_key_parameter_authenticates(shop):
    response = TestClient(create_app(shop)).get(f"/api/orders?limit=1&ws_key={DEFAULT_API_KEY}")
    assert response.status_code == 200


def test_basic_user_wins_over_ws_key(shop):
    bad = base64.b64encode(b"X" * 32 + b":").decode()
    response = TestClient(create_app(shop)).get(
        f"/api/orders?ws_key={DEFAULT_API_KEY}", headers={"Authorization": f"Basic {bad}"}
    )
    assert response.status_code == 401
    assert codes_of(response) == [20, 21]


@pytest.mark.parametrize(
    ("user", "codes"),
    [("", [17]), ("SHORTKEY", [18]), ("A" * 32, [20, 21])],
)
def test_bad_keys_give_error_documents_with_the_realm(shop, user, codes):
    client = TestClient(create_app(shop))
    client.auth = (user, "")
    for headers in ({}, JSON):
        response = client.get("/api/orders", headers=headers)
        assert response.status_code == 401
        assert codes_of(response) == codes
        assert response.headers["www-authenticate"] == REALM


def test_key_without_the_resource_gets_26_and_without_the_method_25(shop):
    from prestashop_infor.sandbox.prestashop import ApiKey

    limited = "L" * 32
    shop.keys[limited] = ApiKey(limited, permissions={"orders": {"GET"}})
    try:
        client = TestClient(create_app(shop))
        client.auth = (limited, "")
        assert client.get("/api/orders?limit=1").status_code == 200
        response = client.get("/api/customers")
        assert (response.status_code, codes_of(response)) == (401, [26])
        assert "www-authenticate" not in response.headers
        response = client.delete("/api/orders/1")
        assert (response.status_code, codes_of(response)) == (405, [25])
    finally:
        del shop.keys[limited]


# ----------------------------------------------------------------------------- format and headers


def test_format_precedence_and_exact_json_value(client):
    assert client.get("/api/orders?limit=1", headers={"Io-Format": "JSON", "Output-Format": "XML"}).json()
    assert client.get(
        "/api/orders?limit=1", headers={"Io-Format": "XML", "Output-Format": "JSON"}
    ).text.startswith("<?xml")
    assert client.get("/api/orders?limit=1&output_format=JSON&io_format=XML").json()
    assert client.get("/api/orders?limit=1&io_format=JSON").json()
    assert client.get("/api/orders?limit=1&output_format=json").text.startswith("<?xml")


def test_headers_of_an_answer(client):
    response = client.get("/api/orders?limit=2")
    import hashlib

    assert response.headers["psws-version"] == "1.7.8.0"
    assert response.headers["x-powered-by"] == "PrestaShop Webservice"
    assert response.headers["content-type"] == "text/xml;charset=utf-8"
    assert response.headers["content-sha1"] == hashlib.sha1(response.content).hexdigest()
    assert response.headers["access-time"] == str(int(NOW.timestamp()))
    assert re.fullmatch(r"\d+\.\d{3}", response.headers["execution-time"])
    assert (
        client.get("/api/orders?limit=2", headers=JSON).headers["content-type"].startswith("application/json")
    )


def test_head_mirrors_get_without_body(client):
    get = client.get("/api/orders/1")
    head = client.head("/api/orders/1")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-sha1"] == get.headers["content-sha1"]
    assert client.head("/api/orders/999999").status_code == 404


def test_unknown_record_is_404_with_empty_body_in_both_formats(client):
    for headers in ({}, JSON):
        response = client.get("/api/orders/999999", headers=headers)
        assert response.status_code == 404
        assert response.content == b""


def test_unknown_resource_is_27_with_a_suggestion(client):
    response = client.get("/api/order")
    assert response.status_code == 400
    assert codes_of(response) == [27]
    assert 'Did you mean: "orders"' in xml_codec.parse_errors(response.content)[0][1]


def test_trailing_slash_is_accepted(client):
    assert client.get("/api/orders/?limit=1").status_code == 200


def test_invalid_method_is_405_code_23(client):
    response = client.request("OPTIONS", "/api/orders")
    assert (response.status_code, codes_of(response)) == (405, [23])
    response = client.patch("/api/orders/1", content=b"<prestashop/>")  # PATCH is 8.x only
    assert (response.status_code, codes_of(response)) == (405, [23])


def test_api_index_lists_resources_with_method_flags(client):
    response = client.get("/api/")
    assert response.status_code == 200
    body = response.text
    assert '<api shopName="' in body
    assert re.search(
        r'<orders xlink:href="http://testserver/api/orders" get="true" put="true" post="true" delete="true" head="true">',
        body,
    )
    assert re.search(r'<stock_availables [^>]*post="false"[^>]*delete="false"', body)
    assert 'patch="' not in body  # 1.7 has no PATCH
    assert '<schema xlink:href="http://testserver/api/orders?schema=synopsis" type="synopsis"/>' in body
    assert "<order_discounts " in body


# ----------------------------------------------------------------------------- list shapes


def test_ids_only_list_xml_exact_shape(client):
    response = client.get("/api/order_states?filter[id]=[1|2]&sort=[id_ASC]")
    assert response.text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        "<order_states>\n"
        '<order_state id="1" xlink:href="http://testserver/api/order_states/1"/>\n'
        '<order_state id="2" xlink:href="http://testserver/api/order_states/2"/>\n'
        "</order_states>\n</prestashop>\n"
    )


def test_empty_list_shapes(client, shop):
    xml = client.get("/api/orders?filter[id]=[999999]")
    assert "<orders>\n</orders>\n" in xml.text
    assert client.get("/api/orders?filter[id]=[999999]", headers=JSON).json() == []
    shop.empty_list_as_object = True
    try:
        assert client.get("/api/orders?filter[id]=[999999]", headers=JSON).json() == {"orders": []}
    finally:
        shop.empty_list_as_object = False


def test_order_discounts_answers_with_order_cart_rules(client):
    response = client.get("/api/order_discounts?filter[id_order]=5")
    assert xml_codec.root_name(response.content) == "order_cart_rules"


def test_unsorted_list_is_stable_but_not_in_id_order(client):
    first = ids_of(client.get("/api/orders", headers=JSON))
    second = ids_of(client.get("/api/orders", headers=JSON))
    assert first == second
    assert first != sorted(first)
    states = ids_of(client.get("/api/order_states", headers=JSON))
    assert states != sorted(states)


def test_no_default_limit(client, shop):
    assert len(ids_of(client.get("/api/orders", headers=JSON))) == len(shop.records("orders")) == 300


# ----------------------------------------------------------------------------- display


def test_display_full_has_every_field_and_associations(client):
    (order,) = client.get("/api/orders?filter[id]=[1]&display=full", headers=JSON).json()["orders"]
    assert {"id", "reference", "current_state", "total_paid_tax_incl", "date_upd", "shipping_number"} <= set(
        order
    )
    assert order["associations"]["order_rows"][0].keys() >= {
        "id",
        "product_id",
        "product_attribute_id",
        "product_quantity",
    }


def test_display_field_list_returns_only_those_fields(client):
    response = client.get(
        "/api/stock_availables?display=[quantity]&filter[id_product]=1&filter[id_product_attribute]=0",
        headers=JSON,
    )
    assert response.json() == {
        "stock_availables": [{"quantity": response.json()["stock_availables"][0]["quantity"]}]
    }
    xml = client.get(
        "/api/stock_availables?display=[quantity]&filter[id_product]=1&filter[id_product_attribute]=0"
    )
    assert re.fullmatch(
        r".*<stock_availables>\n<stock_available>\n\t<quantity><!\[CDATA\[\d+\]\]></quantity>\n</stock_available>\n</stock_availables>\n</prestashop>\n",
        xml.text,
        re.S,
    )


def test_display_association_sub_fields(client):
    (order,) = client.get(
        "/api/orders?filter[id]=[2]&display=[id,reference,order_rows[product_id,product_quantity]]",
        headers=JSON,
    ).json()["orders"]
    assert set(order) == {"id", "reference", "associations"}
    assert all(set(row) == {"product_id", "product_quantity"} for row in order["associations"]["order_rows"])


@pytest.mark.parametrize(
    ("display", "code"),
    [("[id,nope]", 35), ("[order_rows[nope]]", 35), ("id,reference", 36), ("everything", 36)],
)
def test_display_errors(client, display, code):
    response = client.get(f"/api/orders?display={display}")
    assert (response.status_code, codes_of(response)) == (400, [code])


def test_display_on_a_record_gives_the_plural_ids_only_wrapper(client):
    assert client.get("/api/orders/5?display=full", headers=JSON).json() == {"orders": [{"id": 5}]}
    assert (
        '<order id="5" xlink:href="http://testserver/api/orders/5"/>'
        in client.get("/api/orders/5?display=[id]").text
    )


def test_minimum_is_ids_only(client):
    assert client.get("/api/orders?display=minimum&limit=2", headers=JSON).json()["orders"][0].keys() == {
        "id"
    }


# ----------------------------------------------------------------------------- filters


def _expect(shop, resource, test):
    return sorted(r["id"] for r in shop.records(resource) if test(r))


def _query_ids(client, query):
    return sorted(ids_of(client.get(query, headers=JSON)))


def test_filter_equality_forms(client, shop):
    five = _expect(shop, "orders", lambda r: r["current_state"] == "5")
    assert five
    assert _query_ids(client, "/api/orders?filter[current_state]=5") == five
    assert _query_ids(client, "/api/orders?filter[current_state]=[5]") == five
    both = _expect(shop, "orders", lambda r: r["current_state"] in ("5", "10"))
    assert _query_ids(client, "/api/orders?filter[current_state]=[5|10]") == both


def test_a_filter_on_several_values_finds_each_as_a_scan_would(client, shop):
    """``[A|B|C]`` is looked up value by value in a sorted view (an IN on an index, not a scan of the
    table per request); the answer is the scan's: text ignoring case, numbers as numbers, order kept."""
    payments = shop.records("order_payments")
    references = sorted({p["order_reference"] for p in payments})[:5]
    wanted = "|".join([references[0].lower(), *references[1:], "NOPE"])
    expected = _expect(shop, "order_payments", lambda r: r["order_reference"] in references)
    assert (
        expected and _query_ids(client, f"/api/order_payments?filter[order_reference]=[{wanted}]") == expected
    )
    details = _expect(shop, "order_details", lambda r: r["id_order"] in ("3", "7", "12"))
    assert details and _query_ids(client, "/api/order_details?filter[id_order]=[12|3|07]") == details
    ids = ids_of(client.get("/api/order_details?filter[id_order]=[12|3|7]&sort=[id_DESC]", headers=JSON))
    assert ids == sorted(details, reverse=True)


def test_filter_range_is_inclusive_and_sorted(client, shop):
    expected = _expect(shop, "orders", lambda r: 10 <= r["id"] <= 20)
    assert _query_ids(client, "/api/orders?filter[id]=[10,20]") == expected == list(range(10, 21))
    assert _query_ids(client, "/api/orders?filter[id]=[20,10]") == expected


def test_filter_date_range_includes_both_ends(client, shop):
    order = shop.records("orders")[10]
    stamp = order["date_upd"]
    result = _query_ids(client, f"/api/orders?date=1&filter[date_upd]=[{stamp},{stamp}]")
    assert order["id"] in result
    assert result == _expect(shop, "orders", lambda r: r["date_upd"] == stamp)


def test_filter_range_with_other_characters_is_a_literal(client, shop):
    customers = shop.records("customers")
    assert _query_ids(client, "/api/customers?filter[lastname]=[a,b]") == []
    lastname = customers[0]["lastname"]
    assert _query_ids(client, f"/api/customers?filter[lastname]=[{lastname}]") == _expect(
        shop, "customers", lambda r: r["lastname"].lower() == lastname.lower()
    )


def test_filter_strict_greater_and_less(client, shop):
    assert _query_ids(client, "/api/orders?filter[id]=>[295]") == [296, 297, 298, 299, 300]
    assert _query_ids(client, "/api/orders?filter[id]=<[3]") == [1, 2]
    stock = _expect(
        shop, "stock_availables", lambda r: r["id_product"] == "1" and r["id_product_attribute"] != "0"
    )
    assert (
        _query_ids(client, "/api/stock_availables?filter[id_product_attribute]=>[0]&filter[id_product]=1")
        == stock
    )


def test_filter_not_excludes_values_and_null(client, shop):
    expected = _expect(shop, "orders", lambda r: r["current_state"] not in ("5", "4"))
    assert _query_ids(client, "/api/orders?filter[current_state]=![5|4]") == expected
    # products.new is NULL everywhere in the seed: != excludes NULL rows too
    assert _query_ids(client, "/api/products?filter[new]=![1]") == []


def test_filter_like_forms_ignore_case(client, shop):
    names = {r["id"]: r["lastname"] for r in shop.records("customers")}
    starts = sorted(i for i, n in names.items() if n.lower().startswith("mü"))
    ends = sorted(i for i, n in names.items() if n.lower().endswith("er"))
    contains = sorted(i for i, n in names.items() if "ar" in n.lower())
    assert starts and ends and contains
    assert _query_ids(client, "/api/customers?filter[lastname]=[MÜ]%") == starts
    assert _query_ids(client, "/api/customers?filter[lastname]=%[ER]") == ends
    assert _query_ids(client, "/api/customers?filter[lastname]=%[aR]%") == contains


def test_filter_text_equality_ignores_case(client, shop):
    email = shop.records("customers")[3]["email"]
    assert _query_ids(client, f"/api/customers?filter[email]=[{email.upper()}]") == [4]


def test_unknown_operators_are_silently_ignored(client, shop):
    everything = sorted(r["id"] for r in shop.records("orders"))
    assert _query_ids(client, "/api/orders?filter[id]=>=[100]") == everything
    assert _query_ids(client, "/api/orders?filter[id]=~[100]") == everything


def test_filters_combine_with_and(client, shop):
    expected = _expect(shop, "orders", lambda r: r["current_state"] == "5" and r["id_currency"] == "1")
    assert _query_ids(client, "/api/orders?filter[current_state]=5&filter[id_currency]=1") == expected


def test_multilingual_filter(client):
    assert _query_ids(client, "/api/order_states?filter[name]=[shipped]") == [4]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("filter[nope]=1", 32),
        ("filter[date_upd]=>[2024-01-01]", 32),
        ("filter[current_state]=", 33),
        ("filter[shipping_number]=[x]", 34),
    ],
)
def test_filter_errors(client, query, code):
    for headers in ({}, JSON):
        response = client.get(f"/api/orders?{query}", headers=headers)
        assert (response.status_code, codes_of(response)) == (400, [code])


def test_unknown_filter_message_suggests_and_lists(client):
    response = client.get("/api/orders?filter[curent_state]=1", headers=JSON)
    message = response.json()["errors"][0]["message"]
    assert message.startswith(
        'This filter does not exist. Did you mean: "current_state"? The full list is: "id", '
    )
    assert '"date_upd"' not in message  # dates are not filterable without date=1


def test_date_filter_with_date_1(client, shop):
    expected = _expect(shop, "orders", lambda r: r["date_upd"] > "2024-05-25 00:00:00")
    assert _query_ids(client, "/api/orders?date=1&filter[date_upd]=>[2024-05-25 00:00:00]") == expected
    assert client.get("/api/orders?date=0&filter[date_upd]=>[2024-05-25]").status_code == 400


# ----------------------------------------------------------------------------- sort and limit


def test_sort_ascending_descending_and_last_underscore(client, shop):
    response = client.get(
        "/api/orders?date=1&sort=[date_upd_DESC,id_ASC]&display=[id,date_upd]", headers=JSON
    )
    rows = response.json()["orders"]
    assert [(r["date_upd"], -r["id"]) for r in rows] == sorted(
        ((r["date_upd"], -r["id"]) for r in rows), reverse=True
    )
    assert ids_of(client.get("/api/orders?sort=id_desc&limit=3", headers=JSON)) == [300, 299, 298]
    totals = client.get(
        "/api/orders?sort=[total_paid_tax_incl_ASC]&display=[id,total_paid_tax_incl]", headers=JSON
    )
    values = [float(r["total_paid_tax_incl"]) for r in totals.json()["orders"]]
    assert values == sorted(values)  # numeric, not text, ordering


@pytest.mark.parametrize(
    ("sort", "code"),
    [
        ("[id]", 37),
        ("[id_UP]", 37),
        ("[nope_ASC]", 38),
        ("[date_upd_ASC]", 38),
        ("[shipping_number_ASC]", 38),
    ],
)
def test_sort_errors(client, sort, code):
    response = client.get(f"/api/orders?sort={sort}")
    assert (response.status_code, codes_of(response)) == (400, [code])


def test_limit_forms(client):
    assert ids_of(client.get("/api/orders?sort=[id_ASC]&limit=3", headers=JSON)) == [1, 2, 3]
    assert ids_of(client.get("/api/orders?sort=[id_ASC]&limit=10,3", headers=JSON)) == [11, 12, 13]
    assert client.get("/api/orders?limit=abc", headers=JSON).json() == []
    assert ids_of(client.get("/api/orders?sort=[id_ASC]&limit=2x,2", headers=JSON)) == [3, 4]
    assert ids_of(client.get("/api/orders?sort=[id_ASC]&limit=299,50", headers=JSON)) == [300]
    response = client.get("/api/orders?limit=1,2,3")
    assert (response.status_code, codes_of(response)) == (400, [39])


def test_keyset_paging_with_date_window_covers_everything_once(client, shop):
    seen: list[int] = []
    offset = 0
    while True:
        page = ids_of(
            client.get(
                f"/api/orders?date=1&sort=[date_upd_ASC,id_ASC]&filter[date_upd]=[2000-01-01 00:00:00,2030-01-01 00:00:00]&limit={offset},40",
                headers=JSON,
            )
        )
        seen += page
        offset += 40
        if len(page) < 40:
            break
    assert sorted(seen) == sorted(r["id"] for r in shop.records("orders"))
    assert len(seen) == len(set(seen))


# ----------------------------------------------------------------------------- schema, language, shop


def test_schemas(client):
    blank = client.get("/api/products?schema=blank").text
    assert (
        "<reference></reference>" in blank and "<manufacturer_name" not in blank
    )  # not writable fields left out
    synopsis = client.get("/api/order_histories?schema=synopsis").text
    assert '<id_order_state required="true" format="isUnsignedId"></id_order_state>' in synopsis
    assert 'readOnly="true"' in client.get("/api/customers?schema=synopsis").text
    response = client.get("/api/orders?schema=other")
    assert (response.status_code, codes_of(response)) == (400, [28])


@pytest.fixture(scope="module")
def bilingual_client():
    return client_for(seed_shop(seed=3, orders=5, now=NOW, languages=("en", "fr")))


def test_multilingual_json_shape_depends_on_language_count(bilingual_client, client):
    both = bilingual_client.get("/api/order_states?filter[id]=[2]&display=[id,name]", headers=JSON).json()
    assert both["order_states"][0]["name"] == [
        {"id": "1", "value": "Payment accepted"},
        {"id": "2", "value": "Payment accepted"},
    ]
    one = bilingual_client.get(
        "/api/order_states?filter[id]=[2]&display=[id,name]&language=1", headers=JSON
    ).json()
    assert one["order_states"][0]["name"] == "Payment accepted"
    single_shop = client.get("/api/order_states?filter[id]=[2]&display=[id,name]", headers=JSON).json()
    assert single_shop["order_states"][0]["name"] == "Payment accepted"
    xml = bilingual_client.get("/api/order_states/2?language=[1|2]").text
    assert xml.count('<language id="') == 4
    assert (
        '<name><language id="1" xlink:href="http://testserver/api/languages/1"><![CDATA[Payment accepted]]></language>'
        in xml
    )


@pytest.mark.parametrize(
    ("value", "code"), [("[1,2,3]", 78), ("abc", 79), ("[1|x]", 80), ("7", 81), ("[5,9]", 81)]
)
def test_language_errors(bilingual_client, value, code):
    response = bilingual_client.get(f"/api/order_states?language={value}")
    assert (response.status_code, codes_of(response)) == (400, [code])


def test_language_range_form(bilingual_client):
    assert bilingual_client.get("/api/order_states?language=[1,2]").status_code == 200


def test_id_shop(client):
    assert client.get("/api/orders?id_shop=1&limit=1").status_code == 200
    assert client.get("/api/orders?id_shop=all&limit=1").status_code == 200
    for bad in ("7", "x"):
        response = client.get(f"/api/orders?id_shop={bad}")
        assert (response.status_code, codes_of(response)) == (404, [999])


# ----------------------------------------------------------------------------- values and rendering


def test_json_value_types(client):
    order = client.get("/api/orders?filter[id]=[1]&display=full", headers=JSON).json()["orders"][0]
    assert isinstance(order["id"], int)
    assert all(isinstance(v, str) for k, v in order.items() if k not in ("id", "associations"))
    product = client.get("/api/products?filter[id]=[1]&display=full", headers=JSON).json()["products"][0]
    assert product["new"] is None and product["low_stock_threshold"] is None
    assert product["available_date"] == "0000-00-00"
    combination = client.get("/api/combinations?filter[id]=[1]&display=full", headers=JSON).json()[
        "combinations"
    ][0]
    assert isinstance(combination["quantity"], int)
    assert re.fullmatch(r"\d+\.\d{6}", order["total_paid"])


def test_unset_dates_are_zero_dates(client, shop):
    unpaid = next(r for r in shop.records("orders") if r["invoice_number"] == "0")
    order = client.get(f"/api/orders?filter[id]=[{unpaid['id']}]&display=full", headers=JSON).json()[
        "orders"
    ][0]
    assert order["invoice_date"] == "0000-00-00 00:00:00"


def test_empty_associations_are_omitted_in_json(client, shop):
    products = client.get("/api/products?filter[id]=[40]&display=full", headers=JSON).json()["products"]
    associations = products[0]["associations"]
    assert "tags" not in associations and "combinations" not in associations  # a bag has no combinations
    assert "categories" in associations


def test_record_xml_matches_recorded_shape(client):
    text = client.get("/api/orders/1").text
    assert text.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n<order>\n\t<id><![CDATA[1]]></id>\n'
    )
    assert re.search(
        r'\t<id_customer xlink:href="http://testserver/api/customers/\d+"><!\[CDATA\[\d+\]\]></id_customer>\n',
        text,
    )
    assert "\t<gift_message></gift_message>\n" in text
    assert re.search(r'\t<shipping_number notFilterable="true">', text)
    assert (
        '<associations>\n<order_rows nodeType="order_row" virtualEntity="true">\n\t<order_row>\n\t<id><![CDATA['
        in text
    )
    assert text.endswith("</order_rows>\n</associations>\n</order>\n</prestashop>\n")
    product = client.get("/api/products/40").text
    assert '<tags nodeType="tag" api="tags"/>\n' in product
    assert (
        '<categories nodeType="category" api="categories">\n\t<category xlink:href="http://testserver/api/categories/2">\n\t<id><![CDATA[2]]></id>\n\t</category>'
        in product
    )
    address = client.get("/api/addresses/1").text
    assert "\t<id_state><![CDATA[0]]></id_state>\n" in address or "id_state xlink" in address
    assert "<id_manufacturer><![CDATA[0]]></id_manufacturer>" in address  # no link on a zero id


def test_xml_round_trips_through_the_shared_codec(client, shop):
    _, record = xml_codec.parse_record(client.get("/api/orders/1").content)
    stored = shop.record("orders", 1)
    assert record["id"] == 1 and record["reference"] == stored["reference"]
    assert len(record["associations"]["order_rows"]) == len(stored["associations"]["order_rows"])


def test_dates_are_shop_local_without_offset(client, shop):
    order = client.get(
        "/api/orders?date=1&sort=[date_add_DESC]&limit=1&display=[date_add]", headers=JSON
    ).json()
    stamp = order["orders"][0]["date_add"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", stamp)
    assert stamp <= NOW.strftime("%Y-%m-%d %H:%M:%S")


# ----------------------------------------------------------------------------- version profiles


@pytest.fixture(scope="module")
def shop8():
    return seed_shop(seed=5, orders=20, now=NOW, version="8.1.4")


def test_8x_single_record_json_drops_falsy_fields(shop8):
    client = client_for(shop8)
    record = client.get("/api/orders/1", headers=JSON).json()["order"]
    assert "gift" not in record and "gift_message" not in record and "id" in record
    listed = client.get("/api/orders?filter[id]=[1]&display=full", headers=JSON).json()["orders"][0]
    assert listed["gift"] == "0"
    assert client.get("/api/", headers=JSON).status_code == 500
    assert client.get("/api/").status_code == 200
    assert 'patch="true"' in client.get("/api/").text


def test_8x_local_content_sha1_gives_304(shop8, client):
    client8 = client_for(shop8)
    first = client8.get("/api/orders/1")
    again = client8.get("/api/orders/1", headers={"Local-Content-Sha1": first.headers["content-sha1"]})
    assert again.status_code == 304 and again.content == b""
    older = client.get("/api/orders/1")
    assert (
        client.get("/api/orders/1", headers={"Local-Content-Sha1": older.headers["content-sha1"]}).status_code
        == 200
    )


def test_16_profile_field_differences():
    client = client_for(seed_shop(seed=5, orders=5, now=NOW, version="1.6.1.23"))
    response = client.get("/api/products/1", headers=JSON)
    assert response.headers["psws-version"] == "1.6.1.23"
    product = response.json()["product"]
    assert (
        "id_product_redirected" in product and "id_type_redirected" not in product and "isbn" not in product
    )
    currency = client.get("/api/currencies/1", headers=JSON).json()["currency"]
    assert {"sign", "iso_code_num", "decimals"} <= set(currency) and "symbol" not in currency
    assert "theme_name" not in client.get("/api/shops/1", headers=JSON).json()["shop"]
    row = client.get("/api/orders/1", headers=JSON).json()["order"]["associations"]["order_rows"][0]
    assert "product_isbn" not in row and "id_customization" not in row
    assert client.get("/api/order_states?filter[module_name]=bankwire", headers=JSON).json()["order_states"]


def test_unsupported_version_is_refused():
    with pytest.raises(ValueError, match="unsupported PrestaShop version"):
        seed_shop(orders=0, version="2.0")


def test_errors_are_rendered_as_json_with_numeric_codes(client):
    body = client.get("/api/orders?filter[nope]=1", headers=JSON).json()
    assert isinstance(body["errors"][0]["code"], int)
    assert json.dumps(body).startswith('{"errors": [{"code": 32')
