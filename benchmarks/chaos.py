"""Chaos on the real stack: 2,000 orders through webhooks while both emulators misbehave, the daemon
and the receiver killed and restarted in the middle; afterwards nothing may be lost or doubled.

The stack is the one of ``latency.py`` and ``burst.py`` (``_stack.py``: sandbox, receiver,
``prestashop-infor daemon``) with one difference: the schedules run too
(``PRESTASHOP_INFOR_SCHEDULES=on``), since they are the safety net the design relies on (an order
whose run was killed, a payment, which shows on M3's receivable and not on the order head).

After one warm-up order, with the faults on:

- the shop: 20% of Webservice requests answered 500, 5% hanging ``--shop-hang`` seconds (31 s, past
  the client's timeouts: 15 s for a read, which is asked again, 30 s for a write, which still commits
  when the hang ends: a write that timed out);
- M3 (ION API gateway): 20% of calls answered 503, 5% answered 504 after a second (the gateway's
  timeout), writes of orders and customers that commit and then answer 502 (5%) or 504 after a
  second (3%), every call answered 429 (``Retry-After: 1``) for 2 s every 10 s, every token expired
  every 15 s;
- the webhook sender: 5% duplicates, 5% held back (out of order), 2% forged copies, and a short
  retry schedule (a benchmark cannot wait the contract's 5 minutes for a receiver that restarts).

``--orders`` orders are placed in ``--batches`` batches ``--spacing`` seconds apart, and the
orchestrator is hit at several points of the placing (``KILLS``, about a minute apart), each by
SIGKILL, the killed processes started again ``--down`` seconds later:

- a run worker while its run holds a pool slot (``infor_erp`` or one of the shop's);
- the daemon, with its code server and their run workers, while no pool slot is held (before or
  after a run holds one);
- the daemon and the receiver while a run holds a pool slot;
- the daemon while a reconciliation backfill (one run over the last 7 days) runs;
- the receiver alone.

The M3 clock is moved on every 10 s so orders are delivered, invoiced and paid while the faults
last. Then the faults stop, and the stack gets ``--settle`` seconds at most to finish: every order
in M3 or dead-lettered, and what M3 holds shown in the shop. Counted, each against M3's and the
shop's own records (the emulators' ``/_sandbox`` views, not the integration's bookkeeping):

- ``lost``: webhooks the shop sent and the inbox lacks; ``duplicates``: customer orders per CUOR and
  customers per e-mail beyond one in M3, and orders bound twice; ``double_payments``: shop orders
  with more than one payment, or paid beyond their total; ``unaccounted``: orders neither bound to
  an M3 order nor an open dead letter with a reason;
- ``missing_payments``: orders paid in M3 without the payment in the shop; ``missing_statuses``:
  orders shipped in M3 without a shipped state in the shop's history; ``missing_tracking``: shipped
  in M3 without a tracking number on the shop order (each over the orders the integration took on:
  a dead-lettered order is a person's, ``dlq replay``; ``dead_lettered_held_by_m3`` counts those M3
  made a customer order of all the same); ``stock_drift``: shop stock rows whose quantity is not
  M3's allocatable quantity of their item;
- ``stalled_s``: the longest time any lane (orders to M3; statuses, tracking, payments and stock
  back to the shop) had work and made no progress, sampled every few seconds from the faults on to
  the end (stock: a push of ``prestashop_stock_levels``; the others: one more order done).

The last line is one JSON object; every count must be 0 and ``stalled_s`` at most 120 s, or the
benchmark exits 1 (as it does when the stack does not settle).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _stack import (
    EventLaneStack,
    back_office_lanes,
    exit_on_sigterm,
    launch_job,
    m3_call,
    m3_truth,
    open_order_letters,
    pool_holders,
    run_statuses,
    run_summary,
    shop_faults,
    shop_payments,
    stock_drift,
    stock_pushes,
    webhook_counts,
    webhook_faults,
    worker_pid,
)

from prestashop_infor.store import Store

FOREVER = 10**9  # a fault's count that never runs out: the rate decides
MAX_STALL_SECONDS = 120
#: When (the share of the batches placed) and what is killed.
KILLS = (
    (0.1, "worker holding a pool slot"),
    (0.3, "daemon, no pool slot held"),
    (0.5, "daemon and receiver holding a pool slot"),
    (0.7, "daemon during a backfill"),
    (0.9, "receiver"),
)


@dataclass
class Plan:
    orders: int = 2_000
    batches: int = 40
    # seconds between batches: the kills come about a minute apart, so that a run under these
    # faults (half a minute, with a shop request timing out) can finish between two of them
    spacing: float = 8.0
    kills: tuple[str, ...] = tuple(what for _, what in KILLS)
    down: float = 3.0  # seconds the killed processes stay down
    shop_hang: float = 31.0  # seconds a "timed out" shop request hangs (the client gives up at 30)
    settle: float = 420.0  # seconds at most for everything to finish once the faults stop
    seed: int = 11


def faults_on(stack: EventLaneStack, plan: Plan) -> dict[str, Any]:
    webhook_faults(stack, retry_delays=[1, 2, 3, 5, 8, 13, 21, 30], duplicate_rate=0.05, reorder_rate=0.05,
                   reorder_delay=2.0, bad_signature_rate=0.02)  # fmt: skip
    shop_faults(stack, error_rate=0.2, timeout_rate=0.05, timeout_seconds=plan.shop_hang, seed=plan.seed)
    m3 = [
        # writes first: they run and then answer an error, or answer late as a gateway timeout
        {"status": 502, "rate": 0.05, "match": "OIS100MI/", "after_commit": True},
        {"status": 504, "rate": 0.03, "match": "OIS100MI/", "after_commit": True, "delay": 1.0},
        {"status": 502, "rate": 0.05, "match": "CRS610MI/Add", "after_commit": True},
        {"status": 504, "rate": 0.03, "match": "CRS610MI/Add", "after_commit": True, "delay": 1.0},
        {"status": 503, "rate": 0.2},
        {"status": 504, "rate": 0.05, "delay": 1.0},
    ]
    for fault in m3:
        m3_call(stack, "faults", {"count": FOREVER, **fault})
    return {
        "shop": {"5xx": 0.2, "timeouts": 0.05, "hang_s": plan.shop_hang},
        "m3": {
            "5xx": 0.2,
            "gateway_timeouts": 0.05,
            "commit_then_502": 0.05,
            "commit_then_504": 0.03,
            "429_for_2_s_every_s": 10,
            "tokens_expired_every_s": 15,
        },  # fmt: skip
        "webhooks": {"duplicates": 0.05, "reordered": 0.05, "forged": 0.02},
    }


def faults_off(stack: EventLaneStack) -> None:
    shop_faults(stack, error_rate=0.0, timeout_rate=0.0)
    m3_call(stack, "faults", method="DELETE")
    webhook_faults(stack, duplicate_rate=0.0, reorder_rate=0.0, bad_signature_rate=0.0)


def run_chaos(
    stack: EventLaneStack, store: Store, plan: Plan, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Warm up, place the orders under faults with the kills on the way, settle, count."""
    warm = stack.place_orders(1, seed=0)
    deadline = time.monotonic() + 180
    while not stack.bound_at(store, warm) and time.monotonic() < deadline:
        time.sleep(0.2)
    if not stack.bound_at(store, warm):
        raise SystemExit(f"the warm-up order {warm[0]} did not reach M3; see {stack.logs}")
    start = time.monotonic()
    faults = faults_on(stack, plan)
    say(f"faults on: {json.dumps(faults)}")
    placed: list[int] = []
    watch = StallWatch(stack, store, placed, start=start)
    watch.start()
    kills: list[str] = []
    backfills: list[str] = []
    due = {max(0, min(plan.batches - 1, round(share * plan.batches))): what for share, what in KILLS
           if what in plan.kills}  # fmt: skip
    per_batch = -(-plan.orders // plan.batches)
    last_burst = last_expiry = last_advance = time.monotonic()
    try:
        for batch in range(plan.batches):
            count = min(per_batch, plan.orders - len(placed))
            if count <= 0:
                break
            placed += stack.place_orders(count, seed=plan.seed * 1000 + batch)
            now = time.monotonic()
            if now - last_burst >= 10:
                m3_call(stack, "faults", {"status": 429, "count": 1, "seconds": 2, "retry_after": "1"})
                last_burst = now
            if now - last_expiry >= 15:
                m3_call(stack, "tokens/expire")
                last_expiry = now
            if now - last_advance >= 10:
                m3_call(stack, "advance", {"seconds": 1800})  # delivered, invoiced, paid
                last_advance = now
            if batch in due:
                done = kill(stack, due[batch], plan, backfills)
                kills.append(f"{done} after {len(placed)} orders, down {plan.down:.0f} s")
                say(f"{time.monotonic() - start:5.1f} s: killed {done} after {len(placed)} orders; restarted")
            time.sleep(plan.spacing)
        placed_in = time.monotonic() - start
        say(f"{len(placed)} orders placed in {placed_in:.1f} s under faults")
        faults_off(stack)
        m3_call(stack, "advance", {"seconds": 3600})
        settled_in = _settle(stack, store, placed, plan.settle, start, say)
    finally:
        watch.stop()

    bound = stack.bound_at(store, placed)
    letters = open_order_letters(store, placed)
    unaccounted = [o for o in placed if o not in bound and o not in letters]
    hooks = _webhooks_at_rest(stack, store, 60)
    m3 = stack.m3_state()
    bound_twice = stack.duplicates(store)["bound_twice"]
    payments = shop_payments(stack, placed)
    truth = m3_truth(stack)
    # what the integration took on: an order it dead-lettered is a person's (``dlq replay``)
    taken_on = [o for o in placed if o not in letters]
    lanes = back_office_lanes(stack, taken_on, truth)
    missing = {lane: sorted(wanted - shown) for lane, (wanted, shown) in lanes.items()}
    drift = stock_drift(stack, truth)
    lettered_in_m3 = sorted(o for o in letters if truth["order_phases"].get(f"PS{o}"))
    return {
        "benchmark": "chaos",
        "orders": len(placed),
        "placed_in_s": round(placed_in, 1),
        "settled": settled_in is not None,
        "seconds": round(settled_in if settled_in is not None else time.monotonic() - start, 1),
        "lost": hooks["lost"],
        "duplicates": m3["duplicate_orders"] + m3["duplicate_customers"] + bound_twice,
        "double_payments": len(payments["double"]),
        "unaccounted": len(unaccounted),
        "missing_payments": len(missing["payments"]),
        "missing_statuses": len(missing["statuses"]),
        "missing_tracking": len(missing["tracking"]),
        "stock_drift": len(drift),
        "stalled_s": round(watch.longest, 1),
        "stalled_lane": watch.longest_lane,
        "confirmed_in_m3": len(bound),
        "dead_lettered": len(letters),
        "dead_letter_reasons": dict(Counter(letters.values())),
        # dead-lettered, yet M3 made the customer order (a write answered with an error had
        # committed): `dlq replay` binds them; until then the shop hears nothing of them
        "dead_lettered_held_by_m3": len(lettered_in_m3),
        "unaccounted_orders": unaccounted[:20],
        "webhooks": hooks,
        "m3": {
            "duplicate_orders": m3["duplicate_orders"],
            "duplicate_customers": m3["duplicate_customers"],
            "bound_twice": bound_twice,
            "invoices_paid": m3["invoices_paid"],
        },  # fmt: skip
        "back_office": {
            lane: {"in_m3": len(wanted), "in_shop": len(shown), "missing": missing[lane][:20]}
            for lane, (wanted, shown) in lanes.items()
        },  # fmt: skip
        "stock_drift_rows": drift[:20],
        "double_references": payments["double"][:20],
        "stalls": watch.per_lane(),
        "stall_windows": watch.windows(),  # seconds from the faults on, as the kill lines
        "stall_samples": {"taken": watch.samples, "failed": watch.failed, "last_error": watch.last_error},
        "kills": kills,
        "backfill_runs": run_statuses(stack, backfills) if backfills else {},
        "runs": run_summary(stack),
        "faults": faults,
    }


TARGETS = {"lost": 0, "duplicates": 0, "double_payments": 0, "unaccounted": 0, "missing_payments": 0,
           "missing_statuses": 0, "missing_tracking": 0, "stock_drift": 0}  # fmt: skip


def missed(result: dict[str, Any]) -> list[str]:
    """What the run failed: a count above its target, a stall too long, not settled."""
    misses = [f"{name} {result[name]}" for name, target in TARGETS.items() if result[name] > target]
    samples = result["stall_samples"]
    if samples["taken"] < 10 or samples["failed"] > samples["taken"]:
        misses.append(f"stall samples {samples}")
    if result["stalled_s"] > MAX_STALL_SECONDS:
        misses.append(f"stalled_s {result['stalled_s']} ({result['stalled_lane']})")
    if not result["settled"]:
        misses.append("not settled")
    return misses


def kill(stack: EventLaneStack, what: str, plan: Plan, backfills: list[str]) -> str:
    """One kill of ``KILLS`` (SIGKILL), the processes started again after ``plan.down`` seconds;
    returns what was killed, and when."""
    if what == "worker holding a pool slot":
        run_id = _wait_for(lambda: _a_holder(stack), 20)
        pid = worker_pid(stack, run_id) if run_id else None
        if pid is None:
            return "no worker (no run held a pool slot within 20 s)"
        os.kill(pid, signal.SIGKILL)
        return f"the worker of run {run_id[:8]} (pid {pid}), holding a pool slot"
    if what == "daemon, no pool slot held":
        idle = _wait_for(lambda: not _a_holder(stack), 20)
        _down(stack, ["daemon"], plan.down)
        return "the daemon " + ("with no pool slot held" if idle else "(a pool slot was held all along)")
    if what == "daemon and receiver holding a pool slot":
        run_id = _wait_for(lambda: _a_holder(stack), 20)
        _down(stack, ["daemon", "receiver"], plan.down)
        held = f"while run {run_id[:8]} held a pool slot" if run_id else "(no run held a pool slot)"
        return f"the daemon and the receiver {held}"
    if what == "daemon during a backfill":
        today = date.today()
        tags = {
            "dagster/asset_partition_range_start": (today - timedelta(days=7)).isoformat(),
            "dagster/asset_partition_range_end": (today - timedelta(days=1)).isoformat(),
            "dagster/priority": "10",
        }  # fmt: skip  (first out of the queue)
        run_id = launch_job(stack, "order_reconciliation_job", tags)
        backfills.append(run_id)
        running = _wait_for(lambda: run_statuses(stack, [run_id])[run_id] == "STARTED", 120)
        _down(stack, ["daemon"], plan.down)
        return f"the daemon {'while' if running else 'before'} backfill run {run_id[:8]} ran"
    if what == "receiver":
        _down(stack, ["receiver"], plan.down)
        return "the receiver"
    raise ValueError(f"no such kill: {what}")


def _a_holder(stack: EventLaneStack) -> str | None:
    return next((run for runs in pool_holders(stack).values() for run in runs), None)


def _wait_for(condition: Callable[[], Any], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _down(stack: EventLaneStack, names: list[str], seconds: float) -> None:
    for name in names:
        stack.kill(name)
    time.sleep(seconds)
    for name in reversed(names):
        stack.restart(name)


class StallWatch:
    """Samples every lane every few seconds in a thread: how much work it has and how far it got;
    ``longest`` is the longest time a lane had work and its progress did not move; ``windows`` when,
    per lane, in seconds from ``start`` (the clock of the benchmark's kill lines)."""

    SAMPLE_SECONDS = 10.0  # each sample reads every order of both emulators: not too often

    def __init__(self, stack: EventLaneStack, store: Store, placed: list[int], *, start: float) -> None:
        self.stack, self.store, self.placed, self.origin = stack, store, placed, start
        self._since: dict[str, float | None] = {}  # lane -> since when it has work and no progress
        self._done: dict[str, int] = {}
        self._windows: dict[str, tuple[float, float]] = {}  # lane -> its longest stall (from, to)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-watch", daemon=True)
        self.samples = self.failed = 0
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    @property
    def longest(self) -> float:
        return max(self._seconds().values(), default=0.0)

    @property
    def longest_lane(self) -> str | None:
        seconds = self._seconds()
        return max(seconds, key=seconds.__getitem__) if seconds else None

    def per_lane(self) -> dict[str, float]:
        return {lane: round(seconds, 1) for lane, seconds in sorted(self._seconds().items())}

    def _seconds(self) -> dict[str, float]:
        return {lane: to - since for lane, (since, to) in self._windows.items()}

    def windows(self) -> dict[str, list[float]]:
        return {
            lane: [round(at - self.origin, 1) for at in window]
            for lane, window in sorted(self._windows.items())
        }

    def _run(self) -> None:
        while not self._stop.wait(self.SAMPLE_SECONDS):
            try:
                sample = self._sample()
            except Exception as exc:  # noqa: BLE001 - a sample that fails (a process restarting) is skipped
                self.failed += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                continue
            self.samples += 1
            now = time.monotonic()
            for lane, (work, done) in sample.items():
                moved = done > self._done.get(lane, -1)
                self._done[lane] = max(done, self._done.get(lane, 0))
                if not work or moved:
                    self._since[lane] = now if work else None
                    continue
                since = self._since.get(lane) or now
                self._since[lane] = since
                if lane not in self._windows or now - since > self._seconds()[lane]:
                    self._windows[lane] = (since, now)  # a lane stalled since this sample counts, at 0 s

    def _sample(self) -> dict[str, tuple[int, int]]:
        """Per lane: (work waiting, progress so far)."""
        placed = list(self.placed)
        bound = self.stack.bound_at(self.store, placed)
        letters = open_order_letters(self.store, placed)
        done = len(set(bound) | set(letters))
        lanes = {"orders": (len(placed) - done, done)}
        truth = m3_truth(self.stack)  # one read of M3 for both
        taken_on = [o for o in placed if o not in letters]
        for lane, (wanted, shown) in back_office_lanes(self.stack, taken_on, truth).items():
            lanes[lane] = (len(wanted - shown), len(shown))
        lanes["stock"] = (len(stock_drift(self.stack, truth)), stock_pushes(self.stack))
        return lanes


def _webhooks_at_rest(stack: EventLaneStack, store: Store, limit: float) -> dict[str, int]:
    """The webhook counts once every event the shop queued is stored, or after ``limit`` s: the
    integration's own writes to the shop keep making events, and one in flight is not lost."""
    deadline = time.monotonic() + limit
    hooks = webhook_counts(stack, store)
    while hooks["lost"] and time.monotonic() < deadline:
        time.sleep(1)
        hooks = webhook_counts(stack, store)
    return hooks


def _settle(
    stack: EventLaneStack,
    store: Store,
    placed: list[int],
    limit: float,
    start: float,
    say: Callable[[str], None],
) -> float | None:
    """Wait (at most ``limit`` s) until the sender has nothing left, every order is bound or dead-
    lettered, and the shop shows every status, tracking number and payment M3 holds and M3's stock;
    the seconds since ``start``."""
    deadline = time.monotonic() + limit
    reported = advanced = 0.0
    all_in_before_advance = False  # the last clock move came after every order was bound or dead-lettered
    while time.monotonic() < deadline:
        hooks = webhook_counts(stack, store)
        bound = stack.bound_at(store, placed)
        letters = open_order_letters(store, placed)
        open_orders = [o for o in placed if o not in bound and o not in letters]
        if time.monotonic() - advanced >= 10:  # orders bound since are delivered, invoiced and paid
            m3_call(stack, "advance", {"seconds": 3600})
            advanced = time.monotonic()
            all_in_before_advance = not open_orders
        truth = m3_truth(stack)
        lanes = back_office_lanes(stack, [o for o in placed if o not in letters], truth)
        missing = {lane: len(wanted - shown) for lane, (wanted, shown) in lanes.items()}
        drift = len(stock_drift(stack, truth))
        if time.monotonic() - reported >= 10:
            reported = time.monotonic()
            behind = ", ".join(f"{lane} {count}" for lane, count in missing.items())
            say(
                f"{reported - start:5.1f} s: {len(bound)} in M3, {len(letters)} dead-lettered, {len(open_orders)} open; "
                f"webhooks {hooks['stored']}/{hooks['sent']} stored, {hooks['pending']} pending; "
                f"the shop behind M3: {behind}, stock rows {drift}"
            )
        # settled: nothing left to deliver or enter, the M3 clock moved on since (an order M3 cannot
        # allocate is never paid), and the shop shows what M3 holds
        if hooks["pending"] == 0 and not open_orders and all_in_before_advance and not any(missing.values()) \
                and not drift:  # fmt: skip
            return time.monotonic() - start
        time.sleep(3)
    say(f"not settled within {limit:.0f} s")
    return None


def main() -> int:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=Plan.orders, help="orders placed under faults")
    parser.add_argument("--batches", type=int, default=Plan.batches, help="batches the orders are placed in")
    parser.add_argument("--spacing", type=float, default=Plan.spacing, help="seconds between batches")
    parser.add_argument(
        "--down", type=float, default=Plan.down, help="seconds the killed processes stay down"
    )
    parser.add_argument(
        "--shop-hang", type=float, default=Plan.shop_hang, help="seconds a timed-out shop request hangs"
    )
    parser.add_argument("--settle", type=float, default=Plan.settle, help="seconds at most to settle")
    args = parser.parse_args()
    if not 1 <= args.orders <= 10_000 or not 1 <= args.batches <= args.orders:
        parser.error("--orders must be 1 to 10,000 and --batches 1 to --orders")
    if not 0 <= args.spacing <= 60:
        parser.error("--spacing must be 0 to 60 seconds")
    plan = Plan(orders=args.orders, batches=args.batches, spacing=args.spacing, down=args.down,
                shop_hang=args.shop_hang, settle=args.settle)  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="chaos-bench-"))
    with EventLaneStack(folder, schedules=True) as stack, Store.from_url(stack.store_url) as store:
        result = run_chaos(stack, store, plan, say=lambda line: print(line, flush=True))
    print(
        f"{result['orders']} orders under faults, {len(result['kills'])} kills: "
        f"{result['confirmed_in_m3']} confirmed in M3, {result['dead_lettered']} dead-lettered "
        f"{result['dead_letter_reasons']}, settled {result['settled']} in {result['seconds']} s"
    )
    print(
        f"webhooks sent {result['webhooks']['sent']}, stored {result['webhooks']['stored']}, lost {result['lost']}; "
        f"duplicates {result['duplicates']} {result['m3']}; recorded twice {result['double_payments']}; "
        f"unaccounted {result['unaccounted']}; the shop behind M3: {json.dumps(result['back_office'])}; "
        f"stock drift {result['stock_drift']}; longest stall {result['stalled_s']} s {result['stalls']}, "
        f"from and to (s) {result['stall_windows']}"
    )
    misses = missed(result)
    print(json.dumps({**result, "targets": {**TARGETS, "stalled_s": MAX_STALL_SECONDS}, "missed": misses}))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
