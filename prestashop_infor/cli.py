"""The ``prestashop-infor`` command: sandbox, demo (and, as the product grows, webhooks and dlq)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from prestashop_infor.sandbox import Sandbox, SandboxSettings, start_sandbox


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


def _loopback(value: str) -> str:
    if value not in {"127.0.0.1", "localhost", "::1"}:
        raise argparse.ArgumentTypeError(f"the sandbox binds loopback only (127.0.0.1), not {value!r}")
    return "127.0.0.1" if value == "localhost" else value


def _add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = SandboxSettings()
    parser.add_argument("--host", type=_loopback, default=defaults.host, help="loopback address to bind")
    parser.add_argument("--prestashop-port", type=_port, default=defaults.prestashop_port)
    parser.add_argument("--api-key", type=_api_key, default=defaults.api_key, help="Webservice key")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the generated shop")
    parser.add_argument("--orders", type=_count, default=defaults.orders, help="orders to seed")
    parser.add_argument("--version", dest="ps_version", default=defaults.version, help="PrestaShop profile")
    parser.add_argument("--time-zone", default=defaults.time_zone, help="the shop's IANA time zone")
    parser.add_argument("--infor-port", type=_port, default=defaults.infor_port)
    parser.add_argument("--tenant", type=_tenant, default=defaults.tenant, help="M3 tenant name")
    parser.add_argument(
        "--ionapi-out",
        type=Path,
        default=defaults.ionapi_out,
        help="where to write the emulator's .ionapi file",
    )


def _settings(args: argparse.Namespace) -> SandboxSettings:
    return SandboxSettings(
        host=args.host,
        prestashop_port=args.prestashop_port,
        api_key=args.api_key,
        seed=args.seed,
        orders=args.orders,
        version=args.ps_version,
        time_zone=args.time_zone,
        infor_port=args.infor_port,
        tenant=args.tenant,
        ionapi_out=args.ionapi_out,
    )


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _print_sandbox(sandbox: Sandbox) -> None:
    print(
        f"PrestaShop Webservice: {sandbox.prestashop_url}/api/  (key {sandbox.settings.api_key})", flush=True
    )
    print(
        f"Infor ION API (M3):    {sandbox.infor_url}/{sandbox.settings.tenant}/M3/m3api-rest/v2/", flush=True
    )
    print(f"ION API credentials:   {sandbox.ionapi_path}", flush=True)


def cmd_sandbox(args: argparse.Namespace) -> int:
    sandbox = start_sandbox(_settings(args))
    try:
        _print_sandbox(sandbox)
        print("Serving until interrupted (Ctrl-C).", flush=True)
        _wait_for_interrupt()
    finally:
        sandbox.stop()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    project = Path(__file__).resolve().parent.parent
    dagster_home = Path(args.dagster_home).resolve()
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(project / "dagster.yaml", dagster_home / "dagster.yaml")
    sandbox = start_sandbox(_settings(args))
    environment = {
        **os.environ,
        **sandbox.environment(),
        "DAGSTER_HOME": str(dagster_home),
    }
    dagster_command = str(Path(sys.executable).with_name("dagster"))
    print("Materializing the PrestaShop and Infor assets once, so the UI opens on real data...", flush=True)
    first_run = subprocess.run(
        [
            dagster_command,
            "asset",
            "materialize",
            "--select",
            "group:prestashop or group:infor",
            "-m",
            "prestashop_infor.defs",
        ],
        env=environment,
        cwd=dagster_home,
        capture_output=True,
        text=True,
    )
    if first_run.returncode != 0:
        print(
            f"prestashop-infor: the first materialization failed:\n{first_run.stderr[-2000:]}",
            file=sys.stderr,
        )
    dagster = [
        dagster_command,
        "dev",
        "-w",
        str(project / "workspace.yaml"),
        "-h",
        args.host,
        "-p",
        str(args.dagster_port),
    ]
    # dagster dev ignores SIGTERM when started in the background from a non-interactive shell:
    # give it its own session and stop the whole process group.
    process = subprocess.Popen(dagster, env=environment, cwd=dagster_home, start_new_session=True)
    try:
        _print_sandbox(sandbox)
        print(f"Dagster UI:            http://{args.host}:{args.dagster_port}", flush=True)
        print(f"Dagster instance:      {dagster_home} (SQLite)", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while process.poll() is None and not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        sandbox.stop()
    return 0 if process.returncode in (0, -signal.SIGTERM, None) else process.returncode


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prestashop-infor", description="Keep a PrestaShop shop and an Infor M3 ERP in step."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    sandbox = commands.add_parser("sandbox", help="serve the emulators with a seeded shop until interrupted")
    _add_sandbox_arguments(sandbox)
    sandbox.set_defaults(handler=cmd_sandbox)

    demo = commands.add_parser("demo", help="the sandbox plus the Dagster UI and daemon (dagster dev)")
    _add_sandbox_arguments(demo)
    demo.add_argument("--dagster-port", type=_port, default=3000)
    demo.add_argument("--dagster-home", default=".dagster_home", help="the embedded SQLite instance")
    demo.set_defaults(handler=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except OSError as exc:
        print(f"prestashop-infor: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
