"""The real event-lane stack for the latency and burst benchmarks, as separate processes on loopback.

- the sandbox (``prestashop-infor sandbox``: the shop and M3 emulators; the shop sends its signed
  webhooks to the receiver),
- the webhook receiver (``prestashop-infor webhooks serve``),
- the Dagster daemon (``dagster-daemon run -w workspace.yaml``, which starts the project's code
  server) on a fresh SQLite instance configured by the project's ``dagster.yaml``.

The sensors run (``PRESTASHOP_INFOR_SENSORS=on``), the schedules do not: what is measured is the
event lane alone, not a schedule tick that happened to come first (``schedules=True`` turns them on,
for the chaos benchmark, where they are the safety net). Every process is started in its own session
and stopped by its process group; ``kill`` and ``restart`` stop one with SIGKILL and start it again
with the same command and environment. The counts of ``chaos.py`` (webhooks lost, doubles in M3,
payments recorded twice in the shop, orders neither in M3 nor in the dead-letter queue) are here too.
"""

from __future__ import annotations

import contextlib
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
    schedules: bool = False
    processes: dict[str, subprocess.Popen[Any]] = field(default_factory=dict)
    launches: dict[str, tuple[list[str], dict[str, str], Path | None]] = field(default_factory=dict)

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
        self.launches[name] = (command, env, cwd)
        with (self.logs / f"{name}.log").open("ab") as log:
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
            "PRESTASHOP_INFOR_SCHEDULES": "on" if self.schedules else "off",
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

    def kill(self, name: str) -> None:
        """SIGKILL to the process group of ``name`` (no clean shutdown: a crash)."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def restart(self, name: str) -> None:
        """Start ``name`` again with the command, environment and folder it was first started with
        (the receiver: until it answers on ``/health``)."""
        command, env, cwd = self.launches[name]
        self._start(name, command, env, cwd)
        if name == "receiver":
            _wait_http(f"{self.receiver_url}/health", 30)

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


# -- chaos: faults on demand and what must hold afterwards ---------------------------------------------


def shop_faults(stack: EventLaneStack, **settings: Any) -> dict[str, Any]:
    """The shop emulator's faults (``/_sandbox/faults``: ``error_rate``, ``timeout_rate``, ...)."""
    answer = httpx.post(f"{stack.shop_url}/_sandbox/faults", json=settings, timeout=30)
    answer.raise_for_status()
    return answer.json()


def webhook_faults(stack: EventLaneStack, **settings: Any) -> dict[str, Any]:
    """The shop's webhook sender: its faults and retry schedule (``/_sandbox/webhooks/faults``)."""
    answer = httpx.post(f"{stack.shop_url}/_sandbox/webhooks/faults", json=settings, timeout=30)
    answer.raise_for_status()
    return answer.json()


def m3_call(
    stack: EventLaneStack, path: str, body: dict[str, Any] | None = None, method: str = "POST"
) -> Any:
    """One M3 sandbox hook (``/_sandbox/faults``, ``/_sandbox/tokens/expire``, ``/_sandbox/advance``)."""
    answer = httpx.request(method, f"http://{HOST}:{stack.m3_port}/_sandbox/{path}", json=body, timeout=60)
    answer.raise_for_status()
    return answer.json()


def webhook_counts(stack: EventLaneStack, store: Store) -> dict[str, int]:
    """Events the shop's sender queued vs rows in the inbox (unique per event): ``lost`` is the
    difference (an event the receiver acknowledged, or the sender gave up on, and the inbox lacks)."""
    sender = httpx.get(f"{stack.shop_url}/_sandbox/webhooks", timeout=30).json()
    stored = store.count("webhook_inbox")
    return {
        "sent": sender["events"],
        "stored": stored,
        "lost": max(0, sender["events"] - stored),
        "delivered": sender["delivered"],
        "given_up": sender["dead"],
        "pending": sender["pending"],
    }


def m3_paid_orders(stack: EventLaneStack) -> set[int]:
    """The shop order ids whose M3 customer order (``CUOR`` ``PS<id>``) has its invoice paid."""
    answer = httpx.get(f"http://{HOST}:{stack.m3_port}/_sandbox/state", params={"paid": "1"}, timeout=60)
    answer.raise_for_status()
    return {int(cuor[2:]) for cuor in answer.json()["paid_orders"] if cuor[:2] == "PS" and cuor[2:].isdigit()}


def open_order_letters(store: Store, order_ids: list[int]) -> dict[int, str]:
    """The open dead letters of ``order_ids`` (entity ``sales_order``), with their reason."""
    letters = tables.dead_letters
    query = sa.select(letters.c.key, letters.c.error_code).where(
        letters.c.entity == SALES_ORDER,
        letters.c.state == "open",
        letters.c.key.in_([str(i) for i in order_ids]),
    )
    with store.engine.connect() as connection:
        return {int(key): code for key, code in connection.execute(query)}


def shop_payments(stack: EventLaneStack, order_ids: list[int]) -> dict[str, Any]:
    """Per order of ``order_ids``, the shop's payments (``order_payments`` by order reference):
    ``double`` the references of orders with more than one, or paid beyond their total; ``from_m3``
    the ids of orders with the payment the integration recorded from M3 (``transaction_id``
    ``M3 invoice ...``), and ``from_m3_all`` their count over every order of the shop."""
    auth = (DEFAULT_API_KEY, "")
    params = {"output_format": "JSON", "display": "[id,reference,total_paid_tax_incl]",
              "filter[id]": f"[{min(order_ids)},{max(order_ids)}]"}  # fmt: skip
    orders = httpx.get(f"{stack.shop_url}/api/orders", params=params, auth=auth, timeout=120).json()
    wanted = set(order_ids)
    totals = {
        str(o["reference"]): float(o["total_paid_tax_incl"])
        for o in (orders["orders"] if isinstance(orders, dict) else [])
        if int(o["id"]) in wanted
    }
    params = {"output_format": "JSON", "display": "[id,order_reference,amount,transaction_id]"}
    rows = httpx.get(f"{stack.shop_url}/api/order_payments", params=params, auth=auth, timeout=120).json()
    rows = rows["order_payments"] if isinstance(rows, dict) else []
    per_order: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        per_order.setdefault(str(row["order_reference"]), []).append(row)
    double = [
        reference
        for reference, total in totals.items()
        if len(per_order.get(reference, [])) > 1
        or sum(float(p["amount"]) for p in per_order.get(reference, [])) > total + 0.01
    ]
    from_m3 = [
        int(o["id"])
        for o in (orders["orders"] if isinstance(orders, dict) else [])
        if int(o["id"]) in wanted
        and any(
            str(p.get("transaction_id") or "").startswith("M3 invoice")
            for p in per_order.get(str(o["reference"]), [])
        )
    ]
    from_m3_all = sum(
        1
        for payments in per_order.values()
        if any(str(p.get("transaction_id") or "").startswith("M3 invoice") for p in payments)
    )
    return {"double": sorted(double), "from_m3": set(from_m3), "from_m3_all": from_m3_all}
