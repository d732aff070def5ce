"""The one retry policy both clients use: Retry-After in both forms, bounded jittered backoff."""

from __future__ import annotations

import email.utils
import random

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
