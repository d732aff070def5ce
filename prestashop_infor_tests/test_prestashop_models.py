"""The typed models on real recorded records: Airbyte JSON (1.7.8-era) and OCA XML (1.6.1.x)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from prestashop_infor.prestashop import xml_codec
from prestashop_infor.prestashop.models import (
    MODELS,
    Combination,
    Currency,
    Customer,
    Order,
    OrderDetail,
    OrderState,
    Product,
    StockMovement,
    earliest_local_since,
    latest_local_until,
    model_for,
    pick_language,
    to_shop_local,
    to_utc,
)

FIXTURES = Path(__file__).parent / "fixtures" / "prestashop"
EXTRACTED = FIXTURES / "oca-cassettes" / "extracted"
AIRBYTE = FIXTURES / "airbyte-records" / "expected_records_subset.jsonl"


def airbyte_records() -> list[tuple[str, dict]]:
    lines = AIRBYTE.read_text(encoding="utf-8").splitlines()
    return [(item["stream"], item["data"]) for item in map(json.loads, lines)]


def xml_record(name: str) -> dict:
    _, record = xml_codec.parse_record((EXTRACTED / name).read_bytes())
    return record


def test_the_airbyte_subset_covers_nineteen_streams_all_with_a_model():
    streams = [stream for stream, _ in airbyte_records()]
    assert len(streams) == 19
    assert set(streams) <= set(MODELS)


@pytest.mark.parametrize(("stream", "record"), airbyte_records(), ids=[s for s, _ in airbyte_records()])
def test_every_airbyte_record_loads_into_its_model(stream: str, record: dict):
    model = model_for(stream).model_validate(record)
    assert model.id == record["id"]
    assert isinstance(model.id, int)
    # Nothing the shop sent is lost: every field is either typed or kept as an extra.
    dumped = model.model_dump()
    assert set(record) <= set(dumped)


def test_airbyte_order_values_are_typed():
    record = dict(airbyte_records())["orders"]
    order = Order.model_validate(record)
    assert order.total_paid == Decimal("61.800000")
    assert order.total_paid_tax_incl == Decimal("68.200000")
    assert isinstance(order.carrier_tax_rate, Decimal)
    assert order.invoice_date is None and order.delivery_date is None  # "0000-00-00 00:00:00"
    assert order.date_add == datetime(2022, 5, 17, 17, 50, 34)
    assert order.valid is False and order.current_state == 6
    assert order.order_rows and order.order_rows[0].id == 1
    assert order.order_rows[0].unit_price_tax_incl == Decimal("23.900000")


def test_airbyte_getter_quirks_are_accepted():
    records = dict(airbyte_records())
    assert Combination.model_validate(records["combinations"]).quantity == 300  # a JSON number
    assert Combination.model_validate({**records["combinations"], "quantity": "300"}).quantity == 300
    assert Product.model_validate({**records["products"], "manufacturer_name": False}).manufacturer_name == ""
    movement = StockMovement.model_validate(records["stock_movements"])
    assert movement.product_name == {} and movement.id_product == 0  # false and "" (pitfall 15)
    customer = Customer.model_validate(records["customers"])
    assert customer.birthday is None and customer.newsletter_date_add is None
    assert customer.reset_password_validity is None  # null
    assert [group.id for group in customer.associations.groups] == [3]
    assert Product.model_validate(records["products"]).available_date is None  # "0000-00-00"
    assert Product.model_validate(records["products"]).new is None  # database NULL stays None


def test_real_xml_order_5_with_three_rows():
    order = Order.model_validate(xml_record("get_orders_5.xml"))
    assert order.id == 5
    assert [row.id for row in order.order_rows] == [13, 14, 15]
    assert order.total_paid_tax_incl == Decimal("71.510000")
    assert order.invoice_date is None and order.delivery_date is None
    assert order.current_state == 10
    assert order.shipping_number == ""
    assert order.reference == "KHWLILZLL"
    assert order.date_upd == datetime(2019, 1, 30, 1, 2, 13)
    details = [OrderDetail.model_validate(xml_record(f"get_order_details_{i}.xml")) for i in (13, 14, 15)]
    for row, detail in zip(order.order_rows, details, strict=True):
        assert (row.id, row.product_id, row.product_attribute_id) == (
            detail.id,
            detail.product_id,
            detail.product_attribute_id,
        )
        assert row.unit_price_tax_incl == detail.unit_price_tax_incl
        assert detail.id_order == 5
    assert (
        sum(row.unit_price_tax_incl * row.product_quantity for row in order.order_rows)
        == order.total_products_wt
    )


def test_real_xml_records_of_every_modelled_resource_load():
    names = {
        "get_addresses_4.xml": "addresses",
        "get_combinations_1.xml": "combinations",
        "get_countries_8.xml": "countries",
        "get_currencies_1.xml": "currencies",
        "get_customers_1.xml": "customers",
        "get_languages_1.xml": "languages",
        "get_order_carriers_2.xml": "order_carriers",
        "get_order_states_10.xml": "order_states",
        "get_products_1.xml": "products",
        "get_shops_1.xml": "shops",
        "get_stock_availables_1.xml": "stock_availables",
    }
    for name, resource in names.items():
        model = model_for(resource).model_validate(xml_record(name))
        assert isinstance(model.id, int), name
    currency = Currency.model_validate(xml_record("get_currencies_1.xml"))  # 1.6 field set
    assert currency.iso_code == "EUR" and currency.conversion_rate == Decimal("1.000000")


def test_multilingual_both_shapes():
    state = OrderState.model_validate(xml_record("get_order_states_10.xml"))  # <language id="1">
    assert 1 in state.name and pick_language(state.name, 1) == state.name[1] != ""
    plain = OrderState.model_validate({"id": 2, "name": "Payment accepted"})
    assert pick_language(plain.name, 1) == "Payment accepted"
    several = OrderState.model_validate(
        {"id": 2, "name": [{"id": "1", "value": "Payment accepted"}, {"id": 2, "value": "Paiement accepté"}]}
    )
    assert several.name == {1: "Payment accepted", 2: "Paiement accepté"}
    assert pick_language(several.name, 2) == "Paiement accepté"
    assert pick_language(several.name, 9) == "Payment accepted"  # unknown language: lowest id
    assert pick_language({}, 1) == ""


def test_empty_numbers_flags_and_dates():
    order = Order.model_validate(
        {
            "id": 7,
            "invoice_number": "",
            "total_paid": "",
            "valid": "",
            "invoice_date": "",
            "date_add": "0000-00-00",
        }
    )
    assert order.invoice_number == 0 and order.total_paid == Decimal(0) and order.valid is False
    assert order.invoice_date is None and order.date_add is None
    assert Customer.model_validate({"id": 1, "birthday": "1980-02-29"}).birthday == date(1980, 2, 29)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_paid", "12,50"),
        ("current_state", "abc"),
        ("valid", "yes"),
        ("date_upd", "2019-13-45 00:00:00"),
    ],
)
def test_unreadable_values_fail_naming_the_field(field: str, value: str):
    with pytest.raises(ValidationError) as info:
        Order.model_validate({"id": 1, field: value})
    assert field in str(info.value)


@pytest.mark.parametrize(
    "value",
    ["2026-03-02 09:05:07", " 2026-03-02 09:05:07 ", "2026-3-2 9:5:7", "2024-02-29 23:59:59", "2026-03-02"],
)
def test_shop_dates_read_as_strptime_reads_them(value: str):
    """The usual shape is parsed by ``fromisoformat`` (in C); every shape reads as before."""
    expected = datetime.strptime(
        value.strip(), "%Y-%m-%d" if len(value.strip()) == 10 else "%Y-%m-%d %H:%M:%S"
    )
    assert Order.model_validate({"id": 1, "date_upd": value}).date_upd == expected


@pytest.mark.parametrize(
    "value",
    ["2026-03-02T09:05:07", "2026-03-02 09:05:07+01:00", "2026-03-02 09:05:07.5", "2026-02-30 10:00:00"],
)
def test_other_date_shapes_fail_as_before(value: str):
    with pytest.raises(ValidationError, match="date_upd"):
        Order.model_validate({"id": 1, "date_upd": value})


def test_id_is_required():
    with pytest.raises(ValidationError, match="id"):
        Order.model_validate({"reference": "ABC"})


def test_unknown_fields_are_kept():
    order = Order.model_validate({"id": 1, "some_field_of_9x": "x"})
    assert order.model_extra == {"some_field_of_9x": "x"}


def test_utc_conversion_and_dst():
    paris = "Europe/Paris"
    assert to_utc(datetime(2024, 7, 1, 12, 0), paris) == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert to_utc(datetime(2024, 1, 1, 12, 0), paris) == datetime(2024, 1, 1, 11, 0, tzinfo=UTC)
    # Autumn fold: 02:30 happened twice; the earlier instant is chosen.
    assert to_utc(datetime(2024, 10, 27, 2, 30), paris) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    # Spring gap: 02:30 never happened; read with the offset before the jump (= 03:30 CEST).
    assert to_utc(datetime(2024, 3, 31, 2, 30), paris) == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    assert to_utc(None, paris) is None
    assert to_shop_local(datetime(2024, 7, 1, 10, 0, tzinfo=UTC), paris) == datetime(2024, 7, 1, 12, 0)
    order = Order.model_validate({"id": 1, "date_upd": "2024-07-01 12:00:00"})
    assert order.utc("date_upd", paris) == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)


def test_filter_bounds_cover_the_autumn_fold():
    paris = "Europe/Paris"
    # Clocks go back at 01:00 UTC on 2024-10-27: local 02:00-02:59 happens twice (CEST, then CET).
    # From 00:50 UTC (02:50 CEST), records written at 01:05 UTC are stamped 02:05 CET: the lower
    # bound must go back an hour to include them.
    assert earliest_local_since(datetime(2024, 10, 27, 0, 50, tzinfo=UTC), paris) == datetime(
        2024, 10, 27, 1, 50
    )
    # Up to 01:10 UTC (02:10 CET), records of 00:30 UTC were stamped 02:30 CEST: the upper bound
    # must go forward an hour to include them.
    assert latest_local_until(datetime(2024, 10, 27, 1, 10, tzinfo=UTC), paris) == datetime(
        2024, 10, 27, 3, 10
    )
    ordinary = datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert (
        earliest_local_since(ordinary, paris)
        == latest_local_until(ordinary, paris)
        == datetime(2024, 7, 1, 12, 0)
    )
    # The spring jump needs no widening (local time only skips ahead).
    spring = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    assert earliest_local_since(spring, paris) == datetime(2024, 3, 31, 1, 30)
    assert latest_local_until(datetime(2024, 3, 31, 1, 30, tzinfo=UTC), paris) == datetime(2024, 3, 31, 3, 30)
