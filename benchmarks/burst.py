"""Event-lane burst on the real stack: 1,000 shop orders placed at once, until all are in M3.

The stack is the one of ``latency.py`` (``_stack.py``: sandbox, receiver, ``prestashop-infor
daemon`` with the project's ``dagster.yaml``, sensors on, schedules off). One warm-up order first
(the first run reads the whole catalogue) and its runs (the order run, then the stock run its
stock events start after the sensor's window) until they end, so the burst starts on a quiet
stack; then ``ORDERS`` orders in one sandbox call: the shop
sends their webhooks (order, status and stock events), the sensor turns them into a few runs, and
the clock stops when the last order is bound in the id map (bound only once M3 holds the confirmed
order). Prints the time, the runs the webhooks launched, lost orders (not in M3 within the limit)
and duplicates (an order bound twice, or a second M3 order with one customer order number); the
last line is one JSON object. Target on a 2-core machine (issue 22): 10 s, nothing lost or doubled.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _stack import RUN_ENDED, RUNS_END_LIMIT, EventLaneStack, exit_on_sigterm

from prestashop_infor.store import Store

ORDERS = 1_000
LIMIT = 300.0  # seconds: an order not in M3 by then counts as lost
QUIET_LIMIT = 90.0  # seconds the warm-up's runs (its order run, then its stock run) may take to end


def _settled(stack: EventLaneStack, deadline: float) -> bool:
    """Wait until the warm-up's stock run (its stock events wait for the sensor's window) has run
    and every run has ended, so the burst starts on a quiet stack, as a shop's burst does."""
    while time.monotonic() < deadline:
        runs = stack.runs()
        if any(r["job"] == "stock_sync_job" for r in runs) and all(r["status"] in RUN_ENDED for r in runs):
            return True
        time.sleep(0.5)
    return False


def main() -> int:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=ORDERS, help="orders placed at once")
    args = parser.parse_args()
    if not 1 <= args.orders <= 10_000:
        parser.error("--orders must be 1 to 10,000")
    folder = Path(tempfile.mkdtemp(prefix="burst-bench-"))
    with EventLaneStack(folder) as stack, Store.from_url(stack.store_url) as store:
        warm = stack.place_orders(1, seed=0)
        deadline = time.monotonic() + 180
        while not stack.bound_at(store, warm) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not stack.bound_at(store, warm):
            raise SystemExit(f"the warm-up order {warm[0]} did not reach M3; see {stack.logs}")
        if not _settled(stack, deadline=time.monotonic() + QUIET_LIMIT):
            print(f"the warm-up's runs had not all ended after {QUIET_LIMIT:.0f} s; going on", flush=True)
        runs_before = {r["run_id"] for r in stack.runs()}
        start = time.monotonic()
        placed = stack.place_orders(args.orders, seed=1)
        placed_in = time.monotonic() - start
        print(f"{len(placed)} orders placed in {placed_in:.1f} s", flush=True)
        bound: dict[int, object] = {}
        reported = start
        while len(bound) < len(placed) and time.monotonic() - start < LIMIT:
            time.sleep(0.2)
            bound = stack.bound_at(store, placed)
            if time.monotonic() - reported >= 5:
                reported = time.monotonic()
                print(f"{reported - start:5.1f} s: {len(bound)} of {len(placed)} in M3", flush=True)
        seconds = time.monotonic() - start
        lost = [order_id for order_id in placed if order_id not in bound]
        runs = [
            r
            for r in stack.runs()
            if r["run_id"] not in runs_before and r["tags"].get("prestashop_infor/trigger") == "webhook"
        ]
        m3 = stack.m3_state()
        duplicates = stack.duplicates(store)["bound_twice"] + m3["duplicate_orders"]
        if not stack.let_runs_end(RUNS_END_LIMIT):  # measured: the runs left end before the stop
            print(
                f"runs still under way {RUNS_END_LIMIT:.0f} s after the last order; the stop interrupts them"
            )
    by_job: dict[str, int] = {}
    for run in runs:
        by_job[run["job"]] = by_job.get(run["job"], 0) + 1
    print(
        f"{len(placed)} orders at once -> all confirmed in M3 in {seconds:.1f} s; runs launched by webhooks: "
        f"{len(runs)} {by_job}; lost {len(lost)}, duplicated {duplicates}"
    )
    print(
        json.dumps(
            {
                "benchmark": "burst",
                "orders": len(placed),
                "seconds": round(seconds, 1),
                "placed_in_s": round(placed_in, 1),
                "runs": len(runs),
                "runs_by_job": by_job,
                "lost": len(lost),
                "duplicates": duplicates,
                "targets": {"seconds": 10, "lost": 0, "duplicates": 0},
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
