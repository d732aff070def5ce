"""`prestashop-infor daemon`: Dagster's daemon with the sensor loop every second (issue 9 §6: the
5-s loop was the largest share of a webhook's latency). The demo runs it; so does the end-to-end
demo test, where a webhook becomes a confirmed M3 order through it."""

from __future__ import annotations

import inspect
import os

import dagster._daemon.sensor as sensor_daemon
import pytest

from prestashop_infor import cli
from prestashop_infor.daemon import SENSOR_LOOP_SECONDS, run_daemon


def test_the_sensor_loop_still_waits_on_the_constant_the_daemon_command_lowers():
    """A Dagster upgrade that stops reading the constant would quietly bring the 5 s back."""
    loop = inspect.getsource(sensor_daemon.execute_sensor_iteration_loop)
    assert "MIN_INTERVAL_LOOP_TIME - loop_duration" in loop


def test_the_daemon_runs_with_the_loop_it_was_given(monkeypatch):
    monkeypatch.setattr(sensor_daemon, "MIN_INTERVAL_LOOP_TIME", 5)
    assert run_daemon(["--help"], sensor_loop_seconds=0.5) == 0  # dagster-daemon run --help, in-process
    assert sensor_daemon.MIN_INTERVAL_LOOP_TIME == 0.5
    assert SENSOR_LOOP_SECONDS == 1


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
