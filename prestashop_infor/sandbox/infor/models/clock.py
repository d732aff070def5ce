"""The tenant's simulated clock: what drives the order lifecycle, change stamps and ``GetServerTime``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SimClock:
    """The tenant's clock. Manual (only ``advance`` moves it) for tests; real time plus the manual
    offset for the sandbox, so the demo moves by itself and can still be fast-forwarded."""

    def __init__(self, start: datetime | None = None, *, realtime: bool = False):
        self._start = start or datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
        self._realtime = realtime
        self._t0 = time.monotonic()
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self.on_advance: Callable[[], None] | None = None

    def now(self) -> datetime:
        with self._lock:
            elapsed = timedelta(seconds=time.monotonic() - self._t0) if self._realtime else timedelta(0)
            return self._start + elapsed + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward and let the tenant run every step that fell due."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
        if self.on_advance is not None:
            self.on_advance()
        return self.now()

    def millis(self) -> int:
        return int(self.now().timestamp() * 1000)
