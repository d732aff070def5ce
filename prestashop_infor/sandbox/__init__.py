"""The sandbox: the emulators of both systems, seeded to agree, served on loopback.

It is how a user tries the integration before touching production (`prestashop-infor sandbox`,
`make demo`), and how the benchmarks get real HTTP servers. Nothing here is a test double: the
emulators speak the real wire protocols (see the contracts), so the same client code runs against
a real shop and ERP by changing URLs and keys. The M3 items are derived from the shop's product and
combination references, so both halves agree from the start. With ``history_days`` the sandbox
starts with a long history already in both systems (``history.py``), and known discrepancies can be
planted between them for the reconciliation to find (``discrepancies.py``: ``POST
/_sandbox/discrepancies`` on the shop emulator, or ``Sandbox.plant_discrepancies``).
"""

from __future__ import annotations

import gc
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from prestashop_infor.sandbox.after_sales import act_after_sales
from prestashop_infor.sandbox.discrepancies import Discrepancies, discrepancies_route, plant_discrepancies
from prestashop_infor.sandbox.history import seed_history
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

    def order_days(self) -> tuple[date, date]:
        """The day of the shop's first order and today, in the shop's time zone (where the demo's
        reconciliation partitions begin, and the day they end before)."""
        today = self.shop.clock.now().date()
        date_add = self.shop.definitions["orders"].by_name["date_add"].pos
        with self.shop.lock:
            first = min(
                (row[date_add][:10] for row in self.shop.tables["orders"].rows.values()), default=None
            )
        return (date.fromisoformat(first) if first else today), today

    def plant_discrepancies(self, **counts: Any) -> dict[str, list[Any]]:
        """Plant known discrepancies between the shop and M3 (``discrepancies.py``): counts of
        ``dropped``, ``orphaned``, ``status_drift``, ``amount``, ``line``, ``stock``, a ``seed`` and
        optional ``days`` (dates); returns what was planted, as ``POST /_sandbox/discrepancies``."""
        days = tuple(date.fromisoformat(d) if isinstance(d, str) else d for d in counts.pop("days", ()))
        return plant_discrepancies(self.shop, self.infor.tenant, Discrepancies(**counts, days=days))

    def act_after_sales(self, seed: int) -> dict[str, Any]:
        """Cancel an order in the shop, return one in M3, refund one in the shop (``after_sales.py``);
        what was done, by story."""
        return act_after_sales(self.shop, self.infor.tenant, seed=seed)

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


def start_sandbox(
    settings: SandboxSettings,
    *,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Sandbox:
    """Seed the shop and the M3 tenant and serve both; returns once both accept connections.

    With ``settings.history_days`` both systems start with that history (``history.py``) instead of
    the shop's ``orders``, whose orders M3 would not know. ``settings.shops`` above 1 seeds a
    multistore: further shops with their own stock and customers, whose orders, seeded, of the
    history or of the traffic, are placed there."""
    history = settings.history_days * settings.orders_per_day
    shop = seed_shop(
        seed=settings.seed,
        orders=0 if history else settings.orders,
        api_key=settings.api_key,
        version=settings.version,
        time_zone=settings.time_zone,
        now=now,
        customers=max(40, min(history // 6, 20000)) if history else None,
        shops=settings.shops,
    )
    settings.ionapi_out.parent.mkdir(parents=True, exist_ok=True)
    infor = start_infor_sandbox(
        settings.host,
        settings.infor_port,
        settings.tenant,
        settings.ionapi_out,
        shop,
        seed=settings.seed,
        advertised_host=settings.advertised_host,
        # Customers pay their invoices three minutes after invoicing, so the demo reaches "paid"; a share
        # of the orders leaves M3 in two deliveries (--split-deliveries).
        lifecycle=LifecycleSettings(pay_after=timedelta(minutes=3), split_share=settings.split_deliveries),
    )
    webhooks: WebhookSender | None = None
    try:
        if history:
            seed_history(
                shop,
                infor.tenant,
                days=settings.history_days,
                orders_per_day=settings.orders_per_day,
                seed=settings.seed,
                progress=progress,
            )
            gc.freeze()  # the history lives as long as the sandbox: out of every full collection
        app = create_app(shop, extra_routes=[discrepancies_route(shop, infor.tenant)])
        prestashop_server = BackgroundServer(
            app, settings.host, settings.prestashop_port, advertised_host=settings.advertised_host
        )
        # The webhook sender is subscribed to the shop's events before the shop answers anyone: an
        # event recorded by the first request it serves (an order placed at once) is sent, and
        # ``/_sandbox/webhooks`` answers from the start. Attached after the shop served, the events of
        # the requests in between were recorded by the shop and never sent (issue 22).
        webhooks = WebhookSender(prestashop_server.url, ps_version=settings.version)
        for url in settings.webhook_urls:
            webhooks.subscribe(url, [settings.webhook_secret])
        shop.webhook_sender = webhooks
        shop.subscribe(webhooks)
        prestashop_server.start()
    except BaseException:
        if webhooks is not None:
            webhooks.stop()
        infor.stop()
        raise
    sandbox = Sandbox(settings=settings, shop=shop, prestashop_server=prestashop_server, infor=infor,
                      webhooks=webhooks)  # fmt: skip
    if settings.traffic_interval > 0:
        sandbox.traffic = Traffic(shop, settings.traffic_interval, settings.seed).start()
    return sandbox
