"""A warm run worker: Dagster and the code location imported once, each run a fork of it.

Dagster starts every run in a new Python process that imports Dagster and the code location again
before the first step: about 1.7 s of the 2.7 s a run takes to start on the benchmark machine
(``benchmarks/latency.py``). This process (``python -m prestashop_infor.warm_worker MODULE``) imports
them once, and then, for each line it reads on its standard input (a serialized ``ExecuteRunArgs``,
what ``dagster api execute_run`` takes), forks a child that executes that run exactly as
``dagster api execute_run`` does, and answers the child's process id on its standard output.
:class:`prestashop_infor.run_launcher.WarmRunLauncher` starts it and talks to it.

- A child is a run worker like any other: it reports "Started process for run (pid ...)" itself, so
  ``prestashop-infor daemon``'s sweep finds it, and it runs in a session of its own.
- Children are reaped by the kernel (``SIGCHLD`` ignored here, restored in the child, whose own
  subprocesses Dagster waits for).
- It runs the code it imported: before each fork it looks whether a file of a module it imported
  changed or went since (the code location edited, a package upgraded); if one did it answers
  ``{"stale": path}`` instead and ends, and the launcher starts a new worker. So an edit reaches the
  next run, as it does through Dagster's code server, without restarting the worker every time the
  daemon reloads its code server (every 60 s, code changed or not).
- The end of its standard input (the launcher closed it, or the daemon holding it ended) ends this
  process; runs already forked go on, as they do when Dagster's code server goes.
- It forks only from its main thread, with no other thread started: nothing is held by a thread
  that the child would not have.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import signal
import sys

from prestashop_infor.http_clients import tls_context

READY = "ready"
#: What a run imports on its way, beyond the code location: imported here once (what is missing is
#: left to the run). pandera imports its pandas checks and strategies at a process's first
#: validation (0.1 s, in every run's first extraction step); the IDNA codec at the first URL.
WARM_UP = (
    "dagster._core.execution.api", "dagster._core.executor.in_process", "alembic.runtime.migration",
    "sqlalchemy.dialects.sqlite", "sqlite3", "hypothesis", "upath", "fsspec", "rich", "structlog", "tqdm",
    "httpcore", "certifi", "greenlet", "encodings.idna",
    "pandera.backends.pandas.register", "pandera.backends.pandas.builtin_checks",
    "pandera.backends.pandas.builtin_hypotheses", "pandera.accessors.pandas_accessor",
    "pandera.api.geopandas.container",
)  # fmt: skip


def _execute(payload: str) -> int:
    """The child: the run of ``payload`` as ``dagster api execute_run`` executes it; its exit code."""
    from dagster._cli.api import execute_run_command

    try:
        execute_run_command.callback(input_json=payload, compressed_input_json=None)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported by Dagster in the run; the exit code says the rest
        return 1
    return 0


def _fork(payload: str, answers) -> None:
    pid = os.fork()
    if pid:
        answers.write(json.dumps({"pid": pid}) + "\n")
        answers.flush()
        return
    code = 1
    try:
        os.close(answers.fileno())  # the answers are the parent's: the launcher sees this process end
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the requests are the parent's
        os.dup2(2, 1)  # what the run prints goes where this process logs
        os.close(devnull)
        code = _execute(payload)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _module_files() -> dict[str, tuple[int, int]]:
    """The file of each imported module, with its modification time and size."""
    files = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and path not in files:
            with contextlib.suppress(OSError):
                status = os.stat(path)
                files[path] = (status.st_mtime_ns, status.st_size)
    return files


def _changed(files: dict[str, tuple[int, int]]) -> str | None:
    """A file of ``files`` that changed or went since, if any."""
    for path, seen in files.items():
        try:
            status = os.stat(path)
        except OSError:
            return path
        if (status.st_mtime_ns, status.st_size) != seen:
            return path
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m prestashop_infor.warm_worker MODULE", file=sys.stderr)
        return 2
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # what the imports print goes to the log, never into the answers
    import dagster._cli.api  # noqa: F401 - what every run needs, imported once

    module = importlib.import_module(argv[0])
    for name in WARM_UP:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    definitions = getattr(module, "defs", None)
    if definitions is not None:
        definitions.get_repository_def()  # built once; the children find it built
    tls_context()  # the HTTP clients' CA bundle, loaded once
    files = _module_files()
    gc.collect()
    gc.freeze()  # what the imports left is shared with the children, never walked again
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    answers.write(READY + "\n")
    answers.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        stale = _changed(files)
        if stale is not None:
            answers.write(json.dumps({"stale": stale}) + "\n")
            answers.flush()
            return 0
        _fork(line.strip(), answers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
