"""``WarmRunLauncher``: Dagster's default run launcher, each run forked from a warm worker.

Set in ``dagster.yaml`` (``run_launcher: {module: prestashop_infor.run_launcher, class:
WarmRunLauncher}``). A run of a code location loaded from a Python module is sent to that location's
warm worker (:mod:`prestashop_infor.warm_worker`: Dagster and the code location imported once), which
forks the run's process at once instead of starting Python and importing them again; anything else
is Dagster's default run launcher's, unchanged.

- The warm worker is started at the first run of a code location (which the default launcher takes,
  while the worker imports), and again when the worker is gone, or found a file of its code changed
  (it answers ``stale`` and ends; that run goes to the default launcher).
- A worker that does not answer within ``ANSWER_SECONDS``, or answers anything but a process id, is
  stopped and the run goes to the default launcher: a run is never lost to the warm path.
- A warm run has no code server to ask for its termination: ``terminate`` marks it canceling and
  interrupts its process (``SIGINT``, what Dagster's own run worker takes as a termination).
- Its process is a run worker of this machine, as the default launcher's: ``prestashop-infor
  daemon``'s sweep treats both alike (:mod:`prestashop_infor.daemon`).
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import subprocess
import threading
from dataclasses import dataclass
from typing import Any

from dagster._core.launcher import DefaultRunLauncher

from prestashop_infor import names
from prestashop_infor.warm_worker import READY

log = logging.getLogger(__name__)
ANSWER_SECONDS = 10.0
WARM_TAG = names.WARM_WORKER_TAG  # the warm worker's process id, on the runs it forked


@dataclass
class _Worker:
    key: tuple[str, ...]
    process: subprocess.Popen[str]
    ready: bool = False


class WarmRunLauncher(DefaultRunLauncher):
    """Dagster's default run launcher, with the runs of a Python-module code location forked from a
    warm worker (module docstring)."""

    def __init__(self, inst_data: Any = None):
        super().__init__(inst_data=inst_data)
        self._lock = threading.Lock()
        self._workers: dict[str, _Worker] = {}

    def launch_run(self, context: Any) -> None:
        run = context.dagster_run
        try:
            forker = self._launch_warm(context)
        except Exception as exc:  # noqa: BLE001 - the default launcher takes the run instead
            log.warning(
                "run %s: the warm worker did not take it (%s); Dagster's default launcher does",
                run.run_id,
                exc,
            )
            forker = None
        if forker is None:
            super().launch_run(context)
            return
        self._instance.add_run_tags(run.run_id, {WARM_TAG: str(forker)})

    def _launch_warm(self, context: Any) -> int | None:
        """The process id of the warm worker that forked the run's process, None when none is ready
        for it (the run's process reports itself in the run, as any run worker's)."""
        from dagster._core.code_pointer import ModuleCodePointer
        from dagster._grpc.types import ExecuteRunArgs
        from dagster._serdes import serialize_value

        run = context.dagster_run
        origin = run.job_code_origin
        if origin is None or not isinstance(origin.repository_origin.code_pointer, ModuleCodePointer):
            return None
        pointer = origin.repository_origin.code_pointer
        location_name = run.remote_job_origin.repository_origin.code_location_origin.location_name
        key = (origin.repository_origin.executable_path, pointer.module, pointer.working_directory or "")
        payload = serialize_value(
            ExecuteRunArgs(job_origin=origin, run_id=run.run_id, instance_ref=self._instance.get_ref())
        )
        with self._lock:
            worker = self._worker(location_name, key)
            if not worker.ready:
                return None
            try:
                worker.process.stdin.write(payload + "\n")
                worker.process.stdin.flush()
                answer = json.loads(_read_line(worker.process, ANSWER_SECONDS))
                if "stale" not in answer:
                    int(answer["pid"])  # the run's process
                    return worker.process.pid
            except Exception:
                self._stop(location_name)
                raise
            # its code changed and it ended: a new one starts importing, for the runs after this one
            log.info(
                "the warm worker of %s found %s changed; a new one starts", location_name, answer["stale"]
            )
            self._stop(location_name)
            self._worker(location_name, key)
            return None

    def _worker(self, location_name: str, key: tuple[str, ...]) -> _Worker:
        """The warm worker of ``location_name`` for ``key`` (started if there is none, or it is
        another code's, or gone); ``ready`` once it has imported everything."""
        worker = self._workers.get(location_name)
        if worker is not None and (worker.key != key or worker.process.poll() is not None):
            self._stop(location_name)
            worker = None
        if worker is None:
            executable, module, working_directory = key
            worker = _Worker(key, subprocess.Popen(
                [executable, "-m", "prestashop_infor.warm_worker", module],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=working_directory or None,
            ))  # fmt: skip
            self._workers[location_name] = worker
        if not worker.ready and _line_waiting(worker.process):
            line = worker.process.stdout.readline().strip()
            if line != READY:
                self._stop(location_name)
                raise RuntimeError(f"the warm worker said {line!r} instead of {READY!r}")
            worker.ready = True
        return worker

    def _stop(self, location_name: str) -> None:
        worker = self._workers.pop(location_name, None)
        if worker is None:
            return
        worker.process.stdin.close()  # it ends; the runs it forked go on
        try:
            worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait(timeout=5)

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id) if self.has_instance else None
        if run is None or WARM_TAG not in run.tags:
            return super().terminate(run_id)
        if run.is_finished:
            return False
        from prestashop_infor.daemon import worker_pid

        self._instance.report_run_canceling(run)
        pid = worker_pid(self._instance, run_id)
        if pid is None:
            return False
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return False
        return True

    def dispose(self) -> None:
        with self._lock:
            for location_name in list(self._workers):
                self._stop(location_name)
        super().dispose()


def _line_waiting(process: subprocess.Popen[str], seconds: float = 0.0) -> bool:
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    return bool(ready)


def _read_line(process: subprocess.Popen[str], seconds: float) -> str:
    if not _line_waiting(process, seconds):
        raise TimeoutError(f"no answer within {seconds:.0f} s")
    line = process.stdout.readline()
    if not line:
        raise EOFError(f"the warm worker ended (exit code {process.poll()})")
    return line
