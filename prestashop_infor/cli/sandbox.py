"""``prestashop-infor sandbox``: the emulators started with a seeded shop, served until Ctrl-C or
SIGTERM, then stopped."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from prestashop_infor.cli.arguments import _settings
from prestashop_infor.cli.terminal import _Progress


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _print_sandbox(sandbox: Any) -> None:
    print(
        f"PrestaShop Webservice: {sandbox.prestashop_url}/api/  (key {sandbox.settings.api_key})", flush=True
    )
    print(
        f"Infor ION API (M3):    {sandbox.infor_url}/{sandbox.settings.tenant}/M3/m3api-rest/v2/", flush=True
    )
    print(f"ION API credentials:   {sandbox.ionapi_path}", flush=True)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from prestashop_infor.sandbox import start_sandbox  # the emulators load only for these commands

    settings = _settings(args)
    with _Progress("seeding the history", total=settings.history_days or None) as bar:
        sandbox = start_sandbox(
            settings, progress=lambda done, days: bar.step(f"seeding the history: day {done} of {days}")
        )
    try:
        _print_sandbox(sandbox)
        print("Serving until interrupted (Ctrl-C).", flush=True)
        _wait_for_interrupt()
    finally:
        sandbox.stop()
    return 0
