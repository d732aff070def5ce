"""The durable store on SQLite and on the real PostgreSQL: cursors, dead letters, snapshots."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from prestashop_infor.store import Store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = Store.from_url(f"sqlite:///{tmp_path / 'store.db'}")
        yield opened
        opened.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    opened = Store.from_url(url, schema=schema)
    yield opened
    opened.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'drop schema "{schema}" cascade'))
    engine.dispose()


def test_cursor_is_none_until_set_then_overwritten(store: Store) -> None:
    assert store.get_cursor("prestashop.orders") is None
    store.set_cursor("prestashop.orders", "2024-03-01T10:00:00+00:00")
    store.set_cursor("prestashop.customers", "c1")
    store.set_cursor("prestashop.orders", "2024-03-02T10:00:00+00:00")
    assert store.get_cursor("prestashop.orders") == "2024-03-02T10:00:00+00:00"
    assert store.get_cursor("prestashop.customers") == "c1"
    updated_at = store.rows("cursors", order_by="name")[1]["updated_at"]
    assert updated_at.tzinfo is not None and updated_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - updated_at) < timedelta(minutes=5)


def test_cursor_survives_reopening_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'store.db'}"
    with Store.from_url(url) as first:
        first.set_cursor("prestashop.products", "2024-01-01T00:00:00+00:00")
    with Store.from_url(url) as second:
        assert second.get_cursor("prestashop.products") == "2024-01-01T00:00:00+00:00"
        with second.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_quarantining_the_same_record_again_counts_attempts(store: Store) -> None:
    payload = {"id": 7, "total_paid": "abc"}
    store.quarantine("orders", 7, "validate", "coerce_dtype", "total_paid", "not a number: 'abc'", payload)
    store.quarantine("orders", 8, "validate", "not_nullable", "id_customer", "missing", {"id": 8})
    store.quarantine("orders", 7, "map", "unknown_state", "current_state", "no mapping", payload)
    first = store.dead_letters(entity="orders")
    assert [(d.key, d.stage, d.attempts) for d in first] == [
        ("7", "validate", 1),
        ("8", "validate", 1),
        ("7", "map", 1),
    ]

    store.quarantine(
        "orders",
        "7",
        "validate",
        "greater_than_or_equal_to(0)",
        "total_paid",
        "negative",
        {"id": 7, "total_paid": "-1"},
    )
    again = {(d.key, d.stage): d for d in store.dead_letters(entity="orders")}
    assert len(again) == 3
    letter = again[("7", "validate")]
    assert letter.attempts == 2
    assert letter.error_code == "greater_than_or_equal_to(0)"
    assert letter.payload == {"id": 7, "total_paid": "-1"}
    assert letter.last_seen >= letter.first_seen
    assert letter.first_seen.tzinfo is not None


def test_dead_letters_filter_by_state_and_entity_and_reopen(store: Store) -> None:
    store.quarantine("orders", 1, "validate", "e", "f", "m", {"id": 1})
    store.quarantine("customers", 1, "validate", "e", "email", "m", {"id": 1})
    store.quarantine(
        "customers", 2, "load", "e", None, "m", {"id": 2}, failures=[{"check": "x", "field": None}]
    )
    customers = store.dead_letters(entity="customers")
    assert [d.key for d in customers] == ["1", "2"]
    assert customers[1].failures == [{"check": "x", "field": None}]
    assert [d.key for d in store.dead_letters(entity="customers", after_id=customers[0].id)] == ["2"]

    store.set_dead_letter_state(customers[0].id, "replayed")
    assert [d.key for d in store.dead_letters(state="open", entity="customers")] == ["2"]
    assert [d.entity for d in store.dead_letters(state="replayed")] == ["customers"]

    # Failing again after a replay puts it back in the open queue.
    store.quarantine("customers", 1, "validate", "e", "email", "m", {"id": 1})
    reopened = store.dead_letters(state="open", entity="customers")
    assert [(d.key, d.attempts) for d in reopened] == [("1", 2), ("2", 1)]

    assert store.resolve_dead_letters("customers", ["1", "2", "99"], "validate") == 1
    assert [d.key for d in store.dead_letters(state="resolved")] == ["1"]


def test_bad_stage_and_state_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="stage"):
        store.quarantine("orders", 1, "extract", "e", None, "m", {})
    with pytest.raises(ValueError, match="state"):
        store.dead_letters(state="closed")
    with pytest.raises(KeyError, match="no dead letter"):
        store.set_dead_letter_state(12345, "resolved")


def test_upsert_replaces_by_id_and_keeps_utc(store: Store) -> None:
    now = datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    row = {
        "id": 1,
        "id_product": 10,
        "id_product_attribute": 0,
        "id_shop": 1,
        "id_shop_group": 0,
        "quantity": 5,
        "depends_on_stock": False,
        "out_of_stock": 2,
        "location": "",
        "loaded_at": now,
    }
    assert store.upsert("ps_stock", [row, {**row, "id": 2, "quantity": 0}]) == 2
    store.upsert("ps_stock", [{**row, "quantity": 7}])
    rows = store.rows("ps_stock")
    assert [(r["id"], r["quantity"]) for r in rows] == [(1, 7), (2, 0)]
    assert rows[0]["loaded_at"] == now
    assert store.delete_missing("ps_stock", [2]) == 1
    assert store.count("ps_stock") == 1


def test_replace_children_swaps_the_rows_of_an_order(store: Store) -> None:
    now = datetime.now(UTC)

    def order_row(row_id: int, order_id: int, quantity: int) -> dict:
        return {
            "id": row_id,
            "id_order": order_id,
            "product_id": 1,
            "product_attribute_id": 0,
            "product_quantity": quantity,
            "product_name": "Mug",
            "product_reference": "demo_1",
            "product_price": Decimal("11.90"),
            "unit_price_tax_incl": Decimal("11.90"),
            "unit_price_tax_excl": Decimal("9.917"),
            "loaded_at": now,
        }

    store.replace_children(
        "ps_order_rows", "id_order", [1, 2], [order_row(1, 1, 1), order_row(2, 1, 2), order_row(3, 2, 1)]
    )
    store.replace_children("ps_order_rows", "id_order", [1], [order_row(4, 1, 3)])
    rows = store.rows("ps_order_rows")
    assert [(r["id"], r["id_order"], r["product_quantity"]) for r in rows] == [(3, 2, 1), (4, 1, 3)]
    assert rows[0]["unit_price_tax_excl"] == Decimal("9.917")


def test_naive_timestamps_and_unknown_tables_are_refused(store: Store) -> None:
    with pytest.raises(KeyError, match="no table"):
        store.rows("ps_nothing")
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        store.upsert(
            "ps_stock",
            [
                {
                    "id": 1,
                    "id_product": 1,
                    "id_product_attribute": 0,
                    "id_shop": 1,
                    "quantity": 1,
                    "loaded_at": datetime(2024, 1, 1),
                }
            ],
        )


def test_sqlite_refuses_a_schema(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        Store.from_url(f"sqlite:///{tmp_path / 's.db'}", schema="x")


def test_in_memory_sqlite_keeps_data_across_connections() -> None:
    with Store.from_url("sqlite://") as store:
        store.set_cursor("a", "1")
        assert store.get_cursor("a") == "1"


def test_large_upserts_are_split_under_the_parameter_limits(store: Store) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "id": i,
            "id_product": i,
            "id_product_attribute": 0,
            "id_shop": 1,
            "quantity": i % 7,
            "loaded_at": now,
        }
        for i in range(1, 1201)
    ]
    assert store.upsert("ps_stock", rows) == 1200
    store.upsert("ps_stock", [{**row, "quantity": 1} for row in rows])
    assert store.count("ps_stock") == 1200
    assert {row["quantity"] for row in store.rows("ps_stock")} == {1}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_runs_opening_a_fresh_store_at_once_all_get_it(backend: str, tmp_path: Path, request) -> None:
    """The daemon starts runs in parallel; each opens the store and creates missing tables."""
    if backend == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'fresh.db'}", None
    else:
        url, schema = request.getfixturevalue("postgres_url"), f"test_race_{uuid.uuid4().hex[:12]}"
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_store(number: int) -> None:
        start.wait()
        try:
            with Store.from_url(url, schema=schema) as opened:
                opened.set_cursor(f"run.{number}", "done")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_store, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert errors == []
        with Store.from_url(url, schema=schema) as opened:
            assert [opened.get_cursor(f"run.{n}") for n in range(6)] == ["done"] * 6
    finally:
        if schema:
            engine = sa.create_engine(url)
            with engine.begin() as connection:
                connection.execute(sa.text(f'drop schema "{schema}" cascade'))
            engine.dispose()


def test_one_dead_letter_by_id(store: Store) -> None:
    store.quarantine("orders", 7, "validate", "coerce_dtype", "total_paid", "not a number: 'abc'", {"id": 7})
    (letter,) = store.dead_letters()
    found = store.dead_letter(letter.id)
    assert found == letter and found.payload == {"id": 7} and found.field == "total_paid"
    assert store.dead_letter(letter.id + 1000) is None


def test_marking_a_letter_replayed_records_when(store: Store) -> None:
    store.quarantine("orders", 7, "validate", "coerce_dtype", "total_paid", "not a number", {"id": 7})
    (letter,) = store.dead_letters()
    assert letter.last_replayed_at is None
    before = datetime.now(UTC)
    store.set_dead_letter_state(letter.id, "replayed")
    replayed = store.dead_letter(letter.id)
    assert replayed is not None and replayed.state == "replayed"
    assert replayed.last_replayed_at is not None
    assert replayed.last_replayed_at >= before - timedelta(seconds=1)
    # Resolving or reopening it later keeps when it was last replayed.
    store.set_dead_letter_state(letter.id, "resolved")
    assert store.dead_letter(letter.id).last_replayed_at == replayed.last_replayed_at
