"""The ``prestashop-infor`` command: its parser and entry point, one module per command family.

``sandbox`` and ``demo`` (the process control; the demo's home in ``demo_home``, its runs through the
Dagster webserver in ``demo_runs``), ``daemon``, ``dlq``, ``db``, ``mapping`` (suggest), ``trace`` and
``webhooks`` (serve); the argument types and the sandbox's options in ``arguments``. Configuration
comes from the same environment variables as the Dagster definitions (``prestashop_infor.defs``),
read here at the edge (``configuration``) and nowhere deeper."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from prestashop_infor.cli.arguments import (
    _add_sandbox_arguments,
    _Parser,
    _port,
    _positive,
    _positive_seconds,
    _settings,
    _webhook_url,
    add_source_argument,
)
from prestashop_infor.cli.configuration import ConfigurationError
from prestashop_infor.cli.daemon import cmd_daemon
from prestashop_infor.cli.db import _add_db_commands
from prestashop_infor.cli.demo import (
    DEMO_HISTORY_DAYS,
    DEMO_LOGS,
    DEMO_ORDERS_PER_DAY,
    DEMO_SHOPS,
    DEMO_SPLIT_DELIVERIES,
    DEMO_STOP_SECONDS,
    cmd_demo,
)
from prestashop_infor.cli.demo_home import DEMO_MARKER, DEMO_TOKEN, _demo_home_is_clearable, _fresh_demo_home
from prestashop_infor.cli.dlq import _add_dlq_commands
from prestashop_infor.cli.mapping import _add_mapping_commands
from prestashop_infor.cli.sandbox import cmd_sandbox
from prestashop_infor.cli.trace import cmd_trace
from prestashop_infor.cli.webhooks import _add_webhooks_commands
from prestashop_infor.daemon import SENSOR_LOOP_SECONDS
from prestashop_infor.sync import dead_letters

__all__ = [  # what the tests and the console script use
    "DEMO_LOGS",
    "DEMO_MARKER",
    "DEMO_STOP_SECONDS",
    "DEMO_TOKEN",
    "ConfigurationError",
    "_demo_home_is_clearable",
    "_fresh_demo_home",
    "_settings",
    "build_parser",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="prestashop-infor", description="Keep a PrestaShop shop and an Infor M3 ERP in step."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    sandbox = commands.add_parser("sandbox", help="serve the emulators with a seeded shop until interrupted")
    _add_sandbox_arguments(sandbox)
    sandbox.add_argument(
        "--webhook-url",
        action="append",
        type=_webhook_url,
        help="a receiver the shop sends its signed webhooks to, with WEBHOOK_SECRET (repeatable)",
    )
    sandbox.set_defaults(handler=cmd_sandbox)

    demo = commands.add_parser("demo", help="the sandbox, the webhook receiver, the Dagster UI and daemon")
    _add_sandbox_arguments(demo)
    demo.add_argument("--dagster-port", type=_port, default=3000, help="port of the Dagster UI")
    demo.add_argument("--webhook-port", type=_port, default=8090, help="port of the webhook receiver")
    demo.add_argument("--dagster-home", default=".dagster_home", help="the embedded SQLite instance")
    # a history in both systems, for the reconciliation to compare (--history-days 0 --orders-per-day 0:
    # the shop's --orders alone, which M3 does not know); orders delivered in two deliveries, too
    demo.set_defaults(
        handler=cmd_demo,
        history_days=DEMO_HISTORY_DAYS,
        orders_per_day=DEMO_ORDERS_PER_DAY,
        split_deliveries=DEMO_SPLIT_DELIVERIES,
        shops=DEMO_SHOPS,
    )

    daemon = commands.add_parser(
        "daemon",
        help="Dagster's daemon (dagster-daemon run) with the sensor loop every half second instead of every 5 s",
    )
    daemon.add_argument("-w", "--workspace", default="workspace.yaml", help="the Dagster workspace file")
    daemon.add_argument(
        "--sensor-loop-seconds",
        type=_positive_seconds,
        default=SENSOR_LOOP_SECONDS,
        help="pause between two evaluations of the sensors (Dagster's own: 5)",
    )
    daemon.set_defaults(handler=cmd_daemon)

    _add_dlq_commands(commands)
    _add_db_commands(commands)
    _add_mapping_commands(commands)
    _add_webhooks_commands(commands)
    trace = commands.add_parser("trace", help="where is order N? its whole story in time order")
    trace.add_argument("order_id", type=_positive, metavar="ORDER_ID", help="the PrestaShop order id")
    trace.add_argument("--json", action="store_true", help="JSON instead of a table")
    add_source_argument(trace)
    trace.set_defaults(handler=cmd_trace)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (OSError, ConfigurationError, dead_letters.ReplayRefused) as exc:
        print(f"prestashop-infor: {exc}", file=sys.stderr)
        return 2
