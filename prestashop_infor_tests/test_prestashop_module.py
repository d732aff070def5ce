"""The PrestaShop module (``prestashop-module/``, issue 20): its PHP is valid, its PHPUnit suite
passes, every event it signs is accepted by the real receiver and stored once (signed by PHP, posted
by Python, and also sent by the module's own curl and stream senders over a socket), a signature made
in Python (the receiver's ``sign``, the emulator's sender) verifies in PHP, each envelope carries what
the contract lists, and ``make module`` builds the zip a shop uploads.

The contract (``webhooks.md``) has no JSON schema: the envelope is checked against the fields of its
§4 and the data hints of its §6, written out below. Each PHP or make process is started with a
timeout, after which ``subprocess.run`` kills it.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from prestashop_infor.names import EVENT_TYPES
from prestashop_infor.sandbox.prestashop.webhooks import WebhookSender
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.store import Store
from prestashop_infor.store import inbox as inbox_store
from prestashop_infor.webhooks import create_app, sign
from prestashop_infor_tests.tools import PHPUNIT, required

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "prestashop-module"
EVENTS_SCRIPT = MODULE / "tests" / "contract" / "events.php"
SECRET = "whsec_0123456789abcdef0123456789abcdef"
SHOP = "https://shop.example"  # the stand-in shop's URL (prestashop-module/tests/stubs/Shop.php)
NOW = 1_717_171_717
pytestmark = pytest.mark.slow  # every test starts php, phpunit or make

TEST_EVENT = "test.ping"  # the back office's test event: not a v1 name, stored as ignored

#: webhooks.md §6: the ``data`` hints of each event.
DATA_HINTS = {
    "order.created": {"id_order", "reference", "id_customer", "current_state", "date_add", "date_upd"},
    "order.status_changed": {"id_order", "old_state", "new_state", "date_upd"},
    "order.updated": {"id_order", "date_upd"},
    "order.tracking_updated": {"id_order", "id_order_carrier", "tracking_number"},
    "order.payment_confirmed": {"id_order"},
    **{f"customer.{action}": {"id_customer", "date_upd"} for action in ("created", "updated", "deleted")},
    **{f"address.{action}": {"id_address", "id_customer", "date_upd"} for action in ("created", "updated", "deleted")},
    **{f"product.{action}": {"id_product", "date_upd"} for action in ("created", "updated", "deleted")},
    **{
        f"combination.{action}": {"id_product_attribute", "id_product"}
        for action in ("created", "updated", "deleted")
    },
    "stock.updated": {"id_product", "id_product_attribute", "id_shop", "quantity"},
    **{
        f"order_return.{action}": {"id_order_return", "id_order", "id_customer", "state", "date_upd", "lines"}
        for action in ("created", "updated")
    },
}  # fmt: skip
#: webhooks.md §6: the Webservice resource each event names.
RESOURCE_TYPES = {"order": "orders", "customer": "customers", "address": "addresses", "product": "products",
                  "combination": "combinations", "stock": "stock_availables",
                  "order_return": "order_returns"}  # fmt: skip
#: The fields of each of an ``order_return`` event's ``lines`` (the module's addition: the Webservice
#: never shows a return's lines).
RETURN_LINE = {"id_order_detail", "product_quantity"}
SHOP_DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")  # shop-local, verbatim (§4)
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
#: webhooks.md §4: the envelope's fields.
ENVELOPE = {"id", "event", "contract_version", "occurred_at", "shop", "source_hook", "resource", "data"}


def run_php(php: str, *args: str, stdin: str | None = None, timeout: float = 120) -> Any:
    """``events.php`` with ``args``: its JSON answer."""
    done = subprocess.run(
        [php, str(EVENTS_SCRIPT), *args], input=stdin, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def signed_requests(php: str) -> list[dict[str, Any]]:
    """Every hook of the module's scenario, sent at NOW through a recording sender, then the test event."""
    requests = run_php(php, "sign", SECRET, str(NOW))
    for request in requests:
        request["body"] = base64.b64decode(request.pop("body_base64"))
    return requests


@pytest.fixture
def store(tmp_path: Path):
    with Store.from_url(f"sqlite:///{tmp_path / 'store.db'}") as opened:
        yield opened


def test_every_php_file_of_the_module_is_valid_php(php: str):
    files = sorted(MODULE.rglob("*.php"))
    assert MODULE / "prestashopinfor" / "prestashopinfor.php" in files
    for path in files:
        done = subprocess.run([php, "-l", str(path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "No syntax errors detected" in done.stdout, done.stdout + done.stderr


def test_the_phpunit_suite_passes(php: str):
    phpunit = required(PHPUNIT)
    done = subprocess.run(
        [phpunit, "-c", str(MODULE / "phpunit.xml")], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    passed = re.search(r"^OK \((\d+) tests?, (\d+) assertions\)$", done.stdout, re.MULTILINE)
    assert passed and int(passed.group(1)) >= 70, done.stdout[-2000:]


def test_every_event_the_module_signs_is_accepted_by_the_receiver_and_stored_once(signed_requests, store):
    events = [request["headers"]["X-PS-Webhook-Event"] for request in signed_requests]
    assert set(events) == EVENT_TYPES | {TEST_EVENT}
    app = create_app(store, [SECRET], shop_urls=[SHOP], now=lambda: NOW)
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        for request in signed_requests:
            answer = http.post("/webhooks/prestashop", content=request["body"], headers=request["headers"])
            assert answer.status_code == 202, (request["headers"]["X-PS-Webhook-Event"], answer.text)
            assert answer.json()["status"] == "accepted"
        for request in signed_requests:  # the same deliveries again: duplicates, stored once
            answer = http.post("/webhooks/prestashop", content=request["body"], headers=request["headers"])
            assert answer.status_code == 202 and answer.json()["status"] == "duplicate"
    stored = inbox_store.events_after(store, 0)
    assert sorted(event.event_id for event in stored) == sorted(
        request["headers"]["X-PS-Webhook-Id"] for request in signed_requests
    )
    assert {event.event: event.status for event in stored} == {
        **{name: "pending" for name in EVENT_TYPES},
        TEST_EVENT: "ignored",
    }


def test_every_envelope_carries_the_contracts_fields(signed_requests):
    """webhooks.md §3, §4 and §6, field by field (the contract has no JSON schema)."""
    for request in signed_requests:
        body, headers = request["body"], request["headers"]
        assert len(body) < 64 * 1024
        envelope = json.loads(body)
        event = envelope["event"]
        assert set(envelope) >= ENVELOPE
        assert headers["X-PS-Webhook-Id"] == envelope["id"] and headers["X-PS-Webhook-Event"] == event
        assert headers["Content-Type"] == "application/json" and headers["X-PS-Webhook-Attempt"] == "1"
        assert headers["X-PS-Webhook-Signature"] == f"t={NOW},v1={sign(SECRET, NOW, body)}"
        assert headers["X-PS-Webhook-Timestamp"] == str(NOW)
        assert UUID4.fullmatch(envelope["id"])
        assert envelope["contract_version"] == 1
        assert envelope["occurred_at"] == "2024-05-31T16:08:37Z"
        assert envelope["shop"] == {"id_shop": 1, "id_shop_group": 1, "url": SHOP, "ps_version": "8.1.4"}
        assert isinstance(envelope["source_hook"], str) and envelope["source_hook"]
        resource = envelope["resource"]
        if event == TEST_EVENT:
            continue
        kind = "order_carriers" if event == "order.tracking_updated" else RESOURCE_TYPES[event.split(".")[0]]
        assert resource["type"] == kind and isinstance(resource["id"], int)
        assert resource["href"] == f"{SHOP}/api/{kind}/{resource['id']}"
        assert set(envelope["data"]) == DATA_HINTS[event], event
        for name, value in envelope["data"].items():
            if name.startswith("date_"):
                assert SHOP_DATE.fullmatch(value), (event, name, value)
            elif name in ("reference", "tracking_number"):
                assert isinstance(value, str)
            elif name == "lines":  # the scenario's return has two lines
                assert isinstance(value, list) and value, (event, value)
                for line in value:
                    assert isinstance(line, dict) and set(line) == RETURN_LINE, (event, line)
                    assert all(_is_int(number) for number in line.values()), (event, line)
            else:
                assert _is_int(value), (event, name, value)


def _is_int(value: Any) -> bool:
    """A JSON integer (``bool`` is an ``int`` in Python, ``true`` is not one in JSON)."""
    return isinstance(value, int) and not isinstance(value, bool)


@pytest.mark.parametrize("sender", ["curl", "stream"])
def test_the_module_delivers_every_event_to_a_real_receiver(php: str, store, sender: str):
    """The module's own HTTP senders (curl, and file_get_contents for a PHP without curl) over a socket."""
    with BackgroundServer(create_app(store, [SECRET], shop_urls=[SHOP])) as server:
        result = run_php(php, "deliver", SECRET, server.url + "/webhooks/prestashop", sender)
    nothing = {"delivered": 0, "retry": 0, "refused": 0, "postponed": 0}
    assert result["first"] == {**nothing, "delivered": len(EVENT_TYPES)}
    assert result["second"] == nothing
    assert result["statuses"] == ["delivered"] * len(EVENT_TYPES)
    assert {event.event for event in inbox_store.events_after(store, 0)} == EVENT_TYPES


def test_a_signature_made_in_python_verifies_in_php(php: str):
    """A reference vector signed by the receiver's ``sign`` (the contract's Python), and altered copies."""
    envelope = {"id": "7f1c1d2e-0c55-4f5b-9a43-3b1d7c3b2a10", "event": "order.created", "é": "ü"}
    body = json.dumps(envelope, ensure_ascii=False).encode()
    header = f"t={NOW},v1={sign(SECRET, NOW, body)}"

    def verify(raw: bytes, signature: str, secrets: list[str], now: int = NOW) -> bool:
        vector = {"body_base64": base64.b64encode(raw).decode(), "signature": signature,
                  "timestamp": str(NOW), "secrets": secrets, "now": now}  # fmt: skip
        return run_php(php, "verify", stdin=json.dumps(vector))["valid"]

    assert verify(body, header, [SECRET])
    assert verify(body, f"t={NOW},v1={sign('n' * 40, NOW, body)},v1={sign(SECRET, NOW, body)}", ["n" * 40])
    assert not verify(body + b" ", header, [SECRET])
    assert not verify(body, header, ["x" * 40])
    assert not verify(body, header, [SECRET], now=NOW + 301)


def test_a_delivery_of_the_emulator_verifies_in_php(php: str):
    """The emulator's sender (the Python reference of envelope and signing) posts to a recorder; the
    module's verifier accepts exactly what it sent."""
    received: list[tuple[bytes, dict[str, str]]] = []

    async def record(request: Request) -> JSONResponse:
        received.append((await request.body(), dict(request.headers)))
        return JSONResponse({"status": "accepted"}, status_code=202)

    recorder = Starlette(routes=[Route("/hook", record, methods=["POST"])])
    with BackgroundServer(recorder) as server:
        sender = WebhookSender(SHOP, workers=1)
        try:
            sender.subscribe(server.url + "/hook", [SECRET])
            sender({"event": "order.created", "source_hook": "actionValidateOrder",
                    "resource": {"type": "orders", "id": 5}, "data": {"id_order": 5}})  # fmt: skip
            deadline = time.monotonic() + 20
            while not received and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            sender.stop()
    assert received, "the emulator sent nothing"
    body, headers = received[0]
    t = int(headers["x-ps-webhook-timestamp"])
    vector = {"body_base64": base64.b64encode(body).decode(), "signature": headers["x-ps-webhook-signature"],
              "timestamp": headers["x-ps-webhook-timestamp"], "secrets": [SECRET], "now": t}  # fmt: skip
    assert run_php(php, "verify", stdin=json.dumps(vector))["valid"] is True
    vector["secrets"] = ["x" * 40]
    assert run_php(php, "verify", stdin=json.dumps(vector))["valid"] is False


def test_make_module_builds_the_zip_a_shop_uploads(tmp_path: Path):
    target = tmp_path / "dist" / "prestashopinfor.zip"
    done = subprocess.run(
        ["make", "module", f"MODULE_ZIP={target}"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert all(name.startswith("prestashopinfor/") for name in names), names
        files = {name for name in names if not name.endswith("/")}
        source = MODULE / "prestashopinfor"
        inside = [path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file()]
        assert files == {f"prestashopinfor/{name}" for name in inside}
        for name in ("prestashopinfor.php", "vendor/autoload.php", "controllers/front/cron.php",
                     "config/services.yml", "src/Command/DispatchCommand.php", "src/Dispatcher.php"):  # fmt: skip
            assert archive.read(f"prestashopinfor/{name}") == (source / name).read_bytes()
