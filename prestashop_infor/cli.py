"""The ``prestashop-infor`` command: sandbox, demo, and the dead-letter queue (``dlq``).

Configuration comes from the same environment variables as the Dagster definitions
(``prestashop_infor.defs``), read here at the edge and nowhere deeper."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from prestashop_infor.daemon import SENSOR_LOOP_SECONDS, run_daemon
from prestashop_infor.infor import M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.settings import (
    MAX_HISTORY_DAYS,
    MAX_ORDERS_PER_DAY,
    SandboxSettings,
    Settings,
    SettingsError,
)
from prestashop_infor.store import Store
from prestashop_infor.store.tables import DEAD_LETTER_STAGES, DEAD_LETTER_STATES
from prestashop_infor.sync import dead_letters, reconcile
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.mapping import MappingError, load_mapping


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0-65535")
    return port


def _count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if count < 0:
        raise argparse.ArgumentTypeError(f"{count} is negative")
    return count


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if seconds < 0 or seconds != seconds:
        raise argparse.ArgumentTypeError(f"{value} seconds is not a duration")
    return seconds


def _api_key(value: str) -> str:
    if len(value) != 32 or not value.isalnum() or value.upper() != value:
        raise argparse.ArgumentTypeError(
            "a PrestaShop Webservice key is 32 characters of upper-case letters and digits"
        )
    return value


def _tenant(value: str) -> str:
    if not value or not all(c.isalnum() or c == "_" for c in value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a tenant name (letters, digits and _)")
    return value


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _sandbox_host(host: str, advertised: str | None) -> str:
    """Loopback by default; any other address is an explicit choice, made with --advertised-host:
    the sandbox serves a published API key and made-up data, and the URLs it hands out must name a
    host the others can reach (not 0.0.0.0)."""
    if host in LOOPBACK:
        return "127.0.0.1" if host == "localhost" else host
    if not advertised:
        raise ConfigurationError(
            f"--host {host} exposes the sandbox beyond this machine; say so with --advertised-host NAME, "
            "the name the others reach it by (e.g. the compose service name)"
        )
    return host


def _host_name(value: str) -> str:
    if not value or len(value) > 253 or not all(c.isalnum() or c in "-._" for c in value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a host name")
    return value


def _add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = SandboxSettings()
    parser.add_argument(
        "--host",
        default=defaults.host,
        help="address to bind; beyond loopback only with --advertised-host (e.g. 0.0.0.0 in a container)",
    )
    parser.add_argument(
        "--advertised-host",
        type=_host_name,
        help="the name other machines reach the emulators by (a compose service name): written into the "
        "URLs the sandbox hands out (.ionapi, webhooks); needed to bind beyond loopback",
    )
    parser.add_argument(
        "--prestashop-port", type=_port, default=defaults.prestashop_port, help="port of the shop emulator"
    )
    parser.add_argument("--api-key", type=_api_key, default=defaults.api_key, help="Webservice key")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the generated shop")
    parser.add_argument("--orders", type=_count, default=defaults.orders, help="orders to seed")
    parser.add_argument("--version", dest="ps_version", default=defaults.version, help="PrestaShop profile")
    parser.add_argument("--time-zone", default=defaults.time_zone, help="the shop's IANA time zone")
    parser.add_argument(
        "--traffic",
        type=_seconds,
        default=10.0,
        help="seconds between orders placed by simulated customers (0: none)",
    )
    parser.add_argument(
        "--infor-port", type=_port, default=defaults.infor_port, help="port of the M3 emulator"
    )
    parser.add_argument("--tenant", type=_tenant, default=defaults.tenant, help="M3 tenant name")
    parser.add_argument(
        "--ionapi-out",
        type=Path,
        default=defaults.ionapi_out,
        help="where to write the emulator's .ionapi file",
    )

    def at_most(maximum: int, unit: str):
        def parse(value: str) -> int:
            count = _count(value)
            if count > maximum:
                raise argparse.ArgumentTypeError(f"{count} is above the maximum of {maximum} {unit}")
            return count

        return parse

    parser.add_argument(
        "--history-days",
        type=at_most(MAX_HISTORY_DAYS, "days"),
        default=defaults.history_days,
        help="seed a history in both systems over the last N days, replacing --orders (0: none)",
    )
    parser.add_argument(
        "--orders-per-day",
        type=at_most(MAX_ORDERS_PER_DAY, "orders a day"),
        default=defaults.orders_per_day,
        help="orders a day in the --history-days history (varies a little from day to day)",
    )


def _webhook_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{value!r} is not an http(s) URL of a webhook receiver")
    return value


def _settings(args: argparse.Namespace) -> SandboxSettings:
    urls = tuple(getattr(args, "webhook_url", None) or ())
    secret = ""
    if urls:  # the shop signs with the receiver's secret, WEBHOOK_SECRET (the first one in a rotation)
        try:
            secret = _settings_now().webhook_secrets()[0]
        except SettingsError as exc:
            raise ConfigurationError(f"--webhook-url needs {exc}") from None
    try:
        return SandboxSettings(
            host=_sandbox_host(args.host, args.advertised_host),
            advertised_host=args.advertised_host,
            prestashop_port=args.prestashop_port,
            api_key=args.api_key,
            seed=args.seed,
            orders=args.orders,
            version=args.ps_version,
            time_zone=args.time_zone,
            infor_port=args.infor_port,
            tenant=args.tenant,
            ionapi_out=args.ionapi_out,
            traffic_interval=args.traffic,
            webhook_urls=urls,
            webhook_secret=secret,
            history_days=args.history_days,
            orders_per_day=args.orders_per_day,
        )
    except ValueError as exc:  # settings that only make sense together (a history needs its orders)
        flags = (
            str(exc).replace("history_days", "--history-days").replace("orders_per_day", "--orders-per-day")
        )
        raise ConfigurationError(flags) from None


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _print_sandbox(sandbox: Any) -> None:
    print(
        f"PrestaShop Webservice: {sandbox.prestashop_url}/api/  (key {sandbox.settings.api_key})", flush=True
    )
    print(
        f"Infor ION API (M3):    {sandbox.infor_url}/{sandbox.settings.tenant}/M3/m3api-rest/v2/", flush=True
    )
    print(f"ION API credentials:   {sandbox.ionapi_path}", flush=True)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from prestashop_infor.sandbox import start_sandbox  # the emulators load only for these commands

    settings = _settings(args)
    with _Progress("seeding the history", total=settings.history_days or None) as bar:
        sandbox = start_sandbox(
            settings, progress=lambda done, days: bar.step(f"seeding the history: day {done} of {days}")
        )
    try:
        _print_sandbox(sandbox)
        print("Serving until interrupted (Ctrl-C).", flush=True)
        _wait_for_interrupt()
    finally:
        sandbox.stop()
    return 0


DEMO_GROUPS = ("prestashop", "infor", "order_to_cash")
# on the demo's own runs: "first_materialization", "history_reconciliation"
DEMO_RUN_TAG = "prestashop_infor/demo"
DEMO_RUN_LABELS = {
    "first_materialization": "First materialization (every asset)",
    "history_reconciliation": "Reconciliation of the history",
}
DEMO_HISTORY_DAYS = 30  # the demo's sandbox: a month of orders in both systems ...
DEMO_ORDERS_PER_DAY = 20  # ... about 20 a day
DEMO_LOGS = "demo_logs"  # in the demo's home: the output of the daemon (and its runs) and the webserver
DEMO_STOP_SECONDS = 10  # from Ctrl-C to SIGKILL for whatever of Dagster is still running
# Planted once the first materialization has bound the history (an order dropped from M3 before
# that would only be sent again), on days a week old or more, whose orders are paid and closed: no
# lane reads them again, so each change waits quietly for the reconciliation. No state set back by
# hand in the shop: the status lane's first pass over a new store would push it forward again.
DEMO_DISCREPANCIES = {"dropped": 1, "orphaned": 1, "amount": 1, "line": 1}
DEMO_DISCREPANCY_MIN_AGE_DAYS = 8
_DISCREPANCY_WORDS = {
    "dropped": "dropped from M3",
    "orphaned": "deleted from the shop (M3 keeps it)",
    "amount": "price raised in M3",
    "line": "item changed in M3",
}
_DEMO_ASSETS_QUERY = """
{ repositoriesOrError { __typename ... on RepositoryConnection { nodes {
    name location { name } assetNodes { assetKey { path } groupName } } } } }
"""
_DEMO_LAUNCH_MUTATION = """
mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on Error { message }
    ... on RunConfigValidationInvalid { errors { message } } } }
"""
_DEMO_RUN_QUERY = "query Run($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"
_RUN_ENDS = ("SUCCESS", "FAILURE", "CANCELED")


DEMO_MARKER = ".prestashop-infor-demo"  # in a Dagster home the demo made, and may clear
# The marker's first line: a token of this project's own, which no real Dagster instance holds. The
# demo clears a home only when its marker holds it: a marker's name alone (or a dagster.yaml) is no proof.
DEMO_TOKEN = "prestashop-infor demo home 6f1d0c2e-5b8a-4e37-9a41-c3d27e90b5f8"


def _demo_marker_holds_token(home: Path) -> bool:
    """Whether ``home`` holds the marker the demo writes, with the demo's token on its first line."""
    marker = home / DEMO_MARKER
    if marker.is_symlink() or not marker.is_file():
        return False
    try:
        with marker.open(encoding="utf-8", errors="replace") as text:
            first = text.readline(len(DEMO_TOKEN) + 2)
    except OSError:
        return False
    return first.strip() == DEMO_TOKEN


def _demo_home_is_clearable(home: Path) -> bool:
    """Whether ``home`` may be cleared at start: missing or empty, or made by the demo (its marker,
    holding the demo's token). Any other folder may be someone's real instance (a ``~/.dagster_home``
    with its ``dagster.yaml``, the demo run from ``~``) and is never touched."""
    if not home.exists():
        return True
    if home.is_symlink() or not home.is_dir():
        return False
    return not any(home.iterdir()) or _demo_marker_holds_token(home)


def _fresh_demo_home(home: Path, dagster_yaml: Path) -> bool:
    """Every start of the demo begins afresh: the emulators are seeded anew, so the previous
    instance and store (runs, cursors, an id map naming M3 orders the new emulator never saw)
    would only conflict. Deletes the previous start's home (True when there was one) and makes a
    new one with the instance's ``dagster.yaml`` and the marker holding the token. Refuses (a
    ``ConfigurationError``) a home it may not clear, whoever calls it."""
    if not _demo_home_is_clearable(home):
        raise ConfigurationError(_not_a_demo_home(home))
    cleared = home.exists() and any(home.iterdir())
    if home.exists():
        shutil.rmtree(home)
    (home / "prestashop_infor").mkdir(parents=True)
    (home / DEMO_MARKER).write_text(
        f"{DEMO_TOKEN}\nMade by `prestashop-infor demo`, which deletes this folder when it starts.\n",
        encoding="utf-8",
    )
    shutil.copyfile(dagster_yaml, home / "dagster.yaml")
    return cleared


def _not_a_demo_home(home: Path) -> str:
    return (
        f"{home} is not a Dagster home made by the demo (it has no {DEMO_MARKER} holding the demo's "
        "token); the demo clears its home at every start, so choose another --dagster-home"
    )


def _demo_graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    import httpx

    answer = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30)
    answer.raise_for_status()
    body = answer.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"][0].get("message", body["errors"]))
    return body["data"]


def _demo_start_runs(
    url: str,
    dagster: subprocess.Popen[Any],
    stopping: threading.Event,
    started: float,
    sandbox: Any,
    store_url: str,
) -> None:
    """What the demo runs itself once the UI answers and the code location is loaded, through the
    webserver (so each is a run of the instance, queued and run by the daemon like one launched from
    the UI): the first materialization of every asset; once it has bound the seeded history, a few
    discrepancies planted in the sandbox and the history reconciled in one run over its days."""
    location: dict[str, str] | None = None
    keys: list[Any] = []
    while location is None:
        if stopping.wait(1) or dagster.poll() is not None:
            return
        try:
            repositories = _demo_graphql(url, _DEMO_ASSETS_QUERY)["repositoriesOrError"]
        except Exception:  # noqa: BLE001 - not up yet: the webserver or the code location is starting
            continue
        for repository in repositories.get("nodes", []):
            keys = [n["assetKey"] for n in repository["assetNodes"] if n["groupName"] in DEMO_GROUPS]
            if keys:
                location = {
                    "repositoryLocationName": repository["location"]["name"],
                    "repositoryName": repository["name"],
                }
        if location is None and time.monotonic() - started > 300:
            print("prestashop-infor: the code location did not load; see the UI", file=sys.stderr)
            return
    print(f"Dagster UI answering, {time.monotonic() - started:.0f} s after the start.", flush=True)
    first = _launch_demo_run(
        url,
        {**location, "jobName": "__ASSET_JOB", "assetSelection": keys},
        "first_materialization",
        run_config={"execution": {"config": {"in_process": {}}}},  # no process per step
    )
    status = None if first is None else _wait_for_demo_run(url, first, dagster, stopping)
    if status != "SUCCESS":
        if status is not None:
            _say(f"The history is not reconciled: the first materialization ended {status}.")
        return
    first_day, today = sandbox.order_days()
    last_day = today - timedelta(days=1)
    if not sandbox.settings.history_days or last_day < first_day:
        return  # no history in M3 to reconcile with, or not a whole day of it yet
    _plant_demo_discrepancies(sandbox, first_day, today)
    reconciliation = _launch_demo_run(
        url,
        {**location, "jobName": "order_reconciliation_job"},
        "history_reconciliation",
        tags={
            "dagster/asset_partition_range_start": first_day.isoformat(),
            "dagster/asset_partition_range_end": last_day.isoformat(),
        },
    )
    if reconciliation is None or _wait_for_demo_run(url, reconciliation, dagster, stopping) != "SUCCESS":
        return
    with Store.from_url(store_url) as store:
        findings = reconcile.open_findings(store, first_day, last_day)
    found = "; ".join(f"{f.day} {f.kind} {f.key}" for f in findings[:10]) or "none"
    _say(
        f"History reconciled, {first_day} to {last_day}: {len(findings)} finding(s) ({found}); "
        f"each day's result: {url}/assets/order_reconciliation?view=partitions"
    )


DEMO_LAUNCH_ATTEMPTS = 3
_DEMO_RUNS_TAGGED_QUERY = """
query Tagged($tags: [ExecutionTag!]) {
  runsOrError(filter: {tags: $tags}) { ... on Runs { results { runId } } }
}
"""


def _demo_run_tagged(url: str, kind: str) -> str | None:
    """The id of the demo's run of ``kind`` if one was made (a launch that failed after creating it)."""
    try:
        data = _demo_graphql(url, _DEMO_RUNS_TAGGED_QUERY, {"tags": [{"key": DEMO_RUN_TAG, "value": kind}]})
    except Exception:  # noqa: BLE001 - the webserver does not answer: no run known
        return None
    results = (data.get("runsOrError") or {}).get("results") or []
    return results[0]["runId"] if results else None


def _launch_demo_run(
    url: str,
    selector: dict[str, Any],
    kind: str,
    *,
    run_config: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> str | None:
    """Launch one of the demo's runs (``kind``: a DEMO_RUN_TAG value) through the webserver; its id,
    or None with the reason on stderr."""
    params = {
        "selector": selector,
        "runConfigData": run_config or {},
        "executionMetadata": {
            "tags": [
                {"key": key, "value": value} for key, value in {DEMO_RUN_TAG: kind, **(tags or {})}.items()
            ]
        },
    }
    label = DEMO_RUN_LABELS[kind]
    for attempt in range(1, DEMO_LAUNCH_ATTEMPTS + 1):
        try:
            launched = _demo_graphql(url, _DEMO_LAUNCH_MUTATION, {"params": params})["launchRun"]
            break
        except Exception as exc:  # noqa: BLE001 - a loaded webserver may fail a launch: tried again
            made = _demo_run_tagged(url, kind)  # the run may exist all the same: never a second one
            if made:
                return made
            if attempt == DEMO_LAUNCH_ATTEMPTS:
                print(f"prestashop-infor: could not launch the {label}: {exc}", file=sys.stderr)
                return None
            time.sleep(2)
    if launched["__typename"] != "LaunchRunSuccess":
        why = launched.get("message") or launched.get("errors") or launched["__typename"]
        print(f"prestashop-infor: the {label} was refused: {why}", file=sys.stderr)
        return None
    return launched["run"]["runId"]


def _wait_for_demo_run(
    url: str, run_id: str, dagster: subprocess.Popen[Any], stopping: threading.Event
) -> str | None:
    """The run's final status; None when the demo stops first."""
    status = "QUEUED"
    while status not in _RUN_ENDS:
        if stopping.wait(1) or dagster.poll() is not None:
            return None
        try:
            status = _demo_graphql(url, _DEMO_RUN_QUERY, {"id": run_id})["runOrError"].get("status", status)
        except Exception:  # noqa: BLE001 - asked again at the next turn
            continue
    return status


def _plant_demo_discrepancies(sandbox: Any, first_day: date, today: date) -> None:
    """Plant DEMO_DISCREPANCIES on the history's days at least DEMO_DISCREPANCY_MIN_AGE_DAYS old, and
    say which orders they touched."""
    last = today - timedelta(days=DEMO_DISCREPANCY_MIN_AGE_DAYS)
    days = [first_day + timedelta(days=n) for n in range((last - first_day).days + 1)]
    try:
        if not days:
            raise ValueError(f"the history has no day {DEMO_DISCREPANCY_MIN_AGE_DAYS} days old or more")
        planted = sandbox.plant_discrepancies(seed=sandbox.settings.seed, days=days, **DEMO_DISCREPANCIES)
    except ValueError as exc:
        _say(f"No discrepancies planted for the reconciliation to find: {exc}")
        return
    touched = [f"order {order_id} {_DISCREPANCY_WORDS[kind]}"
               for kind in DEMO_DISCREPANCIES for order_id in planted[kind]]  # fmt: skip
    _say(f"Planted for the reconciliation to find: {', '.join(touched)}.")


def _watch_runs(dagster_home: Path, url: str, stopping: threading.Event) -> None:
    """What the terminal shows of the lanes: a line when a run starts and when it ends, with what
    started it. Every event of every run is in the UI (and in the logs under the demo's home)."""
    import dagster as dg

    announced: set[tuple[str, str]] = set()  # (run id, "started" or its end)
    since: datetime | None = None
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        while not stopping.wait(1):
            try:
                records = instance.get_run_records(
                    filters=dg.RunsFilter(updated_after=since), order_by="update_timestamp", ascending=True
                )
            except Exception:  # noqa: BLE001 - the SQLite storage is busy: asked again in a second
                continue
            if records:  # a second back: a run updated in the same instant as the last one is not missed
                since = records[-1].update_timestamp - timedelta(seconds=1)
            for record in records:
                run, status = record.dagster_run, record.dagster_run.status.value
                event = status if status in _RUN_ENDS else "started" if status == "STARTED" else None
                if event is None or (run.run_id, event) in announced:
                    continue
                announced.add((run.run_id, event))
                _say(_run_line(run, event, record, url))


def _say(event: str) -> None:
    """One line of what happens in the demo, with the time it was seen."""
    print(f"{datetime.now().strftime('%H:%M:%S')}  {event}", flush=True)


def _run_line(run: Any, event: str, record: Any, url: str) -> str:
    link = f"{url}/runs/{run.run_id}"
    if event == "started":
        return f"{_run_label(run)}: started  {link}"
    took = f" in {record.end_time - record.start_time:.0f} s" if record.start_time and record.end_time else ""
    return f"{_run_label(run)}: {event}{took}" + ("" if event == "SUCCESS" else f"  {link}")


def _run_label(run: Any) -> str:
    """The demo's own runs by name; any other by its job (or its assets) and what launched it."""
    if run.tags.get(DEMO_RUN_TAG) in DEMO_RUN_LABELS:
        return DEMO_RUN_LABELS[run.tags[DEMO_RUN_TAG]]
    what = run.job_name
    if what.startswith("__ASSET_JOB") and run.asset_selection:
        names = sorted(key.to_user_string() for key in run.asset_selection)
        what = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    tags = run.tags
    by = (
        tags.get("dagster/schedule_name")
        or tags.get("dagster/sensor_name")
        or (f"backfill {tags['dagster/backfill']}" if "dagster/backfill" in tags else "launched from the UI")
    )
    return f"{what} ({by})"


def _alert_receiver(stopping: threading.Event) -> Any:
    """Where the demo's alerts go (ALERT_WEBHOOK_URL, unless one is set): a line each in the terminal,
    until the demo stops (the runs it interrupts then are no news)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from prestashop_infor.serving import BackgroundServer

    async def alert(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return Response("not JSON", status_code=400)
        text = body.get("text") if isinstance(body, dict) else None
        shown = text.removeprefix("prestashop-infor: ") if isinstance(text, str) else json.dumps(body)[:300]
        if not stopping.is_set():
            _say(f"alert: {shown}")
        return Response(status_code=204)

    return BackgroundServer(Starlette(routes=[Route("/alerts", alert, methods=["POST"])]), "127.0.0.1", 0)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def cmd_demo(args: argparse.Namespace) -> int:
    """The sandbox, a fresh store and Dagster instance, the webhook receiver, the Dagster UI and
    daemon (``prestashop-infor daemon``) until Ctrl-C or SIGTERM. The UI comes first; the first
    materialization of every asset is then launched as a run, and the seeded history reconciled.
    The terminal shows a line per run started and ended, and per alert; the Dagster processes write
    to files under the demo's home (``logs/``)."""
    from prestashop_infor.processes import create_instance_storage, stop_in_order
    from prestashop_infor.sandbox import start_sandbox
    from prestashop_infor.serving import BackgroundServer, port_is_free
    from prestashop_infor.store import upgrade_store
    from prestashop_infor.webhooks import create_app as create_receiver

    started = time.monotonic()
    project = Path(__file__).resolve().parent.parent
    dagster_home = Path(args.dagster_home).resolve()

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM unwinds like Ctrl-C: everything started is stopped

    handlers = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    stopping = threading.Event()
    sandbox = process = daemon = receiver = alerts = inbox_store = None
    logs: list[Any] = []
    interrupted = False
    try:
        # What could refuse the start is checked before anything is cleared.
        if not _demo_home_is_clearable(dagster_home):
            raise ConfigurationError(_not_a_demo_home(dagster_home))
        for port, flag in ((args.dagster_port, "--dagster-port"), (args.webhook_port, "--webhook-port"),
                           (args.prestashop_port, "--prestashop-port"), (args.infor_port, "--infor-port")):  # fmt: skip
            if not port_is_free(args.host, port):
                raise ConfigurationError(
                    f"port {port} on {args.host} is already in use (another demo?); choose another {flag}"
                )
        sandbox = start_sandbox(_settings(args))
        cleared = _fresh_demo_home(dagster_home, project / "dagster.yaml")
        # not $DAGSTER_HOME/logs: Dagster's webserver and daemon take that folder away (their telemetry
        # upload, whatever `telemetry: enabled` says)
        log_folder = dagster_home / DEMO_LOGS
        log_folder.mkdir()
        store_url = f"sqlite:///{dagster_home / 'prestashop_infor' / 'store.db'}"
        store = upgrade_store(store_url)
        # the webhook receiver, fed by the sandbox shop's webhooks, with a secret of this start
        webhook_secret = secrets.token_hex(32)
        inbox_store = Store.from_url(store_url)
        receiver = BackgroundServer(
            create_receiver(inbox_store, [webhook_secret], shop_urls=[sandbox.prestashop_url]),
            args.host,
            args.webhook_port,
        ).start()
        sandbox.webhooks.subscribe(f"{receiver.url}/webhooks/prestashop", [webhook_secret])
        url = f"http://{args.host}:{args.dagster_port}"
        first_day, _ = sandbox.order_days()
        environment = {
            **{k: v for k, v in os.environ.items() if k != "PRESTASHOP_INFOR_DATABASE_SCHEMA"},
            **sandbox.environment(),
            "DAGSTER_HOME": str(dagster_home),
            "PRESTASHOP_INFOR_DATABASE_URL": store_url,  # the demo's own store, never a production one
            "PRESTASHOP_INFOR_SCHEDULES": "on",  # the sync schedules run on their own in the demo
            # the reconciliation's days begin with the shop's first order, not years before it
            "PRESTASHOP_INFOR_RECONCILIATION_START": first_day.isoformat(),
            "PRESTASHOP_INFOR_DAGSTER_UI_URL": url,  # the links in the alerts
        }
        if not os.environ.get("ALERT_WEBHOOK_URL"):  # else the alerts go where the user said
            alerts = _alert_receiver(stopping).start()
            environment["ALERT_WEBHOOK_URL"] = f"{alerts.url}/alerts"
            environment.pop("ALERT_FORMAT", None)  # the plain JSON, whose text the terminal shows
        # The UI (dagster-webserver) and our daemon (Dagster's, with the sensor loop every second:
        # `prestashop-infor daemon`), each in its own session (Ctrl-C reaches the demo alone, which
        # stops them in order), each writing to its log file: the daemon's holds its code server's
        # and every run worker's output too.
        workspace = str(project / "workspace.yaml")
        create_instance_storage(dagster_home)
        daemon_log, webserver_log = log_folder / "daemon.log", log_folder / "webserver.log"
        logs = [daemon_log.open("ab"), webserver_log.open("ab")]
        daemon = subprocess.Popen(
            [str(Path(sys.executable).with_name("prestashop-infor")), "daemon", "-w", workspace],
            env=environment,
            cwd=dagster_home,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=logs[0],
            stderr=subprocess.STDOUT,
        )
        webserver = [
            str(Path(sys.executable).with_name("dagster-webserver")),
            "-w", workspace, "-h", args.host, "-p", str(args.dagster_port),
        ]  # fmt: skip
        process = subprocess.Popen(
            webserver,
            env=environment,
            cwd=dagster_home,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=logs[1],
            stderr=subprocess.STDOUT,
        )
        for target, arguments, name in (
            (_demo_start_runs, (url, process, stopping, started, sandbox, store_url), "demo-runs"),
            (_watch_runs, (dagster_home, url, stopping), "demo-run-lines"),
        ):
            threading.Thread(target=target, args=arguments, name=name, daemon=True).start()
        _print_sandbox(sandbox)
        print(f"Dagster UI:            {url}", flush=True)
        fresh = "the previous start's deleted" if cleared else "new"
        print(f"Dagster instance:      {dagster_home} (SQLite; {fresh})", flush=True)
        print(f"Store:                 {store_url} (revision {store.after})", flush=True)
        print(
            f"Webhook receiver:      {receiver.url}/webhooks/prestashop (the shop is subscribed)", flush=True
        )
        print(f"Logs:                  {log_folder} (daemon.log: the daemon and every run)", flush=True)
        print(
            f"Alerts:                {'shown here' if alerts else 'posted to ALERT_WEBHOOK_URL'}", flush=True
        )
        print("Ctrl-C stops everything.", flush=True)
        while process.poll() is None and daemon.poll() is None:
            time.sleep(0.5)
        exited, name, log = (
            (process, "dagster-webserver", webserver_log)
            if process.poll() is not None
            else (daemon, "the daemon", daemon_log)
        )
        print(
            f"prestashop-infor: {name} exited with {exited.returncode}; the end of {log}:\n{_tail(log)}",
            file=sys.stderr,
        )
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for handled in handlers:  # the cleanup runs to its end, even on a second Ctrl-C
            signal.signal(handled, signal.SIG_IGN)
        stopping.set()
        leaders = {
            p.pid: f"{what} (pid {p.pid})"
            for p, what in ((daemon, "the Dagster daemon"), (process, "dagster-webserver"))
            if p
        }

        def stop_servers() -> None:  # in this process; the shop's webhooks stop before their receiver
            for server in (sandbox, receiver, alerts):
                if server is not None:
                    server.stop()
            if inbox_store is not None:
                inbox_store.dispose()

        if leaders:
            print(f"Stopping (forcibly after {DEMO_STOP_SECONDS} s)...", flush=True)

            # the daemon and the webserver first, each stopping its code server itself; the emulators
            # and the receiver once they are gone, beside what they left (the runs under way)
            def report(stopped: Any) -> None:
                if stopped.what is not None:  # a run's helpers (its log tailers) are counted below
                    how = "Killed" if stopped.killed else "Stopped"
                    print(f"{how} {stopped.what} after {stopped.seconds:.1f} s.", flush=True)

            ended = stop_in_order(
                leaders, dagster_home, grace=DEMO_STOP_SECONDS, then=stop_servers, report=report
            )
            helpers = sum(1 for stopped in ended if stopped.what is None)
            if helpers:
                processes = "process" if helpers == 1 else "processes"
                print(f"Stopped {helpers} helper {processes} of the runs (log tailers).", flush=True)
        else:
            stop_servers()
        for started_process in (process, daemon):
            if started_process is not None:
                started_process.poll()  # reaped: no zombie left behind
        for log_file in logs:
            log_file.close()
        if sandbox is not None:
            print("Stopped the emulators and the webhook receiver.", flush=True)
        for handled, handler in handlers.items():
            signal.signal(handled, handler)
    if interrupted or process is None:
        return 0
    return exited.returncode or 1  # the webserver or the daemon stopped on its own


# -- the dead-letter queue -----------------------------------------------------------------------

DATABASE_URL = "PRESTASHOP_INFOR_DATABASE_URL"
DATABASE_SCHEMA = "PRESTASHOP_INFOR_DATABASE_SCHEMA"
MAPPING_FILE = "PRESTASHOP_INFOR_MAPPING_FILE"
MESSAGE_WIDTH = 60


class ConfigurationError(Exception):
    """A setting the command needs is missing or wrong; the message names the variable."""


def _letter_id(value: str) -> int:
    try:
        letter_id = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a dead-letter id (a whole number, as shown by `dlq list`)"
        ) from None
    if letter_id < 1:
        raise argparse.ArgumentTypeError(f"{letter_id} is not a dead-letter id (ids start at 1)")
    return letter_id


def _dlq_state(value: str) -> str:
    if value not in (*DEAD_LETTER_STATES, "all"):
        raise argparse.ArgumentTypeError(
            f"unknown state {value!r}; use one of {', '.join(DEAD_LETTER_STATES)} or all"
        )
    return value


def _dlq_stage(value: str) -> str:
    if value not in DEAD_LETTER_STAGES:
        raise argparse.ArgumentTypeError(
            f"unknown stage {value!r}; use one of {', '.join(DEAD_LETTER_STAGES)}"
        )
    return value


def _positive(value: str) -> int:
    count = _count(value)
    if count == 0:
        raise argparse.ArgumentTypeError("0 would show nothing; give a positive number")
    return count


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0.1 <= seconds <= 60:
        raise argparse.ArgumentTypeError(f"{value} s is out of range; give 0.1 to 60 seconds")
    return seconds


def _settings_now() -> Settings:
    try:
        return Settings.read()
    except SettingsError as exc:
        raise ConfigurationError(str(exc)) from None


def _database_url() -> str:
    return _settings_now().store_url()


def _open_store(*, create: bool = False) -> Store:
    """The store the Dagster runs use: ``PRESTASHOP_INFOR_DATABASE_URL`` (default as in the
    definitions) and ``PRESTASHOP_INFOR_DATABASE_SCHEMA``. A SQLite file that does not exist is an
    error unless ``create`` (the receiver may be the first to write): the dlq commands would
    otherwise report an empty queue."""
    settings = _settings_now()
    url, schema = settings.store_url(), settings.database_schema
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigurationError(f"{DATABASE_URL}={url!r} is not a database URL") from None
    shown = parsed.render_as_string(hide_password=True)
    file_path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file_path not in (None, "", ":memory:") and not Path(file_path).expanduser().exists():
        if not create:
            raise ConfigurationError(
                f"there is no store at {file_path}: set {DATABASE_URL} (or DAGSTER_HOME) to the "
                "store the Dagster runs use"
            )
        Path(file_path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        return Store.from_url(url, schema=schema)
    except ValueError as exc:
        raise ConfigurationError(f"{DATABASE_SCHEMA}: {exc}") from None
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigurationError(f"cannot open the store at {shown} ({DATABASE_URL}): {reason}") from None


def _replay_clients(
    wanted: set[str],
) -> tuple[PrestashopClient | None, M3Client | None, SyncMapping | None]:
    """The shop client, the M3 client and the mapping, those of them ``wanted``."""
    settings = _settings_now()
    prestashop = m3 = mapping = None
    if "mapping" in wanted:
        path = settings.mapping_file
        try:
            mapping = load_mapping(path)
        except MappingError as exc:
            raise ConfigurationError(f"{MAPPING_FILE}: {exc}" if path else str(exc)) from None
    if "m3" in wanted:
        m3 = M3Client(_settings_call(settings.ionapi_credentials))
    if "prestashop" in wanted:
        url, key = _settings_call(settings.require_prestashop)
        time_zone = settings.prestashop_time_zone
        try:
            prestashop = PrestashopClient(url, key, time_zone=time_zone)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            if m3 is not None:
                m3.close()
            raise ConfigurationError(f"PRESTASHOP_TIME_ZONE={time_zone!r}: {exc}") from None
    return prestashop, m3, mapping


def _settings_call(read: Any) -> Any:
    try:
        return read()
    except SettingsError as exc:
        raise ConfigurationError(f"{exc}; `dlq replay` needs it") from None


def _one_line(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ")


def _print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _label(letter: Any) -> str:
    return f"letter {letter.id} ({letter.entity} {letter.key}, {letter.stage})"


def cmd_dlq_list(args: argparse.Namespace) -> int:
    state = None if args.state == "all" else args.state
    with _open_store() as store:
        letters = store.dead_letters(state=state, entity=args.entity, stage=args.stage)
    total = len(letters)
    if args.limit:
        letters = letters[: args.limit]
    if args.json:
        print(json.dumps([dead_letters.describe(letter) for letter in letters], indent=2, ensure_ascii=False))
        return 0
    if not letters:
        which = " ".join(filter(None, [args.state if state else None, args.entity, args.stage]))
        print(f"no {which + ' ' if which else ''}dead letters")
        return 0
    rows = [["ID", "ENTITY", "KEY", "STAGE", "CODE", "FIELD", "ATTEMPTS", "LAST SEEN", "STATE", "MESSAGE"]]
    for letter in letters:
        rows.append(
            [
                str(letter.id),
                letter.entity,
                letter.key,
                letter.stage,
                letter.error_code,
                letter.field or "-",
                str(letter.attempts),
                _when(letter.last_seen),
                letter.state,
                _one_line(letter.message, MESSAGE_WIDTH),
            ]
        )
    _print_table(rows)
    if total > len(letters):
        print(f"({len(letters)} of {total} shown; raise --limit to see more)")
    return 0


def cmd_dlq_show(args: argparse.Namespace) -> int:
    with _open_store() as store:
        (letter,) = dead_letters.letters_by_id(store, [args.id])
    described = dead_letters.describe(letter)
    if args.json:
        print(json.dumps(described, indent=2, ensure_ascii=False))
        return 0
    print(f"dead letter {letter.id}")
    for name in (
        "entity",
        "key",
        "stage",
        "state",
        "error_code",
        "field",
        "attempts",
        "first_seen",
        "last_seen",
    ):
        print(f"  {name + ':':12} {described[name] if described[name] is not None else '-'}")
    print(f"  {'message:':12} {letter.message}")
    why = dead_letters.why_not_replayable(letter)
    command = f"`dlq replay {letter.id}`" if letter.state == "open" else f"`dlq replay {letter.id} --force`"
    print(f"  {'replay:':12} {command if why is None else 'not by id: ' + why}")
    if letter.failures:
        print("failures:")
        print(json.dumps(letter.failures, indent=2, ensure_ascii=False, default=str))
    print("payload:")
    print(json.dumps(letter.payload, indent=2, ensure_ascii=False, sort_keys=True, default=str))
    return 0


class _Progress:
    """A progress bar on stderr while long work runs (rich), when stderr is a terminal: scripts, pipes
    and tests get the command's output alone. ``step`` advances it and may rename the work."""

    def __init__(self, description: str, total: int | None = None):
        from rich.console import Console

        self.description, self.total = description, total
        self.console = Console(stderr=True)
        self._bar: Any = None
        self._task: Any = None

    @property
    def shown(self) -> bool:
        return self.console.is_terminal

    def __enter__(self) -> _Progress:
        if self.shown:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            counted = (BarColumn(), MofNCompleteColumn()) if self.total is not None else ()
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), *counted, TimeElapsedColumn(),
                                 console=self.console, transient=True)  # fmt: skip
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def step(self, description: str | None = None, advance: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=advance, description=description or self.description)

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    if args.all == bool(args.ids):
        raise ConfigurationError("give the ids of the letters to replay, or --all (not both)")
    if args.entity and not args.all:
        raise ConfigurationError("--entity chooses the letters of --all; with ids, leave it out")
    with _open_store() as store:
        if args.all:
            letters, others = dead_letters.replayable_open_letters(store, args.entity)
            for letter, why in others:
                print(f"{_label(letter)}: left open, not replayable: {why}")
            if not letters:
                print("no open dead letters to replay")
                return 0
        else:
            letters = dead_letters.letters_by_id(store, args.ids)
        prestashop, m3, mapping = _replay_clients(dead_letters.needs(letters))
        try:
            with _Progress("replaying dead letters", total=len(letters)) as progress:
                report = dead_letters.replay(
                    store,
                    [letter.id for letter in letters],
                    prestashop=prestashop,
                    m3=m3,
                    mapping=mapping,
                    force=args.force,
                    progress=lambda done: progress.step(f"letter {done.letter_id}: {done.outcome}"),
                )
        finally:
            for client in (prestashop, m3):
                if client is not None:
                    client.close()
    for result in report.results:
        label = f"letter {result.letter_id} ({result.entity} {result.key}, {result.stage})"
        line = f"{label}: {result.outcome}: {result.detail}"
        if result.outcome == dead_letters.FAILED:
            line += f" [attempt {result.attempts}, still {result.state}]"
        print(line)
    counts = {o: len(report.of(o)) for o in (dead_letters.REPLAYED, dead_letters.FAILED, dead_letters.SKIPPED,
                                              dead_letters.NOT_ATTEMPTED)}  # fmt: skip
    print(", ".join(f"{count} {outcome.replace('_', ' ')}" for outcome, count in counts.items() if count))
    if report.stopped:
        print(f"prestashop-infor dlq replay: stopped: {report.stopped}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_dlq_resolve(args: argparse.Namespace) -> int:
    with _open_store() as store:
        resolved = dead_letters.resolve(store, args.ids)
    for letter, state in resolved:
        print(f"{_label(letter)}: {letter.state} -> {state}")
    return 0


def _add_dlq_commands(commands: Any) -> None:
    dlq = commands.add_parser(
        "dlq",
        help="the dead-letter queue: list, show, replay, resolve",
        description=f"Records that could not be synced. The store is {DATABASE_URL} (and "
        f"{DATABASE_SCHEMA}); replay also reads PRESTASHOP_URL, PRESTASHOP_API_KEY, PRESTASHOP_TIME_ZONE, "
        f"INFOR_IONAPI_FILE or INFOR_IONAPI_<KEY>, and {MAPPING_FILE}.",
    )
    actions = dlq.add_subparsers(dest="dlq_command", required=True)

    listing = actions.add_parser("list", help="the dead letters, oldest first")
    listing.add_argument("--state", type=_dlq_state, default="open", help="open, replayed, resolved or all")
    listing.add_argument("--entity", help="only this entity (sales_order, order_status, stock, orders...)")
    listing.add_argument("--stage", type=_dlq_stage, help="only this stage: validate, map or load")
    listing.add_argument("--limit", type=_positive, help="show at most this many")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    listing.set_defaults(handler=cmd_dlq_list)

    show = actions.add_parser("show", help="one dead letter with its payload")
    show.add_argument("id", type=_letter_id)
    show.add_argument("--json", action="store_true", help="JSON instead of text")
    show.set_defaults(handler=cmd_dlq_show)

    replay = actions.add_parser(
        "replay", help="send records through their sync code again; exit 1 if any did not go through"
    )
    replay.add_argument("ids", nargs="*", type=_letter_id, metavar="ID")
    replay.add_argument("--all", action="store_true", help="every open letter that can be replayed")
    replay.add_argument("--entity", help="with --all: only this entity")
    replay.add_argument("--force", action="store_true", help="replay letters that are not open too")
    replay.set_defaults(handler=cmd_dlq_replay)

    resolve = actions.add_parser("resolve", help="mark letters resolved (fixed by hand)")
    resolve.add_argument("ids", nargs="+", type=_letter_id, metavar="ID")
    resolve.set_defaults(handler=cmd_dlq_resolve)


# -- the store's schema (db) ---------------------------------------------------------------------


def _db_target() -> tuple[str, str | None, str]:
    """The store the Dagster runs use (``PRESTASHOP_INFOR_DATABASE_URL``, default as in the
    definitions, and ``PRESTASHOP_INFOR_DATABASE_SCHEMA``) and how to show it."""
    try:
        settings = Settings.read()
    except SettingsError as exc:
        raise ConfigurationError(str(exc)) from None
    url, schema = settings.store_url(), settings.database_schema or None
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        raise ConfigurationError(f"{DATABASE_URL}={url!r} is not a database URL") from None
    return url, schema, shown + (f" (schema {schema})" if schema else "")


def _db_failure(exc: Exception, shown: str) -> ConfigurationError:
    from prestashop_infor.store import StoreSchemaError

    if isinstance(exc, StoreSchemaError):
        return ConfigurationError(str(exc))
    if isinstance(exc, ValueError):  # a schema on SQLite, a database the store does not run on
        return ConfigurationError(f"{DATABASE_URL} / {DATABASE_SCHEMA}: {exc}")
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return ConfigurationError(f"cannot reach the store at {shown} ({DATABASE_URL}): {reason}")


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from prestashop_infor.store import upgrade_store

    url, schema, shown = _db_target()
    print(f"store: {shown}", flush=True)
    try:
        report = upgrade_store(url, schema=schema)
    except (ValueError, sa.exc.SQLAlchemyError) as exc:
        raise _db_failure(exc, shown) from None
    for line in report.lines():
        print(line)
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    from prestashop_infor.store import store_revision

    url, schema, shown = _db_target()
    parsed = make_url(url)
    file_path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file_path not in (None, "", ":memory:") and not Path(file_path).expanduser().exists():
        raise ConfigurationError(
            f"there is no store at {file_path}: set {DATABASE_URL} (or DAGSTER_HOME) to the store the "
            "Dagster runs use; `db upgrade` creates one"
        )
    try:
        revision = store_revision(url, schema=schema)
    except (ValueError, sa.exc.SQLAlchemyError) as exc:
        raise _db_failure(exc, shown) from None
    print(f"store: {shown}")
    print(f"revision: {revision.describe()}")
    return 0


def _add_db_commands(commands: Any) -> None:
    db = commands.add_parser(
        "db",
        help="the store's schema: upgrade, current",
        description=f"The store's schema is versioned (Alembic, shipped in the package). The store is "
        f"{DATABASE_URL} (and {DATABASE_SCHEMA}), as for the Dagster runs. A run refuses a store behind "
        "the newest revision; `db upgrade` brings it there.",
    )
    actions = db.add_subparsers(dest="db_command", required=True)
    upgrade = actions.add_parser(
        "upgrade",
        help="bring the store to the newest revision (creating it in an empty database) and say what was done",
    )
    upgrade.set_defaults(handler=cmd_db_upgrade)
    current = actions.add_parser("current", help="the store's revision, and whether it is the newest")
    current.set_defaults(handler=cmd_db_current)


# -- mapping suggestions ---------------------------------------------------------------------------


def cmd_mapping_suggest(args: argparse.Namespace) -> int:
    """Read both systems and write a draft mapping.yaml (``reviewed: false``) for a person to check."""
    from collections import Counter

    import httpx

    from prestashop_infor.infor.client import M3Error
    from prestashop_infor.infor.ionapi import InforAuthError
    from prestashop_infor.prestashop.client import PrestashopError
    from prestashop_infor.sync.mapping_suggestions import render_draft, suggest_mapping

    output = Path(args.output)
    # refused before anything is read: reading a large shop takes a while
    if output.is_dir():
        raise ConfigurationError(f"--output {output} is a folder; give the path of the file to write")
    if output.exists() and not args.force:
        raise ConfigurationError(
            f"{output} already exists; pass --force to overwrite it, or choose another --output"
        )
    if not output.parent.is_dir():
        raise ConfigurationError(f"--output {output}: the folder {output.parent} does not exist")
    settings = _settings_now()
    try:
        url, key = settings.require_prestashop()
        credentials = settings.ionapi_credentials()
    except SettingsError as exc:
        raise ConfigurationError(f"{exc}; `mapping suggest` reads the shop and M3") from None
    try:
        prestashop = PrestashopClient(url, key, time_zone=settings.prestashop_time_zone)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ConfigurationError(f"PRESTASHOP_TIME_ZONE={settings.prestashop_time_zone!r}: {exc}") from None

    with prestashop, M3Client(credentials) as m3, _Progress("reading") as bar:

        def progress(step: str) -> None:  # a spinner on a terminal, else one line a step (for logs)
            if bar.shown:
                bar.step(f"reading {step}", advance=0)
            else:
                print(f"reading {step}", file=sys.stderr, flush=True)

        try:
            suggestions = suggest_mapping(prestashop, m3, progress)
        except PrestashopError as exc:
            raise ConfigurationError(
                f"cannot read the shop at {prestashop.base_url} (PRESTASHOP_URL): {exc}"
            ) from None
        except (M3Error, InforAuthError, httpx.HTTPError) as exc:
            raise ConfigurationError(
                f"cannot read M3 tenant {credentials.tenant} (INFOR_IONAPI_FILE): {exc}"
            ) from None
    text = render_draft(suggestions, source=f"{prestashop.base_url} and M3 tenant {credentials.tenant}")
    with output.open("w" if args.force else "x", encoding="utf-8") as draft:
        draft.write(text)
    counts = Counter(s.confidence for s in suggestions.suggestions if not s.todo)
    todos = sum(1 for s in suggestions.suggestions if s.todo)
    print(f"wrote {output}: {counts['high']} high, {counts['medium']} medium, {counts['low']} low confidence "
          f"suggestions, {todos} TODO(s) to fill in")  # fmt: skip
    print(
        "Check every suggestion against its evidence, then set `reviewed: true`: until then the mapping is refused."
    )
    return 0


def _add_mapping_commands(commands: Any) -> None:
    mapping = commands.add_parser("mapping", help="the mapping configuration: suggest a draft")
    actions = mapping.add_subparsers(dest="mapping_command", required=True)
    suggest = actions.add_parser(
        "suggest",
        help="read both systems and write a draft mapping.yaml, each suggestion with its evidence, for review",
        description="Reads the shop (PRESTASHOP_URL, PRESTASHOP_API_KEY) and M3 (INFOR_IONAPI_FILE or "
        "INFOR_IONAPI_<KEY>) and writes a draft mapping with reviewed: false, which the integration refuses "
        "until a person has checked every suggestion and set reviewed: true. Writes nothing to either system.",
    )
    suggest.add_argument("--output", default="mapping.draft.yaml", help="the draft to write")
    suggest.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    suggest.set_defaults(handler=cmd_mapping_suggest)


# -- where is order N? ----------------------------------------------------------------------------


def cmd_trace(args: argparse.Namespace) -> int:
    """One order's story in time order: the store's steps, and the runs the webhooks started."""
    from prestashop_infor.sync.trace import trace_order

    with _Progress(f"order {args.order_id}: reading the store") as progress:
        with _open_store() as store:
            story = trace_order(store, args.order_id)
        inbox_ids = {step.inbox_id for step in story if step.inbox_id is not None}
        progress.step(f"order {args.order_id}: looking through the webhook runs", advance=0)
        runs = _webhook_runs(
            inbox_ids, lambda seen: progress.step(f"order {args.order_id}: {seen} webhook runs")
        )
    steps = [step.as_dict() for step in story]
    steps = sorted(steps + runs, key=lambda step: step["at"])
    if args.json:
        print(json.dumps({"order": args.order_id, "steps": steps}, indent=2, ensure_ascii=False))
        return 0 if steps else 1
    if not steps:
        print(f"the store knows nothing of order {args.order_id} (not extracted yet?)")
        return 1
    print(f"order {args.order_id}")
    _print_table([[step["at"][:19].replace("T", " "), step["what"], step["detail"]] for step in steps])
    return 0


def _webhook_runs(inbox_ids: set[int], progress: Any = None) -> list[dict[str, Any]]:
    """The Dagster runs the sensor started for these webhooks (by their inbox ids), with a link; none
    when there is no Dagster instance (``DAGSTER_HOME``) to ask."""
    settings = _settings_now()
    if not inbox_ids or not settings.dagster_home:
        return []
    import dagster as dg

    try:
        instance = dg.DagsterInstance.get()
    except Exception:  # noqa: BLE001 - no instance to ask: the store's story is still told
        return []
    found = []
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"prestashop_infor/trigger": "webhook"}))
    for seen, run in enumerate(runs, start=1):
        if progress is not None:  # a busy shop has thousands of these runs
            progress(seen)
        first, _, last = run.tags.get("prestashop_infor/inbox_ids", "").partition("-")
        if first.isdigit() and last.isdigit() and any(int(first) <= i <= int(last) for i in inbox_ids):
            record = instance.get_run_record_by_id(run.run_id)
            at = record.create_timestamp if record is not None else None
            found.append({"at": at.isoformat() if at else "", "what": f"run {run.job_name}",
                          "detail": f"{run.status.value}: {settings.dagster_ui_url.rstrip('/')}/runs/{run.run_id}"})  # fmt: skip
    return found


# -- the Dagster daemon ----------------------------------------------------------------------------


def cmd_daemon(args: argparse.Namespace) -> int:
    """Run Dagster's daemon (schedules, sensors, run queue) with the faster sensor loop."""
    if not Path(args.workspace).is_file():
        raise ConfigurationError(f"workspace file {args.workspace} does not exist")
    return run_daemon(["-w", args.workspace], sensor_loop_seconds=args.sensor_loop_seconds)


# -- the webhook receiver --------------------------------------------------------------------------


def cmd_webhooks_serve(args: argparse.Namespace) -> int:
    """Serve the receiver until Ctrl-C or SIGTERM: events verified with ``WEBHOOK_SECRET`` and
    committed to the store's inbox before the answer."""
    import gc

    import uvicorn

    from prestashop_infor.webhooks import create_app

    settings = _settings_now()
    try:
        secrets = settings.webhook_secrets()
    except SettingsError as exc:
        raise ConfigurationError(str(exc)) from None
    store = _open_store(create=True)
    shops = [settings.prestashop_url] if settings.prestashop_url else []
    app = create_app(store, secrets, shop_urls=shops)
    print(f"Webhook receiver: http://{args.host}:{args.port}/webhooks/prestashop", flush=True)
    print(
        f"Inbox:            {make_url(settings.store_url()).render_as_string(hide_password=True)}", flush=True
    )
    # The imports and the store's start-up leave about 150,000 long-lived objects that the cyclic
    # garbage collector would scan on every full collection: ~45 ms with the event loop stopped, which
    # was the receiver's p99. Frozen, they are never scanned again; what requests allocate still is.
    gc.collect()
    gc.freeze()
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_keep_alive=5,
                    limit_concurrency=args.max_connections, access_log=False)  # fmt: skip
    finally:
        store.dispose()
    return 0


def _add_webhooks_commands(commands: Any) -> None:
    webhooks = commands.add_parser("webhooks", help="the webhook receiver")
    actions = webhooks.add_subparsers(dest="webhooks_command", required=True)
    serve = actions.add_parser(
        "serve",
        help="receive signed PrestaShop webhooks into the inbox (WEBHOOK_SECRET, PRESTASHOP_INFOR_DATABASE_URL)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind")
    serve.add_argument("--port", type=_port, default=8090, help="port to bind")
    serve.add_argument(
        "--max-connections", type=_positive, default=200, help="connections at once; more get 503 at once"
    )
    serve.set_defaults(handler=cmd_webhooks_serve)


class _Parser(argparse.ArgumentParser):
    """Every command's ``--help`` shows the defaults."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="prestashop-infor", description="Keep a PrestaShop shop and an Infor M3 ERP in step."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    sandbox = commands.add_parser("sandbox", help="serve the emulators with a seeded shop until interrupted")
    _add_sandbox_arguments(sandbox)
    sandbox.add_argument(
        "--webhook-url",
        action="append",
        type=_webhook_url,
        help="a receiver the shop sends its signed webhooks to, with WEBHOOK_SECRET (repeatable)",
    )
    sandbox.set_defaults(handler=cmd_sandbox)

    demo = commands.add_parser("demo", help="the sandbox, the webhook receiver, the Dagster UI and daemon")
    _add_sandbox_arguments(demo)
    demo.add_argument("--dagster-port", type=_port, default=3000, help="port of the Dagster UI")
    demo.add_argument("--webhook-port", type=_port, default=8090, help="port of the webhook receiver")
    demo.add_argument("--dagster-home", default=".dagster_home", help="the embedded SQLite instance")
    # a history in both systems, for the reconciliation to compare (--history-days 0 --orders-per-day 0:
    # the shop's --orders alone, which M3 does not know)
    demo.set_defaults(handler=cmd_demo, history_days=DEMO_HISTORY_DAYS, orders_per_day=DEMO_ORDERS_PER_DAY)

    daemon = commands.add_parser(
        "daemon",
        help="Dagster's daemon (dagster-daemon run) with the sensor loop every second instead of every 5 s",
    )
    daemon.add_argument("-w", "--workspace", default="workspace.yaml", help="the Dagster workspace file")
    daemon.add_argument(
        "--sensor-loop-seconds",
        type=_positive_seconds,
        default=SENSOR_LOOP_SECONDS,
        help="pause between two evaluations of the sensors (Dagster's own: 5)",
    )
    daemon.set_defaults(handler=cmd_daemon)

    _add_dlq_commands(commands)
    _add_db_commands(commands)
    _add_mapping_commands(commands)
    _add_webhooks_commands(commands)
    trace = commands.add_parser("trace", help="where is order N? its whole story in time order")
    trace.add_argument("order_id", type=_positive, metavar="ORDER_ID", help="the PrestaShop order id")
    trace.add_argument("--json", action="store_true", help="JSON instead of a table")
    trace.set_defaults(handler=cmd_trace)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (OSError, ConfigurationError, dead_letters.ReplayRefused) as exc:
        print(f"prestashop-infor: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
