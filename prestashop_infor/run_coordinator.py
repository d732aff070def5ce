"""``SubsecondQueuedRunCoordinator``: Dagster's queued run coordinator, its queue looked at more
than once a second.

Dagster's run queue daemon launches the queued runs every ``dequeue_interval_seconds``, a whole
number of seconds: a run queued just after a look waits up to a second, half a second on average,
the largest wait left between a webhook and its run (``benchmarks/latency.py``). This coordinator is
Dagster's own (``dagster.QueuedRunCoordinator``: the run limits of ``concurrency:`` and the pools
apply unchanged), its interval given in seconds with a fraction (``dequeue_interval_seconds: 0.5``
in ``dagster.yaml``); the daemon's loop takes any number of seconds, and waits in half-second steps,
so half a second is the shortest interval that acts. A look at the queue is a few reads of the run
storage, twice a second.

The daemon reads the interval from the coordinator when it starts (``dagster._daemon.controller``);
the Dagster family is pinned together (pyproject.toml) and a test checks that the pinned release's
run queue daemon runs at this coordinator's interval, so an upgrade that reads it elsewhere fails
the suite instead of quietly bringing the whole second back.
"""

from __future__ import annotations

from typing import Any

import dagster as dg


class SubsecondQueuedRunCoordinator(dg.QueuedRunCoordinator):
    """Dagster's queued run coordinator with ``dequeue_interval_seconds`` a number of seconds above
    zero, fractions allowed (default 1)."""

    def __init__(self, dequeue_interval_seconds: float | None = None, **options: Any):
        super().__init__(**options)
        interval = 1.0 if dequeue_interval_seconds is None else float(dequeue_interval_seconds)
        if interval <= 0:
            raise ValueError(
                "run_coordinator config: dequeue_interval_seconds must be a number of seconds above 0 "
                f"(0.5: twice a second), got {dequeue_interval_seconds!r}"
            )
        self._dequeue_interval = interval

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        fields = dict(super().config_type())
        fields["dequeue_interval_seconds"] = dg.Field(
            float,
            is_required=False,
            description="Seconds between the daemon's looks at the run queue, fractions allowed (default 1).",
        )
        return fields

    @property
    def dequeue_interval_seconds(self) -> float:  # type: ignore[override]  # Dagster's says int
        return self._dequeue_interval
