"""The orchestrator's own faults on the real stack (issue 16 §1, §2): the sandbox, the receiver and
``prestashop-infor daemon`` (its code server, its run workers) as separate processes on loopback.

A run of ``order_sync_job`` is made to hold the ``infor_erp`` pool: M3 answers none of its
``OIS100MI`` calls (the emulator's hang fault, longer than every timeout). Then
- its run worker is killed (SIGKILL), and in the same stack later
- the daemon is killed with its code server and runs (SIGKILL) and started again; or
- nothing is killed, and the run reaches its maximum runtime (``dagster/max_runtime``).
Each time the run ends failed, the slot is free, and a new run writes the orders to M3 within 60 s.
Without the fixes the slot stayed claimed by the ended run and every later run waited for ever.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from prestashop_infor.daemon import worker_pid
from prestashop_infor.processes import is_running, processes_of_home
from prestashop_infor.store import Store
from prestashop_infor_tests import benchmark_scripts
from prestashop_infor_tests.topology import instance_of, wait_for

PROJECT = Path(__file__).resolve().parent.parent
ERP_POOL = "infor_erp"
HANG = {"status": 504, "count": 10_000, "match": "OIS100MI/", "delay": 3600}  # never answers in time

pytestmark = pytest.mark.slow


@pytest.fixture
def stack_class():
    with benchmark_scripts.importable():
        from _stack import EventLaneStack, m3_call
    return EventLaneStack, m3_call


def _holder(home: Path) -> str | None:
    """The run holding the ERP pool's slot, if any."""
    with instance_of(home) as instance:
        slots = instance.event_log_storage.get_concurrency_info(ERP_POOL).claimed_slots
    return slots[0].run_id if slots else None


def _run(home: Path, run_id: str) -> tuple[dg.DagsterRunStatus, str]:
    """The run's status and the messages of its failure events (empty while it has none)."""
    with instance_of(home) as instance:
        status = instance.get_run_by_id(run_id).status
        failures = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    return status, " | ".join(r.event_log_entry.dagster_event.message or "" for r in failures)


def _worker_pid(home: Path, run_id: str) -> int:
    with instance_of(home) as instance:
        return wait_for(lambda: worker_pid(instance, run_id), 30, f"the worker of run {run_id}")


def _hold_the_pool(stack, m3_call, store: Store, seed: int) -> tuple[list[int], str]:
    """An order whose run hangs on M3 in the ERP pool: the order and the run holding the slot (once
    the runs before it have let the pool go)."""
    wait_for(lambda: _holder(stack.dagster_home) is None, 60, "the infor_erp pool to be free")
    m3_call(stack, "faults", HANG)
    stuck = stack.place_orders(1, seed=seed)
    holder = wait_for(lambda: _holder(stack.dagster_home), 60, "a run to hold the infor_erp pool")
    return stuck, holder


def _orders_reach_m3_after(stack, store: Store, stuck: list[int], held_by: str, seed: int, seconds: float):
    """The held run failed and freed its slot; a new order's run writes every pending order to M3."""
    try:
        wait_for(
            lambda: _run(stack.dagster_home, held_by)[0] == dg.DagsterRunStatus.FAILURE,
            seconds,
            f"run {held_by} to be failed",
        )
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}\n{_what_the_daemon_saw(stack, held_by)}") from None
    wait_for(lambda: _holder(stack.dagster_home) != held_by, 15, f"run {held_by}'s slot to be freed")
    fresh = stack.place_orders(1, seed=seed)
    wait_for(lambda: len(stack.bound_at(store, stuck + fresh)) == 2, seconds, "both orders to reach M3")


def _what_the_daemon_saw(stack, run_id: str) -> str:
    """The run's status, its worker and whether it runs, and the daemon log's last lines that are not
    a run's events (the daemon's and the sweep's): what a timed-out wait needs to be understood."""
    with instance_of(stack.dagster_home) as instance:
        status = instance.get_run_by_id(run_id).status
        pid = worker_pid(instance, run_id)
    log = (stack.logs / "daemon.log").read_text(errors="replace").splitlines()
    runs_events = (" - dagster - DEBUG - ", " - dagster - INFO - ", "BetaWarning", "return fn(")
    lines = [line for line in log if not any(part in line for part in runs_events)][-60:]
    running = pid is not None and is_running(pid)
    return f"run {run_id}: {status}, worker {pid} running: {running}; the daemon's log ends:\n" + "\n".join(
        lines
    )


def test_a_killed_run_worker_or_daemon_holding_the_erp_pool_holds_nothing(stack_class, tmp_path: Path):
    """One stack, the two kills one after the other: each time the lane takes up the held order."""
    EventLaneStack, m3_call = stack_class
    with EventLaneStack(tmp_path, seeded_orders=3) as stack, Store.from_url(stack.store_url) as store:
        warm = stack.place_orders(1, seed=1)
        wait_for(lambda: stack.bound_at(store, warm), 120, f"the warm-up order {warm} to reach M3")

        # the run worker holding the slot is killed (SIGKILL)
        stuck, held_by = _hold_the_pool(stack, m3_call, store, seed=2)
        os.kill(_worker_pid(stack.dagster_home, held_by), 9)
        m3_call(stack, "faults", method="DELETE")
        _orders_reach_m3_after(stack, store, stuck, held_by, seed=3, seconds=60)

        # the daemon is killed with its code server and the run worker holding the slot (SIGKILL)
        stuck, held_by = _hold_the_pool(stack, m3_call, store, seed=4)
        worker = _worker_pid(stack.dagster_home, held_by)
        stack.kill("daemon")
        wait_for(lambda: not is_running(worker), 10, f"the run worker {worker} to be gone with the daemon")
        m3_call(stack, "faults", method="DELETE")
        stack.restart("daemon")
        _orders_reach_m3_after(stack, store, stuck, held_by, seed=5, seconds=60)
    assert not processes_of_home(stack.dagster_home)


def test_a_run_stuck_on_a_call_that_never_answers_ends_at_its_maximum_runtime(stack_class, tmp_path: Path):
    """No sensor here: the runs are launched from the command line, the stuck one with a runtime limit
    of 10 s (the jobs' own are minutes)."""
    EventLaneStack, m3_call = stack_class
    with (
        EventLaneStack(tmp_path, seeded_orders=3, sensors=False) as stack,
        Store.from_url(stack.store_url) as store,
    ):
        stuck = stack.place_orders(1, seed=2)
        m3_call(stack, "faults", HANG)
        _launch(stack, tags='{"dagster/max_runtime": "10"}')
        held_by = wait_for(lambda: _holder(stack.dagster_home), 120, "a run to hold the infor_erp pool")
        worker = _worker_pid(stack.dagster_home, held_by)
        status, message = wait_for(
            lambda: (s := _run(stack.dagster_home, held_by))[0] == dg.DagsterRunStatus.FAILURE and s,
            90,
            f"run {held_by} to fail at its maximum runtime",
        )
        assert "maximum runtime of 10 seconds" in message
        wait_for(lambda: _holder(stack.dagster_home) != held_by, 15, f"run {held_by}'s slot to be freed")
        m3_call(stack, "faults", method="DELETE")
        # the stuck worker ends too (interrupted when its call times out, or killed by the sweep), and
        # with it its claim on the order: the next run takes it over
        wait_for(lambda: not is_running(worker), 90, f"the stuck run's worker {worker} to end")
        _launch(stack)
        wait_for(lambda: stack.bound_at(store, stuck), 90, "the order to reach M3 in the next run")
    assert not processes_of_home(stack.dagster_home)


def _launch(stack, tags: str | None = None) -> None:
    """``dagster job launch`` of order_sync_job: queued, then started by the daemon."""
    command = [str(Path(sys.executable).with_name("dagster")), "job", "launch", "-w",
               str(PROJECT / "workspace.yaml"), "-j", "order_sync_job"]  # fmt: skip
    if tags:
        command += ["--tags", tags]
    env = {**stack.launches["daemon"][1]}
    done = subprocess.run(
        command, env=env, cwd=stack.dagster_home, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
