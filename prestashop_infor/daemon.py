"""``prestashop-infor daemon``: Dagster's daemon (``dagster-daemon run``), its sensor loop made faster.

Dagster's sensor daemon evaluates the sensors in a loop that waits at least
``dagster._daemon.sensor.MIN_INTERVAL_LOOP_TIME`` (5 s) between iterations, and offers no setting
for it: a webhook accepted just after an iteration waits up to 5 s before any sensor looks at the
inbox, the largest share of the event lane's latency (``benchmarks/latency.py``). This command runs
the same daemon with that pause at ``SENSOR_LOOP_SECONDS``. Each sensor still keeps its own
``minimum_interval_seconds`` (the M3 status sensor asks M3 every 30 s at most); only the webhook
sensor, whose evaluation is one indexed read of the inbox, is asked every second. The loop looks
twice a second: a loop of one second found the webhook sensor's second not quite over every other
time (its last tick began just after the loop did) and asked it two seconds apart; at half a second
it is asked every 1 to 1.5 s.

The constant is Dagster's private one: the Dagster family is pinned together (pyproject.toml) and a
test checks that the loop still reads it, so an upgrade that moves it fails the suite instead of
quietly bringing the 5 s back.

Beside the daemon runs a sweep (:func:`sweep`, at start and every ``SWEEP_SECONDS``) for the faults of
the orchestrator itself, which Dagster leaves to the operator:

- a run whose worker process is gone (killed with the daemon or by the system) stays STARTED for
  ever with Dagster's default run launcher, whose workers are processes on this machine: it is
  failed (runs of another launcher are left to Dagster's run monitoring); so is, at start, a run
  left STARTING by a daemon that stopped while launching it;
- a run that ended (however: failed, canceled, its worker killed, found dead) keeps the pool slots
  it held, and every later step of that pool waits for ever: they are freed;
- a step waiting for a pool longer than ``PRESTASHOP_INFOR_POOL_WAIT_SECONDS`` fails its run with the
  pool, the wait and the holder named, instead of polling for ever;
- a worker still running ``WORKER_GRACE_SECONDS`` after its run ended (stuck in a call that never
  answers, its run failed at its maximum runtime) is killed, so an ended run writes nothing more.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psutil

from prestashop_infor.processes import is_running, process_age
from prestashop_infor.settings import Settings

SENSOR_LOOP_SECONDS = 0.5
SWEEP_SECONDS = 5  # how often the sweep looks: a dead run's pool slot is free within seconds
WORKER_GRACE_SECONDS = 30  # a worker of an ended run still there after this is killed
log = logging.getLogger(__name__)

#: Runs that hold, or may still take, pool slots.
UNFINISHED = ("STARTED", "STARTING", "CANCELING")


@dataclass
class SweepReport:
    """What one sweep did, run ids each."""

    orphaned: list[str] = field(default_factory=list)  # failed: their worker process was gone
    gave_up: list[str] = field(default_factory=list)  # failed: a step waited too long for a pool
    freed: list[str] = field(default_factory=list)  # ended runs whose pool slots were freed
    workers_killed: list[str] = field(default_factory=list)  # ended runs whose worker lived on


def sweep(instance: Any, *, pool_wait_seconds: float, now: float | None = None) -> SweepReport:
    """One pass of the daemon's sweep over ``instance``: fail the runs whose worker is gone and the
    runs with a step waiting for a pool longer than ``pool_wait_seconds``, free every pool slot an
    ended run still holds, and stop the workers that outlived their ended run."""
    now = time.time() if now is None else now
    report = SweepReport()
    report.orphaned = fail_orphaned_runs(instance)
    report.gave_up = fail_runs_waiting_on_pools(instance, pool_wait_seconds, now=now)
    report.freed = free_slots_of_ended_runs(instance)
    report.workers_killed = stop_workers_of_ended_runs(instance, now=now)
    return report


def fail_orphaned_runs(instance: Any) -> list[str]:
    """Mark failed (and free the pool slots of) the unfinished runs whose worker process (the pid its
    "Started process for run" event recorded) no longer exists; returns their run ids. Only for the
    default run launcher, whose workers are processes on this machine."""
    import dagster as dg

    if not _local_workers(instance):
        return []
    failed = []
    unfinished = [dg.DagsterRunStatus[name] for name in UNFINISHED]
    for run in instance.get_runs(dg.RunsFilter(statuses=unfinished)):
        pid = worker_pid(instance, run.run_id)
        if pid is None or is_running(pid):
            continue  # not started yet (run monitoring's start timeout covers it), or still working
        instance.report_run_failed(
            run, f"the run's worker process {pid} is gone (killed with the daemon, or by the system)"
        )
        _free_slots(instance, run.run_id)
        failed.append(run.run_id)
    return failed


def fail_interrupted_launches(instance: Any) -> list[str]:
    """At the daemon's start, before it launches anything: mark failed the runs left STARTING with no
    worker process recorded. The daemon launches every run (the queued run coordinator), one daemon
    runs at a time, so such a run was being launched by a daemon that stopped mid-launch; left alone
    it would hold a place in the run queue, and keep the webhook sensor from starting another run of
    its job, until run monitoring's start timeout. Only for the default run launcher."""
    import dagster as dg

    if not _local_workers(instance):
        return []
    failed = []
    for run in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTING])):
        if worker_pid(instance, run.run_id) is not None:
            continue  # its worker came up: fail_orphaned_runs judges it
        instance.report_run_failed(run, "its launch was interrupted: the daemon launching it stopped")
        _free_slots(instance, run.run_id)
        failed.append(run.run_id)
    return failed


def fail_runs_waiting_on_pools(instance: Any, limit_seconds: float, *, now: float) -> list[str]:
    """Fail (terminate, then mark failed and free its slots) each started run with a step that has
    waited more than ``limit_seconds`` for a pool slot: a run never polls a pool for ever. The failure
    says which step waited for which pool, since when, and which run held the slot."""
    import dagster as dg

    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    failed: list[str] = []
    for pool in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(pool)
        holders = ", ".join(f"run {slot.run_id} ({slot.step_key})" for slot in info.claimed_slots) or "nobody"
        for step in info.pending_steps:
            since = _epoch(step.enqueued_timestamp)
            if step.assigned_timestamp is not None or step.run_id in failed or now - since <= limit_seconds:
                continue
            run = instance.get_run_by_id(step.run_id)
            if run is None or run.status != dg.DagsterRunStatus.STARTED:
                continue  # a run that ended is freed below; one not started yet holds no place
            message = (
                f"step {step.step_key} waited {now - since:.0f} s for pool {pool} (since "
                f"{_iso(since)}; the limit is {limit_seconds:.0f} s, PRESTASHOP_INFOR_POOL_WAIT_SECONDS); "
                f"the pool's slot is held by {holders}"
            )
            _terminate(instance, run, message)
            failed.append(run.run_id)
    return failed


def free_slots_of_ended_runs(instance: Any) -> list[str]:
    """Free the pool slots (and pending claims) still recorded for runs that have ended, however
    they ended; returns their run ids."""
    import dagster as dg
    from dagster._core.storage.dagster_run import FINISHED_STATUSES

    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    run_ids = sorted(storage.get_concurrency_run_ids())
    if not run_ids:
        return []
    ended = instance.get_run_records(dg.RunsFilter(run_ids=run_ids, statuses=list(FINISHED_STATUSES)))
    freed = []
    for record in ended:
        _free_slots(instance, record.dagster_run.run_id)
        freed.append(record.dagster_run.run_id)
    return freed


_checked_workers: set[str] = set()


def stop_workers_of_ended_runs(instance: Any, *, now: float) -> list[str]:
    """SIGKILL the worker of each run that ended (failed or canceled, by run monitoring's runtime
    limit, a give-up or by hand) more than ``WORKER_GRACE_SECONDS`` ago and whose worker is still
    running, stuck in a call that does not return: an ended run writes nothing more. Each run is
    looked at once; only workers of this Dagster home, started before the run ended, are touched."""
    import dagster as dg

    if not _local_workers(instance):
        return []
    ended = instance.get_run_records(
        dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED],
            updated_after=datetime.fromtimestamp(now - 10 * WORKER_GRACE_SECONDS, UTC),
        )
    )
    killed = []
    for record in ended:
        run_id = record.dagster_run.run_id
        end = record.end_time or _epoch(record.update_timestamp)
        if run_id in _checked_workers or now - end < WORKER_GRACE_SECONDS:
            continue
        _checked_workers.add(run_id)
        pid = worker_pid(instance, run_id)
        if pid is not None and _is_worker_of_this_home(pid, started_before=end):
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()
            instance.report_engine_event(
                f"the worker process {pid} was still running {now - end:.0f} s after the run ended; killed",
                record.dagster_run,
            )
            killed.append(run_id)
    return killed


def _terminate(instance: Any, run: Any, message: str) -> None:
    """End ``run`` as Dagster's run monitoring ends a run past its maximum runtime: canceling, the
    launcher's terminate, then failed with ``message``, its slots freed."""
    instance.report_run_canceling(run, message=f"Canceling: {message}")
    try:
        instance.run_launcher.terminate(run_id=run.run_id)
    except Exception:  # noqa: BLE001 - the run is failed whatever the launcher says
        log.exception("terminating run %s failed; it is marked failed anyway", run.run_id)
    instance.report_run_failed(instance.get_run_by_id(run.run_id) or run, message)
    _free_slots(instance, run.run_id)


def _free_slots(instance: Any, run_id: str) -> None:
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)


def _local_workers(instance: Any) -> bool:
    from dagster._core.launcher import DefaultRunLauncher

    return isinstance(instance.run_launcher, DefaultRunLauncher)


def worker_pid(instance: Any, run_id: str) -> int | None:
    """The process id of a run's worker (its "Started process for run" event), None before it has one."""
    import dagster as dg

    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records:
        event = record.event_log_entry.dagster_event
        data = event.event_specific_data if event else None
        pid = getattr(data, "metadata", {}).get("pid") if data else None
        if pid is not None:
            return int(getattr(pid, "value", pid))
    return None


def _is_worker_of_this_home(pid: int, *, started_before: float) -> bool:
    """``pid`` runs with this process's Dagster home and was started before ``started_before`` (so a
    reused process id of something else is never killed)."""
    try:
        process = psutil.Process(pid)
        return (
            is_running(pid)
            and time.time() - process_age(process) < started_before
            and process.environ().get("DAGSTER_HOME") == os.environ.get("DAGSTER_HOME")
        )
    except psutil.Error:
        return False


def _epoch(value: datetime | float) -> float:
    if isinstance(value, int | float):
        return float(value)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _sweep_once(pool_wait_seconds: float, *, starting: bool = False) -> None:
    import dagster as dg

    try:
        with dg.DagsterInstance.get() as instance:
            interrupted = fail_interrupted_launches(instance) if starting else []
            report = sweep(instance, pool_wait_seconds=pool_wait_seconds)
    except Exception:  # noqa: BLE001 - a sweep that fails once must not stop the daemon
        log.exception("the daemon's sweep failed; trying again in %s s", SWEEP_SECONDS)
        return
    for run_id in interrupted:
        log.warning("run %s failed: its launch was interrupted by the previous daemon's end", run_id)
    for run_id in report.orphaned:
        log.warning("run %s failed: its worker process is gone; its pool slots are free", run_id)
    for run_id in report.gave_up:
        log.warning("run %s failed: a step waited longer than %.0f s for a pool", run_id, pool_wait_seconds)
    for run_id in report.freed:
        log.warning("run %s had ended holding pool slots; they are free", run_id)
    for run_id in report.workers_killed:
        log.warning("run %s had ended but its worker was still running; killed", run_id)


def _sweep_forever(stop: threading.Event, pool_wait_seconds: float) -> None:
    while not stop.wait(SWEEP_SECONDS):
        _sweep_once(pool_wait_seconds)


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
        pool_wait_seconds = Settings.read().pool_wait_seconds
        # the first sweep before the daemon starts: it also creates a new instance's storage once,
        # which the daemon and the sweep would otherwise race to create
        _sweep_once(pool_wait_seconds, starting=True)
        threading.Thread(
            target=_sweep_forever, args=(stop, pool_wait_seconds), name="sweep", daemon=True
        ).start()
    try:
        cli.main(args=["run", *arguments], prog_name="prestashop-infor daemon", obj={})
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    finally:
        stop.set()
    return 0
