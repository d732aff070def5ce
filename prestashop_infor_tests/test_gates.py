"""The pandera gates: real PrestaShop records pass, broken ones are quarantined with the failed check
and field named, and the rest of the batch is still written."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from prestashop_infor.store import Store
from prestashop_infor.sync import gates
from prestashop_infor.sync import prestashop_extraction as assets
from prestashop_infor.sync import prestashop_schemas as schemas


@pytest.fixture(scope="module")
def real_records(fixtures_dir: Path) -> dict[str, dict[str, Any]]:
    """One real record per stream, from a PrestaShop 1.7.8 shop (Airbyte's recorded JSON)."""
    path = fixtures_dir / "prestashop" / "airbyte-records" / "expected_records_subset.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {line["stream"]: line["data"] for line in lines}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.dispose()


def _variant(record: dict[str, Any], record_id: int, **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(record)
    changed.update(id=record_id, **changes)
    return changed


@pytest.mark.parametrize(
    ("stream", "model"),
    [
        ("orders", schemas.OrderSchema),
        ("customers", schemas.CustomerSchema),
        ("products", schemas.ProductSchema),
        ("stock_availables", schemas.StockSchema),
    ],
)
def test_real_records_pass_their_gate(real_records: dict, stream: str, model: type) -> None:
    record = real_records[stream]
    frame = schemas.order_frame([record]) if stream == "orders" else gates.frame_of(model, [record])
    outcome = gates.validate_frame(model, frame)
    assert outcome.failures == {}
    assert outcome.valid["id"].tolist() == [record["id"]]


def test_real_order_rows_pass_their_gate(real_records: dict) -> None:
    lines = schemas.order_rows_of(real_records["orders"])
    outcome = gates.validate_frame(schemas.OrderRowSchema, gates.frame_of(schemas.OrderRowSchema, lines))
    assert outcome.failures == {}
    assert outcome.valid["product_quantity"].tolist() == [1, 1]


def test_each_broken_order_fails_on_the_field_that_is_wrong(real_records: dict) -> None:
    order = real_records["orders"]
    orders = [
        order,
        _variant(order, 2, total_paid="abc"),
        _variant(order, 3, total_paid_tax_incl="-1.000000", total_paid_tax_excl="-1.000000"),
        _variant(order, 4, associations={}),
        _variant(order, 5, id_customer=None),
        _variant(order, 6, date_upd="0000-00-00 00:00:00"),
        _variant(order, 7, reference="bad ref!"),
        _variant(order, 8, total_paid_tax_incl="10.000000", total_paid_tax_excl="12.000000"),
    ]
    outcome = gates.validate_frame(schemas.OrderSchema, schemas.order_frame(orders))
    assert outcome.valid["id"].tolist() == [1]
    named = {label: {(f.field, f.check) for f in found} for label, found in outcome.failures.items()}
    assert named[1] == {("total_paid", "coerce_dtype('float64')")}
    assert ("total_paid_tax_incl", "greater_than_or_equal_to(0)") in named[2]
    assert named[3] == {("row_count", "greater_than_or_equal_to(1)")}
    assert named[4] == {("id_customer", "not_nullable")}
    assert named[5] == {("date_upd", "parseable_datetime")}
    assert named[6] == {("reference", f"str_matches('{schemas.ORDER_REFERENCE_PATTERN}')")}
    assert named[7] == {(None, "tax_incl_not_below_tax_excl")}
    assert next(f.failure_case for f in outcome.failures[1]) == "abc"


def test_broken_customers_products_and_stock(real_records: dict) -> None:
    customer = real_records["customers"]
    customers = [customer, _variant(customer, 2, email="not-an-email"), _variant(customer, 3, active="yes")]
    outcome = gates.validate_frame(schemas.CustomerSchema, gates.frame_of(schemas.CustomerSchema, customers))
    assert outcome.valid["id"].tolist() == [1]
    assert [f.field for f in outcome.failures[1]] == ["email"]
    assert [f.field for f in outcome.failures[2]] == ["active"]

    product = real_records["products"]
    products = [product, _variant(product, 2, price="-5.000000"), _variant(product, 3, ean13="12AB")]
    outcome = gates.validate_frame(schemas.ProductSchema, gates.frame_of(schemas.ProductSchema, products))
    assert outcome.valid["id"].tolist() == [1]
    assert [(f.field, f.failure_case) for f in outcome.failures[1]] == [("price", -5.0)]
    assert [f.field for f in outcome.failures[2]] == ["ean13"]

    stock = real_records["stock_availables"]
    rows = [
        stock,
        _variant(stock, 2, quantity="12.5"),
        _variant(stock, 3, quantity="-3"),
        _variant(stock, 4, id_product=""),
    ]
    outcome = gates.validate_frame(schemas.StockSchema, gates.frame_of(schemas.StockSchema, rows))
    # Negative stock is real (orders out of stock allowed); a fractional quantity is not.
    assert outcome.valid["id"].tolist() == [1, 3]
    assert [(f.field, f.failure_case) for f in outcome.failures[1]] == [("quantity", "12.5")]
    assert {f.field for f in outcome.failures[3]} == {"id_product"}


def test_process_batch_quarantines_failures_and_writes_the_rest(real_records: dict, store: Store) -> None:
    order = real_records["orders"]
    line = order["associations"]["order_rows"][0]
    orders = [
        order,
        _variant(order, 2, total_paid="abc", associations={"order_rows": [{**line, "id": "20"}]}),
        _variant(order, 3, associations={"order_rows": [{**line, "id": "30", "product_quantity": "0"}]}),
        _variant(order, 4, reference="ABCDEFGHI", associations={"order_rows": [{**line, "id": "40"}]}),
    ]
    outcome = assets.process_batch(assets.ORDERS, orders, store, time_zone="Europe/Paris")
    assert (outcome.valid, outcome.quarantined) == (2, 2)
    assert outcome.valid_ids == [1, 4]

    stored = store.rows("ps_orders")
    assert [row["id"] for row in stored] == [1, 4]
    # 17:50:34 in Paris in May is 15:50:34 UTC.
    assert stored[0]["date_upd"].isoformat() == "2022-05-17T15:50:34+00:00"
    assert str(stored[0]["total_paid_tax_incl"]) == "68.200000"
    assert [(row["id"], row["id_order"]) for row in store.rows("ps_order_rows")] == [(1, 1), (2, 1), (40, 4)]

    letters = {letter.key: letter for letter in store.dead_letters(entity="orders")}
    assert set(letters) == {"2", "3"}
    assert letters["2"].stage == "validate"
    assert letters["2"].field == "total_paid"
    assert letters["2"].error_code == "coerce_dtype('float64')"
    assert "abc" in letters["2"].message
    assert letters["2"].payload["total_paid"] == "abc"
    assert letters["2"].failures == [
        {"check": "coerce_dtype('float64')", "field": "total_paid", "failure_case": "abc"}
    ]
    assert letters["3"].field == "order_rows.product_quantity"


def test_a_fixed_record_resolves_its_dead_letter_and_a_repeat_counts_an_attempt(
    real_records: dict, store: Store
) -> None:
    customer = real_records["customers"]
    broken = _variant(customer, 9, email="nobody")
    assets.process_batch(assets.CUSTOMERS, [broken], store, time_zone="UTC")
    assets.process_batch(assets.CUSTOMERS, [broken], store, time_zone="UTC")
    (letter,) = store.dead_letters(entity="customers")
    assert (letter.attempts, letter.state, letter.field) == (2, "open", "email")

    assets.process_batch(
        assets.CUSTOMERS, [_variant(customer, 9, email="nobody@example.com")], store, time_zone="UTC"
    )
    (letter,) = store.dead_letters(entity="customers")
    assert letter.state == "resolved"
    assert [row["email"] for row in store.rows("ps_customers")] == ["nobody@example.com"]


def test_a_record_without_id_is_keyed_by_its_content(real_records: dict, store: Store) -> None:
    stock = dict(real_records["stock_availables"])
    del stock["id"]
    outcome = assets.process_batch(assets.STOCK, [stock], store, time_zone="UTC")
    assert outcome.quarantined == 1
    (letter,) = store.dead_letters(entity="stock_availables")
    assert letter.key.startswith("sha1:")
    assert letter.field == "id"
