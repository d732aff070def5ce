"""The production topology (docker/README.md) as real processes on this machine, for
``test_postgres_topology.py``: a gRPC code server (``dagster code-server start``), ``prestashop-infor
daemon``, ``dagster-webserver``, the webhook receiver and the sandbox, sharing one Dagster instance on
PostgreSQL (a database of its own, dropped afterwards) and a store in a PostgreSQL schema of its own.

The instance is docker/dagster.yaml's shape (storage from ``DAGSTER_POSTGRES_*``, the queued
coordinator with the root dagster.yaml's latency settings) with the default run launcher: runs are
processes the code server starts on this machine instead of containers. Every process is started in
its own session on loopback and stopped by its process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa
import yaml

from prestashop_infor.processes import processes_of_home, stop_home
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY
from prestashop_infor.serving import free_port

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
SECRET = "d" * 64
LOCATION = "prestashop_infor"
TIME_ZONE = "Europe/Paris"
# stopped in this order: first what launches runs, last what they talk to
STOP_ORDER = ("daemon", "webserver", "code_server", "receiver", "sandbox")

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], seconds: float, what: str, *, every: float = 0.25) -> T:
    """``predicate()`` once it is truthy, polled for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(every)


@contextlib.contextmanager
def instance_of(home: Path) -> Iterator[Any]:
    """The Dagster instance of ``home`` (``DAGSTER_HOME`` set for as long as it is open)."""
    import dagster as dg

    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.get() as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.TransportError:
        return False


def instance_yaml() -> dict[str, Any]:
    """docker/dagster.yaml with the default run launcher (and without run monitoring, which is
    about containers): storage, queue, pools, sensors and retention as in production."""
    production = yaml.safe_load((PROJECT / "docker" / "dagster.yaml").read_text())
    embedded = yaml.safe_load((PROJECT / "dagster.yaml").read_text())
    # the queue dequeues as fast as the embedded instance's (the latency settings)
    assert production["run_coordinator"] == embedded["run_coordinator"], "the two instances drifted"
    config = {
        key: value for key, value in production.items() if key not in {"run_launcher", "run_monitoring"}
    }
    # dagster-postgres connects with `postgresql://` unless told a scheme, and SQLAlchemy 2.1 maps
    # that to psycopg 3, which the project does not install (psycopg2-binary only): name the driver.
    config["storage"]["postgres"]["postgres_db"].setdefault("scheme", "postgresql+psycopg2")
    return config


@dataclass
class PostgresTopology:
    folder: Path
    postgres_url: str  # SQLAlchemy URL of a database this role may CREATE DATABASE from
    reconciliation_start: str = "2024-01-01"
    processes: dict[str, subprocess.Popen[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        token = uuid.uuid4().hex[:12]
        self.dagster_db = f"dagster_topology_{token}"
        self.store_schema = f"topology_{token}"
        self.url = sa.make_url(self.postgres_url)
        self.shop_port, self.m3_port, self.receiver_port, self.grpc_port, self.web_port = (
            free_port(HOST) for _ in range(5)
        )
        self.shop_url = f"http://{HOST}:{self.shop_port}"
        self.m3_url = f"http://{HOST}:{self.m3_port}"
        self.receiver_url = f"http://{HOST}:{self.receiver_port}"
        self.webserver_url = f"http://{HOST}:{self.web_port}"
        self.dagster_home = self.folder / "dagster_home"
        self.workspace = self.folder / "workspace.yaml"
        self.ionapi = self.folder / "sandbox.ionapi"
        self.logs = self.folder / "logs"
        self._created_db = False

    # -- what every process reads ----------------------------------------------------------------

    @property
    def dagster_env(self) -> dict[str, str]:
        """The instance's ``DAGSTER_POSTGRES_*`` (docker/.env's role) and ``DAGSTER_HOME``."""
        return {
            "DAGSTER_HOME": str(self.dagster_home),
            "DAGSTER_POSTGRES_USER": self.url.username or "postgres",
            "DAGSTER_POSTGRES_PASSWORD": self.url.password or "",
            "DAGSTER_POSTGRES_HOST": self.url.host or HOST,
            "DAGSTER_POSTGRES_PORT": str(self.url.port or 5432),
            "DAGSTER_POSTGRES_DB": self.dagster_db,
        }

    @property
    def store_url(self) -> str:
        return self.url.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)

    @property
    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PRESTASHOP", "INFOR_", "DAGSTER"))}
        return {
            **base,
            **self.dagster_env,
            "WEBHOOK_SECRET": SECRET,
            "PRESTASHOP_INFOR_DATABASE_URL": self.store_url,
            "PRESTASHOP_INFOR_DATABASE_SCHEMA": self.store_schema,
            "PRESTASHOP_URL": self.shop_url,
            "PRESTASHOP_API_KEY": DEFAULT_API_KEY,
            "PRESTASHOP_TIME_ZONE": TIME_ZONE,
            "PRESTASHOP_INFOR_RECONCILIATION_START": self.reconciliation_start,
            "INFOR_IONAPI_FILE": str(self.ionapi),
            "PRESTASHOP_INFOR_SENSORS": "on",
            "PRESTASHOP_INFOR_SCHEDULES": "off",
            "PRESTASHOP_INFOR_DAGSTER_UI_URL": self.webserver_url,
        }

    # -- lifecycle ---------------------------------------------------------------------------------

    def prepare(self) -> None:
        """The Dagster database, DAGSTER_HOME, the workspace and the store (``db upgrade``)."""
        self._admin(f'create database "{self.dagster_db}"')
        self._created_db = True
        self.dagster_home.mkdir(parents=True)
        (self.dagster_home / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml(), sort_keys=False))
        self.workspace.write_text(
            yaml.safe_dump(
                {
                    "load_from": [
                        {"grpc_server": {"host": HOST, "port": self.grpc_port, "location_name": LOCATION}}
                    ]
                }
            )
        )
        upgrade = subprocess.run(
            [str(BIN / "prestashop-infor"), "db", "upgrade"],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert upgrade.returncode == 0, (
            f"prestashop-infor db upgrade failed:\n{upgrade.stdout}{upgrade.stderr}"
        )

    def start(self) -> None:
        """Every process, each waited for (bounded) before what needs it starts."""
        cli = str(BIN / "prestashop-infor")
        self._start("receiver", [cli, "webhooks", "serve", "--host", HOST, "--port", str(self.receiver_port)])
        self._start(
            "sandbox",
            [cli, "sandbox", "--prestashop-port", str(self.shop_port), "--infor-port", str(self.m3_port),
             "--orders", "5", "--traffic", "0", "--time-zone", TIME_ZONE, "--ionapi-out", str(self.ionapi),
             "--webhook-url", f"{self.receiver_url}/webhooks/prestashop"],
        )  # fmt: skip
        self._start(
            "code_server",
            [str(BIN / "dagster"), "code-server", "start", "-h", HOST, "-p", str(self.grpc_port),
             "-m", "prestashop_infor.defs", "--location-name", LOCATION],
        )  # fmt: skip
        self._wait_http(f"{self.receiver_url}/health", 30, "receiver")
        self._wait_http(f"{self.shop_url}/api/", 60, "sandbox")
        wait_for(self.ionapi.exists, 30, "the sandbox's .ionapi file")
        self._wait_grpc(90)
        self._start("daemon", [cli, "daemon", "-w", str(self.workspace)])
        self._start(
            "webserver",
            [str(BIN / "dagster-webserver"), "-h", HOST, "-p", str(self.web_port), "-w", str(self.workspace)],
        )
        self._wait_http(f"{self.webserver_url}/server_info", 90, "webserver")

    def stop(self, seconds: float = 20) -> dict[str, float]:
        """SIGTERM to every process group at once (the daemon first), SIGKILL to what is still
        there after ``seconds``; then SIGKILL to each group, for what its leader left behind (run
        workers, the code server's child); then every process of the Dagster home still running
        (what left its group). Returns how long each took to exit; fails if any process of the home
        is left."""
        stopping = [(name, self.processes.pop(name)) for name in STOP_ORDER if name in self.processes]
        began = time.monotonic()
        for _name, process in stopping:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        took: dict[str, float] = {}
        for name, process in stopping:
            try:
                process.wait(timeout=max(0.1, began + seconds - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            took[name] = round(time.monotonic() - began, 1)
        for _name, process in stopping:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        stop_home(self.dagster_home, grace=5)
        took["home"] = round(time.monotonic() - began, 1)
        left = self.processes_left()
        assert not left, f"processes of {self.dagster_home} still running after the stop: {left}"
        return took

    def drop(self) -> None:
        """The Dagster database and the store's schema (after :meth:`stop`)."""
        if self._created_db:
            self._admin(f'drop database if exists "{self.dagster_db}" with (force)')
            self._created_db = False
        engine = sa.create_engine(self.postgres_url)
        try:
            with engine.begin() as connection:
                connection.execute(sa.text(f'drop schema if exists "{self.store_schema}" cascade'))
        finally:
            engine.dispose()

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs_tail(self, chars: int = 3000) -> str:
        return "\n".join(f"--- {name} ---\n{self.log(name)[-chars:]}" for name in STOP_ORDER)

    def processes_left(self) -> list[int]:
        """The processes still running with this DAGSTER_HOME (there should be none after stop)."""
        return [process.pid for process in processes_of_home(self.dagster_home)]

    # -- the webserver -------------------------------------------------------------------------------

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.webserver_url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
        )
        answer.raise_for_status()
        body = answer.json()
        assert "errors" not in body, body
        return body["data"]

    # -- internals -------------------------------------------------------------------------------------

    def _admin(self, statement: str) -> None:
        engine = sa.create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(statement))
        finally:
            engine.dispose()

    def _start(self, name: str, command: list[str]) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                command,
                env=self.env,
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _alive(self, name: str) -> None:
        process = self.processes[name]
        if process.poll() is not None:
            raise AssertionError(f"{name} exited with {process.returncode}:\n{self.log(name)[-3000:]}")

    def _wait_http(self, url: str, seconds: float, name: str) -> None:
        def up() -> bool:
            self._alive(name)
            return answers(url)

        wait_for(up, seconds, f"{name} at {url}")

    def _wait_grpc(self, seconds: float) -> None:
        """Until the code server answers with the loaded definitions: the daemon reads the workspace
        once and again only every 60 s, so it must not start while the code location is loading."""
        from dagster._grpc.client import DagsterGrpcClient
        from dagster_shared.serdes import deserialize_value

        client = DagsterGrpcClient(port=self.grpc_port, host=HOST)

        def loaded() -> bool:
            self._alive("code_server")
            try:
                answer = deserialize_value(client.list_repositories())
            except Exception:  # noqa: BLE001 - not listening yet
                return False
            return type(answer).__name__ == "ListRepositoriesResponse"

        wait_for(loaded, seconds, "the code server to load prestashop_infor.defs", every=0.5)
