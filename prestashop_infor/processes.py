"""The processes of one Dagster home, and stopping them all.

A Dagster deployment on one machine is a tree that does not stay one: the daemon starts code servers,
a code server starts a run worker per run, and a code server whose daemon was killed lives on with
its runs (they are its children, not the daemon's). Stopping a process group misses whatever was
started by an earlier daemon of the same home. What they all share is the instance they were given,
``DAGSTER_HOME`` in their environment, so that is how they are found (psutil: Linux and macOS alike).
The demo's Ctrl-C, the benchmarks and the full-stack tests stop a home this way and then check that
nothing of it remains.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

import psutil


def processes_of_home(home: Path | str) -> list[psutil.Process]:
    """The running processes whose ``DAGSTER_HOME`` is ``home`` (webserver, daemon, code servers, run
    workers), this process and its ancestors excepted (the shell or ``make`` a user started the demo
    from with that ``DAGSTER_HOME`` exported is not the home's to stop); zombies are not running."""
    wanted = str(Path(home).resolve())
    spared = {os.getpid()}
    with contextlib.suppress(psutil.Error):
        spared.update(parent.pid for parent in psutil.Process().parents())
    found = []
    for process in psutil.process_iter():
        if process.pid in spared:
            continue
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            if process.environ().get("DAGSTER_HOME") == wanted:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def stop_processes(processes: Iterable[psutil.Process], grace: float = 10.0) -> list[psutil.Process]:
    """SIGTERM to each, SIGKILL to whatever is still there after ``grace`` seconds; returns the
    processes that had to be killed."""
    processes = list(processes)
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    alive = _wait_ended(processes, grace)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    _wait_ended(alive, 5)
    return alive


def _wait_ended(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to ``timeout`` seconds for ``processes`` to end; returns those still running. A zombie
    has ended: one whose parent died waits for the system's reaper (slow in some containers), and
    ``psutil.wait_procs`` alone would count it running (and kill it) all that while."""
    deadline = time.monotonic() + timeout
    while True:
        _, alive = psutil.wait_procs(processes, timeout=0.1)  # reaps this process's own children
        processes = [process for process in alive if _running(process)]
        if not processes or time.monotonic() >= deadline:
            return processes


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def stop_home(home: Path | str, grace: float = 10.0) -> list[psutil.Process]:
    """Stop every process of the Dagster home ``home`` (SIGTERM, SIGKILL after ``grace`` seconds) and
    the children they leave; returns the processes that had to be killed."""
    killed: list[psutil.Process] = []
    for _ in range(3):  # a code server may start a run worker while it is being stopped
        found = processes_of_home(home)
        if not found:
            break
        family = {p.pid: p for p in found}
        for process in found:
            with contextlib.suppress(psutil.Error):
                family.update({child.pid: child for child in process.children(recursive=True)})
        killed += stop_processes(family.values(), grace)
    return killed


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie, not yet reaped by its parent, is not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
