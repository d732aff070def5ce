"""The sandbox: the emulators of both systems, seeded to agree, served on loopback.

It is how a user tries the integration before touching production (`prestashop-infor sandbox`,
`make demo`), and how the benchmarks get real HTTP servers. Nothing here is a test double: the
emulators speak the real wire protocols (see the contracts), so the same client code runs against
a real shop and ERP by changing URLs and keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from prestashop_infor.prestashop.emulator import DEFAULT_API_KEY, Shop, create_app, seed_shop
from prestashop_infor.serving import BackgroundServer


@dataclass(frozen=True)
class SandboxSettings:
    host: str = "127.0.0.1"
    prestashop_port: int = 8081
    api_key: str = DEFAULT_API_KEY
    seed: int = 42
    orders: int = 2000
    version: str = "1.7.8.0"
    time_zone: str = "Europe/Paris"


@dataclass
class Sandbox:
    """Running emulators. ``stop()`` shuts every server it started."""

    settings: SandboxSettings
    shop: Shop
    servers: list[BackgroundServer] = field(default_factory=list)

    @property
    def prestashop_url(self) -> str:
        return self.servers[0].url

    def environment(self) -> dict[str, str]:
        """The environment variables that point the integration at this sandbox."""
        return {
            "PRESTASHOP_URL": self.prestashop_url,
            "PRESTASHOP_API_KEY": self.settings.api_key,
            "PRESTASHOP_TIME_ZONE": self.settings.time_zone,
        }

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()


def start_sandbox(settings: SandboxSettings, *, now: datetime | None = None) -> Sandbox:
    """Seed the shop and serve it; returns once every server accepts connections."""
    shop = seed_shop(
        seed=settings.seed,
        orders=settings.orders,
        api_key=settings.api_key,
        version=settings.version,
        time_zone=settings.time_zone,
        now=now,
    )
    sandbox = Sandbox(settings=settings, shop=shop)
    try:
        sandbox.servers.append(
            BackgroundServer(create_app(shop), settings.host, settings.prestashop_port).start()
        )
    except BaseException:
        sandbox.stop()
        raise
    return sandbox
