"""The sandbox: the emulators of both systems, seeded to agree, served on loopback.

It is how a user tries the integration before touching production (`prestashop-infor sandbox`,
`make demo`), and how the benchmarks get real HTTP servers. Nothing here is a test double: the
emulators speak the real wire protocols (see the contracts), so the same client code runs against
a real shop and ERP by changing URLs and keys. The M3 items are derived from the shop's product and
combination references, so both halves agree from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from prestashop_infor.infor.emulator import InforSandbox, start_infor_sandbox
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
    infor_port: int = 8082
    tenant: str = "SANDBOX_TST"
    ionapi_out: Path = Path(".prestashop_infor/sandbox.ionapi")


@dataclass
class Sandbox:
    """Both emulators, running. ``stop()`` shuts every server it started."""

    settings: SandboxSettings
    shop: Shop
    prestashop_server: BackgroundServer
    infor: InforSandbox

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
        self.infor.stop()
        self.prestashop_server.stop()


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
        )
    except BaseException:
        prestashop_server.stop()
        raise
    return Sandbox(settings=settings, shop=shop, prestashop_server=prestashop_server, infor=infor)
