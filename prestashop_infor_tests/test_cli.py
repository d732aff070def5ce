"""The command line: arguments are checked with clear messages; the sandbox serves real HTTP."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from prestashop_infor.cli import DEMO_MARKER, build_parser, main
from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.sandbox import start_sandbox
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY
from prestashop_infor.serving import BackgroundServer, free_port
from prestashop_infor.settings import SandboxSettings


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sandbox", "--prestashop-port", "http"], "'http' is not a port number"),
        (["sandbox", "--prestashop-port", "70000"], "port 70000 is outside 0-65535"),
        (["sandbox", "--orders", "-5"], "-5 is negative"),
        (["sandbox", "--traffic", "soon"], "'soon' is not a number of seconds"),
        (["sandbox", "--traffic", "-1"], "-1 seconds is not a duration"),
        (["sandbox", "--api-key", "short"], "32 characters"),
        (["sandbox", "--advertised-host", "not a host!"], "is not a host name"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_sandbox_defaults_keep_the_documented_flags():
    args = build_parser().parse_args(["sandbox"])
    assert (args.host, args.prestashop_port, args.seed, args.orders) == ("127.0.0.1", 8081, 42, 2000)
    assert args.api_key == DEFAULT_API_KEY


async def _nothing(scope, receive, send):
    raise AssertionError("no request is expected")


def test_busy_port_is_reported_not_hidden():
    with BackgroundServer(_nothing) as server:  # occupies a port
        message = f"port {server.port} on 127.0.0.1 is already in use"
        with pytest.raises(OSError, match=message):
            BackgroundServer(_nothing, port=server.port)


@pytest.mark.slow
def test_sandbox_command_serves_both_systems_until_terminated(tmp_path):
    port, infor_port = free_port(), free_port()
    key = "SANDBOXTESTKEY000000000000000001"
    ionapi = tmp_path / "sandbox.ionapi"
    arguments = ["--prestashop-port", str(port), "--api-key", key, "--orders", "20", "--seed", "7",
                 "--infor-port", str(infor_port), "--tenant", "CLI_TST", "--ionapi-out", str(ionapi), "--traffic", "0"]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "prestashop_infor.cli", "sandbox", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/api/" in banner
        auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
        answer = httpx.get(
            f"http://127.0.0.1:{port}/api/orders",
            params={"display": "[id]", "sort": "[id_ASC]", "output_format": "JSON"},
            headers=auth,
        )
        assert answer.status_code == 200
        assert [order["id"] for order in answer.json()["orders"]] == list(range(1, 21))

        # The .ionapi file it wrote is all an ION API client needs to reach the M3 emulator.
        credentials = IonApiCredentials.from_file(ionapi)
        assert credentials.tenant == "CLI_TST"
        with M3Client(credentials) as m3:
            items = m3.list_all("MMS200MI", "LstItmByItm", "ITNO")
        references = {
            reference
            for resource in ("products", "combinations")
            for reference in _references(port, key, resource)
        }
        assert {item["ITNO"] for item in items} == references
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    assert process.returncode == 0


def _references(port: int, key: str, resource: str) -> list[str]:
    answer = httpx.get(
        f"http://127.0.0.1:{port}/api/{resource}",
        params={"display": "[reference]", "output_format": "JSON"},
        auth=(key, ""),
    )
    return [record["reference"] for record in answer.json()[resource] if record["reference"]]


def test_sandbox_traffic_places_orders_until_stopped(tmp_path):
    settings = SandboxSettings(
        prestashop_port=free_port(), infor_port=free_port(), orders=5, ionapi_out=tmp_path / "s.ionapi",
        traffic_interval=0.02,
    )  # fmt: skip
    sandbox = start_sandbox(settings)
    try:
        deadline = time.monotonic() + 20
        while len(sandbox.traffic.placed) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sandbox.stop()
    placed = list(sandbox.traffic.placed)
    assert len(placed) >= 3
    assert placed == list(range(6, 6 + len(placed)))  # new orders after the 5 seeded ones
    orders = {int(o["id"]): o for o in sandbox.shop.records("orders")}
    assert all(orders[order_id]["associations"]["order_rows"] for order_id in placed)
    time.sleep(0.1)
    assert len(sandbox.shop.records("orders")) == 5 + len(placed)  # stopped means stopped


def test_demo_leaves_a_folder_it_did_not_make_alone(tmp_path, capsys):
    """The demo deletes its Dagster home at every start, so it refuses one it did not make,
    before it starts anything."""
    home = tmp_path / "instance"
    home.mkdir()
    (home / "dagster.yaml").write_text("# someone's real instance\n")
    code = main(["demo", "--dagster-home", str(home), "--prestashop-port", str(free_port()),
                 "--infor-port", str(free_port()), "--dagster-port", str(free_port()),
                 "--webhook-port", str(free_port())])  # fmt: skip
    assert code == 2
    assert "is not a Dagster home made by the demo" in capsys.readouterr().err
    assert [p.name for p in home.iterdir()] == ["dagster.yaml"]


def test_demo_refuses_a_busy_ui_port_before_clearing_anything(tmp_path, capsys):
    home = tmp_path / "home"
    home.mkdir()
    (home / DEMO_MARKER).write_text("")
    with BackgroundServer(_nothing) as busy:
        code = main(["demo", "--dagster-home", str(home), "--dagster-port", str(busy.port),
                     "--prestashop-port", str(free_port()), "--infor-port", str(free_port()),
                     "--webhook-port", str(free_port())])  # fmt: skip
    assert code == 2
    assert f"port {busy.port} on 127.0.0.1 is already in use" in capsys.readouterr().err
    assert (home / DEMO_MARKER).exists()
