"""The demo's stop (issue 17 §2): the leaders (the daemon, the webserver) first, alone, so the daemon
stops launching runs before anything it launches on is stopped; the runs under way a moment later
(but one still in its launch only once the daemon is gone); what the leaders leave (a code server)
once they are gone; and all of it within the grace, a leader
that ignores SIGTERM killed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from prestashop_infor import processes
from prestashop_infor.processes import LEFTOVER_SECONDS, RUNS_AFTER_SECONDS, processes_of_home, stop_in_order

pytestmark = pytest.mark.slow
# Each writes "<what> <monotonic time>" to the file in $EVENTS when SIGTERM reaches it, sleeps
# $LINGER seconds and writes "<what>-ended <time>" before it exits (or ignores SIGTERM: $STUBBORN).
PROGRAM = """
import os, signal, sys, time
events, what = os.environ["EVENTS"], sys.argv[1]
def note(text):
    with open(events, "a") as out:
        out.write(f"{text} {time.monotonic()}\\n")
def stop(*_):
    note(what)
    if os.environ.get("STUBBORN"):
        return
    time.sleep(float(os.environ.get("LINGER", "0")))
    note(what + "-ended")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
note(what + "-ready")
while True:
    time.sleep(0.05)
"""


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator:
    started: list[subprocess.Popen] = []

    def start(what: str, *argv: str, **env: str) -> subprocess.Popen:
        environment = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home"),
                       "EVENTS": str(tmp_path / "events"), **env}  # fmt: skip
        child = subprocess.Popen([sys.executable, "-c", PROGRAM, what, *argv], env=environment)
        started.append(child)
        return child

    yield start
    for child in started:
        child.kill()
        child.wait(10)


def _events(tmp_path: Path) -> dict[str, float]:
    lines = (tmp_path / "events").read_text().split("\n") if (tmp_path / "events").exists() else []
    return {name: float(at) for name, at in (line.split() for line in lines if line)}


def _wait_ready(tmp_path: Path, names: set[str]) -> None:
    deadline = time.monotonic() + 20
    while not {f"{name}-ready" for name in names} <= set(_events(tmp_path)):
        assert time.monotonic() < deadline, f"not started: {names} ({_events(tmp_path)})"
        time.sleep(0.05)


def test_the_daemon_stops_first_its_runs_a_moment_later_and_what_it_leaves_once_it_is_gone(
    tmp_path: Path, spawn, monkeypatch
):
    monkeypatch.setattr(processes, "LAUNCH_SECONDS", 1.0)
    daemon = spawn("daemon", LINGER="4")  # finishing its threads' iterations
    worker = spawn("worker", "spawn_main")  # a run worker, as a code server starts one
    server = spawn("server", "api", "grpc")  # a code server the daemon did not stop
    _wait_ready(tmp_path, {"daemon", "worker", "server"})
    time.sleep(1.2)  # the worker is past its launch; the next one is not
    launching = spawn("launching", "spawn_main")
    _wait_ready(tmp_path, {"launching"})
    besides: list[float] = []
    ended = stop_in_order({daemon.pid: "the daemon"}, tmp_path / "home", grace=10,
                          then=lambda: besides.append(time.monotonic()))  # fmt: skip
    events = _events(tmp_path)
    # the runs under way a moment after the daemon (it launches nothing more by then), before its end
    assert (
        RUNS_AFTER_SECONDS - 0.2
        <= events["worker"] - events["daemon"]
        < events["daemon-ended"] - events["daemon"]
    )
    # a run still in its launch, what the daemon left, and what the runs talked to: once it is gone
    assert events["daemon-ended"] <= min(events["launching"], events["server"], besides[0])
    assert [(s.pid, s.what, s.killed) for s in ended][:2] == [
        (worker.pid, f"a run worker (pid {worker.pid})", False),
        (daemon.pid, "the daemon", False),
    ]
    assert {(s.pid, s.what, s.killed) for s in ended[2:]} == {
        (launching.pid, f"a run worker (pid {launching.pid})", False),
        (server.pid, f"a code server (pid {server.pid})", False),
    }
    assert not processes_of_home(tmp_path / "home")


def test_a_leader_that_ignores_sigterm_is_killed_and_the_whole_stop_keeps_to_its_grace(
    tmp_path: Path, spawn, monkeypatch
):
    monkeypatch.setattr(processes, "LAUNCH_SECONDS", 0.0)
    stubborn = spawn("webserver", STUBBORN="1")
    worker = spawn("worker", "spawn_main", STUBBORN="1")
    _wait_ready(tmp_path, {"webserver", "worker"})
    started = time.monotonic()
    ended = stop_in_order({stubborn.pid: "the webserver"}, tmp_path / "home", grace=4)
    took = time.monotonic() - started
    assert 4 <= took < 5.5, took
    by_pid = {s.pid: s for s in ended}
    assert by_pid[stubborn.pid].killed and 4 - LEFTOVER_SECONDS <= by_pid[stubborn.pid].seconds < 4
    assert by_pid[worker.pid].killed and by_pid[worker.pid].seconds >= 4
    events = _events(tmp_path)
    assert events["worker"] - events["webserver"] >= RUNS_AFTER_SECONDS - 0.2
    assert not processes_of_home(tmp_path / "home")
