"""``prestashop-infor demo``: the process control of the demo. It starts the sandbox, a fresh store and
Dagster instance, the webhook receiver, a receiver of the alerts, the Dagster UI and daemon, and at
Ctrl-C or SIGTERM stops them in order."""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from prestashop_infor.cli.arguments import _settings
from prestashop_infor.cli.configuration import ConfigurationError
from prestashop_infor.cli.demo_home import _demo_home_is_clearable, _fresh_demo_home, _not_a_demo_home
from prestashop_infor.cli.demo_runs import _demo_start_runs, _say, _watch_runs
from prestashop_infor.cli.sandbox import _print_sandbox
from prestashop_infor.store import Store

DEMO_HISTORY_DAYS = 30  # the demo's sandbox: a month of orders in both systems ...
DEMO_ORDERS_PER_DAY = 20  # ... about 20 a day
DEMO_SHOPS = 2  # a multistore: the second shop's orders and stock kept apart (mapping shops)
DEMO_SPLIT_DELIVERIES = 0.3  # a third of M3's orders of two lines or more leave in two deliveries
DEMO_LOGS = "demo_logs"  # in the demo's home: the output of the daemon (and its runs) and the webserver
DEMO_STOP_SECONDS = 10  # from Ctrl-C to SIGKILL for whatever of Dagster is still running


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
    project = Path(__file__).resolve().parents[2]
    dagster_home = Path(args.dagster_home).resolve()

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM unwinds like Ctrl-C: everything started is stopped

    handlers = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    stopping = threading.Event()
    sandbox = process = daemon = receiver = alerts = inbox_store = None
    logs: list[Any] = []
    servers_log: logging.Handler | None = None
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
        # what the emulators, the receiver and the alerts' receiver in this process log (a webhook the
        # busy SQLite store made wait, uvicorn's warnings): a file, so the terminal keeps a line per event
        servers_log = logging.FileHandler(log_folder / "servers.log", encoding="utf-8")
        servers_log.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(servers_log)
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
        # The UI (dagster-webserver) and our daemon (Dagster's, with the sensor loop every half second:
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
        print(
            f"Logs:                  {log_folder} (daemon.log: the daemon and every run; servers.log: the emulators"
            " and the receivers)",
            flush=True,
        )
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
        if servers_log is not None:
            logging.getLogger().removeHandler(servers_log)
            servers_log.close()
        if sandbox is not None:
            print("Stopped the emulators and the webhook receiver.", flush=True)
        for handled, handler in handlers.items():
            signal.signal(handled, handler)
    if interrupted or process is None:
        return 0
    return exited.returncode or 1  # the webserver or the daemon stopped on its own
