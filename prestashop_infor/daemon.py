"""``prestashop-infor daemon``: Dagster's daemon (``dagster-daemon run``), its sensor loop made faster.

Dagster's sensor daemon evaluates the sensors in a loop that waits at least
``dagster._daemon.sensor.MIN_INTERVAL_LOOP_TIME`` (5 s) between iterations, and offers no setting
for it: a webhook accepted just after an iteration waits up to 5 s before any sensor looks at the
inbox, the largest share of the event lane's latency (``benchmarks/latency.py``). This command runs
the same daemon with that pause at ``SENSOR_LOOP_SECONDS``. Each sensor still keeps its own
``minimum_interval_seconds`` (the M3 status sensor asks M3 every 30 s at most); only the webhook
sensor, whose evaluation is one indexed read of the inbox, is asked every second.

The constant is Dagster's private one: the Dagster family is pinned together (pyproject.toml) and a
test checks that the loop still reads it, so an upgrade that moves it fails the suite instead of
quietly bringing the 5 s back.

It also fails the runs whose worker process is gone (:func:`fail_orphaned_runs`, at start and every
``ORPHAN_SWEEP_SECONDS``): with Dagster's default run launcher a run worker is a process on this
machine, and one killed with the daemon (or by the kernel) leaves its run STARTED for ever, holding
a place in the run queue and its pool slots, so after a crash nothing would run again. Runs started
by another launcher (Docker, Kubernetes) are left to Dagster's run monitoring.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

SENSOR_LOOP_SECONDS = 1
ORPHAN_SWEEP_SECONDS = 30
log = logging.getLogger(__name__)


def fail_orphaned_runs(instance: Any) -> list[str]:
    """Mark failed the unfinished runs whose worker process (the pid its "Started process for run"
    event recorded) no longer exists; returns their run ids. Only for the default run launcher."""
    import dagster as dg
    from dagster._core.launcher import DefaultRunLauncher

    if not isinstance(instance.run_launcher, DefaultRunLauncher):
        return []
    failed = []
    unfinished = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING]
    for run in instance.get_runs(dg.RunsFilter(statuses=unfinished)):
        pid = _worker_pid(instance, run.run_id)
        if pid is None or _alive(pid):
            continue  # not started yet (run monitoring's start timeout covers it), or still working
        instance.report_run_failed(
            run, f"the run's worker process {pid} is gone (killed with the daemon, or by the system)"
        )
        failed.append(run.run_id)
    return failed


def _worker_pid(instance: Any, run_id: str) -> int | None:
    import dagster as dg

    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records:
        event = record.event_log_entry.dagster_event
        data = event.event_specific_data if event else None
        pid = getattr(data, "metadata", {}).get("pid") if data else None
        if pid is not None:
            return int(getattr(pid, "value", pid))
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone too (its parent, the code server, did not reap it yet)
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _sweep_once() -> None:
    import dagster as dg

    try:
        with dg.DagsterInstance.get() as instance:
            for run_id in fail_orphaned_runs(instance):
                log.warning("run %s failed: its worker process is gone", run_id)
    except Exception:  # noqa: BLE001 - a sweep that fails once must not stop the daemon
        log.exception("the orphaned-run sweep failed; trying again in %s s", ORPHAN_SWEEP_SECONDS)


def _sweep_forever(stop: threading.Event) -> None:
    while not stop.wait(ORPHAN_SWEEP_SECONDS):
        _sweep_once()


def run_daemon(arguments: Sequence[str], *, sensor_loop_seconds: float = SENSOR_LOOP_SECONDS) -> int:
    """``dagster-daemon run ARGUMENTS`` in this process, the sensor loop at ``sensor_loop_seconds``;
    returns the daemon's exit code."""
    import dagster._daemon.sensor as sensor_daemon
    from dagster._daemon.cli import cli

    if not hasattr(sensor_daemon, "MIN_INTERVAL_LOOP_TIME"):
        raise RuntimeError(
            "this Dagster release has no dagster._daemon.sensor.MIN_INTERVAL_LOOP_TIME; "
            "the sensor loop cannot be tuned (see prestashop_infor/daemon.py)"
        )
    sensor_daemon.MIN_INTERVAL_LOOP_TIME = sensor_loop_seconds
    stop = threading.Event()
    if "--help" not in arguments:
        # the first sweep before the daemon starts: it also creates a new instance's storage once,
        # which the daemon and the sweep would otherwise race to create
        _sweep_once()
        threading.Thread(target=_sweep_forever, args=(stop,), name="orphaned-runs", daemon=True).start()
    try:
        cli.main(args=["run", *arguments], prog_name="prestashop-infor daemon", obj={})
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    finally:
        stop.set()
    return 0
