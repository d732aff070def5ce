"""``prestashop-infor dlq list|show|replay|resolve`` end to end: both emulators on real loopback
sockets, a SQLite store in a temp folder, the configuration in the environment exactly as the
Dagster definitions read it. Each entity that can be replayed has a real scenario: the record fails
in its lane, the cause is fixed, ``dlq replay`` sends it through the same sync code, and a second
replay creates nothing twice."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from prestashop_infor.cli import main
from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.sandbox.infor import LifecycleSettings, M3Tenant, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as m3_app
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as shop_app
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.store import Store, id_map
from prestashop_infor.store.store import DeadLetter
from prestashop_infor.sync import load_mapping
from prestashop_infor.sync.infor_extraction import extract_inventory
from prestashop_infor.sync.orders import ShopLookups, sync_orders
from prestashop_infor.sync.prestashop_extraction import (
    COMBINATIONS,
    ORDERS,
    PRODUCTS,
    STOCK,
    extract_all,
    extract_changed,
    process_batch,
)
from prestashop_infor.sync.status import push_order_statuses
from prestashop_infor.sync.stock import push_stock_levels

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TIME_ZONE = "Europe/Paris"
MUG = (29, "PS-MUG-01")  # product id and reference (= M3 item number) of a simple product


class World:
    """A seeded shop and an M3 tenant served on loopback sockets, the environment pointing the
    command at them, and clients + store for the test's own lane runs."""

    def __init__(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        database_url: str | None = None,
        schema: str | None = None,
    ):
        self.shop: Shop = seed_shop(seed=42, orders=5, now=NOW, time_zone=TIME_ZONE)
        self.tenant: M3Tenant = seed_tenant_from_shop(self.shop, lifecycle=LifecycleSettings.manual())
        self.shop_server = BackgroundServer(shop_app(self.shop)).start()
        self.m3_server = BackgroundServer(m3_app(self.tenant)).start()
        ionapi = tmp_path / "tenant.ionapi"
        ionapi.write_text(json.dumps(self.tenant.ionapi(self.m3_server.url)))
        self.database_url = database_url or f"sqlite:///{tmp_path / 'store.db'}"
        for name in [n for n in os.environ if n.startswith("INFOR_IONAPI_")]:
            monkeypatch.delenv(name)
        monkeypatch.delenv("PRESTASHOP_INFOR_MAPPING_FILE", raising=False)
        if schema is None:
            monkeypatch.delenv("PRESTASHOP_INFOR_DATABASE_SCHEMA", raising=False)
        else:
            monkeypatch.setenv("PRESTASHOP_INFOR_DATABASE_SCHEMA", schema)
        monkeypatch.setenv("PRESTASHOP_INFOR_DATABASE_URL", self.database_url)
        monkeypatch.setenv("PRESTASHOP_URL", self.shop_server.url)
        monkeypatch.setenv("PRESTASHOP_API_KEY", DEFAULT_API_KEY)
        monkeypatch.setenv("PRESTASHOP_TIME_ZONE", TIME_ZONE)
        monkeypatch.setenv("INFOR_IONAPI_FILE", str(ionapi))
        self.ps = PrestashopClient(self.shop_server.url, DEFAULT_API_KEY, time_zone=TIME_ZONE, backoff=0.001)
        self.m3 = M3Client(IonApiCredentials.from_file(ionapi), sleep=lambda _s: None)
        self.store = Store.from_url(self.database_url, schema=schema)
        self.mapping = load_mapping()

    def close(self) -> None:
        self.ps.close()
        self.m3.close()
        self.store.dispose()
        self.shop_server.stop()
        self.m3_server.stop()

    # -- lane runs (the code the Dagster assets call) ------------------------------------------------

    def sync_orders(self, order_ids: list[int]):
        records = [self.ps.get("orders", i) for i in order_ids]
        return sync_orders(
            records, shop_lookups=ShopLookups(self.ps), m3=self.m3, store=self.store, mapping=self.mapping
        )

    def push_statuses(self):
        return push_order_statuses(prestashop=self.ps, m3=self.m3, store=self.store, mapping=self.mapping)

    # -- the shop and M3 -------------------------------------------------------------------------

    def place_order(self, lines: list[tuple[int, int, int]]) -> int:
        customer = next(c for c in self.shop.records("customers") if c["id"] > 10)
        return self.shop.place_order(customer["id"], lines)

    def m3_orders_with(self, cuor: str) -> int:
        return sum(1 for b in self.tenant.batch_orders.values() if b.head.get("CUOR") == cuor)

    def set_fields(self, resource: str, record_id: int, **values: Any) -> None:
        """Change stored values behind the Webservice's back (a buggy module), stamping date_upd."""
        definition = self.shop.definitions[resource]
        self.shop.clock.advance(timedelta(minutes=1))
        with self.shop.lock:
            row = self.shop.tables[resource].rows[record_id]
            for name, value in values.items():
                row[definition.by_name[name].pos] = value
            if "date_upd" in definition.by_name:
                row[definition.by_name["date_upd"].pos] = self.shop.clock.local_text()
            self.shop.tables[resource].touch()

    # -- the store ---------------------------------------------------------------------------------

    def letter(self, entity: str, key: int | str) -> DeadLetter:
        (found,) = [d for d in self.store.dead_letters(entity=entity) if d.key == str(key)]
        return found


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = World(tmp_path, monkeypatch)
    yield w
    w.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["dlq", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- sales orders ---------------------------------------------------------------------------------


def test_an_order_with_an_unknown_item_is_replayed_into_m3_exactly_once(world: World, capsys) -> None:
    del world.tenant.items[MUG[1]]  # M3 does not know the item (yet)
    order_id = world.place_order([(1, 1, 2), (MUG[0], 0, 1)])
    report = world.sync_orders([order_id])
    assert report.dead_lettered == [order_id]
    letter = world.letter("sales_order", order_id)
    assert (letter.stage, letter.error_code, letter.field) == ("load", "EMI0201", "ITNO")

    code, out, _ = run(capsys, "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:5] == ["ID", "ENTITY", "KEY", "STAGE", "CODE"]
    assert row.split()[:9] == [str(letter.id), "sales_order", str(order_id), "load", "EMI0201", "ITNO", "1",
                               letter.last_seen.strftime("%Y-%m-%d"), letter.last_seen.strftime("%H:%M:%SZ")]  # fmt: skip
    assert row.split()[9] == "open"

    code, out, _ = run(capsys, "show", str(letter.id), "--json")
    shown = json.loads(out)
    assert code == 0 and shown["payload"]["id"] == order_id and MUG[1] in shown["message"]
    code, out, _ = run(capsys, "show", str(letter.id))
    assert code == 0 and "payload:" in out and f'"id": {order_id}' in out and "EMI0201" in out

    # not fixed yet: it fails again, stays open, one more attempt, nothing in M3
    code, out, _ = run(capsys, "replay", str(letter.id))
    assert code == 1 and "failed" in out and "attempt 2" in out
    again = world.letter("sales_order", order_id)
    assert (again.state, again.attempts, again.error_code) == ("open", 2, "EMI0201")
    assert world.m3_orders_with(f"PS{order_id}") == 0

    world.tenant.add_item(MUG[1], "Mug", "14.50")  # the fix, in M3
    code, out, _ = run(capsys, "replay", str(letter.id))
    assert code == 0, out
    binding = id_map.binding(world.store, "sales_order", order_id)
    assert binding is not None and f"created in M3 as order {binding.target_key}" in out
    assert world.m3_orders_with(f"PS{order_id}") == 1
    assert world.letter("sales_order", order_id).state == "replayed"

    # replaying a letter that is no longer open is refused, and changes nothing
    code, _, err = run(capsys, "replay", str(letter.id))
    assert code == 2 and "not open" in err and "--force" in err
    # forced: the same sync code runs again and finds the order already in M3
    code, out, _ = run(capsys, "replay", str(letter.id), "--force")
    assert code == 0 and "already in M3" in out
    assert world.m3_orders_with(f"PS{order_id}") == 1
    assert len(world.tenant.orders) == len(
        {b.target_key for b in id_map.bindings(world.store, "sales_order")}
    )
    assert world.letter("sales_order", order_id).state == "replayed"

    code, out, _ = run(capsys, "list")
    assert (code, out.strip()) == (0, "no open dead letters")
    code, out, _ = run(capsys, "list", "--state", "replayed", "--json")
    assert [d["id"] for d in json.loads(out)] == [letter.id]


def test_replay_all_goes_through_every_open_letter_and_explains_the_others(world: World, capsys) -> None:
    del world.tenant.items[MUG[1]]
    first = world.place_order([(MUG[0], 0, 1)])
    second = world.place_order([(MUG[0], 0, 3)])
    world.sync_orders([first, second])
    # an M3 extraction letter (written as the infor_items gate writes it): not replayable by id
    world.store.quarantine(
        "m3_items", "BAD-ITEM", "validate", "str_length", "ITDS", "too long", {"ITNO": "X"}
    )
    world.tenant.add_item(MUG[1], "Mug", "14.50")

    code, out, _ = run(capsys, "replay", "--all", "--entity", "sales_order")
    assert code == 0, out
    assert out.count(": replayed: created in M3") == 2 and "m3_items" not in out
    assert world.m3_orders_with(f"PS{first}") == world.m3_orders_with(f"PS{second}") == 1

    code, out, _ = run(capsys, "replay", "--all")
    assert code == 0
    assert "not replayable: M3 records are validated again by the next run of the infor_items asset" in out
    assert "no open dead letters to replay" in out
    assert world.letter("m3_items", "BAD-ITEM").state == "open"

    # asked for by id, a letter that cannot be replayed is refused up front
    code, _, err = run(capsys, "replay", str(world.letter("m3_items", "BAD-ITEM").id))
    assert code == 2 and "infor_items" in err


# --- order status ---------------------------------------------------------------------------------


def test_a_status_letter_with_a_bad_tracking_number_is_fixed_and_replayed(world: World, capsys) -> None:
    order_id = world.place_order([(MUG[0], 0, 1)])
    assert world.sync_orders([order_id]).created == [order_id]
    orno = id_map.binding(world.store, "sales_order", order_id).target_key
    shipped = httpx.post(f"{world.m3_server.url}/_sandbox/orders/{orno}/ship", json={})
    assert shipped.status_code == 200, shipped.text
    delivery = next(d for d in world.tenant.deliveries.values() if d.orno == orno)
    delivery.etrn = "BAD<TRACK>"  # characters PrestaShop's isTrackingNumber refuses
    report = world.push_statuses()
    assert report.dead_lettered == [order_id]
    letter = world.letter("order_status", order_id)
    assert (letter.error_code, letter.field) == ("invalid_tracking_number", "ETRN")
    shipped_state = next(
        int(s["id"]) for s in world.shop.records("order_states") if "Shipped" in json.dumps(s["name"])
    )
    assert int(world.shop.record("orders", order_id)["current_state"]) != shipped_state

    delivery.etrn = "TRACK-OK-1"  # fixed in M3
    code, out, _ = run(capsys, "replay", str(letter.id))
    assert code == 0, out
    assert "tracking number written" in out and "state set" in out
    carriers = [c for c in world.shop.records("order_carriers") if int(c["id_order"]) == order_id]
    assert [c["tracking_number"] for c in carriers] == ["TRACK-OK-1"]
    assert int(world.shop.record("orders", order_id)["current_state"]) == shipped_state
    assert world.letter("order_status", order_id).state == "replayed"
    histories = [h for h in world.shop.records("order_histories") if int(h["id_order"]) == order_id]

    code, out, _ = run(capsys, "replay", str(letter.id), "--force")
    assert code == 0 and "the shop was already up to date" in out
    assert [h for h in world.shop.records("order_histories") if int(h["id_order"]) == order_id] == histories


# --- stock ----------------------------------------------------------------------------------------


def test_a_stock_row_the_shop_refused_is_written_on_replay(world: World, capsys) -> None:
    row = next(
        r for r in world.shop.records("stock_availables")
        if int(r["id_product"]) == MUG[0] and int(r["id_product_attribute"]) == 0
    )  # fmt: skip
    # a module left a location the Webservice refuses (over 255 characters) and a wrong quantity
    world.set_fields("stock_availables", int(row["id"]), location="x" * 300, quantity="9999")
    # what infor_inventory, prestashop_products and prestashop_stock keep for the push
    extract_inventory(world.m3, world.store)
    extract_changed(world.ps, world.store, PRODUCTS, time_zone=TIME_ZONE)
    for entity in (COMBINATIONS, STOCK):
        extract_all(world.ps, world.store, entity, time_zone=TIME_ZONE, batch_size=100)
    report = push_stock_levels(prestashop=world.ps, store=world.store, mapping=world.mapping)
    key = f"{MUG[0]}:0"
    assert report.dead_lettered == [key]
    letter = world.letter("stock", key)
    assert letter.state == "open" and letter.payload["item"] == MUG[1]
    wanted = letter.payload["quantity"]

    world.set_fields("stock_availables", int(row["id"]), location="")  # the fix, in the shop
    code, out, _ = run(capsys, "replay", str(letter.id))
    assert code == 0, out
    assert f"quantity {wanted} written" in out
    assert int(world.shop.record("stock_availables", int(row["id"]))["quantity"]) == wanted
    assert world.letter("stock", key).state == "replayed"


# --- PrestaShop extraction (validate stage) ---------------------------------------------------------


def _quarantine_an_order(world: World, index: int = 2) -> tuple[int, str]:
    """An order whose total is text: the extraction gate (the asset's own ``process_batch``)
    quarantines it. Returns its id and the good total."""
    order = world.shop.records("orders")[index]
    world.set_fields("orders", order["id"], total_paid="abc")
    process_batch(ORDERS, [world.ps.get("orders", order["id"])], world.store, time_zone=TIME_ZONE)
    letter = world.letter("orders", order["id"])
    assert (letter.stage, letter.field) == ("validate", "total_paid")
    return order["id"], order["total_paid"]


def test_a_validate_letter_is_reread_from_the_shop_and_passes_the_same_gate(world: World, capsys) -> None:
    order_id, good_total = _quarantine_an_order(world)
    letter = world.letter("orders", order_id)
    assert order_id not in {r["id"] for r in world.store.rows("ps_orders")}

    code, out, _ = run(capsys, "replay", str(letter.id))  # still broken in the shop
    assert code == 1 and "failed" in out and "abc" in out
    assert world.letter("orders", order_id).attempts == 2

    world.set_fields("orders", order_id, total_paid=good_total)
    code, out, _ = run(capsys, "replay", str(letter.id))
    assert code == 0 and "passed the validation gate; ps_orders updated" in out
    assert order_id in {r["id"] for r in world.store.rows("ps_orders")}
    assert world.letter("orders", order_id).state == "replayed"


def test_a_record_the_shop_no_longer_has_is_skipped_and_stays_open(world: World, capsys) -> None:
    order_id, _ = _quarantine_an_order(world)
    with world.shop.lock:
        del world.shop.tables["orders"].rows[order_id]  # deleted in the shop since
        world.shop.tables["orders"].touch()
    letter = world.letter("orders", order_id)
    code, out, _ = run(capsys, "replay", str(letter.id))
    assert code == 1 and f"skipped: the shop no longer has orders {order_id}" in out and "dlq resolve" in out
    assert (world.letter("orders", order_id).state, world.letter("orders", order_id).attempts) == ("open", 1)


def test_a_rejected_key_stops_the_replay_and_leaves_the_letters_as_they_were(world: World, capsys) -> None:
    order_id, _ = _quarantine_an_order(world)
    _quarantine_an_order(world, index=3)
    before = [(d.id, d.state, d.attempts) for d in world.store.dead_letters()]
    assert len(before) == 2
    answer = httpx.post(f"{world.shop_server.url}/_sandbox/faults", json={"revoke_key": True})
    assert answer.status_code == 200, answer.text

    code, out, err = run(capsys, "replay", "--all")
    assert code == 1 and "stopped: PrestashopAuthError" in err
    first, second = out.splitlines()[:2]
    assert f"(orders {order_id}, validate): not_attempted: stopped: PrestashopAuthError" in first
    assert "not_attempted: the replay stopped before this letter" in second
    assert [(d.id, d.state, d.attempts) for d in world.store.dead_letters()] == before


# --- resolve and bad input ------------------------------------------------------------------------


def test_resolve_marks_letters_fixed_by_hand(world: World, capsys) -> None:
    order_id, _ = _quarantine_an_order(world)
    letter = world.letter("orders", order_id)
    code, out, _ = run(capsys, "resolve", str(letter.id))
    assert code == 0 and f"letter {letter.id} (orders {order_id}, validate): open -> resolved" in out
    assert world.letter("orders", order_id).state == "resolved"
    code, out, _ = run(capsys, "list", "--state", "resolved", "--stage", "validate", "--entity", "orders")
    assert code == 0 and str(order_id) in out and "resolved" in out
    code, out, _ = run(capsys, "list", "--state", "all", "--entity", "sales_order")
    assert out.strip() == "no sales_order dead letters"


def test_a_forced_replay_that_does_nothing_leaves_the_letter_as_it_was(world: World, capsys) -> None:
    letter = _dead_letter_an_order(world)
    code, _, _ = run(capsys, "resolve", str(letter.id))  # the operator decided to drop the order...
    canceled = next(
        int(s["id"]) for s in world.shop.records("order_states") if "Canceled" in json.dumps(s["name"])
    )
    world.shop.change_order_state(int(letter.key), canceled)  # ...and cancelled it in the shop
    world.tenant.add_item(MUG[1], "Mug", "14.50")

    code, out, _ = run(capsys, "replay", str(letter.id), "--force")
    assert code == 1 and "skipped: the order's shop state is not sent to M3" in out
    assert world.letter("sales_order", letter.key).state == "resolved"
    assert world.m3_orders_with(f"PS{letter.key}") == 0


def test_without_a_database_url_the_definitions_default_store_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("PRESTASHOP_INFOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("PRESTASHOP_INFOR_DATABASE_SCHEMA", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    code, _, err = run(capsys, "list")
    assert code == 2 and f"there is no store at {tmp_path / 'prestashop_infor' / 'store.db'}" in err
    with Store.from_url(f"sqlite:///{tmp_path / 'prestashop_infor' / 'store.db'}") as store:
        store.quarantine("stock", "7:0", "load", "prestashop_400", "quantity", "refused", {"quantity": 3})
    code, out, _ = run(capsys, "list", "--entity", "stock")
    assert code == 0 and "7:0" in out and "prestashop_400" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "abc"], "'abc' is not a dead-letter id"),
        (["replay", "0"], "ids start at 1"),
        (["list", "--state", "closed"], "unknown state 'closed'; use one of open, replayed, resolved or all"),
        (["list", "--stage", "extract"], "unknown stage 'extract'"),
        (["list", "--limit", "0"], "give a positive number"),
        (["resolve"], "the following arguments are required: ID"),
    ],
)
def test_bad_arguments_are_refused_by_the_parser(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["dlq", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_requests_change_nothing(world: World, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    order_id, _ = _quarantine_an_order(world)
    letter = world.letter("orders", order_id)
    before = world.store.dead_letters()

    for argv, message in [
        (["show", "999"], "no dead letter with id 999"),
        (["replay", str(letter.id), "999", "1000"], "no dead letter with id 999, 1000"),
        (["resolve", str(letter.id), "999"], "no dead letter with id 999"),
        (["replay"], "give the ids of the letters to replay, or --all"),
        (["replay", str(letter.id), "--all"], "not both"),
        (["replay", str(letter.id), "--entity", "orders"], "--entity chooses the letters of --all"),
    ]:
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert message in err, (argv, err)

    monkeypatch.delenv("PRESTASHOP_URL")
    code, _, err = run(capsys, "replay", str(letter.id))
    assert code == 2 and "PRESTASHOP_URL is not set" in err
    monkeypatch.setenv("PRESTASHOP_URL", world.shop_server.url)
    monkeypatch.setenv(
        "PRESTASHOP_INFOR_MAPPING_FILE", str(Path(world.database_url[10:]).parent / "nope.yaml")
    )
    monkeypatch.delenv("INFOR_IONAPI_FILE")
    sales_letter = _dead_letter_an_order(world)
    code, _, err = run(capsys, "replay", str(sales_letter.id))
    assert code == 2 and "PRESTASHOP_INFOR_MAPPING_FILE" in err and "cannot read mapping file" in err
    monkeypatch.delenv("PRESTASHOP_INFOR_MAPPING_FILE")
    code, _, err = run(capsys, "replay", str(sales_letter.id))
    assert code == 2 and "INFOR_IONAPI_FILE nor any INFOR_IONAPI_<KEY>" in err

    monkeypatch.setenv("PRESTASHOP_INFOR_DATABASE_URL", f"sqlite:///{world.database_url[10:]}.missing")
    code, _, err = run(capsys, "list")
    assert code == 2 and "there is no store at" in err and "PRESTASHOP_INFOR_DATABASE_URL" in err
    assert not Path(f"{world.database_url[10:]}.missing").exists()

    after = [(d.id, d.state, d.attempts) for d in world.store.dead_letters()]
    assert after == [(d.id, d.state, d.attempts) for d in [*before, sales_letter]]


def _dead_letter_an_order(world: World) -> DeadLetter:
    del world.tenant.items[MUG[1]]
    order_id = world.place_order([(MUG[0], 0, 1)])
    world.sync_orders([order_id])
    return world.letter("sales_order", order_id)


# --- PostgreSQL -----------------------------------------------------------------------------------


def test_the_queue_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str, capsys):
    schema = f"test_dlq_{uuid.uuid4().hex[:12]}"
    world = World(tmp_path, monkeypatch, database_url=postgres_url, schema=schema)
    try:
        order_id, good_total = _quarantine_an_order(world)
        letter = world.letter("orders", order_id)
        code, out, _ = run(capsys, "list", "--json")
        assert code == 0 and [d["key"] for d in json.loads(out)] == [str(order_id)]
        code, out, _ = run(capsys, "show", str(letter.id))
        assert code == 0 and "total_paid" in out

        world.set_fields("orders", order_id, total_paid=good_total)
        code, out, _ = run(capsys, "replay", str(letter.id))
        assert code == 0, out
        assert world.letter("orders", order_id).state == "replayed"
        assert order_id in {r["id"] for r in world.store.rows("ps_orders")}
        code, out, _ = run(capsys, "resolve", str(letter.id))
        assert code == 0 and "replayed -> resolved" in out
    finally:
        with world.store.engine.begin() as connection:
            connection.execute(sa.text(f'drop schema "{schema}" cascade'))
        world.close()


# --- where is order N? -------------------------------------------------------------------------------


def test_trace_tells_one_orders_story_in_time_order(world: World, capsys, monkeypatch) -> None:
    """prestashop-infor trace: the webhook, the extraction, the M3 order, the M3 state and what was
    written back, in time order; an order the store does not know exits 1."""
    from prestashop_infor.store import inbox
    from prestashop_infor.sync.prestashop_extraction import ORDERS, extract_changed

    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # no instance here: the store's story only
    order_id = world.place_order([(1, 1, 2)])
    inbox.enqueue_many(world.store, [({"id": "evt-1", "event": "order.created", "contract_version": 1,
                                       "resource": {"type": "orders", "id": order_id}}, "pending", 1)])  # fmt: skip
    extract_changed(world.ps, world.store, ORDERS, time_zone=TIME_ZONE)
    assert world.sync_orders([order_id]).created == [order_id]
    world.push_statuses()
    assert main(["trace", str(order_id)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"order {order_id}"
    whats = [line.split("  ")[1].strip() for line in lines[1:]]
    assert whats[0] == "webhook received" and "in M3" in whats and "M3 state read" in whats
    assert whats.index("extracted from the shop") < whats.index("in M3") < whats.index("M3 state read")
    binding = id_map.binding(world.store, "sales_order", order_id)
    assert f"customer order {binding.target_key}" in out
    assert main(["trace", "999999"]) == 1
    assert "knows nothing of order 999999" in capsys.readouterr().out
    assert main(["trace", str(order_id), "--json"]) == 0
    steps = json.loads(capsys.readouterr().out)["steps"]
    assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)


def test_trace_names_the_run_that_took_an_orders_webhook_whatever_started_it(world: World, capsys, monkeypatch,
                                                                              tmp_path: Path) -> None:  # fmt: skip
    """A schedule run still queued when the webhook arrived takes it (the sensor starts no second run
    and tags that run): the story links it; a webhook run over other inbox ids is not in it."""
    import dagster as dg

    from prestashop_infor import names
    from prestashop_infor.store import inbox

    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    order_id = world.place_order([(1, 1, 1)])
    inbox.enqueue_many(world.store, [({"id": "evt-9", "event": "order.created", "contract_version": 1,
                                       "resource": {"type": "orders", "id": order_id}}, "pending", 1)])  # fmt: skip
    inbox_id = max(event.id for event in inbox.events_after(world.store, 0, limit=100))
    with dg.DagsterInstance.get() as instance:
        took = dg.DagsterRun(job_name="order_sync_job", run_id=str(uuid.uuid4()))
        other = dg.DagsterRun(job_name="order_sync_job", run_id=str(uuid.uuid4()),
                              tags={names.TRIGGER_TAG: names.WEBHOOK_TRIGGER,
                                    names.INBOX_IDS_TAG: f"{inbox_id + 1}-{inbox_id + 5}"})  # fmt: skip
        instance.add_run(took)
        instance.add_run(other)
        instance.add_run_tags(took.run_id, {names.INBOX_IDS_TAG: f"{inbox_id}-{inbox_id}",
                                            names.TAKES_WEBHOOKS_TAG: "yes"})  # fmt: skip
    assert main(["trace", str(order_id)]) == 0
    out = capsys.readouterr().out
    assert f"/runs/{took.run_id}" in out and "run order_sync_job" in out
    assert other.run_id not in out
