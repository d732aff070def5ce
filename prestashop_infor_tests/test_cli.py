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

from prestashop_infor.cli import DEMO_MARKER, DEMO_TOKEN, build_parser, main
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
    (home / DEMO_MARKER).write_text(f"{DEMO_TOKEN}\n")
    with BackgroundServer(_nothing) as busy:
        code = main(["demo", "--dagster-home", str(home), "--dagster-port", str(busy.port),
                     "--prestashop-port", str(free_port()), "--infor-port", str(free_port()),
                     "--webhook-port", str(free_port())])  # fmt: skip
    assert code == 2
    assert f"port {busy.port} on 127.0.0.1 is already in use" in capsys.readouterr().err
    assert (home / DEMO_MARKER).exists()


# -- the demo clears only a home it made: its marker, holding its token ----------------------------


def _tree(folder):
    """Every file and folder under ``folder``: path, bytes (files), mode and modification time."""
    return {
        str(path.relative_to(folder)): (
            path.read_bytes() if path.is_file() else None,
            path.stat().st_mode,
            path.stat().st_mtime_ns,
        )
        for path in sorted(folder.rglob("*"))
    }


def _real_instance_home(folder):
    """A real Dagster instance's ``.dagster_home``, as ``~/.dagster_home`` would be."""
    home = folder / ".dagster_home"
    (home / "history" / "runs").mkdir(parents=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (home / "history" / "runs.db").write_bytes(b"SQLite format 3\x00" + bytes(range(256)))
    (home / "history" / "runs" / "index.db").write_bytes(b"\x00\x01 runs")
    (home / "notes.txt").write_text("production schedules, do not delete\n")
    return home


def _demo_ports() -> list[str]:
    return ["--prestashop-port", str(free_port()), "--infor-port", str(free_port()),
            "--dagster-port", str(free_port()), "--webhook-port", str(free_port())]  # fmt: skip


def test_the_demo_run_from_home_never_touches_a_real_instance_there(tmp_path, monkeypatch, capsys):
    """``~/.dagster_home`` of a real instance (its dagster.yaml, its history), the demo run from
    ``~`` with its default home: refused before anything starts, and left byte for byte."""
    monkeypatch.chdir(tmp_path)
    home = _real_instance_home(tmp_path)
    before = _tree(home)
    code = main(["demo", "--dagster-home", ".dagster_home", *_demo_ports()])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{home.resolve()} is not a Dagster home made by the demo" in err
    assert f"no {DEMO_MARKER} holding the demo's token" in err and "choose another --dagster-home" in err
    assert _tree(home) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dagster_home"]  # nothing else made either


def test_a_real_instance_home_is_not_clearable_and_not_cleared(tmp_path):
    from prestashop_infor.cli import ConfigurationError, _demo_home_is_clearable, _fresh_demo_home

    home = _real_instance_home(tmp_path)
    before = _tree(home)
    assert not _demo_home_is_clearable(home)
    with pytest.raises(ConfigurationError, match="is not a Dagster home made by the demo"):
        _fresh_demo_home(home, tmp_path / "unused.yaml")
    assert _tree(home) == before


@pytest.mark.parametrize(
    "marker",
    [
        b"",  # the marker of a demo before the token, or anyone's empty file
        b"Made by `prestashop-infor demo`, which deletes this folder when it starts.\n",
        DEMO_TOKEN[:-1].encode() + b"\n",  # almost the token
        b"x" + DEMO_TOKEN.encode() + b"\n",
        b"\n" + DEMO_TOKEN.encode() + b"\n",  # the token, not on the first line
        b"\xff\xfe" + DEMO_TOKEN.encode(),
    ],
)
def test_a_marker_without_the_token_is_refused(tmp_path, marker):
    from prestashop_infor.cli import ConfigurationError, _demo_home_is_clearable, _fresh_demo_home

    home = _real_instance_home(tmp_path)
    (home / DEMO_MARKER).write_bytes(marker)
    before = _tree(home)
    assert not _demo_home_is_clearable(home)
    with pytest.raises(ConfigurationError, match="holding the demo's token"):
        _fresh_demo_home(home, tmp_path / "unused.yaml")
    assert _tree(home) == before


def test_a_marker_that_is_a_folder_or_a_link_is_refused(tmp_path):
    from prestashop_infor.cli import _demo_home_is_clearable

    elsewhere = tmp_path / "token.txt"
    elsewhere.write_text(f"{DEMO_TOKEN}\n")
    linked = _real_instance_home(tmp_path / "a")
    (linked / DEMO_MARKER).symlink_to(elsewhere)
    assert not _demo_home_is_clearable(linked)
    folder = _real_instance_home(tmp_path / "b")
    (folder / DEMO_MARKER).mkdir()
    assert not _demo_home_is_clearable(folder)
    made = tmp_path / "made"
    made.mkdir()
    (made / DEMO_MARKER).write_text(f"{DEMO_TOKEN}\n")
    link = tmp_path / "link"
    link.symlink_to(made)  # a home that is a link: rmtree would follow nothing, so refused
    assert not _demo_home_is_clearable(link)


def test_a_home_the_demo_made_is_cleared_and_made_again(tmp_path):
    from prestashop_infor.cli import _demo_home_is_clearable, _fresh_demo_home

    dagster_yaml = tmp_path / "dagster.yaml"
    dagster_yaml.write_text("telemetry:\n  enabled: false\n")
    home = tmp_path / ".dagster_home"
    assert _demo_home_is_clearable(home)  # missing
    assert _fresh_demo_home(home, dagster_yaml) is False
    marker = (home / DEMO_MARKER).read_text()
    assert marker.splitlines()[0] == DEMO_TOKEN
    assert (home / "dagster.yaml").read_bytes() == dagster_yaml.read_bytes()
    (home / "prestashop_infor" / "store.db").write_bytes(b"the previous start's store")
    (home / "history").mkdir()
    assert _demo_home_is_clearable(home)
    assert _fresh_demo_home(home, dagster_yaml) is True
    assert sorted(p.name for p in home.iterdir()) == [DEMO_MARKER, "dagster.yaml", "prestashop_infor"]
    assert not any((home / "prestashop_infor").iterdir())
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _demo_home_is_clearable(empty)
    assert _fresh_demo_home(empty, dagster_yaml) is False
