"""The one retry policy both adapters (the PrestaShop and the M3 client) use, built on tenacity.

An attempt that fails in a way worth repeating raises :class:`Transient` carrying the error to
raise when no attempt succeeds and the server's ``Retry-After``, if it sent one. The wait before the
next attempt is that ``Retry-After`` (seconds or an HTTP date, RFC 9110 §10.2.3; at most
``MAX_RETRY_AFTER``), else exponential backoff with jitter: a random delay in ``[cap / 2, cap]``
with ``cap = min(backoff_max, backoff * 2 ** (attempt - 1))``, never zero. Which failures are
transient (and whether a write may be repeated at all) is each adapter's call; how long to wait and
how often to try is decided here.

A rate limit (HTTP 429, ``rate_limited``) is the server saying "not now", not a failure: it does not
use up the attempts, and the failures before it are forgiven (the server is there); the policy keeps
waiting as told for up to ``rate_limit_seconds`` in all, so a burst of 429s during a quota window
delays a call instead of failing it (and with it a whole batch).
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type

MAX_RETRY_AFTER = 60.0  # seconds: a server asking for longer is waited on no longer than this
MAX_RATE_LIMITED = 100  # 429s waited out in one call at most, whatever the time they took
T = TypeVar("T")


class Transient(Exception):
    """An attempt failed in a way worth retrying; ``final`` is what to raise if none succeeds."""

    def __init__(self, final: BaseException, retry_after: float | None = None, *, rate_limited: bool = False):
        super().__init__(str(final))
        self.final = final
        self.retry_after = retry_after
        self.rate_limited = rate_limited  # HTTP 429: does not use up the attempts


def retry_after_seconds(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """A ``Retry-After`` header in seconds: delay-seconds (``"3"``) or an HTTP date; None if absent
    or unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        return None
    return max(0.0, when.timestamp() - now())


@dataclass
class RetryPolicy:
    """How often to try and how long to wait between tries."""

    max_attempts: int = 5
    rate_limit_seconds: float = 120.0  # how long 429s are waited out in all, beside the attempts
    backoff: float = 0.25
    backoff_max: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    on_retry: Callable[[int, float, BaseException], None] | None = None  # attempt, delay, error

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None and outcome.failed else None
        if isinstance(error, Transient) and error.retry_after is not None:
            return min(error.retry_after, MAX_RETRY_AFTER)
        cap = min(self.backoff_max, self.backoff * 2 ** (state.attempt_number - 1))
        return self.rng.uniform(cap / 2, cap)

    def call(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` until it returns, raises something other than :class:`Transient`, or the
        attempts run out (then the last ``Transient``'s ``final`` is raised)."""

        def before_sleep(state: RetryCallState) -> None:
            if self.on_retry is not None and state.outcome is not None and state.next_action is not None:
                self.on_retry(state.attempt_number, state.next_action.sleep, state.outcome.exception())

        failures = limited = 0  # attempts that failed other than by a rate limit; rate limits

        def stop(state: RetryCallState) -> bool:
            nonlocal failures, limited
            outcome = state.outcome
            error = outcome.exception() if outcome is not None and outcome.failed else None
            if isinstance(error, Transient) and error.rate_limited:
                limited += 1
                failures = 0  # the server is there and asks to wait: the failures count again after it
                elapsed = state.seconds_since_start or 0.0
                return elapsed >= self.rate_limit_seconds or limited >= MAX_RATE_LIMITED
            failures += 1
            return failures >= self.max_attempts

        retrying = Retrying(
            stop=stop,
            wait=self.wait,
            retry=retry_if_exception_type(Transient),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except Transient as exc:
            raise exc.final from None
