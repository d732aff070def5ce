"""Servers of a benchmark in child processes of their own (``multiprocessing`` "spawn"), so the
figures of the benchmark's process are the client's alone: started, waited for, stopped by pid."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal


def start(target, *args) -> tuple[multiprocessing.Process, dict]:
    """Run ``target(*args, ready)`` in a spawned child; returns it and the JSON it puts on ``ready``
    once it serves (its ports...). A child that does not get there within 10 minutes is stopped."""
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    process = context.Process(target=target, args=(*args, ready), daemon=True)
    process.start()
    try:
        return process, json.loads(ready.get(timeout=600))
    except BaseException:
        stop(process)
        raise


def stop(process: multiprocessing.Process) -> None:
    """SIGTERM to the child by its pid, SIGKILL if it has not ended within 15 s."""
    if process.pid is not None and process.is_alive():
        os.kill(process.pid, signal.SIGTERM)
    process.join(timeout=15)
    if process.is_alive():
        process.kill()
        process.join(timeout=10)
