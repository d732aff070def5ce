"""``prestashop-infor daemon``: Dagster's daemon (``dagster-daemon run``), its sensor loop made faster.

Dagster's sensor daemon evaluates the sensors in a loop that waits at least
``dagster._daemon.sensor.MIN_INTERVAL_LOOP_TIME`` (5 s) between iterations, and offers no setting
for it: a webhook accepted just after an iteration waits up to 5 s before any sensor looks at the
inbox, the largest share of the event lane's latency (``benchmarks/latency.py``). This command runs
the same daemon with that pause at ``SENSOR_LOOP_SECONDS``. Each sensor still keeps its own
``minimum_interval_seconds`` (the M3 status sensor asks M3 every 30 s at most); only the webhook
sensor, whose evaluation is one indexed read of the inbox, is asked every second.

The constant is Dagster's private one: the Dagster family is pinned together (pyproject.toml) and a
test checks that the loop still reads it, so an upgrade that moves it fails the suite instead of
quietly bringing the 5 s back.
"""

from __future__ import annotations

from collections.abc import Sequence

SENSOR_LOOP_SECONDS = 1


def run_daemon(arguments: Sequence[str], *, sensor_loop_seconds: float = SENSOR_LOOP_SECONDS) -> int:
    """``dagster-daemon run ARGUMENTS`` in this process, the sensor loop at ``sensor_loop_seconds``;
    returns the daemon's exit code."""
    import dagster._daemon.sensor as sensor_daemon
    from dagster._daemon.cli import cli

    if not hasattr(sensor_daemon, "MIN_INTERVAL_LOOP_TIME"):
        raise RuntimeError(
            "this Dagster release has no dagster._daemon.sensor.MIN_INTERVAL_LOOP_TIME; "
            "the sensor loop cannot be tuned (see prestashop_infor/daemon.py)"
        )
    sensor_daemon.MIN_INTERVAL_LOOP_TIME = sensor_loop_seconds
    try:
        cli.main(args=["run", *arguments], prog_name="prestashop-infor daemon", obj={})
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0
