"""Hedged reads: a read that has not answered well past the usual time is asked a second time beside
the first, and the first answer wins ("The Tail at Scale", Dean and Barroso, 2013).

A shop's Webservice answers most reads in a fraction of a second, and now and then one request
hangs until the client's read timeout (15 s), then is retried: an extraction of a few pages loses
those 15 s each time, and under a loaded shop a run spends most of its time waiting on such tails.
A second request sent after ``delay()`` usually answers at the usual speed. Only reads are hedged
(the caller decides): a read asked twice changes nothing in the shop.

The delay adapts to the shop: ``FACTOR`` times the median of the last answers' times, never under
``floor`` seconds, so a slow shop is not asked twice for every page. At most one second request
per read; a read whose first request fails (a transport error) waits for the second.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

R = TypeVar("R")

FLOOR_SECONDS = 2.0  # never hedge a read sooner
FACTOR = 4.0  # hedge after this many times the median answer time
WINDOW = 50  # answers the median is taken over


class Hedge:
    """Runs reads with a second request after ``delay()``; ``give_up_after``: no hedge when the delay
    would reach it (the read's own timeout answers first)."""

    def __init__(self, *, floor: float = FLOOR_SECONDS, give_up_after: float | None = None) -> None:
        self.floor = floor
        self.give_up_after = give_up_after
        self.hedged = 0  # second requests sent (read by tests and logs)
        self._times: deque[float] = deque(maxlen=WINDOW)
        self._lock = threading.Lock()
        # the requests run here; a lost one finishes on its own (bounded by its timeout)
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="hedged-read")

    def delay(self) -> float:
        with self._lock:
            usual = statistics.median(self._times) if self._times else 0.0
        return max(self.floor, FACTOR * usual)

    def call(self, read: Callable[[], R]) -> R:
        """``read()`` once, and once more beside it if the first has not answered after ``delay()``;
        the first answer, or the error of the last request to fail."""
        delay = self.delay()
        if self.give_up_after is not None and delay >= self.give_up_after:
            return self._timed(read)
        first = self._pool.submit(self._timed, read)
        try:
            return first.result(timeout=delay)
        except FutureTimeout:
            pass
        with self._lock:
            self.hedged += 1
        second = self._pool.submit(self._timed, read)
        return _first_answer([first, second])

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _timed(self, read: Callable[[], R]) -> R:
        started = time.monotonic()
        answer = read()
        with self._lock:
            self._times.append(time.monotonic() - started)
        return answer


def _first_answer(requests: list[Future[R]]) -> R:
    """The result of the first request to answer; if every one fails, the last failure."""
    pending = set(requests)
    while True:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        answered = [request for request in done if request.exception() is None]
        if answered:
            return answered[0].result()
        if not pending:
            return done.pop().result()  # raises that request's error
