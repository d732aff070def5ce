"""Reconciliation backfill: a year of history (365 days x 300 orders, about 110,000 orders on each
side) reconciled in one run through Dagster, then two years.

The sandbox runs as its own process (``prestashop-infor sandbox --history-days N --orders-per-day
300``), so its memory is not the run's. The backfill is ``dagster asset materialize --partition-range``
of ``prestashop_orders_daily``, ``infor_orders_daily`` and ``order_reconciliation`` (single-run
backfill policy: one run), in a child process whose wall time and peak RSS are measured. The lower
bound is reading both sides once: ``read_only_seconds`` is that alone, in another child process: the
same paged and chunked requests the reconciliation sends (the shop's orders with their payments and
credit slips, M3's order heads with their lines and invoices), nothing stored or compared.
``orders_only_read_seconds`` is the orders and lines alone, the bound this benchmark used before the
reconciliation compared money. The last line is one JSON object.

``--instance sqlite`` (the default) is the embedded instance ``make demo`` runs: Dagster's SQLite
files, the store in SQLite. ``--instance postgres`` is the production topology (docker/): Dagster's
runs and event log and the store in PostgreSQL, each in a new database on the server the tests use
(``PRESTASHOP_INFOR_TEST_POSTGRES_URL``, 127.0.0.1:5432 by default; where none answers, an embedded
one from the ``pgserver`` wheel), dropped afterwards. A range run writes one planned and one
materialization event per asset and partition (about 2,200 at 365 days); on SQLite each is its
own connection and commit to two files.
Targets on a 2-core machine (issue 22): ``ratio_to_read`` = seconds / read_only_seconds at most 1.5,
365 days within 1 GB; the peak at 730 days at most 1.2x the peak at 365 (flat, not growing with history).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
from _stack import stop_everything_of

from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY
from prestashop_infor.serving import free_port

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
ORDERS_PER_DAY = 300
SELECTION = "prestashop_orders_daily,infor_orders_daily,order_reconciliation"

READ_ONLY = """
import sys, time
from datetime import date
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.sync import reconcile
from prestashop_infor.sync.reconcile import snapshots
from prestashop_infor.sync.mapping import load_mapping
first, last = date.fromisoformat(sys.argv[1]), date.fromisoformat(sys.argv[2])
money = sys.argv[3] == "all"  # the orders' payments, credit slips and invoices too
mapping = load_mapping()
start = time.monotonic()
orders = 0
with PrestashopResource().get_client() as shop:
    window = f"[{first} 00:00:00,{last} 23:59:59]"
    for page in shop.iter_pages("orders", filters={"date_add": window}, page_size=reconcile.SHOP_PAGE):
        orders += len(page.records)
        if money:
            snapshots._shop_money(shop, page.records, snapshots.SnapshotReport())
with InforResource().get_client(mapping.erp) as m3:
    position, heads = first, 0
    while True:
        page = m3.execute("OIS175MI", "LstHeadByDate", maxrecs=reconcile.M3_PAGE, ORDT=position.strftime("%Y%m%d"))
        dated = [(h, reconcile._m3_date(h["ORDT"])) for h in page]
        done = len(page) < reconcile.M3_PAGE
        cut = dated[-1][1] if dated else last
        mine = [h for h, d in dated if d and first <= d <= last and (done or d < cut)]
        m3.bulk([("OIS100MI", "LstLine", {"ORNO": h["ORNO"]}) for h in mine], max_per_request=mapping.orders.bulk_size, max_records=0)
        if money:
            m3.bulk([("OIS350MI", "LstInvHeadByCo", {"ORNO": h["ORNO"]}) for h in mine], max_per_request=mapping.orders.bulk_size, max_records=0)
        heads += len(mine)
        if done or cut > last:
            break
        position = cut
print(orders, heads, round(time.monotonic() - start, 2))
"""


def _run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, float, float]:
    """Run ``command``; its exit code, output, wall seconds and its own peak RSS in MB (``wait4``
    reports the rusage of that child alone)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        output.seek(0)
        return process.returncode, output.read().decode(errors="replace"), seconds, usage.ru_maxrss / 1024


def _measure(days: int, folder: Path, server: str | None) -> dict[str, float | int]:
    """Seed a sandbox with ``days`` of history, then the read-only pass and the backfill run, on
    SQLite files in ``folder`` or, given a PostgreSQL ``server`` URL, in new databases there."""
    folder.mkdir(parents=True)
    shop_port, m3_port = free_port(HOST), free_port(HOST)
    ionapi = folder / "sandbox.ionapi"
    today = date.today()
    first, last = today - timedelta(days), today - timedelta(1)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PRESTASHOP", "INFOR_", "DAGSTER"))},
        "PRESTASHOP_URL": f"http://{HOST}:{shop_port}",
        "PRESTASHOP_API_KEY": DEFAULT_API_KEY,
        "PRESTASHOP_TIME_ZONE": "Europe/Paris",
        "INFOR_IONAPI_FILE": str(ionapi),
        "DAGSTER_HOME": str(folder / "dagster_home"),
        "PRESTASHOP_INFOR_DATABASE_URL": f"sqlite:///{folder / 'store.db'}",
        **({"PRESTASHOP_INFOR_DATABASE_URL": _new_database(server, f"store_{days}")} if server else {}),
        "PRESTASHOP_INFOR_RECONCILIATION_START": (first - timedelta(7)).isoformat(),
    }
    (folder / "dagster_home").mkdir()
    instance = "telemetry:\n  enabled: false\n"
    if server:  # Dagster's runs, event log and schedules in PostgreSQL, as docker/dagster.yaml has them
        dagster_url = _new_database(server, f"dagster_{days}")  # psycopg2 named, as docker/ does
        instance += f"storage:\n  postgres:\n    postgres_url: {json.dumps(dagster_url)}\n"
    (folder / "dagster_home" / "dagster.yaml").write_text(instance)
    log = (folder / "sandbox.log").open("wb")
    started = time.monotonic()
    sandbox = subprocess.Popen(
        [str(BIN / "prestashop-infor"), "sandbox", "--prestashop-port", str(shop_port), "--infor-port",
         str(m3_port), "--history-days", str(days), "--orders-per-day", str(ORDERS_PER_DAY), "--traffic", "0",
         "--ionapi-out", str(ionapi)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if (
                    ionapi.exists()
                    and httpx.get(f"{env['PRESTASHOP_URL']}/api/", timeout=2).status_code < 500
                ):
                    break
            except httpx.TransportError:
                pass
            if sandbox.poll() is not None:
                raise SystemExit(f"the sandbox stopped; see {folder / 'sandbox.log'}")
            time.sleep(0.5)
        else:
            raise SystemExit(f"the sandbox did not start in 600 s; see {folder / 'sandbox.log'}")
        seeded = time.monotonic() - started
        print(f"{days} days: sandbox seeded in {seeded:.1f} s", flush=True)
        reads = {}
        for what in ("orders", "all"):
            code, out, _, _ = _run(
                [sys.executable, "-c", READ_ONLY, str(first), str(last), what], env, folder
            )
            if code != 0:
                raise SystemExit(f"the read-only pass ({what}) failed:\n{out[-3000:]}")
            shop_orders, m3_orders, reads[what] = out.split()[-3:]
            print(f"{days} days: read only ({what}) {reads[what]} s ({shop_orders} shop, {m3_orders} M3 orders)",
                  flush=True)  # fmt: skip
        code, out, seconds, peak = _run(
            [str(BIN / "dagster"), "asset", "materialize", "-m", "prestashop_infor.defs", "--select", SELECTION,
             "--partition-range", f"{first}...{last}"],
            env, folder,
        )  # fmt: skip
        (folder / "run.log").write_text(out)
        if code != 0 or "RUN_SUCCESS" not in out:
            raise SystemExit(f"the backfill run failed; see {folder / 'run.log'}")
        runs = out.count("RUN_START")
        for line in out.splitlines():
            if "STEP_SUCCESS" in line:  # where the run's time goes, step by step
                print(f"{days} days: " + line.split(" - ")[-1], flush=True)
        findings = _findings(env["PRESTASHOP_INFOR_DATABASE_URL"])
        print(
            f"{days} days: backfill in {seconds:.1f} s, peak {peak:.0f} MB, {runs} run, {findings} findings"
        )
        return {"seconds": round(seconds, 1), "peak_mb": round(peak), "read_only_seconds": float(reads["all"]),
                "orders_only_read_seconds": float(reads["orders"]),
                "orders": int(shop_orders), "runs": runs, "findings": findings}  # fmt: skip
    finally:
        os.killpg(sandbox.pid, signal.SIGTERM)
        sandbox.wait(timeout=60)
        stop_everything_of(folder / "dagster_home")


def _new_database(server: str, name: str) -> str:
    """A new, empty database ``name`` on the PostgreSQL of ``server`` (dropped first if a run before
    left it); its URL."""
    import sqlalchemy as sa

    name = f"backfill_bench_{name}"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


def _drop_databases(server: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            names = connection.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'backfill_bench_%'")
            ).scalars()
            for name in list(names):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@contextlib.contextmanager
def _postgres(folder: Path) -> Iterator[str]:
    """The URL of a PostgreSQL server to make databases on: the tests' one when it answers, else
    an embedded one in ``folder``, stopped at the end; the benchmark's databases are dropped."""
    sys.path.insert(0, str(PROJECT))  # the tests' PostgreSQL helper, not an installed package
    from prestashop_infor_tests import postgres

    url, embedded = postgres.configured_url(), None
    if postgres.unreachable(url) is not None:
        embedded = postgres.start_embedded(folder)
        url = embedded.url
    try:
        yield url
    finally:
        try:
            _drop_databases(url)
        finally:
            if embedded is not None:
                postgres.stop(embedded.pid)


def _findings(database_url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("select count(*) from recon_findings")).scalar_one())
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="history of the first measurement")
    parser.add_argument("--instance", choices=("sqlite", "postgres"), default="sqlite",
                        help="Dagster's storage and the store: SQLite files (the embedded default) or PostgreSQL")  # fmt: skip
    args = parser.parse_args()
    if not 1 <= args.days <= 500:
        parser.error("--days must be 1 to 500 (the second measurement doubles it)")
    folder = Path(tempfile.mkdtemp(prefix="backfill-bench-"))
    with _postgres(folder) if args.instance == "postgres" else contextlib.nullcontext() as server:
        year = _measure(args.days, folder / "first", server)
        two = _measure(2 * args.days, folder / "second", server)
    print(
        json.dumps(
            {
                "benchmark": "backfill",
                "instance": args.instance,
                "days": args.days,
                "orders": year["orders"],
                "seconds": year["seconds"],
                "peak_mb": year["peak_mb"],
                "read_only_seconds": year["read_only_seconds"],
                "ratio_to_read": round(year["seconds"] / year["read_only_seconds"], 2),
                "orders_only_read_seconds": year["orders_only_read_seconds"],
                "runs": year["runs"],
                "findings": year["findings"],
                "days_730": 2 * args.days,
                "orders_730": two["orders"],
                "seconds_730": two["seconds"],
                "peak_mb_730": two["peak_mb"],
                "read_only_seconds_730": two["read_only_seconds"],
                "memory_ratio": round(two["peak_mb"] / year["peak_mb"], 2),
                "targets": {"ratio_to_read": 1.5, "peak_mb": 1024, "memory_ratio": 1.2},
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
