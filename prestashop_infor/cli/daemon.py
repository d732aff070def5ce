"""``prestashop-infor daemon``: Dagster's daemon (schedules, sensors, run queue) with the faster sensor
loop."""

from __future__ import annotations

import argparse
from pathlib import Path

from prestashop_infor.cli.configuration import ConfigurationError
from prestashop_infor.daemon import run_daemon


def cmd_daemon(args: argparse.Namespace) -> int:
    """Run Dagster's daemon (schedules, sensors, run queue) with the faster sensor loop."""
    if not Path(args.workspace).is_file():
        raise ConfigurationError(f"workspace file {args.workspace} does not exist")
    return run_daemon(["-w", args.workspace], sensor_loop_seconds=args.sensor_loop_seconds)
