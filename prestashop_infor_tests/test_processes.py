"""The processes of a Dagster home are found by their ``DAGSTER_HOME`` and stopped, all of them
(issue 16 §4): what a killed daemon left running is found too, since it shares the home."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from prestashop_infor.processes import is_running, process_age, processes_of_home, stop_home, stop_processes

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
    "time.sleep(60)",
]
pytestmark = pytest.mark.slow


@pytest.fixture
def spawn() -> Iterator:
    """Start children (killed at the end whatever happened) in the home given."""
    started: list[subprocess.Popen] = []

    def start(argv: list[str], home: Path, **kwargs) -> subprocess.Popen:
        child = subprocess.Popen(argv, env={**os.environ, "DAGSTER_HOME": str(home)}, **kwargs)
        started.append(child)
        return child

    yield start
    for child in started:
        for process in _family(child.pid):
            with contextlib.suppress(psutil.NoSuchProcess):  # it may end between the listing and now
                process.kill()
        child.kill()
        child.wait(timeout=10)


def _family(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _pids(processes) -> set[int]:
    return {process.pid for process in processes}


def _started(child: subprocess.Popen, argv: list[str]) -> None:
    """Wait until ``child`` runs ``argv``: between its fork and its exec it is a copy of this process,
    whose Python handler would take a SIGTERM sent then, and the program would never see it."""
    _wait_for(lambda: psutil.Process(child.pid).cmdline() == argv)


def _wait_for(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.05)
    return value


def test_the_processes_of_a_home_are_found_with_their_children_and_no_other(tmp_path: Path, spawn):
    home, other_home = tmp_path / "home", tmp_path / "other"
    worker = spawn(SLEEP, home)
    parent = spawn(["sh", "-c", "sleep 60 & wait"], home)
    stranger = spawn(SLEEP, other_home)
    grandchild = _wait_for(lambda: psutil.Process(parent.pid).children())[0]  # inherits the home
    _wait_for(lambda: {worker.pid, parent.pid, grandchild.pid} <= _pids(processes_of_home(home)))
    found = _pids(processes_of_home(home))
    assert found == {worker.pid, parent.pid, grandchild.pid}
    assert stranger.pid not in found and os.getpid() not in found
    assert _pids(processes_of_home(other_home)) == {stranger.pid}
    assert processes_of_home(tmp_path / "nobody") == []


def test_stop_home_stops_them_all_killing_the_one_that_ignores_sigterm(tmp_path: Path, spawn):
    home, other_home = tmp_path / "home", tmp_path / "other"
    polite = spawn(SLEEP, home)
    stubborn = spawn(STUBBORN, home, stdout=subprocess.PIPE, text=True)
    parent = spawn(["sh", "-c", "sleep 60 & wait"], home)
    stranger = spawn(SLEEP, other_home)
    assert stubborn.stdout.readline().strip() == "ready"  # SIGTERM is ignored from now on
    _started(polite, SLEEP)
    _wait_for(lambda: psutil.Process(parent.pid).children())
    started = time.monotonic()
    killed = stop_home(home, grace=1)
    assert time.monotonic() - started < 10
    assert _pids(killed) == {stubborn.pid}
    for child in (polite, stubborn, parent):  # reaped by stop_home: their return codes are lost
        child.wait(timeout=5)
        assert not is_running(child.pid)
    assert processes_of_home(home) == []
    assert stranger.poll() is None and _pids(processes_of_home(other_home)) == {stranger.pid}
    assert stop_home(home, grace=1) == []  # nothing left: nothing to do


def test_stop_processes_returns_only_what_had_to_be_killed(tmp_path: Path, spawn):
    polite = spawn(SLEEP, tmp_path)
    _started(polite, SLEEP)
    assert stop_processes([psutil.Process(polite.pid)], grace=5) == []
    polite.wait(timeout=5)
    assert not is_running(polite.pid)


def test_the_caller_and_its_ancestors_are_never_of_the_home(tmp_path: Path, spawn):
    """A user who exported the demo's DAGSTER_HOME in the shell that runs `make demo`: the demo's Ctrl-C
    must not stop make or the shell."""
    script = (
        "import sys; from prestashop_infor.processes import processes_of_home; "
        "print(sorted(p.pid for p in processes_of_home(sys.argv[1])), flush=True)"
    )
    shell = spawn(
        ["sh", "-c", f'"{sys.executable}" -c "{script}" "$DAGSTER_HOME"; exec sleep 60'],
        tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert shell.stdout.readline().strip() == "[]"  # not its parent shell, not itself
    assert shell.pid in _pids(processes_of_home(tmp_path))  # which is of the home for anyone else


def test_a_process_age_is_read_from_the_boot_clock_not_the_rounded_boot_time():
    """A process just started is a fraction of a second old (psutil's create_time adds its start to a
    boot time in whole seconds: up to a second older, which made a run still in its launch look
    settled to the demo's stop)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        age = process_age(psutil.Process(child.pid))
        assert 0 <= age < 0.5, age
        time.sleep(0.3)
        assert 0.3 <= process_age(psutil.Process(child.pid)) < 0.8
    finally:
        child.kill()
        child.wait(10)
