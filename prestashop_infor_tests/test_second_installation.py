"""A second PrestaShop installation in the same code location (``PRESTASHOP_INFOR_SOURCES``): its
assets under its own keys, its own jobs, sensors and store, its orders apart from the first
installation's in the one M3 both send to. Real Dagster runs against two shops and one M3 over
sockets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import httpx
import pytest
import yaml

from prestashop_infor import names
from prestashop_infor.defs import main_definitions, resources, source_definitions
from prestashop_infor.defs.sources import RunSourceError, Source, source_of_run
from prestashop_infor.processes import create_instance_storage, processes_of_home, stop_home
from prestashop_infor.sandbox.infor import Fault, LifecycleSettings, M3Tenant, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as create_m3_app
from prestashop_infor.sandbox.infor.seed import WAREHOUSES, items_from_shop
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as create_shop_app
from prestashop_infor.serving import BackgroundServer, free_port
from prestashop_infor.settings import Settings, SettingsError
from prestashop_infor.store import Store, id_map, inbox, tables
from prestashop_infor.sync.mapping import load_mapping
from prestashop_infor.webhooks import sign
from prestashop_infor_tests.topology import answers, wait_for

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PROJECT = Path(__file__).resolve().parents[1]
OUTLET = Source("outlet")


@dataclass
class TwoInstallations:
    tenant: M3Tenant
    tmp_path: Path
    definitions: dg.Definitions

    def run(self, job: str, **kwargs) -> dg.ExecuteInProcessResult:
        return _run(self.definitions, job, **kwargs)

    def store(self, source: str | None = None) -> Store:
        settings = Settings.read(source)
        return Store.from_url(settings.store_url(), schema=settings.database_schema)

    def cuors(self) -> list[str]:
        """The customer order numbers of M3's customer orders."""
        return sorted(head.cuor for head in self.tenant.orders.values())


def _installations(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], source: Source
) -> dg.Definitions:
    """``environment`` set, the other variables of an installation left to their defaults, and the
    definitions of the main installation and ``source``."""
    for name in ("PRESTASHOP_TIME_ZONE", "PRESTASHOP_SHOPS", "PRESTASHOP_INFOR_MAPPING_FILE",
                 "PRESTASHOP_INFOR_DATABASE_SCHEMA", "DAGSTER_HOME"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return dg.Definitions.merge(
        main_definitions(), source_definitions(source), dg.Definitions(resources=resources)
    )


def _run(definitions: dg.Definitions, job: str, **kwargs) -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.ephemeral() as instance:
        return definitions.resolve_job_def(job).execute_in_process(instance=instance, **kwargs)


def _outlet_mapping(path: Path, **orders: str) -> Path:
    rules = {"erp": {"customer_number_prefix": "OU"}, "orders": orders}
    path.write_text(yaml.safe_dump(rules))
    return path


@pytest.fixture
def two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TwoInstallations]:
    # the same seed: the same catalogue (M3 holds its items once), the same order ids and e-mails
    main_shop, outlet_shop = seed_shop(seed=5, orders=8, now=NOW), seed_shop(seed=5, orders=8, now=NOW)
    tenant = seed_tenant_from_shop(main_shop, seed=5, lifecycle=LifecycleSettings.manual())
    with (
        BackgroundServer(create_shop_app(main_shop)) as first,
        BackgroundServer(create_shop_app(outlet_shop)) as second,
        BackgroundServer(create_m3_app(tenant)) as m3,
    ):
        environment = {
            "PRESTASHOP_INFOR_SOURCES": "outlet",
            "PRESTASHOP_URL": first.url,
            "PRESTASHOP_API_KEY": DEFAULT_API_KEY,
            "PRESTASHOP_TIME_ZONE": "Europe/Paris",
            "OUTLET_PRESTASHOP_URL": second.url,
            "OUTLET_PRESTASHOP_API_KEY": DEFAULT_API_KEY,
            "OUTLET_PRESTASHOP_TIME_ZONE": "Europe/Paris",
            "OUTLET_PRESTASHOP_INFOR_MAPPING_FILE": str(
                _outlet_mapping(tmp_path / "outlet.yaml", customer_order_prefix="OUT")
            ),
            "INFOR_IONAPI_FILE": str(tenant.write_ionapi(tmp_path / "sandbox.ionapi", m3.url)),
            "PRESTASHOP_INFOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        }
        yield TwoInstallations(tenant, tmp_path, _installations(monkeypatch, environment, OUTLET))


def _created(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> int:
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return int(events[-1].materialization.metadata["created"].value)


def test_the_second_installation_has_its_own_assets_jobs_sensors_and_schedules(two: TwoInstallations) -> None:
    repository = two.definitions.get_repository_def()
    graph = two.definitions.resolve_asset_graph()
    main_keys = {key for key in graph.get_all_asset_keys() if len(key.path) == 1}
    outlet_keys = {key for key in graph.get_all_asset_keys() if key.path[0] == "outlet"}
    assert {OUTLET.key(key) for key in main_keys} == outlet_keys
    # its assets read what its own upstream assets wrote: the graph draws it
    orders = graph.get(OUTLET.key("infor_sales_orders"))
    assert orders.parent_keys and all(key.path[0] == "outlet" for key in orders.parent_keys)
    assert graph.get(OUTLET.key("prestashop_orders")).group_name == "outlet_prestashop"
    for job in ("order_sync_job", "order_status_job", "stock_sync_job", "price_sync_job",
                "prestashop_extract_job", "order_reconciliation_job", "stock_reconciliation_job"):  # fmt: skip
        source_job = repository.get_job(f"outlet__{job}")
        assert source_job.tags[names.SOURCE_TAG] == "outlet"
        main_job = repository.get_job(job)
        assert {OUTLET.key(k) for k in main_job.asset_layer.executable_asset_keys} == set(
            source_job.asset_layer.executable_asset_keys
        )
    sensors = {sensor.name for sensor in repository.sensor_defs}
    assert {"outlet__prestashop_webhook_sensor", "outlet__infor_order_status_sensor",
            "outlet__lane_stall_alert_sensor", "outlet__finding_alert_sensor"} <= sensors  # fmt: skip
    assert "outlet__run_failure_alert_sensor" not in sensors  # one failure sensor sees every run
    schedules = {schedule.name for schedule in repository.schedule_defs}
    assert {f"outlet__{s}" for s in schedules if "__" not in s} <= schedules


def test_two_installations_with_the_same_order_ids_reach_m3_apart_exactly_once(two: TwoInstallations) -> None:
    first = two.run("order_sync_job")
    created_main = _created(first, dg.AssetKey("infor_sales_orders"))
    assert created_main > 0
    outlet = two.run("outlet__order_sync_job")
    assert source_of_run(outlet.dagster_run) == "outlet"
    created_outlet = _created(outlet, OUTLET.key("infor_sales_orders"))
    # the same shop's orders, ids and all: none taken for the main installation's
    assert created_outlet == created_main
    cuors = two.cuors()
    assert len(cuors) == len(set(cuors)) == 2 * created_main
    main_cuors = {c for c in cuors if c.startswith("PS")}
    assert {c.replace("PS", "OUT", 1) for c in main_cuors} == {c for c in cuors if c.startswith("OUT")}
    # each installation's id map in its own store, bound to its own M3 orders
    with two.store() as main_store, two.store("outlet") as outlet_store:
        main_bound = {b.target_key for b in id_map.bindings(main_store, "sales_order")}
        outlet_bound = {b.target_key for b in id_map.bindings(outlet_store, "sales_order")}
    assert len(main_bound) == len(outlet_bound) == created_main
    assert not main_bound & outlet_bound
    assert (two.tmp_path / "store-outlet.db").exists()
    # its customers are its mapping's (prefix OU), the main ones' stay PS
    numbers = set(two.tenant.customers)
    assert any(n.startswith("OU") for n in numbers) and any(n.startswith("PS") for n in numbers)
    # exactly once, per installation
    assert _created(two.run("outlet__order_sync_job"), OUTLET.key("infor_sales_orders")) == 0
    assert _created(two.run("order_sync_job"), dg.AssetKey("infor_sales_orders")) == 0
    assert len(two.cuors()) == 2 * created_main
    # its back-office lanes run on its own store and shop
    for job in ("outlet__order_status_job", "outlet__stock_sync_job"):
        assert two.run(job).success, job


def test_both_installations_at_once_with_m3_failing_a_fifth_of_the_writes_send_each_order_once(
    two: TwoInstallations,
) -> None:
    """Two runs at once, one per installation, each in a process of its own (as Dagster runs them),
    against one M3 that answers a fifth of the order writes with a 500 after committing them: each
    order once in M3, bound in its own installation's id map, which claims only what M3 holds."""
    two.tenant.gateway.faults.append(Fault(500, count=1_000, match="OIS100MI/", after_commit=True, rate=0.2))
    command = [sys.executable, "-m", "dagster", "job", "execute", "-m", "prestashop_infor.defs", "-j"]
    runs = [
        subprocess.Popen(
            [*command, job], env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for job in ("order_sync_job", "outlet__order_sync_job")
    ]
    try:
        errors = [run.communicate(timeout=300)[1].decode() for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    assert all("RUN_START" in error or "STEP_START" in error for error in errors), errors
    two.tenant.gateway.faults.clear()
    for _ in range(2):  # what a fault left unbound is found in M3 by the next runs, never sent twice
        two.run("order_sync_job")
        two.run("outlet__order_sync_job")
    cuors = two.cuors()
    assert len(cuors) == len(set(cuors))
    main_cuors = {c for c in cuors if c.startswith("PS")}
    outlet_cuors = {c for c in cuors if c.startswith("OUT")}
    assert main_cuors and {c.replace("PS", "OUT", 1) for c in main_cuors} == outlet_cuors
    with two.store() as main_store, two.store("outlet") as outlet_store:
        main_bound = {b.target_key for b in id_map.bindings(main_store, "sales_order")}
        outlet_bound = {b.target_key for b in id_map.bindings(outlet_store, "sales_order")}
    assert len(main_bound) == len(outlet_bound) == len(main_cuors) and not main_bound & outlet_bound
    assert main_bound | outlet_bound <= set(two.tenant.orders)


def test_two_installations_m3_could_not_tell_apart_fail_their_runs_saying_why(
    two: TwoInstallations, monkeypatch: pytest.MonkeyPatch
) -> None:
    same = _outlet_mapping(two.tmp_path / "same.yaml", customer_order_prefix="PS1")  # PS + 12 = PS1 + 2
    monkeypatch.setenv("OUTLET_PRESTASHOP_INFOR_MAPPING_FILE", str(same))
    for job in ("order_sync_job", "outlet__order_sync_job"):
        result = two.run(job, raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        error = failure.step_failure_data.error.to_string()
        assert "M3 could not tell their orders apart" in error
        assert "'PS' and 'PS1'" in error
    assert two.cuors() == []  # nothing sent


def test_a_materialization_of_its_assets_from_the_ui_works_for_it_and_mixing_installations_is_refused() -> (
    None
):
    def run(*keys: dg.AssetKey, tags: dict[str, str] | None = None) -> dg.DagsterRun:
        return dg.DagsterRun(job_name=names.ASSET_JOB, asset_selection=frozenset(keys), tags=tags or {})

    assert source_of_run(run(OUTLET.key("prestashop_orders"), OUTLET.key("infor_sales_orders"))) == "outlet"
    assert source_of_run(run(dg.AssetKey("prestashop_orders"))) is None
    assert source_of_run(run(tags={names.SOURCE_TAG: "outlet"})) == "outlet"
    assert source_of_run(None) is None
    with pytest.raises(RunSourceError, match="main, outlet"):
        source_of_run(run(OUTLET.key("prestashop_orders"), dg.AssetKey("infor_sales_orders")))


def test_its_webhook_sensor_reads_its_own_inbox_and_runs_its_own_job(two: TwoInstallations) -> None:
    with two.store("outlet") as outlet_store:
        inbox.enqueue_many(
            outlet_store,
            [({"id": str(uuid.uuid4()), "event": "order.created", "contract_version": 1}, "pending", 1)],
        )
    repository = two.definitions.get_repository_def()
    with dg.DagsterInstance.ephemeral() as instance:
        for name, expected in (("prestashop_webhook_sensor", []), ("outlet__prestashop_webhook_sensor",
                                                                    ["outlet__order_sync_job"])):  # fmt: skip
            sensor = repository.get_sensor_def(name)
            with dg.build_sensor_context(
                instance=instance, resources=resources, repository_def=repository
            ) as ctx:
                result = sensor(ctx)
            asked = [r.job_name for r in result.run_requests] if isinstance(result, dg.SensorResult) else []
            assert asked == expected, name


def test_a_source_is_read_with_its_own_variables_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESTASHOP_INFOR_SOURCES", "outlet")
    monkeypatch.setenv("PRESTASHOP_URL", "https://main.example")
    monkeypatch.setenv("PRESTASHOP_API_KEY", DEFAULT_API_KEY)
    monkeypatch.delenv("OUTLET_PRESTASHOP_URL", raising=False)
    monkeypatch.setenv(
        "PRESTASHOP_INFOR_DATABASE_URL", "postgresql+psycopg2://someone@db.example/integration"
    )
    outlet = Settings.read("outlet")
    assert outlet.prestashop_url is None  # never the main shop's
    assert outlet.missing_for_lanes()[:2] == ["OUTLET_PRESTASHOP_URL", "OUTLET_PRESTASHOP_API_KEY"]
    assert (outlet.store_url(), outlet.database_schema) == (
        "postgresql+psycopg2://someone@db.example/integration", "outlet")  # fmt: skip
    monkeypatch.setenv("OUTLET_PRESTASHOP_URL", "http://shop.example")
    with pytest.raises(SettingsError, match="^OUTLET_PRESTASHOP_URL="):
        Settings.read("outlet")
    with pytest.raises(SettingsError, match="'b2b' is not a source: PRESTASHOP_INFOR_SOURCES names outlet"):
        Settings.read("b2b")
    monkeypatch.setenv("PRESTASHOP_INFOR_SOURCES", "outlet,Outlet2")
    with pytest.raises(SettingsError, match="'Outlet2': a source's name is a lowercase letter"):
        Settings.read()
    assert load_mapping().orders.customer_order_prefix == "PS"  # the default the check guards against


def test_its_receiver_takes_its_own_webhooks_into_its_own_inbox(tmp_path: Path) -> None:
    port = free_port("127.0.0.1")
    main_secret, outlet_secret = "m" * 40, "o" * 40
    env = {**os.environ, "PRESTASHOP_INFOR_SOURCES": "outlet", "WEBHOOK_SECRET": main_secret,
           "OUTLET_WEBHOOK_SECRET": outlet_secret, "OUTLET_PRESTASHOP_URL": "https://outlet.example",
           "PRESTASHOP_INFOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}  # fmt: skip
    for name in (
        "PRESTASHOP_URL",
        "PRESTASHOP_INFOR_DATABASE_SCHEMA",
        "OUTLET_PRESTASHOP_INFOR_DATABASE_URL",
    ):
        env.pop(name, None)
    command = [sys.executable, "-m", "prestashop_infor.cli", "webhooks", "serve", "--port", str(port),
               "--source", "outlet"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    body = {
        "id": str(uuid.uuid4()), "event": "order.created", "contract_version": 1,
        "occurred_at": "2026-06-01T10:00:00Z",
        "shop": {"id_shop": 1, "id_shop_group": 1, "url": "https://outlet.example"},
        "source_hook": "actionValidateOrder",
        "resource": {"type": "orders", "id": 5, "href": "https://outlet.example/api/orders/5"},
        "data": {"id_order": 5},
    }  # fmt: skip
    raw = json.dumps(body).encode()

    def post(secret: str) -> int:
        t = int(time.time())
        headers = {"Content-Type": "application/json", "X-PS-Webhook-Id": body["id"],
                   "X-PS-Webhook-Event": body["event"], "X-PS-Webhook-Timestamp": str(t),
                   "X-PS-Webhook-Attempt": "1", "X-PS-Webhook-Signature": f"t={t},v1={sign(secret, t, raw)}"}  # fmt: skip
        return httpx.post(url + "/webhooks/prestashop", content=raw, headers=headers).status_code

    try:
        wait_for(lambda: answers(url + "/health"), 20, "the receiver to answer")
        assert post(main_secret) == 401  # the main installation's secret is not the outlet's
        assert post(outlet_secret) == 202
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert "Installation:     outlet" in output and "store-outlet.db" in output
    with Store.from_url(f"sqlite:///{tmp_path / 'store-outlet.db'}") as outlet_store:
        assert [e.event_id for e in inbox.events_after(outlet_store, 0)] == [body["id"]]
    assert not (tmp_path / "store.db").exists()  # the main installation's store was never opened


@pytest.mark.parametrize(
    ("sources", "expected", "warning"),
    [
        ("outlet", ["order_sync_job", "outlet__order_sync_job"], ""),
        ("Outlet", ["order_sync_job"], "PRESTASHOP_INFOR_SOURCES='Outlet'"),
    ],  # fmt: skip
)
def test_the_code_location_loads_the_installations_it_names(
    sources: str, expected: list[str], warning: str
) -> None:
    script = (
        "from prestashop_infor.defs import defs\n"
        "print(sorted(j.name for j in defs.get_repository_def().get_all_jobs() if 'order_sync_job' in j.name))"
    )
    env = {**os.environ, "PRESTASHOP_INFOR_SOURCES": sources}
    loaded = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip().splitlines()[-1] == repr(expected)
    assert warning in loaded.stderr


# -- a multistore whose shops are in two M3 companies: an installation per company on one Webservice --


@dataclass
class TwoCompanies:
    shop: Shop
    tenant: M3Tenant  # company 100
    swiss: M3Tenant  # company 200
    run: object


@pytest.fixture
def companies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TwoCompanies]:
    shop = seed_shop(seed=8, orders=24, now=NOW, shops=2)
    tenant = seed_tenant_from_shop(shop, seed=8, lifecycle=LifecycleSettings.manual())
    swiss = tenant.add_company("200")
    for whlo, name, faci, country, town in WAREHOUSES:
        swiss.add_warehouse(whlo, name, faci, country, town)
    for item_number, description, price in items_from_shop(shop):
        swiss.add_item(item_number, description, price)
        swiss.set_balance("100", item_number, 7)
    with BackgroundServer(create_shop_app(shop)) as server, BackgroundServer(create_m3_app(tenant)) as m3:
        rules = {
            "erp": {"company": 200, "customer_number_prefix": "CH"},
            "orders": {"customer_order_prefix": "CH"},
        }
        (tmp_path / "swiss.yaml").write_text(yaml.safe_dump(rules))
        (tmp_path / "main.yaml").write_text(yaml.safe_dump({"erp": {"company": 100}}))
        environment = {
            "PRESTASHOP_INFOR_SOURCES": "swiss",
            "PRESTASHOP_URL": server.url,
            "PRESTASHOP_API_KEY": DEFAULT_API_KEY,
            "PRESTASHOP_SHOPS": "1",
            "PRESTASHOP_INFOR_MAPPING_FILE": str(tmp_path / "main.yaml"),
            "SWISS_PRESTASHOP_URL": server.url + "/api/",  # the same Webservice, written otherwise
            "SWISS_PRESTASHOP_API_KEY": DEFAULT_API_KEY,
            "SWISS_PRESTASHOP_SHOPS": "2",
            "SWISS_PRESTASHOP_INFOR_MAPPING_FILE": str(tmp_path / "swiss.yaml"),
            "INFOR_IONAPI_FILE": str(tenant.write_ionapi(tmp_path / "sandbox.ionapi", m3.url)),
            "PRESTASHOP_INFOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        }
        definitions = _installations(monkeypatch, environment, Source("swiss"))
        yield TwoCompanies(shop, tenant, swiss, lambda job, **kwargs: _run(definitions, job, **kwargs))


def test_a_multistore_with_a_shop_in_another_company_sends_each_shops_orders_to_its_company_once(
    companies: TwoCompanies,
) -> None:
    status = load_mapping().status.resolve(companies.shop.records("order_states"))
    exported = {int(o["id"]): int(o["id_shop"]) for o in companies.shop.records("orders")
                if status.exportable(int(o["current_state"]))}  # fmt: skip
    assert set(exported.values()) == {1, 2}  # both shops have orders to send
    assert companies.run("order_sync_job").success
    assert companies.run("swiss__order_sync_job").success
    in_100 = {head.cuor for head in companies.tenant.orders.values()}
    in_200 = {head.cuor for head in companies.swiss.orders.values()}
    sent = {f"PS{i}" for i, shop in exported.items() if shop == 1}
    sent_swiss = {f"CH{i}" for i, shop in exported.items() if shop == 2}
    assert in_100 <= sent and in_200 <= sent_swiss  # each shop's orders in its company, none in the other
    assert len(in_100) >= len(sent) - 2 and len(in_200) >= len(sent_swiss) - 2  # a few may be dead-lettered
    assert in_200 and all(customer.startswith("CH") for customer in companies.swiss.customers)
    with Store.from_url(Settings.read("swiss").store_url()) as store:  # the swiss store holds shop 2 only
        assert {row["id_shop"] for row in store.rows(tables.ps_orders)} == {2}
    # again: nothing sent twice, in either company
    assert companies.run("order_sync_job").success and companies.run("swiss__order_sync_job").success
    assert {h.cuor for h in companies.tenant.orders.values()} == in_100
    assert {h.cuor for h in companies.swiss.orders.values()} == in_200


def test_each_companys_stock_reaches_its_own_shop_only(companies: TwoCompanies) -> None:
    def quantities(shop_id: int) -> dict[tuple[int, int], int]:
        return {(int(r["id_product"]), int(r["id_product_attribute"])): int(r["quantity"])
                for r in companies.shop.records("stock_availables") if int(r["id_shop"]) == shop_id}  # fmt: skip

    assert companies.run("order_sync_job").success  # the main lane first: its stock run moves shop 1 only
    assert companies.run("stock_sync_job").success
    first = quantities(1)
    assert companies.run("swiss__stock_sync_job").success
    assert quantities(1) == first  # the Swiss company's balances never reach shop 1
    swiss = quantities(2)
    # company 200 holds 7 of each item: 7 in each combination's row, 7 per combination in a product's total
    combinations = [key for key in swiss if key[1] != 0]
    assert combinations and all(swiss[key] == 7 for key in combinations)
    assert all(quantity > 0 and quantity % 7 == 0 for quantity in swiss.values()), swiss


def test_two_installations_on_one_webservice_must_name_shops_apart(
    companies: TwoCompanies, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWISS_PRESTASHOP_SHOPS", "1,2")
    for job in ("order_sync_job", "swiss__order_sync_job"):
        result = companies.run(job, raise_on_error=False)
        assert not result.success
        error = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.to_string()
        assert (
            "main (PRESTASHOP_SHOPS=1) and swiss (SWISS_PRESTASHOP_SHOPS=1,2) work for the same shop" in error
        )
    assert not companies.tenant.orders and not companies.swiss.orders
    monkeypatch.setenv("SWISS_PRESTASHOP_SHOPS", "two")
    with pytest.raises(SettingsError, match="^SWISS_PRESTASHOP_SHOPS='two': .*shop ids"):
        Settings.read("swiss")


def test_m3_prices_for_one_shop_of_a_multistore_are_refused_saying_why(
    companies: TwoCompanies, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = {"erp": {"company": 100}, "prices": {"groups": {"B2B": [3]}}}
    (tmp_path / "main.yaml").write_text(yaml.safe_dump(rules))
    result = companies.run("price_sync_job", raise_on_error=False)
    assert not result.success
    error = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.to_string()
    assert "M3 prices for some shops of a multistore (PRESTASHOP_SHOPS=1) are not supported yet" in error
    assert not companies.shop.records("specific_prices")  # nothing written


@pytest.mark.slow
def test_the_daemon_runs_the_second_installations_webhook_lane(
    two: TwoInstallations, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``prestashop-infor daemon`` on the workspace: the code location loads both installations, the
    outlet's webhook sensor turns an event of its inbox into a run of ``outlet__order_sync_job``,
    tagged with its name, whose orders reach M3 under the outlet's prefix; the main installation's
    lane, with nothing in its inbox, starts nothing."""
    home = two.tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT / "dagster.yaml", home / "dagster.yaml")
    create_instance_storage(home)
    with two.store("outlet") as outlet_store:
        inbox.enqueue_many(
            outlet_store,
            [({"id": str(uuid.uuid4()), "event": "order.created", "contract_version": 1}, "pending", 1)],
        )
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    env = {**os.environ, "PRESTASHOP_INFOR_SENSORS": "on"}
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "prestashop-infor"), "daemon", "-w", str(PROJECT / "workspace.yaml")],
        env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180  # bounded: the daemon's start, a sensor tick, a run
        run = None
        while time.monotonic() < deadline and run is None:
            time.sleep(1)
            with dg.DagsterInstance.get() as instance:
                ended = instance.get_runs(
                    dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE])
                )
                run = ended[0] if ended else None
            assert daemon.poll() is None, "the daemon exited"
        assert run is not None, "no run ended within 180 s"
        assert (run.job_name, run.status) == ("outlet__order_sync_job", dg.DagsterRunStatus.SUCCESS)
        assert run.tags.get(names.SOURCE_TAG) == "outlet", dict(run.tags)
        assert run.tags[names.TRIGGER_TAG] == names.WEBHOOK_TRIGGER
        cuors = two.cuors()
        assert cuors and all(cuor.startswith("OUT") for cuor in cuors)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
        stop_home(home)
    assert not processes_of_home(home)
