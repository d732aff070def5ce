"""The short version of ``benchmarks/chaos.py`` (issue 11 §4): 100 orders through webhooks on the real
stack (sandbox, receiver, ``prestashop-infor daemon`` as separate processes on loopback, schedules on
as the safety net) while both emulators inject 5xx, hangs, 429 bursts, token expiry and M3 writes
that commit then fail, the receiver killed and restarted in the middle. Afterwards no webhook is
lost, nothing is doubled in M3, no payment is recorded twice, and every order is in M3 or in the
dead-letter queue with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from prestashop_infor_tests import benchmark_scripts


@pytest.mark.slow
def test_orders_under_faults_and_a_receiver_crash_are_neither_lost_nor_doubled(tmp_path: Path):
    with benchmark_scripts.importable():
        from _stack import EventLaneStack
        from chaos import Plan, run_chaos
    from prestashop_infor.store import Store

    # the receiver only (the benchmark kills the daemon too); shop hangs of 2 s, not past the
    # client's 30 s timeout: a test cannot wait for those
    plan = Plan(orders=100, batches=6, spacing=1.0, kills=("receiver",), down=2.0, shop_hang=2.0, settle=30.0)
    with (
        EventLaneStack(tmp_path, seeded_orders=5, schedules=True) as stack,
        Store.from_url(stack.store_url) as store,
    ):
        result = run_chaos(stack, store, plan, say=print)
    summary = {k: result[k] for k in ("lost", "duplicates", "double_payments", "unaccounted", "webhooks")}
    assert result["orders"] == 100 and result["kills"], result
    assert result["lost"] == 0, summary
    assert result["duplicates"] == 0, (summary, result["m3"])
    assert result["double_payments"] == 0, result["payments"]
    assert result["unaccounted"] == 0, (result["unaccounted_orders"], stack.logs)
    assert result["confirmed_in_m3"] + result["dead_lettered"] == 100
    assert result["webhooks"]["stored"] > 100  # every order's events, and more, reached the inbox
