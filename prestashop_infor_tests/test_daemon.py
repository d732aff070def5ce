"""`prestashop-infor daemon`: Dagster's daemon with the sensor loop every half second (issue 9 §6: the
5-s loop was the largest share of a webhook's latency). The demo runs it; so does the end-to-end
demo test, where a webhook becomes a confirmed M3 order through it."""

from __future__ import annotations

import contextlib
import inspect
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster._daemon.sensor as sensor_daemon
import pytest

from prestashop_infor import cli
from prestashop_infor.daemon import SENSOR_LOOP_SECONDS, run_daemon
from prestashop_infor.processes import processes_of_home

PROJECT = Path(__file__).resolve().parents[1]


def test_the_sensor_loop_still_waits_on_the_constant_the_daemon_command_lowers():
    """A Dagster upgrade that stops reading the constant would quietly bring the 5 s back."""
    loop = inspect.getsource(sensor_daemon.execute_sensor_iteration_loop)
    assert "MIN_INTERVAL_LOOP_TIME - loop_duration" in loop


def test_the_daemon_runs_with_the_loop_it_was_given(monkeypatch):
    monkeypatch.setattr(sensor_daemon, "MIN_INTERVAL_LOOP_TIME", 5)
    assert run_daemon(["--help"], sensor_loop_seconds=0.25) == 0  # dagster-daemon run --help, in-process
    assert sensor_daemon.MIN_INTERVAL_LOOP_TIME == 0.25
    assert SENSOR_LOOP_SECONDS == 0.5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["daemon", "--sensor-loop-seconds", "0"], "out of range"),
        (["daemon", "--sensor-loop-seconds", "soon"], "not a number of seconds"),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_missing_workspace_file_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["daemon", "-w", str(tmp_path / "nowhere.yaml")]) == 2
    assert "workspace file" in capsys.readouterr().err


def _started_run(instance, pid: int | None):
    import uuid

    import dagster as dg
    from dagster._core.events import EngineEventData

    run = instance.add_run(dg.DagsterRun(job_name="order_sync_job", run_id=str(uuid.uuid4()),
                                         status=dg.DagsterRunStatus.STARTED))  # fmt: skip
    if pid is not None:
        instance.report_engine_event(
            f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid)
        )
    return run.run_id


def test_runs_whose_worker_died_are_failed_and_live_ones_left_alone():
    """A daemon killed with its runs left them STARTED for ever: the queue stayed full (chaos run)."""
    import subprocess

    import dagster as dg

    from prestashop_infor.daemon import fail_orphaned_runs

    gone = subprocess.Popen(["true"])
    gone.wait()
    with dg.instance_for_test() as instance:
        dead = _started_run(instance, gone.pid)
        alive = _started_run(instance, os.getpid())
        starting = _started_run(instance, None)  # no worker yet: left to run monitoring's start timeout
        assert fail_orphaned_runs(instance) == [dead]
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(starting).status == dg.DagsterRunStatus.STARTED
        assert fail_orphaned_runs(instance) == []  # once


# The sweep's other faults (issue 16 §1, §2): pool slots of ended runs, steps waiting for a pool for
# ever, workers that outlive their run. On a test instance (SQLite storage supports pools).

ERP_POOL = "infor_erp"


def _pool(instance, limit: int = 1):
    storage = instance.event_log_storage
    assert storage.supports_global_concurrency_limits
    storage.set_concurrency_slots(ERP_POOL, limit)
    return storage


def _claim(instance, run_id: str, step_key: str = "write_orders"):
    return instance.event_log_storage.claim_concurrency_slot(ERP_POOL, run_id, step_key, 0)


def _holders(instance) -> list[str]:
    return [slot.run_id for slot in instance.event_log_storage.get_concurrency_info(ERP_POOL).claimed_slots]


def _failure_message(instance, run_id: str) -> str:
    import dagster as dg

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    return " ".join(record.event_log_entry.dagster_event.message or "" for record in records)


@pytest.fixture
def checked_workers(monkeypatch):
    """The module-global set of runs whose worker was looked at, new for each test."""
    from prestashop_infor import daemon

    monkeypatch.setattr(daemon, "_checked_workers", set())
    return daemon._checked_workers


def test_a_run_whose_worker_died_holding_a_slot_is_failed_and_the_slot_freed(checked_workers):
    """The chaos run: the killed worker's slot stayed claimed and every later run waited for ever."""
    import subprocess

    import dagster as dg

    from prestashop_infor.daemon import sweep

    gone = subprocess.Popen(["true"])
    gone.wait()
    with dg.instance_for_test() as instance:
        _pool(instance)
        dead = _started_run(instance, gone.pid)
        assert _claim(instance, dead).is_claimed and _holders(instance) == [dead]
        report = sweep(instance, pool_wait_seconds=600)
        assert report.orphaned == [dead] and not report.gave_up and not report.workers_killed
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.FAILURE
        info = instance.event_log_storage.get_concurrency_info(ERP_POOL)
        assert info.claimed_slots == [] and info.pending_steps == []
        assert _claim(instance, _started_run(instance, os.getpid())).is_claimed  # the next run gets it


def test_slots_of_ended_runs_are_freed_and_those_of_started_runs_left_alone():
    import dagster as dg

    from prestashop_infor.daemon import free_slots_of_ended_runs

    with dg.instance_for_test() as instance:
        _pool(instance, limit=2)
        ended = _started_run(instance, os.getpid())
        working = _started_run(instance, os.getpid())
        assert _claim(instance, ended).is_claimed and _claim(instance, working).is_claimed
        instance.report_run_failed(instance.get_run_by_id(ended))  # by someone else: its slot stays
        assert sorted(_holders(instance)) == sorted([ended, working])
        assert free_slots_of_ended_runs(instance) == [ended]
        assert _holders(instance) == [working]
        assert instance.get_run_by_id(working).status == dg.DagsterRunStatus.STARTED
        assert free_slots_of_ended_runs(instance) == []


def test_a_step_waiting_for_a_pool_too_long_fails_its_run_naming_the_pool_and_the_holder():
    import time

    import dagster as dg

    from prestashop_infor.daemon import fail_runs_waiting_on_pools

    with dg.instance_for_test() as instance:
        _pool(instance)
        holder = _started_run(instance, os.getpid())
        waiting = _started_run(instance, os.getpid())
        assert _claim(instance, holder).is_claimed
        assert not _claim(instance, waiting, "confirm_orders").is_claimed  # pending on the pool
        # the default launcher asked to terminate a run it never launched: False, no error
        assert instance.run_launcher.terminate(_started_run(instance, None)) is False

        assert fail_runs_waiting_on_pools(instance, 600, now=time.time()) == []  # below the limit
        assert instance.get_run_by_id(waiting).status == dg.DagsterRunStatus.STARTED

        assert fail_runs_waiting_on_pools(instance, 600, now=time.time() + 3600) == [waiting]
        assert instance.get_run_by_id(waiting).status == dg.DagsterRunStatus.FAILURE
        message = _failure_message(instance, waiting)
        for named in ("confirm_orders", ERP_POOL, "PRESTASHOP_INFOR_POOL_WAIT_SECONDS", holder):
            assert named in message, (named, message)
        info = instance.event_log_storage.get_concurrency_info(ERP_POOL)
        assert [step.run_id for step in info.pending_steps] == [holder]  # the waiting step is gone
        assert _holders(instance) == [holder]  # the holder works on
        assert instance.get_run_by_id(holder).status == dg.DagsterRunStatus.STARTED
        assert fail_runs_waiting_on_pools(instance, 600, now=time.time() + 3600) == []


def test_a_worker_alive_after_its_run_failed_is_killed_once_and_only_of_this_home(checked_workers, tmp_path):
    import subprocess
    import sys
    import time

    import dagster as dg

    from prestashop_infor.daemon import WORKER_GRACE_SECONDS, stop_workers_of_ended_runs

    sleep = [sys.executable, "-c", "import time; time.sleep(60)"]
    with dg.instance_for_test() as instance:  # DAGSTER_HOME is the instance's home meanwhile
        stuck = subprocess.Popen(sleep, env={**os.environ})
        other = subprocess.Popen(sleep, env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
        try:
            time.sleep(0.5)  # both exec'd Python, their environment is the one given
            stuck_run = _started_run(instance, stuck.pid)
            other_run = _started_run(instance, other.pid)
            time.sleep(0.05)  # the runs end after their workers were created
            for run_id in (stuck_run, other_run):
                instance.report_run_failed(instance.get_run_by_id(run_id))
            assert stop_workers_of_ended_runs(instance, now=time.time()) == []  # within the grace
            assert stuck.poll() is None and not checked_workers

            later = time.time() + WORKER_GRACE_SECONDS + 30
            assert stop_workers_of_ended_runs(instance, now=later) == [stuck_run]
            assert stuck.wait(timeout=10) == -9  # SIGKILL
            assert other.poll() is None  # another home's process is never touched
            assert checked_workers == {stuck_run, other_run}
            assert stop_workers_of_ended_runs(instance, now=later + 60) == []  # each run looked at once
            events = instance.get_records_for_run(stuck_run, of_type=dg.DagsterEventType.ENGINE_EVENT)
            assert any("killed" in (r.event_log_entry.dagster_event.message or "") for r in events.records)
        finally:
            for child in (stuck, other):
                child.kill()
                child.wait()


def test_a_launch_the_previous_daemon_left_unfinished_is_failed_at_start():
    """A daemon killed while launching left its run STARTING: it held a place in the queue and kept
    the webhook sensor from starting another run of its job until the start timeout (chaos run)."""
    import uuid

    import dagster as dg

    from prestashop_infor.daemon import fail_interrupted_launches

    with dg.instance_for_test() as instance:
        interrupted = instance.add_run(dg.DagsterRun(job_name="order_sync_job", run_id=str(uuid.uuid4()),
                                                     status=dg.DagsterRunStatus.STARTING)).run_id  # fmt: skip
        started = _started_run(instance, os.getpid())  # STARTED with a live worker: not a launch
        launched = instance.add_run(dg.DagsterRun(job_name="order_sync_job", run_id=str(uuid.uuid4()),
                                                  status=dg.DagsterRunStatus.STARTING))  # fmt: skip
        from dagster._core.events import EngineEventData

        instance.report_engine_event(
            "Started process for run", launched, EngineEventData.in_process(os.getpid())
        )
        assert fail_interrupted_launches(instance) == [interrupted]
        assert instance.get_run_by_id(interrupted).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(started).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(launched.run_id).status == dg.DagsterRunStatus.STARTING


def _ignore_sigint() -> None:  # what a non-interactive shell does to a job it starts with `&`
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.slow
def test_a_daemon_started_with_sigint_ignored_still_stops_on_sigterm(tmp_path):
    """`prestashop-infor daemon &` in a script starts with SIGINT ignored, and Dagster's
    `setup_interrupt_handlers` gives SIGTERM SIGINT's handler: the daemon must still stop on SIGTERM
    (kill, docker stop, systemd), as a test process in such a job did not (conftest.py)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home),
           "PRESTASHOP_INFOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}  # fmt: skip
    log = tmp_path / "daemon.log"
    command = [
        str(Path(sys.executable).with_name("prestashop-infor")),
        "daemon",
        "-w",
        str(PROJECT / "workspace.yaml"),
    ]
    with log.open("wb") as out:
        daemon = subprocess.Popen(command, env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT,
                                  preexec_fn=_ignore_sigint, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while "configured with the following daemons" not in log.read_text(errors="replace"):
            assert daemon.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the daemon did not start in 120 s"
            time.sleep(0.2)
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the daemon ignored SIGTERM for 60 s:\n" + log.read_text(errors="replace")[-2000:])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(daemon.pid, signal.SIGKILL)  # the daemon and what it started (its code server)
        daemon.wait(10)
    deadline = time.monotonic() + 30
    while processes_of_home(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not processes_of_home(home)
