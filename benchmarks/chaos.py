"""Chaos on the real stack: 2,000 orders through webhooks while both emulators misbehave, the daemon
and the receiver killed and restarted in the middle; afterwards nothing may be lost or doubled.

The stack is the one of ``latency.py`` and ``burst.py`` (``_stack.py``: sandbox, receiver,
``prestashop-infor daemon``) with one difference: the schedules run too
(``PRESTASHOP_INFOR_SCHEDULES=on``), since they are the safety net the design relies on (an order
whose run was killed, a payment, which shows on M3's receivable and not on the order head).

After one warm-up order, with the faults on:

- the shop: 20% of Webservice requests answered 500, 5% hanging ``--shop-hang`` seconds (31 s, past
  the client's 30 s timeout: a real timeout; writes still commit when the hang ends);
- M3 (ION API gateway): 20% of calls answered 503, 5% answered 504 after a second (the gateway's
  timeout), writes of orders and customers that commit and then answer 502 (5%) or 504 after a
  second (3%), a burst of 429s (``Retry-After: 1``) every 10 s, every token expired every 15 s;
- the webhook sender: 5% duplicates, 5% held back (out of order), 2% forged copies, and a short
  retry schedule (a benchmark cannot wait the contract's 5 minutes for a receiver that restarts).

``--orders`` orders are placed in ``--batches`` batches a second apart; half-way, the daemon and the
receiver are killed (SIGKILL to each process group) and started again ``--down`` seconds later. The
M3 clock is moved on every 10 s so orders are delivered, invoiced and paid while the faults last.
Then the faults stop, the M3 clock moves an hour on, and the stack gets ``--settle`` seconds at most
to finish. Counted: webhooks the shop sent vs inbox rows (lost), customer orders per CUOR and
customers per e-mail beyond one in M3 and orders bound twice (duplicates), shop orders with more than
one payment or paid beyond their total (double payments), and orders neither bound to an M3 order
nor an open dead letter with a reason (unaccounted). The last line is one JSON object; all four must
be 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _stack import (
    EventLaneStack,
    m3_call,
    m3_paid_orders,
    open_order_letters,
    shop_faults,
    shop_payments,
    webhook_counts,
    webhook_faults,
)

from prestashop_infor.store import Store

FOREVER = 10**9  # a fault's count that never runs out: the rate decides


@dataclass
class Plan:
    orders: int = 2_000
    batches: int = 40
    spacing: float = 1.0  # seconds between batches
    kill_daemon: bool = True
    kill_receiver: bool = True
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
            "429_burst_every_s": 10,
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
    """Warm up, place the orders under faults with the kills half-way, settle, count."""
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
    kills: list[str] = []
    per_batch = -(-plan.orders // plan.batches)
    last_burst = last_expiry = last_advance = time.monotonic()
    for batch in range(plan.batches):
        count = min(per_batch, plan.orders - len(placed))
        if count <= 0:
            break
        placed += stack.place_orders(count, seed=plan.seed * 1000 + batch)
        now = time.monotonic()
        if now - last_burst >= 10:
            m3_call(stack, "faults", {"status": 429, "count": 20, "retry_after": "1"})
            last_burst = now
        if now - last_expiry >= 15:
            m3_call(stack, "tokens/expire")
            last_expiry = now
        if now - last_advance >= 10:
            m3_call(stack, "advance", {"seconds": 1800})  # delivered, invoiced, paid
            last_advance = now
        if batch == plan.batches // 2 and (plan.kill_daemon or plan.kill_receiver):
            names = [n for n, on in (("daemon", plan.kill_daemon), ("receiver", plan.kill_receiver)) if on]
            for name in names:
                stack.kill(name)
            say(
                f"{time.monotonic() - start:5.1f} s: killed {' and '.join(names)} (SIGKILL) after {len(placed)} orders"
            )
            time.sleep(plan.down)
            for name in reversed(names):
                stack.restart(name)
            kills.append(f"{'+'.join(names)} after {len(placed)} orders, down {plan.down:.0f} s")
            say(f"{time.monotonic() - start:5.1f} s: restarted {' and '.join(reversed(names))}")
        time.sleep(plan.spacing)
    placed_in = time.monotonic() - start
    say(f"{len(placed)} orders placed in {placed_in:.1f} s under faults")
    faults_off(stack)
    m3_call(stack, "advance", {"seconds": 3600})
    settled_in = _settle(stack, store, placed, plan.settle, start, say)

    bound = stack.bound_at(store, placed)
    letters = open_order_letters(store, placed)
    unaccounted = [o for o in placed if o not in bound and o not in letters]
    hooks = _webhooks_at_rest(stack, store, 60)
    m3 = stack.m3_state()
    bound_twice = stack.duplicates(store)["bound_twice"]
    payments = shop_payments(stack, placed)
    paid = m3_paid_orders(stack) & set(placed)
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
        "confirmed_in_m3": len(bound),
        "dead_lettered": len(letters),
        "dead_letter_reasons": dict(Counter(letters.values())),
        "unaccounted_orders": unaccounted[:20],
        "webhooks": hooks,
        "m3": {
            "duplicate_orders": m3["duplicate_orders"],
            "duplicate_customers": m3["duplicate_customers"],
            "bound_twice": bound_twice,
            "invoices_paid": m3["invoices_paid"],
        },  # fmt: skip
        "payments": {
            "paid_in_m3": len(paid),
            "recorded_in_shop": len(payments["from_m3"] & paid),
            "missing_in_shop": sorted(paid - payments["from_m3"])[:20],
            "recorded_without_m3_payment": len(payments["from_m3"] - paid),
            "double_references": payments["double"][:20],
        },  # fmt: skip
        "kills": kills,
        "faults": faults,
    }


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
    lettered, and every invoice M3 holds as paid is paid in the shop; the seconds since ``start``."""
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
        paid = m3_paid_orders(stack) & set(placed)
        recorded = shop_payments(stack, placed)["from_m3"] & paid
        if time.monotonic() - reported >= 10:
            reported = time.monotonic()
            say(
                f"{reported - start:5.1f} s: {len(bound)} in M3, {len(letters)} dead-lettered, {len(open_orders)} open; "
                f"webhooks {hooks['stored']}/{hooks['sent']} stored, {hooks['pending']} pending; "
                f"payments {len(recorded)}/{len(paid)} paid in M3 recorded in the shop"
            )
        # settled: nothing left to deliver or enter, the M3 clock moved on since (an order M3 cannot
        # allocate is never paid), and every payment M3 holds is in the shop
        if hooks["pending"] == 0 and not open_orders and all_in_before_advance and recorded == paid:
            return time.monotonic() - start
        time.sleep(2)
    say(f"not settled within {limit:.0f} s")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=Plan.orders, help="orders placed under faults")
    parser.add_argument("--batches", type=int, default=Plan.batches, help="batches, a second apart")
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
    plan = Plan(orders=args.orders, batches=args.batches, down=args.down, shop_hang=args.shop_hang,
                settle=args.settle)  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="chaos-bench-"))
    with EventLaneStack(folder, schedules=True) as stack, Store.from_url(stack.store_url) as store:
        result = run_chaos(stack, store, plan, say=lambda line: print(line, flush=True))
    print(
        f"{result['orders']} orders under faults, daemon and receiver killed once: "
        f"{result['confirmed_in_m3']} confirmed in M3, {result['dead_lettered']} dead-lettered "
        f"{result['dead_letter_reasons']}, settled {result['settled']} in {result['seconds']} s"
    )
    print(
        f"webhooks sent {result['webhooks']['sent']}, stored {result['webhooks']['stored']}, lost {result['lost']}; "
        f"duplicates {result['duplicates']} {result['m3']}; payments paid in M3 {result['payments']['paid_in_m3']}, "
        f"recorded in the shop {result['payments']['recorded_in_shop']}, recorded twice {result['double_payments']}; "
        f"unaccounted {result['unaccounted']}"
    )
    print(
        json.dumps(
            {**result, "targets": {"lost": 0, "duplicates": 0, "double_payments": 0, "unaccounted": 0}}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
