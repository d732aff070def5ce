"""The real event-lane stack for the latency and burst benchmarks, as separate processes on loopback.

- the sandbox (``prestashop-infor sandbox``: the shop and M3 emulators; the shop sends its signed
  webhooks to the receiver),
- the webhook receiver (``prestashop-infor webhooks serve``),
- the Dagster daemon (``dagster-daemon run -w workspace.yaml``, which starts the project's code
  server) on a fresh SQLite instance configured by the project's ``dagster.yaml``.

The sensors run (``PRESTASHOP_INFOR_SENSORS=on``), the schedules do not: what is measured is the
event lane alone, not a schedule tick that happened to come first (``schedules=True`` turns them on,
for the chaos benchmark, where they are the safety net). The sandbox starts first, then the receiver
(it needs the shop's URL), which the shop is then subscribed to. A port is picked free before its
server is started, and another program on the machine may bind it in between: a server counts as
up only once its own process listens on its ports (what answers on a port it does not listen on is
another program), and one that exited instead is started again on new ports. Every process is
started in its own session and stopped by its process group; ``kill`` and ``restart`` stop one with
SIGKILL and start it again with the same command and environment. The counts of ``chaos.py``
(webhooks lost, doubles in M3, payments recorded twice in the shop, orders neither in M3 nor in the
dead-letter queue) are here too.
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
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import httpx
import psutil
import sqlalchemy as sa

from prestashop_infor.processes import create_instance_storage, processes_of_home, stop_home, stop_processes
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY
from prestashop_infor.serving import free_port
from prestashop_infor.store import Store, tables, upgrade_store
from prestashop_infor.sync.orders import ENTITY as SALES_ORDER

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "c" * 64
HOST = "127.0.0.1"
PORT_TRIES = 5  # starts of a server whose port another program took between its pick and its bind
RETRY_DELAYS = [1, 2, 3, 5, 8, 13, 21, 30]  # the shop's sender: seconds, not the contract's minutes
RUN_ENDED = {"SUCCESS", "FAILURE", "CANCELED"}  # Dagster run statuses of a run that ended
RUNS_END_LIMIT = 90.0  # seconds a benchmark lets its last runs take to end before it stops the stack


def exit_on_sigterm() -> None:
    """SIGTERM unwinds the benchmark like an error (``SystemExit``): its stack is stopped on the way out."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def stop_everything_of(dagster_home: Path) -> None:
    """Stop every process still running with ``dagster_home`` (code servers and run workers outlive a
    daemon that was killed), then check that none is left: a benchmark leaves nothing behind."""
    stop_home(dagster_home, grace=10)
    left = processes_of_home(dagster_home)
    if left:
        raise RuntimeError(f"processes of {dagster_home} still running: {[p.pid for p in left]}")


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


def _listening_ports(pid: int) -> set[int]:
    """The TCP ports process ``pid`` listens on (none once it has gone)."""
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return set()
    return {c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN and c.laddr}


@dataclass
class EventLaneStack:
    folder: Path
    seeded_orders: int = 20
    schedules: bool = False
    sensors: bool = True
    daemon: bool = True  # False: the sandbox and the receiver alone (the webhooks reach the inbox)
    processes: dict[str, subprocess.Popen[Any]] = field(default_factory=dict)
    launches: dict[str, tuple[list[str], dict[str, str], Path | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.shop_port, self.m3_port, self.receiver_port = (free_port(HOST) for _ in range(3))
        self.dagster_home = self.folder / "dagster_home"
        self.store_url = f"sqlite:///{self.folder / 'store.db'}"
        self.ionapi = self.folder / "sandbox.ionapi"
        self.logs = self.folder / "logs"

    @property
    def shop_url(self) -> str:
        return f"http://{HOST}:{self.shop_port}"

    @property
    def receiver_url(self) -> str:
        return f"http://{HOST}:{self.receiver_port}"

    def exited(self) -> dict[str, int]:
        """The processes of the stack that have exited, with their exit codes."""
        return {
            name: code for name, process in self.processes.items() if (code := process.poll()) is not None
        }

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
        create_instance_storage(self.dagster_home)  # before the daemon and the launches open it together
        upgrade_store(self.store_url)
        cli = str(BIN / "prestashop-infor")
        sandbox = lambda: [  # noqa: E731
            cli, "sandbox", "--prestashop-port", str(self.shop_port), "--infor-port", str(self.m3_port),
            "--orders", str(self.seeded_orders), "--traffic", "0", "--ionapi-out", str(self.ionapi),
        ]  # fmt: skip
        self._serve("sandbox", sandbox, ("shop_port", "m3_port"), seconds=120)
        _wait_http(f"{self.shop_url}/api/", 60)
        receiver = lambda: [cli, "webhooks", "serve", "--port", str(self.receiver_port)]  # noqa: E731
        self._serve("receiver", receiver, ("receiver_port",), seconds=60)
        _wait_http(f"{self.receiver_url}/health", 30)  # its store answers
        # The shop's webhooks go to this receiver from now on (before any order is placed), signed
        # with its secret; a restarted sandbox is subscribed on its command line.
        hook = f"{self.receiver_url}/webhooks/prestashop"
        answer = httpx.post(
            f"{self.shop_url}/_sandbox/webhooks", json={"url": hook, "secret": SECRET}, timeout=30
        )
        answer.raise_for_status()
        if answer.json()["subscribers"] != [hook]:
            raise RuntimeError(
                f"the shop sends its webhooks to {answer.json()['subscribers']}, not to {hook}"
            )
        command, _, _ = self.launches["sandbox"]
        self.launches["sandbox"] = ([*command, "--webhook-url", hook], self._environment(), None)
        # the shop's sender retries within seconds, not on the contract's schedule (5 s, then 5 min):
        # a receiver slow to answer under load (its commit waits on the disk) would otherwise hold an
        # order's webhook back for minutes
        answer = httpx.post(f"{self.shop_url}/_sandbox/webhooks/faults", json={"retry_delays": RETRY_DELAYS},
                            timeout=30)  # fmt: skip
        answer.raise_for_status()
        if not self.daemon:
            return self
        self._start(
            "daemon",
            [cli, "daemon", "-w", str(PROJECT / "workspace.yaml")],
            self._environment(),
            cwd=self.dagster_home,
        )
        return self

    def _environment(self) -> dict[str, str]:
        """The processes' environment: this one's, less the project's and Dagster's own settings,
        pointed at the stack (the shop's URL: its port as now picked)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PRESTASHOP", "INFOR_", "DAGSTER"))}
        return {
            **base,
            "WEBHOOK_SECRET": SECRET,
            "PRESTASHOP_INFOR_DATABASE_URL": self.store_url,
            "PRESTASHOP_URL": self.shop_url,
            "PRESTASHOP_API_KEY": DEFAULT_API_KEY,
            "PRESTASHOP_TIME_ZONE": "Europe/Paris",
            "INFOR_IONAPI_FILE": str(self.ionapi),
            "DAGSTER_HOME": str(self.dagster_home),
            "PRESTASHOP_INFOR_SENSORS": "on" if self.sensors else "off",
            "PRESTASHOP_INFOR_SCHEDULES": "on" if self.schedules else "off",
        }

    def _serve(self, name: str, command: Any, ports: tuple[str, ...], seconds: float) -> None:
        """Start the server ``name`` (``command()``: its command line for the ports now picked, the
        attributes named ``ports``) and wait until its own process listens on all of them. The ports
        were free when picked, but another program may bind one before this process does: the
        process then exits (its port is taken), and is started again on newly picked ports; what
        answers on a port this process does not listen on is not this server."""
        log = self.logs / f"{name}.log"
        for _ in range(PORT_TRIES):
            if name == "sandbox":
                self.ionapi.unlink(missing_ok=True)  # written anew by the sandbox that serves
            self._start(name, command(), self._environment())
            process = self.processes[name]
            wanted = {getattr(self, port) for port in ports}
            deadline = time.monotonic() + seconds
            while process.poll() is None and not wanted <= _listening_ports(process.pid):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{name} did not listen on {sorted(wanted)} within {seconds:.0f} s; see {log}"
                    )
                time.sleep(0.05)
            if process.poll() is None:
                return
            self.processes.pop(name)
            for port in ports:  # its port was taken meanwhile (or it failed): new ones, and again
                setattr(self, port, free_port(HOST))
        raise RuntimeError(f"{name} exited at each of {PORT_TRIES} starts; see {log}")

    def stop(self) -> None:
        """Stop every process started, and every process of the Dagster home (code servers and run
        workers outlive a daemon that was killed); then check that none is left."""
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
        stop_everything_of(self.dagster_home)

    def kill(self, name: str) -> None:
        """SIGKILL to the process group of ``name`` (no clean shutdown: a crash); the daemon with every
        Dagster process of the home (its code servers and their run workers)."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        if name == "daemon":
            mine = {p.pid for p in self.processes.values()}  # the receiver and the sandbox live on
            stop_processes([p for p in processes_of_home(self.dagster_home) if not _under(p, mine)], grace=0)

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

    def let_runs_end(self, seconds: float) -> bool:
        """Wait (at most ``seconds``) until no run is queued or under way, so stopping the stack
        interrupts none: the Dagster home a benchmark leaves shows its runs as they ended, not failed
        by the stop. Whether they all ended."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if all(run["status"] in RUN_ENDED for run in self.runs()):
                return True
            time.sleep(1.0)
        return False

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


def _under(process: psutil.Process, pids: set[int]) -> bool:
    """Whether ``process`` is one of ``pids`` or a descendant of one."""
    try:
        return process.pid in pids or any(parent.pid in pids for parent in process.parents())
    except psutil.Error:
        return False


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


# -- chaos: what the shop shows against what M3 holds --------------------------------------------------

DELIVERED = {"delivered", "invoiced", "paid"}  # M3 phases past the shipment (the order is shipped)


def shop_records(stack: EventLaneStack, resource: str, fields: str) -> list[dict[str, Any]]:
    """The shop's stored records of ``resource`` (``/_sandbox/records``: past the injected faults)."""
    answer = httpx.get(f"{stack.shop_url}/_sandbox/records/{resource}", params={"fields": fields}, timeout=60)
    answer.raise_for_status()
    return answer.json()


def m3_truth(stack: EventLaneStack) -> dict[str, Any]:
    """The M3 emulator's orders (phase by CUOR), paid orders and balances (AV01 per warehouse, item)."""
    params = {"orders": "1", "paid": "1", "balances": "1"}
    answer = httpx.get(f"http://{HOST}:{stack.m3_port}/_sandbox/state", params=params, timeout=60)
    answer.raise_for_status()
    return answer.json()


def back_office_lanes(
    stack: EventLaneStack, placed: list[int], truth: dict[str, Any] | None = None
) -> dict[str, tuple[set[int], set[int]]]:
    """Per back-office lane, (the placed orders M3 says the shop should show, those it shows):
    ``statuses`` (shipped in M3: a state flagged shipped in the order's history), ``tracking`` (a
    tracking number on the order's carrier), ``payments`` (paid in M3: a payment recorded from M3).
    ``truth``: what :func:`m3_truth` read, if it was just read."""
    truth = truth or m3_truth(stack)
    wanted = set(placed)
    phases = {int(c[2:]): p for c, p in truth["order_phases"].items() if c[:2] == "PS" and c[2:].isdigit()}
    shipped = {o for o, phase in phases.items() if phase in DELIVERED and o in wanted}
    paid = {int(c[2:]) for c in truth["paid_orders"] if c[:2] == "PS" and c[2:].isdigit()} & wanted
    shipped_states = {
        int(s["id"]) for s in shop_records(stack, "order_states", "id,shipped") if int(s["shipped"] or 0)
    }
    histories = shop_records(stack, "order_histories", "id_order,id_order_state")
    shows_shipped = {int(h["id_order"]) for h in histories if int(h["id_order_state"]) in shipped_states}
    carriers = shop_records(stack, "order_carriers", "id_order,tracking_number")
    tracked = {int(c["id_order"]) for c in carriers if str(c.get("tracking_number") or "").strip()}
    references = {str(o["reference"]): int(o["id"]) for o in shop_records(stack, "orders", "id,reference")}
    payments = shop_records(stack, "order_payments", "order_reference,transaction_id")
    recorded = {
        references[str(p["order_reference"])]
        for p in payments
        if str(p.get("transaction_id") or "").startswith("M3 invoice")
        and str(p["order_reference"]) in references
    }
    return {
        "statuses": (shipped, shows_shipped & shipped),
        "tracking": (shipped, tracked & shipped),
        "payments": (paid, recorded & paid),
    }


def stock_drift(
    stack: EventLaneStack, truth: dict[str, Any] | None = None, warehouses: tuple[str, ...] = ("100",)
) -> list[str]:
    """The shop's stock rows whose quantity is not M3's allocatable quantity (AV01 summed over
    ``warehouses``, whole units, never below 0) of their item, by the default item rule written out
    here on its own: a product's reference, or a combination's for products with combinations (whose
    own row is their total). Rows of items M3 keeps no balance for are not compared."""
    truth = truth or m3_truth(stack)
    available: dict[str, Decimal] = {}
    for balance in truth["balances"]:
        if balance["WHLO"] in warehouses:
            available[balance["ITNO"]] = available.get(balance["ITNO"], Decimal(0)) + Decimal(balance["AV01"])
    products = {
        int(p["id"]): str(p["reference"] or "") for p in shop_records(stack, "products", "id,reference")
    }
    combinations = {
        int(c["id"]): (int(c["id_product"]), str(c["reference"] or ""))
        for c in shop_records(stack, "combinations", "id,id_product,reference")
    }
    styled = {product for product, _ in combinations.values()}
    drift = []
    for row in shop_records(stack, "stock_availables", "id_product,id_product_attribute,quantity"):
        product, combination = int(row["id_product"]), int(row["id_product_attribute"])
        if combination == 0 and product in styled:
            continue  # a product's total of its combinations
        item = combinations[combination][1] if combination else products.get(product, "")
        if item not in available:
            continue
        wanted = max(0, int(available[item].to_integral_value(rounding=ROUND_FLOOR)))
        if int(row["quantity"]) != wanted:
            drift.append(f"{product}:{combination} {item}: shop {row['quantity']}, M3 {wanted}")
    return drift


# -- chaos: the Dagster side -----------------------------------------------------------------------------


@contextlib.contextmanager
def dagster_instance(stack: EventLaneStack) -> Any:
    """The stack's Dagster instance, opened in this process for a look."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(stack.dagster_home)) as instance:
        yield instance


def pool_holders(stack: EventLaneStack) -> dict[str, list[str]]:
    """Per pool, the runs holding a slot."""
    with dagster_instance(stack) as instance:
        storage = instance.event_log_storage
        return {
            pool: [slot.run_id for slot in storage.get_concurrency_info(pool).claimed_slots]
            for pool in sorted(storage.get_concurrency_keys())
        }


def worker_pid(stack: EventLaneStack, run_id: str) -> int | None:
    """The process id of a run's worker, as the daemon's sweep finds it."""
    from prestashop_infor.daemon import worker_pid as worker_pid_of

    with dagster_instance(stack) as instance:
        return worker_pid_of(instance, run_id)


def run_statuses(stack: EventLaneStack, run_ids: list[str]) -> dict[str, str]:
    with dagster_instance(stack) as instance:
        return {run_id: instance.get_run_by_id(run_id).status.value for run_id in run_ids}


def run_summary(stack: EventLaneStack) -> dict[str, dict[str, Any]]:
    """Per job: its runs by status, and the median and longest time a run took from start to end."""
    summary: dict[str, dict[str, Any]] = {}
    with dagster_instance(stack) as instance:
        for record in instance.get_run_records():
            job = summary.setdefault(record.dagster_run.job_name, {"runs": {}, "seconds": []})
            status = record.dagster_run.status.value
            job["runs"][status] = job["runs"].get(status, 0) + 1
            if record.start_time and record.end_time:
                job["seconds"].append(record.end_time - record.start_time)
    for job in summary.values():
        took = sorted(job.pop("seconds"))
        job["p50_s"] = round(took[len(took) // 2], 1) if took else None
        job["max_s"] = round(took[-1], 1) if took else None
    return dict(sorted(summary.items()))


def stock_pushes(stack: EventLaneStack) -> int:
    """The storage id of the newest materialization of ``prestashop_stock_levels`` (0 without one):
    it grows with each push of the stock lane."""
    import dagster as dg

    with dagster_instance(stack) as instance:
        records = instance.fetch_materializations(dg.AssetKey("prestashop_stock_levels"), limit=1).records
    return records[0].storage_id if records else 0


def launch_job(stack: EventLaneStack, job: str, tags: dict[str, str]) -> str:
    """``dagster job launch`` (queued; the daemon starts it); returns the new run's id."""
    run_id = str(uuid.uuid4())
    command = [str(BIN / "dagster"), "job", "launch", "-w", str(PROJECT / "workspace.yaml"), "-j", job,
               "--tags", json.dumps(tags), "--run-id", run_id]  # fmt: skip
    env = stack.launches["daemon"][1]
    done = subprocess.run(
        command, env=env, cwd=stack.dagster_home, capture_output=True, text=True, timeout=180
    )
    if done.returncode:
        raise RuntimeError(f"dagster job launch {job} failed: {done.stderr[-2000:]}")
    return run_id
