"""The module, end to end (issue 20 §2): an order placed in the sandbox shop goes through the
module's hooks into its outbox, the module's dispatcher (PHP, as a process, with its curl sender)
posts the signed events over a socket to the real receiver, the webhook sensor turns them into a run
of ``order_sync_job``, and that run (the project's own job, resources read from the environment as a
deployment sets them) puts the order in M3, as the demo does with the emulator's own sender.

The shop's own webhook sender is off (``SandboxSettings.webhook_urls`` empty): every event the
receiver holds came from the module.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import dagster as dg
import pytest

import prestashop_infor.defs
from prestashop_infor import names
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sync.sensors import prestashop_webhook_sensor
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.sandbox import SandboxSettings, start_sandbox
from prestashop_infor.serving import BackgroundServer, free_port
from prestashop_infor.store import Store, id_map
from prestashop_infor.store import inbox as inbox_store
from prestashop_infor.webhooks import create_app

ROOT = Path(__file__).resolve().parents[1]
RELAY = ROOT / "prestashop-module" / "tests" / "contract" / "relay.php"
SECRET = "whsec_0123456789abcdef0123456789abcdef"
ORDER_FIELDS = (
    "id",
    "id_shop",
    "id_shop_group",
    "id_customer",
    "reference",
    "current_state",
    "date_add",
    "date_upd",
)
pytestmark = pytest.mark.slow  # starts php, the emulators and Dagster runs


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch):
    settings = SandboxSettings(prestashop_port=free_port(), infor_port=free_port(), orders=4,
                               ionapi_out=tmp_path / "sandbox.ionapi")  # fmt: skip
    assert not settings.webhook_urls  # only the module sends events here
    started = start_sandbox(settings)
    try:
        for name, value in started.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PRESTASHOP_INFOR_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
        yield started
    finally:
        started.stop()


def test_a_shop_order_reaches_m3_through_the_modules_webhooks_and_the_sensor(
    php: str, sandbox, tmp_path: Path
):
    job = prestashop_infor.defs.defs.resolve_job_def(names.ORDER_SYNC_JOB)
    database_url = f"sqlite:///{tmp_path / 'store.db'}"
    with dg.instance_for_test() as instance, Store.from_url(database_url) as store:
        assert job.execute_in_process(instance=instance).success  # the shop's history first, as the demo
        before = {binding.source_key for binding in id_map.bindings(store, "sales_order")}
        assert len(before) == 4

        order_id = sandbox.shop.place_order(1, [(1, 0, 2)])  # a checkout in the shop
        with PrestashopClient(sandbox.prestashop_url, sandbox.settings.api_key,
                              time_zone=sandbox.settings.time_zone) as shop:  # fmt: skip
            order = shop.get("orders", order_id)
        hook_input = json.dumps([{name: order[name] for name in ORDER_FIELDS}])

        with BackgroundServer(create_app(store, [SECRET])) as receiver:
            done = subprocess.run(
                [php, str(RELAY), SECRET, receiver.url + "/webhooks/prestashop"],
                input=hook_input, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
        assert done.returncode == 0, done.stderr + done.stdout
        relayed = json.loads(done.stdout)
        assert relayed["outcomes"] == {"delivered": 2, "retry": 0, "refused": 0, "postponed": 0}
        assert [(row["event"], row["status"]) for row in relayed["statuses"]] == [
            (names.ORDER_CREATED, "delivered"),
            (names.ORDER_STATUS_CHANGED, "delivered"),
        ]
        events = inbox_store.events_after(store, 0)
        assert [(e.event, e.status, e.resource_id) for e in events] == [
            (names.ORDER_CREATED, inbox_store.PENDING, order_id),
            (names.ORDER_STATUS_CHANGED, inbox_store.PENDING, order_id),
        ]
        assert events[0].body["data"]["reference"] == order["reference"]

        with dg.build_sensor_context(
            instance=instance, resources={"store": StoreResource(database_url=database_url)}
        ) as context:
            result = prestashop_webhook_sensor(context)
        (request,) = result.run_requests
        assert request.job_name == names.ORDER_SYNC_JOB
        assert request.tags[names.INBOX_IDS_TAG] == f"{events[0].id}-{events[1].id}"
        assert str(order_id) not in {binding.source_key for binding in id_map.bindings(store, "sales_order")}

        run = job.execute_in_process(instance=instance, tags=request.tags)
        assert run.success
        binding = id_map.binding(store, "sales_order", order_id)
        assert binding is not None, "the order the module announced is not bound to an M3 order"
        m3_order = sandbox.infor.tenant.orders[binding.target_key]
        assert len(m3_order.lines) == 1
        assert {b.source_key for b in id_map.bindings(store, "sales_order")} == before | {str(order_id)}
        assert (
            instance.get_run_by_id(run.run_id).tags[names.INBOX_IDS_TAG] == request.tags[names.INBOX_IDS_TAG]
        )
