"""The sandbox: the emulators of both systems, seeded to agree, served on loopback.

It is how a user tries the integration before touching production (`prestashop-infor sandbox`,
`make demo`), and how the benchmarks get real HTTP servers. Nothing here is a test double: the
emulators speak the real wire protocols (see the contracts), so the same client code runs against
a real shop and ERP by changing URLs and keys. The M3 items are derived from the shop's product and
combination references, so both halves agree from the start.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from prestashop_infor.sandbox.infor import InforSandbox, LifecycleSettings, start_infor_sandbox
from prestashop_infor.sandbox.prestashop import Shop, create_app, seed_shop
from prestashop_infor.sandbox.prestashop.webhooks import WebhookSender
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.settings import SandboxSettings


@dataclass
class Sandbox:
    """Both emulators, running. ``stop()`` shuts every server it started."""

    settings: SandboxSettings
    shop: Shop
    prestashop_server: BackgroundServer
    infor: InforSandbox
    webhooks: WebhookSender
    traffic: Traffic | None = None

    @property
    def prestashop_url(self) -> str:
        return self.prestashop_server.url

    @property
    def infor_url(self) -> str:
        return self.infor.url

    @property
    def ionapi_path(self) -> Path:
        assert self.infor.ionapi_path is not None
        return self.infor.ionapi_path

    def environment(self) -> dict[str, str]:
        """The environment variables that point the integration at this sandbox."""
        return {
            "PRESTASHOP_URL": self.prestashop_url,
            "PRESTASHOP_API_KEY": self.settings.api_key,
            "PRESTASHOP_TIME_ZONE": self.settings.time_zone,
            "INFOR_IONAPI_FILE": str(self.ionapi_path.resolve()),
        }

    def stop(self) -> None:
        if self.traffic is not None:
            self.traffic.stop()
        self.webhooks.stop()
        self.infor.stop()
        self.prestashop_server.stop()


@dataclass
class Traffic:
    """Simulated customers placing orders in the shop at a steady pace, so the demo is alive."""

    shop: Shop
    interval: float
    seed: int
    placed: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Traffic:
        self._thread = threading.Thread(target=self._run, name="sandbox-traffic", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        chooser = random.Random(self.seed)
        while not self._stop.wait(self.interval):
            self.placed.extend(self.shop.place_random_orders(1, chooser))


def start_sandbox(settings: SandboxSettings, *, now: datetime | None = None) -> Sandbox:
    """Seed the shop and the M3 tenant and serve both; returns once both accept connections."""
    shop = seed_shop(
        seed=settings.seed,
        orders=settings.orders,
        api_key=settings.api_key,
        version=settings.version,
        time_zone=settings.time_zone,
        now=now,
    )
    settings.ionapi_out.parent.mkdir(parents=True, exist_ok=True)
    prestashop_server = BackgroundServer(create_app(shop), settings.host, settings.prestashop_port).start()
    try:
        infor = start_infor_sandbox(
            settings.host,
            settings.infor_port,
            settings.tenant,
            settings.ionapi_out,
            shop,
            seed=settings.seed,
            # Customers pay their invoices three minutes after invoicing, so the demo reaches "paid".
            lifecycle=LifecycleSettings(pay_after=timedelta(minutes=3)),
        )
    except BaseException:
        prestashop_server.stop()
        raise
    webhooks = WebhookSender(prestashop_server.url, ps_version=settings.version)
    for url in settings.webhook_urls:
        webhooks.subscribe(url, [settings.webhook_secret])
    shop.webhook_sender = webhooks
    shop.subscribe(webhooks)
    sandbox = Sandbox(settings=settings, shop=shop, prestashop_server=prestashop_server, infor=infor,
                      webhooks=webhooks)  # fmt: skip
    if settings.traffic_interval > 0:
        sandbox.traffic = Traffic(shop, settings.traffic_interval, settings.seed).start()
    return sandbox
