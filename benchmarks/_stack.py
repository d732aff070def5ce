"""The real event-lane stack for the latency and burst benchmarks, as separate processes on loopback.

- the sandbox (``prestashop-infor sandbox``: the shop and M3 emulators; the shop sends its signed
  webhooks to the receiver),
- the webhook receiver (``prestashop-infor webhooks serve``),
- the Dagster daemon (``dagster-daemon run -w workspace.yaml``, which starts the project's code
  server) on a fresh SQLite instance configured by the project's ``dagster.yaml``.

The sensors run (``PRESTASHOP_INFOR_SENSORS=on``), the schedules do not: what is measured is the
event lane alone, not a schedule tick that happened to come first. Every process is started in its
own session and stopped by its process group.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY
from prestashop_infor.serving import free_port
from prestashop_infor.store import Store, tables, upgrade_store
from prestashop_infor.sync.orders import ENTITY as SALES_ORDER

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "c" * 64
HOST = "127.0.0.1"


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


@dataclass
class EventLaneStack:
    folder: Path
    seeded_orders: int = 20
    processes: dict[str, subprocess.Popen[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.shop_port, self.m3_port, self.receiver_port = (free_port(HOST) for _ in range(3))
        self.shop_url = f"http://{HOST}:{self.shop_port}"
        self.receiver_url = f"http://{HOST}:{self.receiver_port}"
        self.dagster_home = self.folder / "dagster_home"
        self.store_url = f"sqlite:///{self.folder / 'store.db'}"
        self.ionapi = self.folder / "sandbox.ionapi"
        self.logs = self.folder / "logs"

    def _start(self, name: str, command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(
                command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def start(self) -> EventLaneStack:
        self.dagster_home.mkdir(parents=True)
        shutil.copyfile(PROJECT / "dagster.yaml", self.dagster_home / "dagster.yaml")
        upgrade_store(self.store_url)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PRESTASHOP", "INFOR_", "DAGSTER"))}
        env = {
            **base,
            "WEBHOOK_SECRET": SECRET,
            "PRESTASHOP_INFOR_DATABASE_URL": self.store_url,
            "PRESTASHOP_URL": self.shop_url,
            "PRESTASHOP_API_KEY": DEFAULT_API_KEY,
            "PRESTASHOP_TIME_ZONE": "Europe/Paris",
            "INFOR_IONAPI_FILE": str(self.ionapi),
            "DAGSTER_HOME": str(self.dagster_home),
            "PRESTASHOP_INFOR_SENSORS": "on",
            "PRESTASHOP_INFOR_SCHEDULES": "off",
        }
        cli = str(BIN / "prestashop-infor")
        self._start("receiver", [cli, "webhooks", "serve", "--port", str(self.receiver_port)], env)
        _wait_http(f"{self.receiver_url}/health", 30)
        self._start(
            "sandbox",
            [
                cli, "sandbox", "--prestashop-port", str(self.shop_port), "--infor-port", str(self.m3_port),
                "--orders", str(self.seeded_orders), "--traffic", "0", "--ionapi-out", str(self.ionapi),
                "--webhook-url", f"{self.receiver_url}/webhooks/prestashop",
            ],
            env,
        )  # fmt: skip
        _wait_http(f"{self.shop_url}/api/", 60)
        deadline = time.monotonic() + 60
        while not self.ionapi.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self._start(
            "daemon",
            [cli, "daemon", "-w", str(PROJECT / "workspace.yaml")],
            env,
            cwd=self.dagster_home,
        )
        return self

    def stop(self) -> None:
        for name in ("daemon", "receiver", "sandbox"):
            process = self.processes.pop(name, None)
            if process is None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except ProcessLookupError:
                process.wait(timeout=10)

    def __enter__(self) -> EventLaneStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the shop ----------------------------------------------------------------------------------

    def place_orders(self, count: int, seed: int) -> list[int]:
        """``count`` random orders placed at once in the shop (one sandbox call)."""
        answer = httpx.post(
            f"{self.shop_url}/_sandbox/orders", json={"random": count, "seed": seed}, timeout=120
        )
        answer.raise_for_status()
        return [int(order_id) for order_id in answer.json()["ids"]]

    # -- what the integration did --------------------------------------------------------------------

    def bound_at(self, store: Store, order_ids: list[int]) -> dict[int, datetime]:
        """When each of ``order_ids`` was bound to its M3 order (bound only once M3 holds it)."""
        keys = [str(i) for i in order_ids]
        query = sa.select(tables.id_map.c.source_key, tables.id_map.c.created_at).where(
            tables.id_map.c.entity == SALES_ORDER, tables.id_map.c.source_key.in_(keys)
        )
        with store.engine.connect() as connection:
            return {int(key): _utc(at) for key, at in connection.execute(query)}

    def accepted_at(self, store: Store, order_ids: list[int]) -> dict[int, tuple[int, datetime]]:
        """Each order's ``order.created`` webhook: (inbox id, when the receiver accepted it)."""
        query = sa.select(
            tables.webhook_inbox.c.id, tables.webhook_inbox.c.resource_id, tables.webhook_inbox.c.received_at
        ).where(
            tables.webhook_inbox.c.event == "order.created",
            tables.webhook_inbox.c.resource_id.in_(order_ids),
        )
        with store.engine.connect() as connection:
            return {int(order): (int(row_id), _utc(at)) for row_id, order, at in connection.execute(query)}

    def duplicates(self, store: Store) -> dict[str, int]:
        """M3-side doubles: orders bound twice, M3 customer orders per CUOR beyond one."""
        id_map = tables.id_map
        twice = sa.select(sa.func.count()).select_from(
            sa.select(id_map.c.source_key)
            .where(id_map.c.entity == SALES_ORDER)
            .group_by(id_map.c.source_key)
            .having(sa.func.count() > 1)
            .subquery()
        )
        with store.engine.connect() as connection:
            bound_twice = int(connection.execute(twice).scalar_one())
        return {"bound_twice": bound_twice}

    def m3_state(self) -> dict[str, Any]:
        """The M3 emulator's own count of what it holds (``/_sandbox/state``): orders, customers and
        ``duplicate_orders`` (customer orders beyond the first with one customer order number)."""
        answer = httpx.get(f"http://{HOST}:{self.m3_port}/_sandbox/state", timeout=30)
        answer.raise_for_status()
        return answer.json()

    def runs(self) -> list[dict[str, Any]]:
        """The Dagster runs of this instance: run id, job, tags, created, started and ended (epoch seconds)."""
        script = (
            "import json, dagster as dg\n"
            "i = dg.DagsterInstance.get()\n"
            "print(json.dumps([{'run_id': r.dagster_run.run_id, 'job': r.dagster_run.job_name, 'status': r.dagster_run.status.value, "
            "'tags': dict(r.dagster_run.tags), 'created': r.create_timestamp.timestamp(), "
            "'started': r.start_time, 'ended': r.end_time} for r in i.get_run_records()]))\n"
        )
        env = {**os.environ, "DAGSTER_HOME": str(self.dagster_home)}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, check=True, text=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))
    return ordered[index]
