"""`prestashop-infor daemon`: Dagster's daemon with the sensor loop every second (issue 9 §6: the
5-s loop was the largest share of a webhook's latency). The demo runs it; so does the end-to-end
demo test, where a webhook becomes a confirmed M3 order through it."""

from __future__ import annotations

import inspect

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
