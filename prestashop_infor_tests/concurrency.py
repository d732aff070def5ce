"""Two runs at once, as the fault tests need them: the same work started by two threads together."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(work: Callable[[], object], runs: int = 2, *, timeout: float = 60) -> None:
    """Run ``work`` in ``runs`` threads released together; fails with what any of them raised, or
    when one has not ended after ``timeout`` seconds."""
    barrier, errors = threading.Barrier(runs), []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            work()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), f"a run still going after {timeout} s"
    assert not errors, errors
