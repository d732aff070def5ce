"""The processes of one Dagster home, and stopping them all.

A Dagster deployment on one machine is a tree that does not stay one: the daemon starts code servers,
a code server starts a run worker per run, and a code server whose daemon was killed lives on with
its runs (they are its children, not the daemon's). Stopping a process group misses whatever was
started by an earlier daemon of the same home. What they all share is the instance they were given,
``DAGSTER_HOME`` in their environment, so that is how they are found (psutil: Linux and macOS alike).
The demo's Ctrl-C, the benchmarks and the full-stack tests stop a home this way and then check that
nothing of it remains; the demo in order (:func:`stop_in_order`): the daemon and the webserver first,
each stopping its own code server after it has stopped launching runs, then what they left.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Stopped:
    """A process a stop ended: what it was (None: a helper of a run, such as its log tailers), how
    long after the stop began, and whether it had to be killed."""

    pid: int
    what: str | None
    seconds: float
    killed: bool


LEFTOVER_SECONDS = 1.5  # of a stop's grace, kept for the code servers the leaders leave behind
# After SIGTERM the daemon finishes the launches under way, then launches nothing more: the runs under
# way are stopped this long after it (a code server waits for its runs before it exits), except a run
# worker younger than LAUNCH_SECONDS, which may still be in its launch (stopped then, it would fail
# the daemon's launch): it is stopped with the rest, once the daemon is gone.
RUNS_AFTER_SECONDS = 2.0
LAUNCH_SECONDS = 5.0


def stop_in_order(
    leaders: Mapping[int, str],
    home: Path | str,
    grace: float = 10.0,
    *,
    then: Callable[[], object] | None = None,
    report: Callable[[Stopped], object] | None = None,
) -> list[Stopped]:
    """Stop a Dagster home the way it was started, all of it within ``grace`` seconds:

    1. the leaders (``{pid: what}``: the daemon, the webserver), with SIGTERM alone: each stops what
       it started in its own order (the daemon ends its threads, so it launches nothing more, and
       only then tells its code server to shut down);
    2. ``RUNS_AFTER_SECONDS`` later (or once the leaders are gone), the workers of the runs under way
       that are past their launch; a leader still running ``LEFTOVER_SECONDS`` before the end is
       killed;
    3. once the leaders are gone, what is left of the home (a code server that did not follow, a run
       still in its launch, a run's helpers), while ``then()`` runs beside (what the runs talked to
       may stop now). SIGKILL for all that remains at the end of ``grace``.

    Each process is given to ``report`` as it ends; returns them all, in the order they ended."""
    started = time.monotonic()
    deadline, cutoff = started + grace, started + grace - LEFTOVER_SECONDS
    stopped: list[Stopped] = []

    def record(ended: Stopped) -> None:
        stopped.append(ended)
        if report is not None:
            report(ended)

    leading: dict[psutil.Process, str | None] = {}
    for pid, what in leaders.items():
        with contextlib.suppress(psutil.NoSuchProcess):
            leading[psutil.Process(pid)] = what
    leading = _end(
        _terminate(leading), min(started + RUNS_AFTER_SECONDS, cutoff), started, record, kill=False
    )
    runs = _terminate(
        {p: describe(p) for p in processes_of_home(home) if p not in leading and _settled_run(p, started)}
    )
    # the leaders and the run workers waited for; a run's helpers (its log tailers) end with the rest
    workers = {process: what for process, what in runs.items() if what is not None}
    still = _end(leading | workers, cutoff, started, record, kill=False)
    _end({p: what for p, what in still.items() if p in leading}, time.monotonic(), started, record)
    beside = threading.Thread(target=then, name="stop-beside", daemon=True) if then else None
    if beside is not None:
        beside.start()
    helpers = {process: what for process, what in runs.items() if what is None}
    left = helpers | {process: describe(process) for process in processes_of_home(home)}
    _end(_terminate(left), deadline, started, record)
    for process in processes_of_home(home):  # started by a code server while it was being stopped
        _end({process: describe(process)}, time.monotonic(), started, record)
    if beside is not None:
        beside.join()
    return stopped


def _terminate(processes: dict[psutil.Process, str | None]) -> dict[psutil.Process, str | None]:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    return processes


def _end(
    processes: dict[psutil.Process, str | None],
    until: float,
    started: float,
    record: Callable[[Stopped], None],
    *,
    kill: bool = True,
) -> dict[psutil.Process, str | None]:
    """Wait until ``until`` for ``processes`` (SIGTERM sent) to end, then, with ``kill``, SIGKILL those
    still running; each is given to ``record`` as it ends. Returns those still running."""
    processes = dict(processes)
    killed = False
    while processes:
        psutil.wait_procs(list(processes), timeout=0.1)  # reaps this process's own children
        for process in [p for p in processes if not _running(p)]:
            record(Stopped(process.pid, processes.pop(process), time.monotonic() - started, killed))
        if processes and time.monotonic() >= until:
            if killed or not kill:  # SIGKILL sent and still there (uninterruptible): not waited for longer
                break
            for process in processes:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
            killed, until = True, time.monotonic() + 5
    return processes


def describe(process: psutil.Process) -> str | None:
    """What a process of a Dagster home is, for a person: a code server, a run worker (a code server
    starts each run in a process of its own, through multiprocessing), or None for a helper of a run
    (its log tailers, multiprocessing's resource tracker)."""
    words = _command(process)
    if _code_server(process):
        return f"a code server (pid {process.pid})"
    if any("spawn_main" in word for word in words) or {"execute_run", "resume_run"} & set(words):
        return f"a run worker (pid {process.pid})"
    return None


def process_age(process: psutil.Process) -> float:
    """Seconds since ``process`` started. On Linux from the boot clock and the process's start in
    clock ticks since boot (``/proc/PID/stat``): ``psutil``'s ``create_time`` adds those ticks to the
    boot time in whole seconds, up to a second off, and off by any step of the wall clock since
    boot. Raises ``psutil.Error`` when the process is gone."""
    try:
        with open(f"/proc/{process.pid}/stat", encoding="ascii") as stat:
            start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    except FileNotFoundError:
        raise psutil.NoSuchProcess(process.pid) from None
    except (OSError, ValueError, IndexError, AttributeError):  # no /proc (macOS): the wall clock's answer
        return time.time() - process.create_time()


def _settled_run(process: psutil.Process, stop_began: float) -> bool:
    """Neither a code server nor a process started less than ``LAUNCH_SECONDS`` before the stop began
    (``stop_began``: a ``time.monotonic()``): a run worker past its launch, or a helper of one."""
    try:
        age = process_age(process) - (time.monotonic() - stop_began)
    except psutil.Error:
        return False
    return age >= LAUNCH_SECONDS and not _code_server(process)


def _code_server(process: psutil.Process) -> bool:
    """``dagster api grpc`` (started by the daemon or the webserver) or ``dagster code-server start``."""
    words = _command(process)
    return "grpc" in words or "code-server" in words


def _command(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie, not yet reaped by its parent, or one the
    kernel is tearing down, is not)."""
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def create_instance_storage(home: Path | str) -> None:
    """Create the storage of the Dagster instance at ``home`` (its ``dagster.yaml``) once, in this
    process, before the processes that share it start: SQLite storage that a webserver, a daemon and
    a ``dagster job launch`` create at the same moment can end with two schema heads in its version
    table, and then no process opens it."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)):
        pass
