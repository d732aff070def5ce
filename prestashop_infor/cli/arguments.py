"""The commands' arguments: the types that check each value (ports, counts, seconds, shares, keys,
hosts, dead-letter ids), the sandbox's options (shared by ``sandbox`` and ``demo``) and the sandbox
settings they make, and the parser that shows every default."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from prestashop_infor.cli.configuration import ConfigurationError, _settings_now
from prestashop_infor.settings import MAX_HISTORY_DAYS, MAX_ORDERS_PER_DAY, SandboxSettings, SettingsError
from prestashop_infor.store.tables import DEAD_LETTER_STAGES, DEAD_LETTER_STATES


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0-65535")
    return port


def _count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if count < 0:
        raise argparse.ArgumentTypeError(f"{count} is negative")
    return count


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if seconds < 0 or seconds != seconds:
        raise argparse.ArgumentTypeError(f"{value} seconds is not a duration")
    return seconds


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a share (a number from 0 to 1)") from None
    if not 0 <= share <= 1:  # NaN too
        raise argparse.ArgumentTypeError(f"{value} is not a share: give a number from 0 to 1")
    return share


def _api_key(value: str) -> str:
    if len(value) != 32 or not value.isalnum() or value.upper() != value:
        raise argparse.ArgumentTypeError(
            "a PrestaShop Webservice key is 32 characters of upper-case letters and digits"
        )
    return value


def _tenant(value: str) -> str:
    if not value or not all(c.isalnum() or c == "_" for c in value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a tenant name (letters, digits and _)")
    return value


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _sandbox_host(host: str, advertised: str | None) -> str:
    """Loopback by default; any other address is an explicit choice, made with --advertised-host:
    the sandbox serves a published API key and made-up data, and the URLs it hands out must name a
    host the others can reach (not 0.0.0.0)."""
    if host in LOOPBACK:
        return "127.0.0.1" if host == "localhost" else host
    if not advertised:
        raise ConfigurationError(
            f"--host {host} exposes the sandbox beyond this machine; say so with --advertised-host NAME, "
            "the name the others reach it by (e.g. the compose service name)"
        )
    return host


def _host_name(value: str) -> str:
    if not value or len(value) > 253 or not all(c.isalnum() or c in "-._" for c in value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a host name")
    return value


def _add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = SandboxSettings()
    parser.add_argument(
        "--host",
        default=defaults.host,
        help="address to bind; beyond loopback only with --advertised-host (e.g. 0.0.0.0 in a container)",
    )
    parser.add_argument(
        "--advertised-host",
        type=_host_name,
        help="the name other machines reach the emulators by (a compose service name): written into the "
        "URLs the sandbox hands out (.ionapi, webhooks); needed to bind beyond loopback",
    )
    parser.add_argument(
        "--prestashop-port", type=_port, default=defaults.prestashop_port, help="port of the shop emulator"
    )
    parser.add_argument("--api-key", type=_api_key, default=defaults.api_key, help="Webservice key")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the generated shop")
    parser.add_argument("--orders", type=_count, default=defaults.orders, help="orders to seed")
    parser.add_argument("--version", dest="ps_version", default=defaults.version, help="PrestaShop profile")
    parser.add_argument("--time-zone", default=defaults.time_zone, help="the shop's IANA time zone")
    parser.add_argument(
        "--traffic",
        type=_seconds,
        default=10.0,
        help="seconds between orders placed by simulated customers (0: none)",
    )
    parser.add_argument(
        "--infor-port", type=_port, default=defaults.infor_port, help="port of the M3 emulator"
    )
    parser.add_argument("--tenant", type=_tenant, default=defaults.tenant, help="M3 tenant name")
    parser.add_argument(
        "--ionapi-out",
        type=Path,
        default=defaults.ionapi_out,
        help="where to write the emulator's .ionapi file",
    )

    def at_most(maximum: int, unit: str):
        def parse(value: str) -> int:
            count = _count(value)
            if count > maximum:
                raise argparse.ArgumentTypeError(f"{count} is above the maximum of {maximum} {unit}")
            return count

        return parse

    parser.add_argument(
        "--history-days",
        type=at_most(MAX_HISTORY_DAYS, "days"),
        default=defaults.history_days,
        help="seed a history in both systems over the last N days, replacing --orders (0: none)",
    )
    parser.add_argument(
        "--orders-per-day",
        type=at_most(MAX_ORDERS_PER_DAY, "orders a day"),
        default=defaults.orders_per_day,
        help="orders a day in the --history-days history (varies a little from day to day)",
    )
    parser.add_argument(
        "--shops",
        type=at_most(4, "shops"),
        default=defaults.shops,
        help="shops of the PrestaShop multistore, each with its customers, orders and stock (1 to 4)",
    )
    parser.add_argument(
        "--split-deliveries",
        type=_share,
        default=defaults.split_deliveries,
        metavar="SHARE",
        help="share (0 to 1) of the M3 orders of two lines or more delivered in two deliveries, each "
        "with its own tracking number",
    )


def _webhook_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{value!r} is not an http(s) URL of a webhook receiver")
    return value


def _settings(args: argparse.Namespace) -> SandboxSettings:
    urls = tuple(getattr(args, "webhook_url", None) or ())
    secret = ""
    if urls:  # the shop signs with the receiver's secret, WEBHOOK_SECRET (the first one in a rotation)
        try:
            secret = _settings_now().webhook_secrets()[0]
        except SettingsError as exc:
            raise ConfigurationError(f"--webhook-url needs {exc}") from None
    try:
        return SandboxSettings(
            host=_sandbox_host(args.host, args.advertised_host),
            advertised_host=args.advertised_host,
            prestashop_port=args.prestashop_port,
            api_key=args.api_key,
            seed=args.seed,
            orders=args.orders,
            version=args.ps_version,
            time_zone=args.time_zone,
            infor_port=args.infor_port,
            tenant=args.tenant,
            ionapi_out=args.ionapi_out,
            traffic_interval=args.traffic,
            webhook_urls=urls,
            webhook_secret=secret,
            history_days=args.history_days,
            orders_per_day=args.orders_per_day,
            split_deliveries=args.split_deliveries,
            shops=args.shops,
        )
    except ValueError as exc:  # settings that only make sense together (a history needs its orders)
        flags = (
            str(exc)
            .replace("history_days", "--history-days")
            .replace("orders_per_day", "--orders-per-day")
            .replace("shops must", "--shops must")
        )
        raise ConfigurationError(flags) from None


def _letter_id(value: str) -> int:
    try:
        letter_id = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a dead-letter id (a whole number, as shown by `dlq list`)"
        ) from None
    if letter_id < 1:
        raise argparse.ArgumentTypeError(f"{letter_id} is not a dead-letter id (ids start at 1)")
    return letter_id


def _dlq_state(value: str) -> str:
    if value not in (*DEAD_LETTER_STATES, "all"):
        raise argparse.ArgumentTypeError(
            f"unknown state {value!r}; use one of {', '.join(DEAD_LETTER_STATES)} or all"
        )
    return value


def _dlq_stage(value: str) -> str:
    if value not in DEAD_LETTER_STAGES:
        raise argparse.ArgumentTypeError(
            f"unknown stage {value!r}; use one of {', '.join(DEAD_LETTER_STAGES)}"
        )
    return value


def _positive(value: str) -> int:
    count = _count(value)
    if count == 0:
        raise argparse.ArgumentTypeError("0 would show nothing; give a positive number")
    return count


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0.1 <= seconds <= 60:
        raise argparse.ArgumentTypeError(f"{value} s is out of range; give 0.1 to 60 seconds")
    return seconds


class _Parser(argparse.ArgumentParser):
    """Every command's ``--help`` shows the defaults."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*args, **kwargs)


def add_source_argument(parser: argparse.ArgumentParser) -> None:
    """``--source NAME``: the command works on that further PrestaShop installation
    (``PRESTASHOP_INFOR_SOURCES``): its variables, its store."""
    parser.add_argument(
        "--source",
        default=None,
        metavar="NAME",
        help="a further PrestaShop installation PRESTASHOP_INFOR_SOURCES names: its <NAME>_... variables and "
        "its store (default: the main installation)",
    )
