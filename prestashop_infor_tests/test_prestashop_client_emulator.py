"""The client against the PrestaShop emulator: in process (no socket: `in_process`) and over a real
loopback socket (BackgroundServer). Paging completeness under concurrent order placement, the
incremental read of §5.10, retries under injected faults, and the write flows of §6.6."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from prestashop_infor.prestashop import (
    Order,
    PrestashopAuthError,
    PrestashopClient,
    PrestashopUnavailable,
    to_utc,
    xml_codec,
)
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, create_app, seed_shop
from prestashop_infor.serving import BackgroundServer
from prestashop_infor_tests.in_process import in_process_client

TIME_ZONE = "Europe/Paris"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Recorder:
    """Remembers the query of every request the client sends (an httpx request event hook)."""

    def __init__(self) -> None:
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> None:
        self.queries.append(dict(request.url.params))


def make_shop(orders: int = 120) -> Shop:
    return seed_shop(seed=42, orders=orders, api_key=DEFAULT_API_KEY, time_zone=TIME_ZONE, now=START)


def in_process(shop: Shop, recorder: Recorder | None = None, **options: Any) -> PrestashopClient:
    http = in_process_client(create_app(shop))
    if recorder is not None:
        http.event_hooks = {"request": [recorder], "response": []}
    options = {"time_zone": TIME_ZONE, "page_size": 25, "backoff": 0.001, **options}
    return PrestashopClient("http://testserver", DEFAULT_API_KEY, http_client=http, **options)


def order_ids(shop: Shop) -> list[int]:
    return [record["id"] for record in shop.records("orders")]


def an_order_line(shop: Shop) -> tuple[int, list[tuple[int, int, int]]]:
    """A customer and one line the shop will accept (a product with stock, its combination if any)."""
    customer = shop.records("customers")[0]["id"]
    stock = next(
        row
        for row in shop.records("stock_availables")
        if int(row["quantity"]) > 100
        and (int(row["id_product_attribute"]) or not _has_combinations(shop, row))
    )
    return customer, [(int(stock["id_product"]), int(stock["id_product_attribute"]), 1)]


def _has_combinations(shop: Shop, stock_row: dict[str, Any]) -> bool:
    product = shop.record("products", int(stock_row["id_product"]))
    return bool((product or {}).get("associations", {}).get("combinations"))


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    yield make_shop()


# --- full scans -------------------------------------------------------------------------------------


def test_iter_all_reads_every_order_once_in_id_order(shop: Shop):
    recorder = Recorder()
    with in_process(shop, recorder) as client:
        orders = list(client.iter_all("orders"))
    assert [o["id"] for o in orders] == order_ids(shop)
    assert len(recorder.queries) >= len(orders) // 25
    assert all(q["sort"] == "[id_ASC]" and q["limit"] == "25" for q in recorder.queries)
    typed = [Order.model_validate(o) for o in orders]
    assert all(order.order_rows for order in typed)


def test_iter_all_is_complete_while_orders_are_placed_between_pages():
    shop = make_shop(orders=80)
    before = set(order_ids(shop))
    customer, lines = an_order_line(shop)
    placed = []
    seen: list[int] = []
    with in_process(shop, page_size=10) as client:
        for page in client.iter_pages("orders"):
            seen.extend(record["id"] for record in page.records)
            placed.append(shop.place_order(customer, lines, currency_iso="EUR"))
    assert len(seen) == len(set(seen))  # no duplicates
    assert before <= set(seen)  # nothing that existed at the start was skipped
    assert seen == sorted(seen)
    assert set(seen) <= before | set(placed)


def test_xml_and_json_reads_agree(shop: Shop):
    with in_process(shop) as json_client, in_process(shop, fmt="xml") as xml_client:
        from_json = json_client.list("orders", limit=10)
        from_xml = xml_client.list("orders", limit=10)
    assert [Order.model_validate(r) for r in from_json] == [Order.model_validate(r) for r in from_xml]


def test_get_and_missing_record(shop: Shop):
    first = order_ids(shop)[0]
    with in_process(shop) as client:
        record = client.get("orders", first)
        assert record is not None and record["id"] == first
        assert client.get("orders", 10**8) is None
        assert client.ping() == shop.version


def test_wrong_key_is_rejected_once():
    shop = make_shop(orders=5)
    recorder = Recorder()
    http = in_process_client(create_app(shop))
    http.event_hooks = {"request": [recorder], "response": []}
    wrong = "A" * 32
    client = PrestashopClient("http://testserver", wrong, http_client=http, backoff=0.001)
    with client, pytest.raises(PrestashopAuthError) as info:
        client.list("orders")
    assert len(recorder.queries) == 1
    assert wrong not in str(info.value) and info.value.codes  # the error document's codes are kept


# --- incremental reads ------------------------------------------------------------------------------


def test_changed_since_none_reads_everything_with_a_monotonic_watermark(shop: Shop):
    recorder = Recorder()
    with in_process(shop, recorder) as client:
        pages = list(client.changed_since("orders", None))
    ids = [record["id"] for page in pages for record in page.records]
    assert sorted(ids) == order_ids(shop) and len(ids) == len(set(ids))
    watermarks = [page.watermark for page in pages]
    assert watermarks == sorted(watermarks) and all(w.tzinfo is not None for w in watermarks)
    newest = max(datetime.strptime(r["date_upd"], "%Y-%m-%d %H:%M:%S") for r in shop.records("orders"))
    assert watermarks[-1] == to_utc(newest, TIME_ZONE)
    for query in recorder.queries:
        if "filter[date_upd]" in query:
            assert query["date"] == "1" and query["sort"] == "[date_upd_ASC,id_ASC]"


def test_changed_since_with_overlap_returns_only_recent_changes():
    shop = make_shop(orders=60)
    customer, lines = an_order_line(shop)
    with in_process(shop) as client:
        watermark = list(client.changed_since("orders", None))[-1].watermark
        shop.clock.advance(timedelta(hours=2))
        new_orders = [shop.place_order(customer, lines, currency_iso="EUR") for _ in range(3)]
        shop.clock.advance(timedelta(seconds=30))
        old = order_ids(shop)[0]
        client.add_order_history(old, 2)
        pages = list(client.changed_since("orders", watermark, overlap=timedelta(minutes=10)))
    ids = [record["id"] for page in pages for record in page.records]
    # The overlap re-reads what changed in the 10 minutes before the watermark (at least the newest
    # record of the first run), then everything changed since: the three new orders and order 1.
    overlap_ids = {r["id"] for r in shop.records("orders") if utc_of(r) >= watermark - timedelta(minutes=10)}
    assert overlap_ids >= {*new_orders, old} and len(overlap_ids) < 60
    assert sorted(ids) == sorted(overlap_ids)
    assert len(ids) == len(set(ids))
    assert pages[-1].watermark == START + timedelta(hours=2, seconds=30)


def utc_of(record: dict[str, Any]) -> datetime:
    return to_utc(datetime.strptime(record["date_upd"], "%Y-%m-%d %H:%M:%S"), TIME_ZONE)


def test_changed_since_pages_by_offset_inside_one_crowded_second():
    shop = make_shop(orders=10)
    customer, lines = an_order_line(shop)
    shop.clock.freeze(START + timedelta(days=1))
    crowd = [shop.place_order(customer, lines, currency_iso="EUR") for _ in range(23)]
    recorder = Recorder()
    with in_process(shop, recorder, page_size=5) as client:
        pages = list(client.changed_since("orders", START + timedelta(hours=12), overlap=timedelta(0)))
    ids = [record["id"] for page in pages for record in page.records]
    assert ids == crowd  # all 23, once each, in (date_upd, id) order
    second = to_utc(datetime(2026, 3, 3, 10, 0), TIME_ZONE)  # 09:00 UTC in Paris winter time
    assert {page.watermark for page in pages} == {second}
    in_second = [
        q
        for q in recorder.queries
        if q.get("filter[date_upd]") == "[2026-03-03 10:00:00,2026-03-03 10:00:00]"
    ]
    # Inside the second the client pages by offset: limit=5,5 ... 20,5 (23 rows in pages of 5).
    assert [q["limit"] for q in in_second if "," in q["limit"]] == ["5,5", "10,5", "15,5", "20,5"]


def test_changed_since_until_is_fixed_at_the_start():
    shop = make_shop(orders=30)
    customer, lines = an_order_line(shop)
    with in_process(shop, page_size=10) as client:
        pages = client.changed_since("orders", None)
        first = next(pages)
        shop.clock.advance(timedelta(minutes=5))
        late = shop.place_order(customer, lines, currency_iso="EUR")
        rest = list(pages)
    ids = [r["id"] for page in [first, *rest] for r in page.records]
    assert late not in ids  # created after TO: the next run will see it
    assert len(ids) == 30


# --- faults -----------------------------------------------------------------------------------------


def test_retries_ride_out_injected_errors():
    shop = make_shop(orders=100)
    expected = order_ids(shop)
    shop.faults.seed = 7
    shop.faults.error_rate = 0.3
    shop.faults.php_warning_rate = 0.1
    recorder = Recorder()
    with in_process(shop, recorder, page_size=20, max_attempts=10) as client:
        assert [o["id"] for o in client.iter_all("orders")] == expected
    assert len(recorder.queries) > len(expected) // 20 + 1  # some requests really failed and were retried


def test_persistent_failure_raises_after_max_attempts():
    shop = make_shop(orders=5)
    shop.faults.error_rate = 1.0
    recorder = Recorder()
    with in_process(shop, recorder, max_attempts=3) as client, pytest.raises(PrestashopUnavailable) as info:
        client.list("orders")
    assert len(recorder.queries) == 3
    assert info.value.status == 500 and info.value.codes


# --- writes -----------------------------------------------------------------------------------------


def test_add_order_history_moves_the_state_and_sends_email_only_when_asked():
    shop = make_shop(orders=5)
    order_id = order_ids(shop)[0]
    with in_process(shop) as client:
        states = client.order_states()
        assert [s["id"] for s in states] == sorted(s["id"] for s in states)
        before = len(client.order_histories(order_id))
        outbox = len(shop.outbox)
        history = client.add_order_history(order_id, 4, send_email=True)
        assert int(history["id_order_state"]) == 4 and int(history["id_order"]) == order_id
        assert Order.model_validate(client.get("orders", order_id)).current_state == 4
        assert len(client.order_histories(order_id)) == before + 1
        assert len(shop.outbox) == outbox + 1
        client.add_order_history(order_id, 5)
        assert len(shop.outbox) == outbox + 1


def test_set_stock_writes_an_absolute_quantity():
    shop = make_shop(orders=5)
    row = shop.records("stock_availables")[0]
    product, combination = int(row["id_product"]), int(row["id_product_attribute"])
    with in_process(shop) as client:
        written = client.set_stock(product, combination, 7)
        assert int(written["quantity"]) == 7
        assert int(client.stock_available(product, combination)["quantity"]) == 7
        client.set_stock(product, combination, 7)
        assert int(client.stock_available(product, combination)["quantity"]) == 7  # absolute, not a delta


def test_set_tracking_numbers_round_trip():
    shop = make_shop(orders=5)
    order_id = order_ids(shop)[0]
    with in_process(shop) as client:
        assert client.set_tracking_numbers(order_id, ["1Z999AA10123456784"]) == ["1Z999AA10123456784"]
        assert client.order_carriers(order_id)[-1]["tracking_number"] == "1Z999AA10123456784"
        assert client.get("orders", order_id)["shipping_number"] == "1Z999AA10123456784"
        assert client.set_tracking_numbers(order_id, ["1Z999AA10123456784"]) == []  # held: nothing written


def test_each_shipment_gets_its_own_carrier_row_and_a_row_left_empty_is_filled():
    shop = make_shop(orders=5)
    with in_process(shop) as client:
        order_id = next(i for i in order_ids(shop) if not client.order_carriers(i)[0]["tracking_number"])
        [row] = client.order_carriers(order_id)
        assert client.set_tracking_numbers(order_id, ["DHL1", "UPS2"]) == ["DHL1", "UPS2"]
        rows = client.order_carriers(order_id)
        assert [r["tracking_number"] for r in rows] == ["DHL1", "UPS2"]
        assert rows[0]["id"] == row["id"] and rows[1]["id_carrier"] == row["id_carrier"]
        # a row a stopped run added but never filled takes the next number; the held ones stay
        client.create("order_carriers", {**rows[1], "tracking_number": ""})
        assert client.set_tracking_numbers(order_id, ["DHL1", "UPS2", "DHL3"]) == ["DHL3"]
        assert [r["tracking_number"] for r in client.order_carriers(order_id)] == ["DHL1", "UPS2", "DHL3"]
        # numbers an older release joined on one row count as held
        client.update("order_carriers", {**rows[0], "tracking_number": "DHL1, UPS2"})
        assert client.set_tracking_numbers(order_id, ["UPS2"]) == []


def test_add_order_payment_round_trip():
    shop = make_shop(orders=5)
    order = shop.records("orders")[0]
    with in_process(shop) as client:
        payment = client.add_order_payment(
            {
                "order_reference": order["reference"],
                "id_currency": order["id_currency"],
                "amount": order["total_paid_tax_incl"],
                "payment_method": "Bank wire",
                "conversion_rate": "1.000000",
                "transaction_id": "M3-PAY-1",
            }
        )
        assert payment["transaction_id"] == "M3-PAY-1"
        listed = client.order_payments(order["reference"])
        assert "M3-PAY-1" in [p["transaction_id"] for p in listed]


# --- over a real socket -----------------------------------------------------------------------------


def test_over_a_loopback_socket():
    shop = make_shop(orders=60)
    order_id = order_ids(shop)[0]
    with (
        BackgroundServer(create_app(shop)) as server,
        PrestashopClient(
            server.url, DEFAULT_API_KEY, time_zone=TIME_ZONE, page_size=25, backoff=0.001
        ) as client,
    ):
        assert client.ping() == shop.version
        assert [o["id"] for o in client.iter_all("orders")] == order_ids(shop)
        pages = list(client.changed_since("orders", None))
        assert sum(len(p) for p in pages) == 60
        client.add_order_history(order_id, 2)
        assert Order.model_validate(client.get("orders", order_id)).current_state == 2
        with PrestashopClient(server.url, DEFAULT_API_KEY, use_ws_key=True) as by_query:
            assert by_query.get("orders", order_id)["id"] == order_id


def test_timeouts_over_a_socket_are_retried_then_reported():
    shop = make_shop(orders=20)
    shop.faults.seed = 3
    shop.faults.timeout_seconds = 1.0
    with BackgroundServer(create_app(shop)) as server:
        shop.faults.timeout_rate = 0.5
        with PrestashopClient(
            server.url, DEFAULT_API_KEY, timeout=0.3, max_attempts=10, backoff=0.001
        ) as client:
            assert [o["id"] for o in client.list("orders", limit=5)] == order_ids(shop)[:5]
        shop.faults.timeout_rate = 1.0
        client = PrestashopClient(server.url, DEFAULT_API_KEY, timeout=0.3, max_attempts=2, backoff=0.001)
        with client, pytest.raises(PrestashopUnavailable) as info:
            client.list("orders")
        assert "timed out" in str(info.value) and server.url in str(info.value)
        shop.faults.timeout_rate = 0.0


def test_get_keeps_falsy_fields_on_an_8x_shop():
    # 8.x drops falsy fields from single-record JSON (§7.2); the list form the client uses does not.
    shop = seed_shop(seed=1, orders=5, version="8.1.4", time_zone=TIME_ZONE, now=START)
    order_id = order_ids(shop)[0]
    with in_process(shop) as client:
        record = client.get("orders", order_id)
        assert client.ping() == "8.1.4"
    assert record is not None and record["gift"] == "0" and record["mobile_theme"] == "0"
    http = in_process_client(create_app(shop))
    single = http.get(
        f"/api/orders/{order_id}", headers={"Output-Format": "JSON"}, auth=(DEFAULT_API_KEY, "")
    )
    assert "gift" not in single.json()["order"]  # what the client avoids


def test_update_strips_read_only_fields():
    shop = make_shop(orders=3)
    with in_process(shop, fmt="xml") as client:
        product = client.get("products", 1)
        assert product["manufacturer_name"] and product["quantity"]  # read-only fields the shop sent
        updated = client.update("products", {**product, "price": "99.000000"})
    assert updated["price"] == "99.000000" and updated["name"] == product["name"]
    assert shop.record("products", 1)["price"] == "99.000000"
    # The same record sent back as read is refused by the shop with code 93 (§6.5).
    raw = in_process_client(create_app(shop)).put(
        "/api/products/1", content=xml_codec.render_entity("product", product), auth=(DEFAULT_API_KEY, "")
    )
    assert raw.status_code == 400 and [code for code, _ in xml_codec.parse_errors(raw.content)] == [93]


def test_changed_since_across_the_autumn_fold():
    # Paris clocks go back at 01:00 UTC on 2026-10-25: local 02:00-02:59 happens twice.
    shop = seed_shop(seed=5, orders=5, time_zone=TIME_ZONE, now=datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    customer, lines = an_order_line(shop)
    shop.clock.freeze(datetime(2026, 10, 25, 0, 40, tzinfo=UTC))  # 02:40 CEST, first pass
    first_pass = shop.place_order(customer, lines, currency_iso="EUR")
    shop.clock.freeze(datetime(2026, 10, 25, 1, 10, tzinfo=UTC))  # 02:10 CET, second pass
    second_pass = shop.place_order(customer, lines, currency_iso="EUR")
    assert shop.record("orders", first_pass)["date_upd"] > shop.record("orders", second_pass)["date_upd"]
    with in_process(shop) as client:
        # Up to "now" (02:10 CET): the first-pass order stamped 02:40 is included.
        everything = [r["id"] for page in client.changed_since("orders", None) for r in page.records]
        # From just after the first-pass order: the second-pass order stamped 02:10 is not missed.
        since = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)
        recent = [
            r["id"]
            for page in client.changed_since("orders", since, overlap=timedelta(0))
            for r in page.records
        ]
    assert {first_pass, second_pass} <= set(everything)
    assert second_pass in recent
