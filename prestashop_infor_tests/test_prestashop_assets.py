"""The PrestaShop assets against the emulator over real HTTP (a loopback socket): incremental
extraction with a durable cursor, quarantine of bad records, the blocking failure-share check, and
what happens when the shop is unreachable or refuses the key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from prestashop_infor.defs.prestashop.assets import (
    prestashop_customers,
    prestashop_orders,
    prestashop_products,
    prestashop_reference_data,
    prestashop_stock,
)
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.prestashop import PrestashopAuthError, PrestashopClient
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, create_app, seed_shop
from prestashop_infor.serving import BackgroundServer, free_port
from prestashop_infor.store import Store
from prestashop_infor.store.reference_data import NotExtractedYet, stored_order_states
from prestashop_infor.sync import prestashop_extraction as assets
from prestashop_infor.sync.prestashop_extraction import ORDERS, extract_changed

pytestmark = pytest.mark.slow


@pytest.fixture
def shop() -> Any:
    return seed_shop(seed=42, orders=150)


@pytest.fixture
def server(shop: Any) -> Iterator[BackgroundServer]:
    with BackgroundServer(create_app(shop)) as running:
        yield running


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.from_url(database_url)
    yield opened
    opened.dispose()


def _resources(
    shop: Any, url: str, database_url: str, *, api_key: str = DEFAULT_API_KEY, max_failure_share: float = 0.05
) -> dict[str, Any]:
    return {
        "prestashop": PrestashopResource(
            url=url,
            api_key=api_key,
            time_zone=shop.clock.time_zone,
            page_size=40,
            max_attempts=2,
            timeout=5.0,
            overlap_minutes=0,
        ),
        "store": StoreResource(database_url=database_url),
        "validation_gate": ValidationGateResource(max_failure_share=max_failure_share),
    }


def _set_fields(shop: Any, resource: str, record_id: int, **values: str) -> None:
    """Change stored values behind the Webservice's back (a buggy module, a changed API) and stamp
    date_upd with the shop clock, as a real save would."""
    definition = shop.definitions[resource]
    shop.clock.advance(timedelta(minutes=1))  # strictly after every stamp the last run saw
    with shop.lock:
        row = shop.tables[resource].rows[record_id]
        for name, value in {**values, "date_upd": shop.clock.local_text()}.items():
            if name in definition.by_name:
                row[definition.by_name[name].pos] = value
        shop.tables[resource].touch()


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    (materialization,) = result.asset_materializations_for_node(asset)
    return {name: value.value for name, value in materialization.metadata.items()}


def test_all_assets_materialize_over_http_and_write_their_tables(
    shop: Any, server: BackgroundServer, database_url: str, store: Store
) -> None:
    result = dg.materialize(
        [prestashop_orders, prestashop_customers, prestashop_products, prestashop_stock],
        resources=_resources(shop, server.url, database_url),
    )
    assert result.success

    for asset, resource, table in [
        ("prestashop_orders", "orders", "ps_orders"),
        ("prestashop_customers", "customers", "ps_customers"),
        ("prestashop_products", "products", "ps_products"),
        ("prestashop_stock", "stock_availables", "ps_stock"),
    ]:
        expected_ids = [record["id"] for record in shop.records(resource)]
        metadata = _metadata(result, asset)
        assert metadata["extracted"] == len(expected_ids) > 0, asset
        assert metadata["valid"] == metadata["dagster/row_count"] == len(expected_ids)
        assert metadata["quarantined"] == 0
        assert metadata["store_table"] == table
        preview = [record.data["id"] for record in metadata["preview"].records]
        assert len(preview) == min(5, len(expected_ids)) and set(preview) <= set(expected_ids)
        assert [row["id"] for row in store.rows(table)] == expected_ids
    assert store.count("ps_order_rows") == sum(
        len(order["associations"]["order_rows"]) for order in shop.records("orders")
    )

    for resource in ("orders", "customers", "products"):
        cursor = store.get_cursor(assets.cursor_name(resource))
        newest = max(row["date_upd"] for row in store.rows(f"ps_{resource}"))
        assert datetime.fromisoformat(cursor) == newest
        assert _metadata(result, f"prestashop_{resource}")["cursor"] == cursor
    assert "cursor" not in _metadata(result, "prestashop_stock")

    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 4
    assert all(evaluation.passed for evaluation in evaluations)

    stored = {row["id"]: row for row in store.rows("ps_orders")}
    first = shop.records("orders")[0]
    assert str(stored[first["id"]]["total_paid_tax_incl"]) == f"{float(first['total_paid_tax_incl']):.6f}"


def test_second_run_reads_only_what_changed(
    shop: Any, server: BackgroundServer, database_url: str, store: Store
) -> None:
    resources = _resources(shop, server.url, database_url)
    first = dg.materialize([prestashop_orders], resources=resources)
    total = _metadata(first, "prestashop_orders")["extracted"]
    cursor_before = store.get_cursor(assets.cursor_name("orders"))

    changed_id = shop.records("orders")[3]["id"]
    _set_fields(shop, "orders", changed_id, current_state="5")

    second = dg.materialize([prestashop_orders], resources=resources)
    metadata = _metadata(second, "prestashop_orders")
    # Only the changed order, plus any that share the old watermark's second (the range is inclusive).
    assert 1 <= metadata["extracted"] < total
    assert metadata["previous_cursor"] == cursor_before
    assert datetime.fromisoformat(metadata["cursor"]) > datetime.fromisoformat(cursor_before)
    stored = {row["id"]: row for row in store.rows("ps_orders")}
    assert stored[changed_id]["current_state"] == 5
    assert len(stored) == total


def test_a_number_field_holding_text_is_quarantined_and_the_rest_loads(
    shop: Any, server: BackgroundServer, database_url: str, store: Store
) -> None:
    bad_id = shop.records("orders")[10]["id"]
    _set_fields(shop, "orders", bad_id, total_paid="abc")

    result = dg.materialize([prestashop_orders], resources=_resources(shop, server.url, database_url))
    assert result.success
    metadata = _metadata(result, "prestashop_orders")
    assert metadata["quarantined"] == 1
    assert metadata["valid"] == metadata["extracted"] - 1
    assert bad_id not in {row["id"] for row in store.rows("ps_orders")}

    (letter,) = store.dead_letters(entity="orders")
    assert (letter.key, letter.stage, letter.field, letter.state) == (
        str(bad_id),
        "validate",
        "total_paid",
        "open",
    )
    assert "abc" in letter.message
    assert letter.payload["total_paid"] == "abc"
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed

    # Next run: one more bad order changed; the first bad one sits exactly at the cursor and is read
    # again (the range is inclusive). 2 of 2 fail — far above 5 %, but two records are not a
    # systematic problem: they wait in the dead-letter table.
    second_bad_id = shop.records("orders")[20]["id"]
    _set_fields(shop, "orders", second_bad_id, total_paid="12,50")
    again = dg.materialize([prestashop_orders], resources=_resources(shop, server.url, database_url))
    assert again.success
    metadata = _metadata(again, "prestashop_orders")
    assert (metadata["extracted"], metadata["quarantined"]) == (2, 2)
    (evaluation,) = again.get_asset_check_evaluations()
    assert evaluation.passed
    assert "fewer than 3" in evaluation.description
    letters = {letter.key: letter for letter in store.dead_letters(state="open")}
    assert set(letters) == {str(bad_id), str(second_bad_id)}
    assert (letters[str(bad_id)].attempts, letters[str(second_bad_id)].attempts) == (2, 1)
    assert "12,50" in letters[str(second_bad_id)].message


def _downstream_of_orders() -> dg.AssetsDefinition:
    @dg.asset(deps=[prestashop_orders])
    def orders_for_the_erp() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"ran": True})

    return orders_for_the_erp


def test_too_many_bad_records_fail_the_check_and_downstream_does_not_run(
    shop: Any, server: BackgroundServer, database_url: str, tmp_path: Path
) -> None:
    for order in shop.records("orders")[:15]:  # 10 % of 150, above the 5 % default
        _set_fields(shop, "orders", order["id"], total_paid_tax_incl="-1.000000")
    downstream = _downstream_of_orders()

    result = dg.materialize(
        [prestashop_orders, downstream],
        resources=_resources(shop, server.url, database_url),
        raise_on_error=False,
    )
    # The checked asset is still materialized (its good rows are stored); downstream is not.
    assert _metadata(result, "prestashop_orders")["quarantined"] == 15
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.metadata["failure_share"].value == pytest.approx(0.1)
    assert result.asset_materializations_for_node("orders_for_the_erp") == []
    started = {event.step_key for event in result.all_events if event.event_type_value == "STEP_START"}
    assert "prestashop_orders" in started
    assert "orders_for_the_erp" not in started
    assert not result.success

    # With a looser gate the same data (read in full into a fresh store) lets downstream run.
    relaxed = dg.materialize(
        [prestashop_orders, downstream],
        resources=_resources(shop, server.url, f"sqlite:///{tmp_path / 'relaxed.db'}", max_failure_share=0.2),
    )
    assert relaxed.success
    assert len(relaxed.asset_materializations_for_node("orders_for_the_erp")) == 1


def test_unreachable_shop_fails_the_asset_and_keeps_the_cursor(
    shop: Any, database_url: str, store: Store
) -> None:
    store.set_cursor(assets.cursor_name("orders"), "2024-01-01T00:00:00+00:00")
    dead_url = f"http://127.0.0.1:{free_port()}"
    result = dg.materialize(
        [prestashop_orders], resources=_resources(shop, dead_url, database_url), raise_on_error=False
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    assert "PrestashopUnavailable" in failure.event_specific_data.error.to_string()
    assert store.get_cursor(assets.cursor_name("orders")) == "2024-01-01T00:00:00+00:00"
    assert store.count("ps_orders") == 0


def test_reference_data_is_stored_in_full_and_read_back_by_the_steps_after_it(
    shop: Any, server: BackgroundServer, database_url: str, store: Store
) -> None:
    with pytest.raises(NotExtractedYet, match="materialize prestashop_reference_data"):
        stored_order_states(store)
    result = dg.materialize([prestashop_reference_data], resources=_resources(shop, server.url, database_url))
    assert result.success
    metadata = _metadata(result, "prestashop_reference_data")
    expected = {name: shop.records(name) for name in ("order_states", "countries", "currencies")}
    assert {name: metadata[name] for name in expected} == {name: len(v) for name, v in expected.items()}
    assert metadata["extracted"] == metadata["dagster/row_count"] == sum(len(v) for v in expected.values())
    assert [state["id"] for state in stored_order_states(store)] == [
        s["id"] for s in expected["order_states"]
    ]
    with PrestashopClient(server.url, DEFAULT_API_KEY) as client:
        assert stored_order_states(store) == client.order_states()  # what a step read from the shop before
    # a state the shop removed leaves the stored list at the next run
    removed = expected["order_states"][-1]["id"]
    with shop.lock:
        del shop.tables["order_states"].rows[removed]
        shop.tables["order_states"].touch()
    assert dg.materialize(
        [prestashop_reference_data], resources=_resources(shop, server.url, database_url)
    ).success
    assert removed not in [state["id"] for state in stored_order_states(store)]


def test_rejected_key_fails_the_asset_and_keeps_the_cursor(
    shop: Any, server: BackgroundServer, database_url: str, store: Store
) -> None:
    dg.materialize([prestashop_customers], resources=_resources(shop, server.url, database_url))
    cursor = store.get_cursor(assets.cursor_name("customers"))
    assert cursor is not None

    _set_fields(shop, "customers", shop.records("customers")[0]["id"], firstname="Changed")
    result = dg.materialize(
        [prestashop_customers],
        resources=_resources(shop, server.url, database_url, api_key="WRONGKEYWRONGKEYWRONGKEYWRONGKEY"),
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    message = failure.event_specific_data.error.to_string()
    assert "PrestashopAuthError" in message
    assert "WRONGKEY" not in message  # the key is never shown
    assert store.get_cursor(assets.cursor_name("customers")) == cursor


def test_a_failure_mid_run_keeps_the_cursor_at_the_last_processed_page(
    shop: Any, server: BackgroundServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_cursor = store.set_cursor

    def revoke_key_once_the_first_page_is_in(name: str, value: str) -> None:
        set_cursor(name, value)
        shop.faults.update({"revoke_key": True})

    monkeypatch.setattr(store, "set_cursor", revoke_key_once_the_first_page_is_in)
    client = PrestashopClient(
        server.url, DEFAULT_API_KEY, time_zone=shop.clock.time_zone, page_size=40, max_attempts=1
    )
    with client, pytest.raises(PrestashopAuthError):
        extract_changed(client, store, ORDERS, time_zone=shop.clock.time_zone)
    monkeypatch.undo()

    stored = store.rows("ps_orders")
    assert len(stored) == 40
    cursor = store.get_cursor(assets.cursor_name("orders"))
    assert datetime.fromisoformat(cursor) == max(row["date_upd"] for row in stored)

    # The next run starts from that cursor and loads the rest.
    shop.faults.update({"revoke_key": False})
    with PrestashopClient(
        server.url, DEFAULT_API_KEY, time_zone=shop.clock.time_zone, page_size=40
    ) as client:
        summary = extract_changed(client, store, ORDERS, time_zone=shop.clock.time_zone)
    assert summary.previous_cursor == cursor
    assert summary.extracted < 150
    assert store.count("ps_orders") == len(shop.records("orders"))


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)


def test_the_log_hears_the_pages_of_a_long_read_and_quarantines_not_a_clean_single_page(
    shop: Any, server: BackgroundServer, store: Store
) -> None:
    with PrestashopClient(
        server.url, DEFAULT_API_KEY, time_zone=shop.clock.time_zone, page_size=40
    ) as client:
        long_read = _Log()
        summary = extract_changed(client, store, ORDERS, time_zone=shop.clock.time_zone, log=long_read)
        assert summary.pages == 4  # 150 orders, 40 a page
        assert [line.split(":")[1].strip() for line in long_read.lines] == [
            "page 1",
            "page 2",
            "page 3",
            "page 4",
        ]

        product, combinations = shop.catalog[0][0], shop.catalog[0][4]
        shop.place_order(
            shop.records("customers")[0]["id"], [(product, combinations[0][0] if combinations else 0, 1)]
        )
        one_page = _Log()
        summary = extract_changed(
            client, store, ORDERS, time_zone=shop.clock.time_zone, overlap=timedelta(0), log=one_page
        )
        assert (summary.pages, summary.quarantined, one_page.lines) == (1, 0, [])  # the metadata says it all

        _set_fields(shop, "orders", shop.records("orders")[0]["id"], id_customer="")
        quarantined = _Log()
        summary = extract_changed(
            client, store, ORDERS, time_zone=shop.clock.time_zone, overlap=timedelta(0), log=quarantined
        )
        assert (summary.pages, summary.quarantined) == (1, 1)
        assert len(quarantined.lines) == 1 and "1 quarantined" in quarantined.lines[0]


@pytest.mark.postgres
def test_assets_write_to_postgres(shop: Any, server: BackgroundServer, postgres_url: str) -> None:
    schema = f"test_assets_{uuid.uuid4().hex[:12]}"
    resources = _resources(shop, server.url, postgres_url)
    resources["store"] = StoreResource(database_url=postgres_url, database_schema=schema)
    bad_id = shop.records("orders")[0]["id"]
    _set_fields(shop, "orders", bad_id, id_customer="")
    try:
        result = dg.materialize([prestashop_orders, prestashop_stock], resources=resources)
        assert result.success
        with Store.from_url(postgres_url, schema=schema) as store:
            assert store.count("ps_orders") == len(shop.records("orders")) - 1
            assert store.count("ps_stock") == len(shop.records("stock_availables"))
            (letter,) = store.dead_letters()
            assert (letter.key, letter.field) == (str(bad_id), "id_customer")
            assert (
                store.get_cursor(assets.cursor_name("orders"))
                == _metadata(result, "prestashop_orders")["cursor"]
            )
    finally:
        engine = sa.create_engine(postgres_url)
        with engine.begin() as connection:
            connection.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
        engine.dispose()
