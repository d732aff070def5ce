"""The one retry policy both clients use: Retry-After in both forms, bounded jittered backoff."""

from __future__ import annotations

import email.utils
import random
import time

import pytest

from prestashop_infor.retry import MAX_RETRY_AFTER, RetryPolicy, Transient, retry_after_seconds


def test_retry_after_in_seconds_or_as_an_http_date():
    now = 1_700_000_000.0
    assert retry_after_seconds("3", now=lambda: now) == 3.0
    assert retry_after_seconds(" 0 ", now=lambda: now) == 0.0
    date = email.utils.formatdate(now + 120, usegmt=True)
    assert retry_after_seconds(date, now=lambda: now) == pytest.approx(120.0)
    assert retry_after_seconds(email.utils.formatdate(now - 5, usegmt=True), now=lambda: now) == 0.0
    for unreadable in (None, "", "soon", "Mon, 32 Foo 2024"):
        assert retry_after_seconds(unreadable, now=lambda: now) is None


def test_the_policy_waits_as_told_then_raises_the_last_error():
    sleeps: list[float] = []
    policy = RetryPolicy(
        max_attempts=4, backoff=0.5, backoff_max=1.5, sleep=sleeps.append, rng=random.Random(1)
    )
    errors = iter(
        [Transient(ValueError("a"), 2.0), Transient(ValueError("b"), 500.0), Transient(ValueError("c"))]
    )

    def attempt():
        error = next(errors, None)
        if error is not None:
            raise error
        return "done"

    assert policy.call(attempt) == "done"
    assert sleeps[:2] == [2.0, MAX_RETRY_AFTER] and 0.75 <= sleeps[2] <= 1.5  # backoff 0.5 * 4, capped at 1.5

    failing = RetryPolicy(max_attempts=2, sleep=lambda _s: None)
    with pytest.raises(ValueError, match="last"):
        failing.call(lambda: (_ for _ in ()).throw(Transient(ValueError("last"))))
    with pytest.raises(KeyError):  # not transient: no retry
        failing.call(lambda: (_ for _ in ()).throw(KeyError("x")))


def test_rate_limits_are_waited_out_without_using_up_the_attempts():
    """A burst of 429s (a quota window) delays a call; it does not fail it, and with it a whole batch
    (the chaos benchmark: bursts of 20 429s failed every order run that met one)."""
    from prestashop_infor.retry import MAX_RATE_LIMITED

    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=3, sleep=sleeps.append)
    answers = iter(
        [Transient(ValueError("429"), 1.0, rate_limited=True)] * 20 + [Transient(ValueError("503"))]
    )

    def attempt():
        error = next(answers, None)
        if error is not None:
            raise error
        return "done"

    assert policy.call(attempt) == "done"
    assert sleeps[:20] == [1.0] * 20 and len(sleeps) == 21

    limit = Transient(ValueError("429"), 1.0, rate_limited=True)
    failures = iter([Transient(ValueError("503"))] * 2 + [limit] * 5 + [Transient(ValueError("504"))] * 2
                    + [limit] + [Transient(ValueError("502"))] * 3)  # fmt: skip
    with pytest.raises(ValueError, match="502"):  # three failures in a row, no rate limit between
        policy.call(lambda: (_ for _ in ()).throw(next(failures)))
    assert next(failures, None) is None

    endless = RetryPolicy(sleep=lambda _s: None)  # a server that never stops limiting: bounded
    calls = []

    def limited():
        calls.append(1)
        raise Transient(ValueError("still 429"), 0.0, rate_limited=True)

    with pytest.raises(ValueError, match="still 429"):
        endless.call(limited)
    assert len(calls) == MAX_RATE_LIMITED

    timed = RetryPolicy(rate_limit_seconds=0.05, sleep=lambda _s: time.sleep(0.01))
    with pytest.raises(ValueError, match="still 429"):
        timed.call(limited)
    assert len(calls) < 2 * MAX_RATE_LIMITED
