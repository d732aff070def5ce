"""Specific prices in the PrestaShop emulator: the ``specific_prices`` resource as PrestaShop's
Webservice serves it (``SpecificPrice::$definition`` and ``$webserviceParameters``,
classes/SpecificPrice.php; the table and its unique key ``id_product_2``, install-dev/data/db_structure.sql),
for 1.7.8, 8 and 9: create, read, list with filters, PUT, PATCH, DELETE, the ``-1`` price and the
unlimited dates as the shop shows them, PrestaShop's codes for refused bodies and duplicates, the
resource in the ``/api/`` index. Through the HTTP API in-process and the project's own client."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from prestashop_infor.prestashop import PrestashopClient, PrestashopRequestError, xml_codec
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, create_app, seed_shop

NOW = datetime(2024, 5, 31, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))
JSON = {"Output-Format": "JSON"}
UNLIMITED = "0000-00-00 00:00:00"
# The Webservice's order: the linked fields of $webserviceParameters, then $definition's others.
FIELDS = ["id", "id_shop_group", "id_shop", "id_cart", "id_product", "id_product_attribute", "id_currency",
          "id_country", "id_group", "id_customer", "id_specific_price_rule", "price", "from_quantity", "reduction",
          "reduction_tax", "reduction_type", "from", "to"]  # fmt: skip
REQUIRED = ["id_shop", "id_cart", "id_product", "id_currency", "id_country", "id_group", "id_customer", "price",
            "from_quantity", "reduction", "reduction_tax", "reduction_type", "from", "to"]  # fmt: skip


def serve(shop: Shop) -> tuple[TestClient, PrestashopClient]:
    http = TestClient(create_app(shop))
    http.auth = (DEFAULT_API_KEY, "")
    return http, PrestashopClient(
        "http://testserver", DEFAULT_API_KEY, http_client=http, time_zone="Europe/Paris", max_attempts=1
    )


@pytest.fixture(scope="module")
def seeded() -> Shop:
    return seed_shop(seed=5, orders=0, now=NOW)


@pytest.fixture
def shop(seeded: Shop) -> Shop:  # a fresh shop per test, without seeding it again
    fresh = seed_shop(seed=5, orders=0, now=NOW)
    assert fresh.records("specific_prices") == seeded.records("specific_prices") == []  # seeds none
    return fresh


def price(**values: str) -> dict[str, str]:
    """A customer price as the integration sends it: one customer, one currency, from a quantity."""
    return {"id_shop_group": "0", "id_shop": "1", "id_cart": "0", "id_product": "3", "id_product_attribute": "0",
            "id_currency": "1", "id_country": "0", "id_group": "0", "id_customer": "5", "id_specific_price_rule": "0",
            "price": "17.5", "from_quantity": "1", "reduction": "0", "reduction_tax": "1", "reduction_type": "amount",
            "from": "2024-06-01 00:00:00", "to": "2024-12-31 23:59:59", **values}  # fmt: skip


def body_of(values: dict[str, str]) -> bytes:
    return xml_codec.render_entity("specific_price", values)


def codes_and_message(response) -> tuple[int, list[int | None], str]:
    errors = xml_codec.parse_errors(response.content)
    return response.status_code, [code for code, _ in errors], errors[-1][1] if errors else ""


# ----------------------------------------------------------------------------- create and read


def test_a_price_created_in_xml_reads_back_as_prestashop_shows_it(shop):
    http, client = serve(shop)
    created = client.create("specific_prices", price(price="-1", reduction="0.15", reduction_type="percentage",
                                                     id_product_attribute="12", **{"from": UNLIMITED, "to": UNLIMITED}))  # fmt: skip
    price_id = int(created["id"])
    assert list(created) == FIELDS
    assert (created["price"], created["reduction"], created["from"], created["to"]) == (
        "-1.000000", "0.150000", UNLIMITED, UNLIMITED)  # fmt: skip

    record = http.get(f"/api/specific_prices/{price_id}")
    assert record.status_code == 200 and xml_codec.root_name(record.content) == "specific_price"
    text = record.text
    assert [
        m for m in re.findall(r"<(\w+)[ >]", text.split("<specific_price>")[1]) if m != "prestashop"
    ] == FIELDS
    assert "<price><![CDATA[-1.000000]]></price>" in text
    assert f"<from><![CDATA[{UNLIMITED}]]></from>" in text and f"<to><![CDATA[{UNLIMITED}]]></to>" in text
    # links as $webserviceParameters declares them, on non-zero ids only (combinations are "product_attributes")
    assert '<id_product xlink:href="http://testserver/api/products/3"><![CDATA[3]]></id_product>' in text
    assert '<id_customer xlink:href="http://testserver/api/customers/5"><![CDATA[5]]></id_customer>' in text
    assert ('<id_product_attribute xlink:href="http://testserver/api/product_attributes/12"><![CDATA[12]]>'
            "</id_product_attribute>") in text  # fmt: skip
    assert "<id_group><![CDATA[0]]></id_group>" in text and "<id_cart><![CDATA[0]]></id_cart>" in text
    assert "<id_specific_price_rule><![CDATA[0]]></id_specific_price_rule>" in text  # no link declared

    single = http.get(f"/api/specific_prices/{price_id}", headers=JSON).json()
    assert list(single) == ["specific_price"] and single["specific_price"]["id"] == price_id
    assert single["specific_price"]["price"] == "-1.000000" and single["specific_price"]["id_cart"] == "0"
    listed = http.get("/api/specific_prices", params={"display": "full"}, headers=JSON).json()
    assert listed == {"specific_prices": [{**created, "id": price_id}]}
    client.fmt = "xml"
    assert client.get("specific_prices", price_id) == created


def test_json_output_on_8_drops_the_falsy_fields_of_a_single_price_and_json_bodies_are_refused():
    shop = seed_shop(seed=5, orders=0, now=NOW, version="8.1.4")
    http, client = serve(shop)
    created = client.create("specific_prices", price(price="-1"))
    single = http.get(f"/api/specific_prices/{created['id']}", headers=JSON).json()["specific_price"]
    assert (
        "id_cart" not in single and single["price"] == "-1.000000"
    )  # PR #39918's quirk, as for any resource
    assert client.get("specific_prices", int(created["id"])) == created  # the list form keeps them

    response = http.post(
        "/api/specific_prices", content=json.dumps({"specific_price": price()}), headers=JSON
    )
    assert response.status_code == 500 and [e["code"] for e in response.json()["errors"]] == [127]
    assert len(shop.records("specific_prices")) == 1


def test_dates_are_stored_as_a_datetime_column_stores_them(shop):
    _, client = serve(shop)
    short = client.create("specific_prices", price(**{"from": "2024-6-1", "to": "2024-12-31"}))
    assert (short["from"], short["to"]) == ("2024-06-01 00:00:00", "2024-12-31 00:00:00")
    impossible = client.create("specific_prices", price(from_quantity="5", **{"to": "2024-02-30 10:00:00"}))
    assert impossible["to"] == UNLIMITED  # MySQL without strict mode: an impossible date-time is zero


# ----------------------------------------------------------------------------- lists


def test_lists_filter_display_sort_and_page_like_any_resource(shop):
    http, client = serve(shop)
    made = [
        client.create("specific_prices", price(id_customer="5", id_product="3")),
        client.create("specific_prices", price(id_customer="5", id_product="4", price="12")),
        client.create(
            "specific_prices",
            price(
                id_customer="0",
                id_group="3",
                id_product="3",
                price="-1",
                reduction="10",
                reduction_type="percentage",
            ),
        ),  # fmt: skip
        client.create(
            "specific_prices", price(id_customer="7", id_product="3", from_quantity="10", price="15")
        ),
    ]
    ids = [int(m["id"]) for m in made]

    def listed(**params: str) -> list[int]:
        answer = http.get("/api/specific_prices", params=params, headers=JSON)
        assert answer.status_code == 200, answer.text
        return [] if answer.json() == [] else [r["id"] for r in answer.json()["specific_prices"]]

    assert sorted(listed()) == ids
    assert listed(**{"filter[id_product]": "[3]", "sort": "[id_ASC]"}) == [ids[0], ids[2], ids[3]]
    assert listed(**{"filter[id_customer]": "[5]", "sort": "[id_DESC]"}) == [ids[1], ids[0]]
    assert listed(**{"filter[id_group]": "[3]"}) == [ids[2]]
    assert listed(**{"filter[id_customer]": "[0]"}) == [ids[2]]  # 0: for every customer
    assert listed(**{"filter[price]": "[-1]"}) == [ids[2]]
    assert listed(**{"filter[from_quantity]": ">[1]"}) == [ids[3]]
    assert listed(**{"filter[to]": "[2024-12-31 23:59:59]", "sort": "[id_ASC]", "limit": "1,2"}) == ids[1:3]
    assert listed(**{"filter[id_customer]": "[99]"}) == []
    assert listed(sort="[price_DESC]", limit="2") == [ids[0], ids[3]]  # 17.5 and 15 before 12 and -1

    narrow = http.get("/api/specific_prices", params={"display": "[id,price,reduction_type]",
                                                      "filter[id_customer]": "[7]"}, headers=JSON).json()  # fmt: skip
    assert narrow == {"specific_prices": [{"id": ids[3], "price": "15.000000", "reduction_type": "amount"}]}
    bare = http.get("/api/specific_prices", params={"filter[id]": f"[{ids[0]}]"})
    assert (f'<specific_price id="{ids[0]}" xlink:href="http://testserver/api/specific_prices/{ids[0]}"/>'
            in bare.text)  # fmt: skip
    unknown = http.get("/api/specific_prices", params={"filter[id_order]": "[1]"})
    assert codes_and_message(unknown)[:2] == (400, [32])
    for fmt in ("json", "xml"):
        client.fmt = fmt
        found = client.list("specific_prices", filters={"id_product": "[4]", "id_customer": "[5]"})
        assert [(f["id"], f["price"]) for f in found] == [(ids[1], "12.000000")]

    records = http.get("/_sandbox/records/specific_prices").json()
    assert [r["id"] for r in records] == ids and records[2]["price"] == "-1.000000"
    picked = http.get("/_sandbox/records/specific_prices", params={"fields": "id_customer,to"}).json()
    assert picked[0] == {"id_customer": "5", "to": "2024-12-31 23:59:59"}


# ----------------------------------------------------------------------------- update and delete


def test_put_replaces_the_whole_price_and_patch_only_exists_from_8(shop):
    http, client = serve(shop)
    created = client.create("specific_prices", price(id_product_attribute="12"))
    price_id = int(created["id"])

    updated = client.update("specific_prices", {**created, "price": "16.9", "to": "2025-06-30 23:59:59"})
    assert (updated["price"], updated["to"], updated["from"]) == (
        "16.900000",
        "2025-06-30 23:59:59",
        created["from"],
    )
    assert client.get("specific_prices", price_id) == updated

    # a PUT resets what it leaves out, and a required field left out is refused
    partial = {k: v for k, v in price().items() if k not in ("id_product_attribute", "id_shop_group")}
    response = http.put(f"/api/specific_prices/{price_id}", content=body_of({"id": str(price_id), **partial}))
    assert response.status_code == 200
    assert client.get("specific_prices", price_id)["id_product_attribute"] == "0"
    no_to = {k: v for k, v in price().items() if k != "to"}
    response = http.put(f"/api/specific_prices/{price_id}", content=body_of({"id": str(price_id), **no_to}))
    assert codes_and_message(response) == (400, [41], 'parameter "to" required')
    response = http.put("/api/specific_prices/999", content=body_of({"id": "999", **price()}))
    assert codes_and_message(response)[:2] == (404, [92])

    assert (
        http.patch("/api/specific_prices", content=body_of({"id": str(price_id), "price": "1"})).status_code
        == 405
    )
    shop8 = seed_shop(seed=5, orders=0, now=NOW, version="8.1.4")
    http8, client8 = serve(shop8)
    on8 = client8.create("specific_prices", price())
    response = http8.patch("/api/specific_prices", content=body_of({"id": on8["id"], "reduction": "2"}))
    assert response.status_code == 200
    assert client8.get("specific_prices", int(on8["id"])) == {**on8, "reduction": "2.000000"}


def test_a_price_m3_no_longer_has_is_deleted(shop):
    http, client = serve(shop)
    first, second, third = (client.create("specific_prices", price(id_customer=str(c))) for c in (5, 6, 7))

    response = http.delete(f"/api/specific_prices/{first['id']}")
    assert (response.status_code, response.content) == (200, b"")
    assert http.get(f"/api/specific_prices/{first['id']}").status_code == 404
    assert codes_and_message(http.delete(f"/api/specific_prices/{first['id']}")) == (
        404, [87], f"Id(s) not exists: {first['id']}")  # fmt: skip
    response = http.delete("/api/specific_prices", params={"id": f"[{second['id']},{third['id']}]"})
    assert response.status_code == 200 and shop.records("specific_prices") == []
    # the same price can be made again once deleted
    assert client.create("specific_prices", price(id_customer="5"))["id_customer"] == "5"


# ----------------------------------------------------------------------------- refused bodies


@pytest.mark.parametrize("missing", REQUIRED)
def test_each_required_field_is_required(shop, missing):
    http, _ = serve(shop)
    response = http.post(
        "/api/specific_prices", content=body_of({k: v for k, v in price().items() if k != missing})
    )
    assert codes_and_message(response) == (400, [41], f'parameter "{missing}" required')
    assert shop.records("specific_prices") == []


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("price", "seventeen", "is not valid"),
        ("price", "17,50", "is not valid"),
        ("price", "", "is empty."),
        ("reduction", "-5", "is not valid"),  # isPrice: a reduction is never negative
        ("reduction_type", "fixed", "is not valid"),
        ("reduction_type", "Amount", "is not valid"),
        ("reduction_tax", "2", "is not valid"),
        ("from_quantity", "-1", "is not valid"),
        ("from_quantity", "1.5", "is not valid"),
        ("id_customer", "C005", "is not valid"),
        ("id_product_attribute", "-1", "is not valid"),
        ("from", "2024-13-01", "is not valid"),
        ("to", "31/12/2024", "is not valid"),
        ("to", "2024-12-31T23:59:59", "is not valid"),
        ("to", "", "is empty."),
    ],
)  # fmt: skip
def test_bad_values_are_refused_as_prestashop_validates_them(shop, field, value, problem):
    http, client = serve(shop)
    response = http.post("/api/specific_prices", content=body_of(price(**{field: value})))
    assert codes_and_message(response) == (
        400,
        [85],
        f'Validation error: "Property SpecificPrice->{field} {problem}"',
    )
    with pytest.raises(PrestashopRequestError) as info:
        client.create("specific_prices", price(**{field: value}))
    assert info.value.codes == [85]
    assert shop.records("specific_prices") == []


def test_a_post_with_an_id_is_refused(shop):
    http, _ = serve(shop)
    response = http.post("/api/specific_prices", content=body_of({"id": "4", **price()}))
    assert codes_and_message(response) == (400, [91], "id is forbidden when adding a new resource")


def test_a_duplicate_is_refused_by_the_tables_unique_key(shop):
    http, client = serve(shop)
    kept = client.create("specific_prices", price())
    # the key is the 13 columns of id_product_2: a new price or reduction does not make it another one
    for body in (price(), price(price="9.99"), price(reduction="1", reduction_type="percentage", reduction_tax="0"),
                 price(**{"from": "2024-6-1"})):  # fmt: skip
        response = http.post("/api/specific_prices", content=body_of(body))
        assert codes_and_message(response) == (500, [46], "Unable to save resource")
    assert [r["id"] for r in shop.records("specific_prices")] == [int(kept["id"])]

    # another customer, quantity, combination or period is another price
    others = [client.create("specific_prices", price(**change)) for change in (
        {"id_customer": "6"}, {"from_quantity": "10"}, {"id_product_attribute": "12"}, {"to": UNLIMITED})]  # fmt: skip
    assert len(shop.records("specific_prices")) == 5

    # a PUT onto another price's key fails the same way and changes nothing; onto its own key it saves
    moved = {**others[0], "id_customer": "5"}
    response = http.put(f"/api/specific_prices/{moved['id']}", content=body_of(moved))
    assert codes_and_message(response) == (500, [46], "Unable to save resource")
    assert client.get("specific_prices", int(others[0]["id"])) == others[0]
    assert client.update("specific_prices", {**kept, "price": "18"})["price"] == "18.000000"
    # once moved away, a key is free again
    client.update("specific_prices", {**others[0], "id_customer": "8"})
    assert client.create("specific_prices", price(id_customer="6"))["id_customer"] == "6"


# ----------------------------------------------------------------------------- the API index


@pytest.mark.parametrize(
    ("version", "patch"), [("1.7.8.0", ""), ("8.1.4", ' patch="true"'), ("9.0.0", ' patch="true"')]
)
def test_specific_prices_are_in_the_api_index_of_every_version(version, patch):
    shop = seed_shop(seed=5, orders=0, now=NOW, version=version)
    http, client = serve(shop)
    index = http.get("/api/").text
    flags = f'get="true" put="true" post="true"{patch} delete="true" head="true"'
    assert f'<specific_prices xlink:href="http://testserver/api/specific_prices" {flags}>' in index
    assert (f'<description xlink:href="http://testserver/api/specific_prices" {flags}>Specific price management'
            "</description>") in index  # fmt: skip
    names = re.findall(r'^<(\w+) xlink:href="http://testserver/api/\1" get=', index, re.M)
    assert names == sorted(names) and "specific_prices" in names
    empty = http.get("/api/specific_prices")
    assert empty.status_code == 200 and empty.text.endswith(
        "<specific_prices>\n</specific_prices>\n</prestashop>\n"
    )
    blank = http.get("/api/specific_prices", params={"schema": "blank"}).text
    assert re.findall(r"<(\w+)></\1>", blank) == FIELDS
    synopsis = http.get("/api/specific_prices", params={"schema": "synopsis"}).text
    assert '<price required="true" format="isNegativePrice"></price>' in synopsis
    assert '<reduction required="true" format="isPrice"></reduction>' in synopsis
    assert '<reduction_type required="true" format="isReductionType"></reduction_type>' in synopsis
    assert '<from required="true" format="isDateFormat"></from>' in synopsis
    assert '<id_product_attribute format="isUnsignedId"></id_product_attribute>' in synopsis
    assert client.create("specific_prices", price(price="-1"))["price"] == "-1.000000"
