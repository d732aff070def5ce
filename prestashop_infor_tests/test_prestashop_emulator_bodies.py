"""PrestaShop Webservice emulator: write bodies read by the emulator's own reader (models/bodies.py).

The emulator shares no code with the product client, so the client's XML writer
(``prestashop_infor.prestashop.xml_codec``) is checked here against a reader it did not write: what
the client renders must come back, value for value, as the shop stores it; and bodies the real
PrestaShop refuses are refused with its codes and a message that says why.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from prestashop_infor.prestashop import PrestashopClient, PrestashopRequestError, xml_codec
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, create_app, seed_shop
from prestashop_infor.sandbox.prestashop.models.bodies import Value, read_entities
from prestashop_infor.serving import BackgroundServer

NOW = datetime(2024, 5, 31, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))
TRICKY = 'Zoë & <Fils> "l\'Été" ]]> 100%'


@pytest.fixture
def shop() -> Shop:
    return seed_shop(seed=5, orders=12, now=NOW, languages=("en", "fr"))


@pytest.fixture
def http(shop: Shop) -> TestClient:
    client = TestClient(create_app(shop))
    client.auth = (DEFAULT_API_KEY, "")
    return client


def product_client(shop: Shop, fmt: str = "xml") -> PrestashopClient:
    http = TestClient(create_app(shop))
    return PrestashopClient(
        "http://testserver", DEFAULT_API_KEY, http_client=http, time_zone="Europe/Paris", fmt=fmt
    )


def codes_and_message(response) -> tuple[int, list[int], str]:
    errors = xml_codec.parse_errors(response.content)
    return response.status_code, [code for code, _ in errors], errors[0][1] if errors else ""


def as_read(value: Value) -> Any:
    """A body value in the shape xml_codec gives a record (text, or a list of languages)."""
    if value.languages is not None:
        return [{"id": str(lang), "value": text} for lang, text in value.languages.items()]
    return value.text


# ----------------------------------------------------------------------------- the client's writer


RESOURCES = ["orders", "customers", "addresses", "products", "combinations", "stock_availables"]


@pytest.mark.parametrize("resource", RESOURCES + ["order_carriers", "order_payments", "categories"])
def test_every_field_the_client_writes_is_read_back_unchanged(shop: Shop, http: TestClient, resource):
    """xml_codec renders records read from the shop; the emulator's reader gives back every value."""
    for record_id in sorted(shop.tables[resource].rows)[:5]:
        entity, record = xml_codec.parse_record(http.get(f"/api/{resource}/{record_id}").content)
        record = {**record, "note": TRICKY} if "note" in record else record
        (read,) = read_entities(xml_codec.render_entity(entity, record))
        assert read.tag == entity
        plain = {name: value for name, value in record.items() if name != "associations"}
        assert {name: as_read(value) for name, value in read.fields.items()} == {
            name: str(value) if name == "id" else value for name, value in plain.items()
        }
        if "associations" in record:  # xml_codec reads association ids as numbers; they go out as text
            assert read.associations == {
                name: [{key: str(value) for key, value in item.items()} for item in items]
                for name, items in record["associations"].items()
            }


def test_tricky_text_and_languages_round_trip_through_the_client(shop: Shop):
    """Escaped markup, quotes, ``]]>``, accents and per-language texts survive the client's PUT."""
    with product_client(shop) as client:
        product = client.get("products", 3)
        assert [item["id"] for item in product["name"]] == ["1", "2"]  # XML: language form
        product["name"] = [{"id": "1", "value": "Mug <Grand> & Co"}, {"id": "2", "value": "Tasse « été »"}]
        product["description"] = [{"id": "1", "value": TRICKY}, {"id": "2", "value": "  espaces gardés  "}]
        updated = client.update("products", product)
    stored = shop.tables["products"].rows[3]
    by_name = shop.definitions["products"].by_name
    assert stored[by_name["name"].pos] == {1: "Mug <Grand> & Co", 2: "Tasse « été »"}
    assert stored[by_name["description"].pos] == {1: TRICKY, 2: "  espaces gardés  "}
    assert updated["name"] == product["name"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_full_put_of_a_record_as_read_changes_nothing_but_date_upd(shop: Shop, resource):
    """GET, PUT back (the client strips read-only fields): the shop holds the same record."""
    record_id = sorted(shop.tables[resource].rows)[1]
    before = shop.record(resource, record_id)
    shop.clock.advance(timedelta(minutes=7))
    with product_client(shop) as client:
        client.update(resource, client.get(resource, record_id))
    after = shop.record(resource, record_id)
    if "date_upd" in before:
        assert after.pop("date_upd") == "2024-05-31 18:07:00"
        before.pop("date_upd")
    assert after == before


def test_the_client_write_flows_land_in_the_shop(shop: Shop):
    order = shop.record("orders", 2)
    stock = next(s for s in shop.records("stock_availables") if s["id_product_attribute"] == "0")
    with product_client(shop, fmt="json") as client:
        client.add_order_history(2, 4, send_email=True)
        client.set_stock(int(stock["id_product"]), 0, 42)
        client.set_tracking_numbers(2, ["CC 12/34-56"])
        client.add_order_payment(
            {
                "order_reference": order["reference"],
                "id_currency": "1",
                "amount": "1.5",
                "transaction_id": "T&1",
            }
        )
        client.create(
            "customers",
            {"passwd": "s3cret!", "lastname": "Müller", "firstname": "Jürgen", "email": "j@example.de"},
        )
    assert shop.record("orders", 2)["current_state"] == "4"
    assert shop.record("stock_availables", stock["id"])["quantity"] == "42"
    assert shop.record("orders", 2)["shipping_number"] == "CC 12/34-56"
    payment = shop.records("order_payments")[-1]
    assert (payment["amount"], payment["transaction_id"]) == ("1.500000", "T&1")
    customer = shop.records("customers")[-1]
    assert (customer["lastname"], customer["firstname"]) == ("Müller", "Jürgen")


def test_prestapyt_writes_are_read_as_prestashop_reads_them(shop: Shop):
    """A third-party client's XML writer (prestapyt's dict2xml), over a real socket."""
    from prestapyt import PrestaShopWebServiceDict, PrestaShopWebServiceError

    with BackgroundServer(create_app(shop)) as server:
        api = PrestaShopWebServiceDict(f"{server.url}/api", DEFAULT_API_KEY)
        added = api.partial_add(
            "order_histories", {"order_history": {"id_order": "2", "id_order_state": "4"}}
        )
        assert added["prestashop"]["order_history"]["id_order_state"] == "4"
        assert shop.record("orders", 2)["current_state"] == "4"
        api.partial_edit("stock_availables", 1, {"stock_available": {"quantity": "77"}})
        assert shop.record("stock_availables", 1)["quantity"] == "77"
        product = api.get("products", 3)
        with pytest.raises(PrestaShopWebServiceError, match="not writable"):  # prestapyt/prestapyt#90
            api.edit("products", product)
        for read_only in ("manufacturer_name", "quantity"):
            del product["product"][read_only]
        product["product"]["price"] = "12.5"
        api.edit("products", product)
    assert shop.record("products", 3)["price"] == "12.500000"
    assert shop.tables["products"].rows[3][shop.definitions["products"].by_name["name"].pos][2]  # French kept


# ----------------------------------------------------------------------------- how PrestaShop reads


def test_reader_follows_simplexml():
    body = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        b'<anything xmlns:x="urn:x"><order_payment>'
        b"<amount><![CDATA[1.5]]></amount><amount>9</amount>"  # the first element of a name wins
        b"<payment_method>Caf\xe9 <![CDATA[<cr\xe8me>]]></payment_method>"  # declared encoding, CDATA
        b"<x:transaction_id>hidden</x:transaction_id>"  # prefixed: invisible to children()
        b"<card_holder>\n  spaced\n</card_holder>"
        b'<name><language id="2">deux</language><language id=" 1">un</language></name>'
        b"<associations><taxes><tax><id>1</id><id>2</id></tax></taxes><groups/></associations>"
        b"</order_payment><order_payment/></anything>"
    )
    first, second = read_entities(b"xml=" + body)
    assert first.tag == "order_payment" and second.fields == {} and second.associations is None
    assert first.fields["amount"] == Value("1.5")
    assert first.fields["payment_method"].text == "Café <crème>"
    assert "transaction_id" not in first.fields
    assert first.fields["card_holder"].text == "\n  spaced\n"
    assert first.fields["name"].languages == {2: "deux", 1: "un"}
    assert first.associations == {"taxes": [{"id": "2"}], "groups": []}


def test_root_and_entity_names_are_not_checked(http: TestClient, shop: Shop):
    """PrestaShop walks the children of whatever root it is given."""
    body = b"<shop><whatever><id_currency>1</id_currency><amount>2</amount></whatever></shop>"
    response = http.post("/api/order_payments", content=body)
    assert response.status_code == 201
    assert shop.records("order_payments")[-1]["amount"] == "2.000000"


def test_put_reads_the_id_with_a_php_int_cast(http: TestClient, shop: Shop):
    row = shop.record("order_carriers", 3)
    fields = {k: v for k, v in row.items() if k != "id"}
    body = xml_codec.render_entity("order_carrier", {"id": " 3 ", **fields, "weight": "1.25"})
    assert http.put("/api/order_carriers", content=body).status_code == 200
    assert shop.record("order_carriers", 3)["weight"] == "1.250000"


def test_dates_follow_objectmodel(http: TestClient, shop: Shop):
    """POST stamps both dates whatever the body says; a PUT keeps a date_add it carries and stamps
    one it leaves out (the WS nulls it, ``ObjectModel::update`` refills it)."""
    shop.clock.advance(timedelta(minutes=1))
    posted = http.post(
        "/api/order_payments",
        content=xml_codec.render_entity(
            "order_payment", {"id_currency": "1", "amount": "1", "date_add": "2001-01-01 00:00:00"}
        ),
    )
    assert xml_codec.parse_record(posted.content)[1]["date_add"] == "2024-05-31 18:01:00"
    address = {k: v for k, v in shop.record("addresses", 1).items() if k != "date_upd"}
    http.put("/api/addresses", content=xml_codec.render_entity("address", address))
    assert shop.record("addresses", 1)["date_add"] == address["date_add"]
    address.pop("date_add")
    http.put("/api/addresses", content=xml_codec.render_entity("address", address))
    assert shop.record("addresses", 1)["date_add"] == "2024-05-31 18:01:00"


# ----------------------------------------------------------------------------- bodies PrestaShop refuses


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"order_payment": {"id_currency": "1", "amount": "1"}}).encode(),  # JSON cannot be written
        b"<prestashop><order_payment><amount>1</amount></order_payment>",  # truncated
        b"",
        b"  <?xml version='1.0'?><prestashop/>",  # whitespace before the declaration
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><prestashop><order_payment>'
        b"<amount>&a;</amount></order_payment></prestashop>",  # entity declarations are refused
    ],
)
def test_a_body_that_is_not_xml_is_500_code_127_quoting_the_body(http: TestClient, body: bytes):
    status, codes, message = codes_and_message(http.post("/api/order_payments", content=body))
    assert (status, codes) == (500, [127])
    assert message.startswith("XML error : String could not be parsed as XML (")
    assert f"XML length : {len(body)}\nOriginal XML : {body.decode()}" in message


def test_a_body_without_the_prestashop_wrapper_is_read_as_prestashop_reads_it(http: TestClient):
    """The root's children are the entities: each field becomes an entity lacking the required ones."""
    body = b"<order_history><id_order>1</id_order><id_order_state>2</id_order_state></order_history>"
    status, codes, message = codes_and_message(http.post("/api/order_histories", content=body))
    assert (status, codes) == (400, [41]) and message == 'parameter "id_order_state" required'


@pytest.mark.parametrize(
    ("resource", "fields", "status", "code", "message"),
    [
        # whitespace inside a value is part of it (§6.1)
        ("order_histories", {"id_order": "1", "id_order_state": "\n  4\n"}, 400, 85,
         'Validation error: "Property OrderHistory->id_order_state is not valid"'),
        # a language list for a plain field
        ("order_payments", {"id_currency": [{"id": "1", "value": "1"}], "amount": "1"}, 400, 85,
         'Validation error: "Property OrderPayment->id_currency is not valid"'),
        # present but empty is not missing: ObjectModel says "empty"
        ("order_payments", {"id_currency": "1", "amount": ""}, 400, 85,
         'Validation error: "Property OrderPayment->amount is empty."'),
        ("order_payments", {"id_currency": "1"}, 400, 41, 'parameter "amount" required'),
        # a required multilingual field is checked in the default language, code 84
        ("order_states", {"color": "#fff"}, 400, 84, 'Validation error: "Property OrderState->name is empty."'),
        ("order_payments", {"id_currency": "1", "amount": "1", "order_reference": "TOOLONGREF"}, 400, 85,
         'Validation error: "The length of property OrderPayment->order_reference is currently 10 chars. '
         'It must be between 0 and 9 chars."'),
        # an association the resource does not have
        ("order_payments", {"id_currency": "1", "amount": "1", "associations": {"taxes": [{"id": "1"}]}}, 400, 86,
         'The association "taxes" does not exists'),
        # the fields are checked in definition order: quantity (not writable) comes before price (required)
        ("products", {"quantity": "3"}, 400, 93,
         'parameter "quantity" not writable. Please remove this attribute of this XML'),
        ("order_payments", {"id": "4", "id_currency": "1", "amount": "1"}, 400, 91,
         "id is forbidden when adding a new resource"),
    ],
)  # fmt: skip
def test_refused_bodies_get_prestashop_codes_and_messages(
    shop, http, resource, fields, status, code, message
):
    entity = shop.definitions[resource].entity
    response = http.post(f"/api/{resource}", content=xml_codec.render_entity(entity, fields))
    assert codes_and_message(response) == (status, [code], message)


def test_put_id_rules_apply_to_the_whole_body_before_any_entity_is_saved(http: TestClient, shop: Shop):
    before = shop.record("stock_availables", 1)
    one = b"<stock_available><id>1</id><quantity>5</quantity></stock_available>"
    two = b"<stock_available><id>01</id><quantity>6</quantity></stock_available>"
    no_id = b"<stock_available><quantity>6</quantity></stock_available>"
    for body, code in ((one + two, 89), (one + no_id, 90)):
        response = http.put("/api/stock_availables", content=b"<prestashop>" + body + b"</prestashop>")
        assert codes_and_message(response)[:2] == (400, [code])
    assert shop.record("stock_availables", 1) == before
    response = http.put("/api/stock_availables", content=b"<prestashop><stock_available><id>x</id>"
                        b"</stock_available></prestashop>")  # fmt: skip
    assert codes_and_message(response) == (404, [92], "Invalid ID")


def test_the_client_sees_the_refusal(shop: Shop):
    with product_client(shop) as client, pytest.raises(PrestashopRequestError) as refused:
        client.add_order_payment({"id_currency": "1", "amount": "12,50"})  # a decimal comma
    assert refused.value.codes == [85] and "OrderPayment->amount is not valid" in str(refused.value.errors)


# ----------------------------------------------------------------------------- no product code


def test_the_emulator_never_imports_the_product_client():
    script = (
        "import sys\n"
        "from starlette.testclient import TestClient\n"
        "from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, create_app, seed_shop\n"
        "http = TestClient(create_app(seed_shop(orders=3)))\n"
        "body = b'<prestashop><order_history><id_order>1</id_order><id_order_state>2</id_order_state>'"
        " b'</order_history></prestashop>'\n"
        "assert http.post('/api/order_histories', content=body, auth=(DEFAULT_API_KEY, '')).status_code == 201\n"
        "print(sorted(m for m in sys.modules if m.startswith('prestashop_infor.prestashop')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
