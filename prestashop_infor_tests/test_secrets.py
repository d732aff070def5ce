"""Secrets stay secret (issue 11 §5): a real sync through Dagster with distinctive secrets, and
nothing a person or a log collector can see holds one of them — log lines (ours, httpx's, Dagster's),
the run's event log (every metadata value, every check, every failure), the run config, the
resources' configuration as the UI shows it, exception texts. Also: the shop key the sync runs with
has only the least privileges the README lists, the servers bind loopback unless told otherwise,
and the receiver's signature check is constant-time."""

from __future__ import annotations

import base64
import inspect
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest
from starlette.testclient import TestClient

from prestashop_infor import cli
from prestashop_infor.defs.infor import InforResource
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.sync import prestashop_order_status_updates
from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.infor.ionapi import InforAuthError
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.prestashop.client import PrestashopError
from prestashop_infor.sandbox.infor import LifecycleSettings, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as create_m3_app
from prestashop_infor.sandbox.prestashop import create_app as create_shop_app
from prestashop_infor.sandbox.prestashop import seed_shop
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.settings import Settings, SettingsError
from prestashop_infor.webhooks import receiver
from prestashop_infor_tests.test_order_to_cash_assets import NOW, ORDER_SYNC, STOCK_SYNC, World

# Distinctive values: found anywhere, they leaked.
API_KEY = "PSKEYLEAKCANARY0123456789ABCDEFG"  # the Webservice key is 32 characters
WRONG_API_KEY = "WRONGKEYLEAKCANARY0123456789ABCD"
CLIENT_ID = "SANDBOX_TST~clientidcanary"  # not a secret: the client secret's partner in Basic auth
CLIENT_SECRET = "cs-LEAKCANARY-client-secret-4f9a2c7e1b"
WRONG_CLIENT_SECRET = "cs-WRONGLEAKCANARY-client-secret-0d3e"
ACCESS_KEY = "SANDBOX_TST#saak-LEAKCANARY-access-7c1d"
SECRET_KEY = "sask-LEAKCANARY-secret-key-9e2b5a8f3c"
WEBHOOK_SECRET = "whsec-LEAKCANARY-0123456789abcdefghijklmnop"

# What the PrestaShop key needs, and nothing more (README, "Least privileges"): the sync runs with
# a key holding exactly this, so a resource added to the code without the README fails here.
LEAST_PRIVILEGES: dict[str, set[str]] = {
    "addresses": {"GET"},
    "carriers": {"GET"},  # `mapping suggest` only
    "combinations": {"GET"},
    "countries": {"GET"},
    "currencies": {"GET"},
    "customer_messages": {"GET", "POST"},  # a private message on an order cancelled too late for M3
    "customer_threads": {"GET", "POST"},
    "customers": {"GET"},
    "order_carriers": {"GET", "POST", "PUT"},  # a row per delivery
    "order_histories": {"POST"},
    "order_payments": {"GET", "POST", "PUT"},
    "order_slip": {"GET", "POST"},  # a credit slip per M3 credit note
    "order_states": {"GET"},
    "orders": {"GET"},
    "products": {"GET"},
    "stock_availables": {"GET", "PUT"},
    # "specific_prices": {"GET", "POST", "PUT", "DELETE"} only with the mapping's prices.groups
}


def forms(secret: str) -> list[str]:
    """A secret as it could leak: itself, URL-quoted, and inside an HTTP Basic header."""
    return [
        secret,
        httpx.QueryParams({"x": secret})["x"],
        str(httpx.URL("http://h/", params={"x": secret}))[12:],
    ]


def basic(user: str, password: str = "") -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


SECRETS = [API_KEY, WRONG_API_KEY, CLIENT_SECRET, WRONG_CLIENT_SECRET, ACCESS_KEY, SECRET_KEY, WEBHOOK_SECRET]
NEEDLES = sorted(
    {form for secret in SECRETS for form in forms(secret)}
    | {
        basic(API_KEY),
        basic(WRONG_API_KEY),
        basic(CLIENT_ID, CLIENT_SECRET),
        basic(CLIENT_ID, WRONG_CLIENT_SECRET),
    }
    | {basic(API_KEY)[:-2], basic(CLIENT_ID, CLIENT_SECRET)[:-2]}  # without the padding
)


def assert_no_secret(text: str, where: str) -> None:
    found = [needle for needle in NEEDLES if needle in text]
    assert not found, f"{where} holds a secret: {found}"


class Capture(logging.Handler):
    """Every log record of the process, formatted with its exception, at DEBUG."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@pytest.fixture
def logs() -> Iterator[Capture]:
    capture = Capture()
    touched = [
        logging.getLogger(),
        logging.getLogger("httpx"),
        logging.getLogger("httpcore"),
        logging.getLogger("dagster"),
    ]
    levels = [logger.level for logger in touched]
    for logger in touched:
        logger.setLevel(logging.DEBUG)
    for logger in touched[0], touched[3]:  # dagster's logger may not propagate to the root
        logger.addHandler(capture)
    try:
        yield capture
    finally:
        for logger, level in zip(touched, levels, strict=True):
            logger.setLevel(level)
        for logger in touched[0], touched[3]:
            logger.removeHandler(capture)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Both emulators with the distinctive secrets, and the environment a deployment gives a run."""
    shop = seed_shop(seed=11, orders=30, now=NOW, api_key=API_KEY)
    shop.keys[API_KEY].permissions = {name: set(methods) for name, methods in LEAST_PRIVILEGES.items()}
    tenant = seed_tenant_from_shop(shop, seed=11, lifecycle=LifecycleSettings.manual())
    gateway = tenant.gateway
    gateway.client_id, gateway.client_secret = CLIENT_ID, CLIENT_SECRET
    gateway.access_key, gateway.secret_key = ACCESS_KEY, SECRET_KEY
    with (
        BackgroundServer(create_shop_app(shop)) as shop_server,
        BackgroundServer(create_m3_app(tenant)) as m3,
    ):
        world = World(shop, tenant, shop_server.url, m3.url, tmp_path)
        ionapi = tmp_path / "sandbox.ionapi"
        for name in list(os.environ):
            if name.startswith("INFOR_IONAPI_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("PRESTASHOP_URL", shop_server.url)
        monkeypatch.setenv("PRESTASHOP_API_KEY", API_KEY)
        monkeypatch.setenv("PRESTASHOP_TIME_ZONE", "Europe/Paris")
        monkeypatch.setenv("INFOR_IONAPI_FILE", str(ionapi))
        monkeypatch.setenv("WEBHOOK_SECRET", WEBHOOK_SECRET)
        yield world


def settings_resources(world: World) -> dict[str, Any]:
    """As the code location binds them: nothing configured, the settings read when the run starts."""
    return {**world.resources, "prestashop": PrestashopResource(), "infor": InforResource()}


def envvar_resources(world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Every secret as a ``dg.EnvVar``, the .ionapi keys one by one."""
    ionapi = json.loads(Path(os.environ["INFOR_IONAPI_FILE"]).read_text())
    monkeypatch.delenv("INFOR_IONAPI_FILE")
    for key in ("ti", "ci", "cs", "iu", "pu", "saak", "sask"):
        monkeypatch.setenv(f"TEST_IONAPI_{key.upper()}", ionapi[key])
    env = {
        key: dg.EnvVar(f"TEST_IONAPI_{key.upper()}") for key in ("ti", "ci", "cs", "iu", "pu", "saak", "sask")
    }
    return {
        **world.resources,
        "prestashop": PrestashopResource(
            url=dg.EnvVar("PRESTASHOP_URL"), api_key=dg.EnvVar("PRESTASHOP_API_KEY"), time_zone="Europe/Paris"
        ),
        "infor": InforResource(
            tenant=env["ti"], client_id=env["ci"], client_secret=env["cs"], ion_api_url=env["iu"],
            auth_url=env["pu"], service_account_access_key=env["saak"], service_account_secret_key=env["sask"],
        ),
    }  # fmt: skip


def run(
    assets: list[Any], resources: dict[str, Any], *, success: bool = True
) -> tuple[dg.ExecuteInProcessResult, str]:
    """Materialize ``assets`` and return the result with everything Dagster keeps of the run, as text:
    the run (config, tags), every event log entry (log messages, metadata, checks, failures with
    their stack), and the resources' configuration as the UI shows it."""
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(assets, resources=resources, instance=instance, raise_on_error=False)
    assert result.success is success, [e.message for e in result.all_events if e.is_failure]
    texts = [dg.serialize_value(result.dagster_run)]
    texts += [dg.serialize_value(entry) for entry in instance.all_logs(result.run_id)]
    texts += [str(event) for event in result.all_events]
    for event in result.get_asset_materialization_events():
        texts += [f"{name}={value.value!r}" for name, value in event.materialization.metadata.items()]
    definitions = dg.Definitions(assets=assets, resources=resources)
    for name, resource in definitions.get_repository_def().get_top_level_resources().items():
        field = resource.config_schema.as_field()
        texts.append(f"resource {name}: {field.default_value if field.default_provided else ''}")
    return result, "\n".join(texts)


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    """The errors of the failed steps, as the UI shows them."""
    errors = [e.step_failure_data.error for e in result.all_events if e.is_step_failure]
    return "\n".join(error.to_string() for error in errors if error is not None)


@pytest.mark.parametrize("configured", ["settings", "envvar"])
def test_a_sync_shows_no_secret_anywhere(world: World, logs: Capture, monkeypatch, capfd, configured) -> None:
    resources = (
        settings_resources(world) if configured == "settings" else envvar_resources(world, monkeypatch)
    )
    result, dagster_text = run([*ORDER_SYNC, *STOCK_SYNC, prestashop_order_status_updates], resources)
    # the sync really ran, with the least-privileged key and the service account
    created = [
        e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "infor_sales_orders"
    ]
    assert created and created[-1].materialization.metadata["created"].value > 0
    assert world.tenant.gateway.tokens_issued > 0
    if configured == "envvar":
        assert '"env": "PRESTASHOP_API_KEY"' in dagster_text or "'env': 'PRESTASHOP_API_KEY'" in dagster_text
    assert_no_secret(dagster_text, "the run's event log, config or resource configuration")
    assert_no_secret("\n".join(logs.lines), "a log line")
    assert any(line.startswith("httpx:") for line in logs.lines)  # httpx's request lines were seen
    captured = capfd.readouterr()
    assert_no_secret(captured.out + captured.err, "the process output")


def test_a_rejected_key_fails_the_run_without_showing_it(
    world: World, logs: Capture, monkeypatch, capfd
) -> None:
    monkeypatch.setenv("PRESTASHOP_API_KEY", WRONG_API_KEY)
    result, dagster_text = run(ORDER_SYNC, settings_resources(world), success=False)
    assert "rejected the API key (HTTP 401)" in failure_text(result)
    assert_no_secret(dagster_text, "the failed run's event log")
    assert_no_secret("\n".join(logs.lines), "a log line")
    captured = capfd.readouterr()
    assert_no_secret(captured.out + captured.err, "the process output")


def test_a_rejected_client_secret_fails_the_run_without_showing_it(
    world: World, logs: Capture, monkeypatch, tmp_path: Path, capfd
) -> None:
    ionapi = json.loads(Path(os.environ["INFOR_IONAPI_FILE"]).read_text())
    wrong = tmp_path / "wrong.ionapi"
    wrong.write_text(json.dumps({**ionapi, "cs": WRONG_CLIENT_SECRET}))
    monkeypatch.setenv("INFOR_IONAPI_FILE", str(wrong))
    result, dagster_text = run(ORDER_SYNC, settings_resources(world), success=False)
    assert "ION API authentication failed" in failure_text(result)
    assert_no_secret(dagster_text, "the failed run's event log")
    assert_no_secret("\n".join(logs.lines), "a log line")
    captured = capfd.readouterr()
    assert_no_secret(captured.out + captured.err, "the process output")


def test_clients_keep_the_key_out_of_urls_logs_and_errors(world: World, logs: Capture) -> None:
    url = os.environ["PRESTASHOP_URL"]
    texts = []
    # the ws_key fallback puts the key in the query string, which httpx logs with every request
    with PrestashopClient(url, API_KEY, use_ws_key=True) as by_query:
        assert by_query.order_states()
        with pytest.raises(PrestashopError) as refused:
            by_query.list("employees")  # not among the key's resources: 401 naming the URL
        texts.append(str(refused.value))
    # a key written into the URL (https://KEY@shop/api/, as PrestaShop's docs show it) is dropped
    with_userinfo = str(httpx.URL(url).copy_with(userinfo=API_KEY.encode()))
    with PrestashopClient(with_userinfo, API_KEY) as client:
        texts.append(client.base_url + repr(client))
        with pytest.raises(PrestashopError) as refused:
            client.list("employees")
        texts.append(str(refused.value))
    with (
        PrestashopClient(url, WRONG_API_KEY, max_attempts=1) as client,
        pytest.raises(PrestashopError) as wrong,
    ):
        client.ping()
    texts.append(str(wrong.value))
    credentials = IonApiCredentials.from_file(os.environ["INFOR_IONAPI_FILE"])
    with M3Client(credentials) as m3:
        m3.server_time()
        texts += [repr(credentials), repr(m3), repr(m3.tokens)]
    bad = IonApiCredentials.from_dict({**credentials.to_ionapi(), "sask": SECRET_KEY[::-1]})
    with M3Client(bad) as m3, pytest.raises(InforAuthError) as refused_grant:
        m3.server_time()
    texts.append(str(refused_grant.value))
    texts.append(repr(Settings.read()))
    assert_no_secret("\n".join(texts), "a client's repr or error")
    assert_no_secret("\n".join(logs.lines), "a log line")
    assert any("ws_key=REDACTED" in line for line in logs.lines if line.startswith("httpx:"))


def test_settings_errors_do_not_show_secret_values(monkeypatch) -> None:
    short = "LEAKCANARY-too-short"
    monkeypatch.setenv("WEBHOOK_SECRET", short)
    with pytest.raises(SettingsError) as error:
        Settings.read().webhook_secrets()
    assert short not in str(error.value) and "WEBHOOK_SECRET" in str(error.value)
    assert short not in repr(Settings.read())


def test_the_receiver_logs_no_secret(tmp_path: Path, logs: Capture) -> None:
    from prestashop_infor.store import Store

    store = Store.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    app = receiver.create_app(store, [WEBHOOK_SECRET])
    body = json.dumps({"id": "evt-1", "event": "order.created", "contract_version": 1}).encode()
    now = int(time.time())
    headers = {
        "content-type": "application/json",
        "x-ps-webhook-id": "evt-1",
        "x-ps-webhook-event": "order.created",
    }
    with TestClient(app) as client:
        good = client.post(receiver.PATH, content=body, headers={
            **headers, "x-ps-webhook-signature": f"t={now},v1={receiver.sign(WEBHOOK_SECRET, now, body)}"})  # fmt: skip
        bad = client.post(receiver.PATH, content=body, headers={
            **headers, "x-ps-webhook-signature": f"t={now},v1={receiver.sign('x' * 32, now, body)}"})  # fmt: skip
    store.dispose()
    assert (good.status_code, bad.status_code) == (202, 401)
    assert_no_secret(good.text + bad.text + "\n".join(logs.lines), "the receiver's answers or logs")


def test_the_servers_bind_loopback_unless_told_otherwise() -> None:
    parser = cli.build_parser()
    assert parser.parse_args(["sandbox"]).host == "127.0.0.1"
    assert parser.parse_args(["webhooks", "serve"]).host == "127.0.0.1"
    assert parser.parse_args(["webhooks", "serve", "--host", "0.0.0.0"]).host == "0.0.0.0"  # told otherwise


def test_the_receiver_compares_signatures_in_constant_time_within_a_replay_window() -> None:
    # Behaviour: test_webhooks_receiver.py::test_bad_signatures_are_401_and_store_nothing refuses a
    # signature 301 s stale or 301 s in the future ("stale", "future"); here, the comparison itself.
    source = inspect.getsource(receiver.verify)
    assert "hmac.compare_digest(" in source and "==" not in source.split("for secret in secrets")[1]
    assert receiver.TOLERANCE == 300
    body, now = b"{}", 1_800_000_000
    signature = f"t={now - receiver.TOLERANCE - 1},v1={receiver.sign(WEBHOOK_SECRET, now - receiver.TOLERANCE - 1, body)}"
    with pytest.raises(receiver.Refused, match="300 s"):
        receiver.verify(body, signature, None, [WEBHOOK_SECRET], now=now)
    receiver.verify(
        body, f"t={now},v1={receiver.sign(WEBHOOK_SECRET, now, body)}", None, [WEBHOOK_SECRET], now=now
    )
