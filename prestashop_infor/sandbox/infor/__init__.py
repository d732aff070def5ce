"""An emulator of the Infor ION API gateway in front of an M3 tenant, with a living order lifecycle.

It is product, not a test double: the sandbox serves it next to the PrestaShop emulator, tests and
benchmarks talk real HTTP to it. Typical use::

    tenant = seed_tenant(items=[("SKU-1", "Mug", "9.90")], seed=42, tenant="SANDBOX_TST")
    with BackgroundServer(create_app(tenant)) as server:
        tenant.write_ionapi("sandbox.ionapi", server.url)
        ...
        tenant.clock.advance(timedelta(minutes=5))  # the lifecycle moves on
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from prestashop_infor.sandbox.infor.models import (
    Fault,
    LifecycleSettings,
    M3Failure,
    M3Tenant,
    SimClock,
    load_specs,
)
from prestashop_infor.sandbox.infor.responses import create_app
from prestashop_infor.sandbox.infor.seed import items_from_shop, seed_tenant, seed_tenant_from_shop
from prestashop_infor.serving import BackgroundServer


@dataclass
class InforSandbox:
    """A running M3 emulator: its server, its tenant and the `.ionapi` file pointing at it."""

    server: BackgroundServer
    tenant: M3Tenant
    ionapi_path: Path | None

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> InforSandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_infor_sandbox(
    host: str = "127.0.0.1",
    port: int = 8082,
    tenant: str = "SANDBOX_TST",
    ionapi_out: str | Path | None = None,
    shop: Any = None,
    *,
    items: list[tuple[str, str, Any]] | None = None,
    seed: int = 42,
    lifecycle: LifecycleSettings | None = None,
    advertised_host: str | None = None,
) -> InforSandbox:
    """Seed a tenant (items from ``shop``'s product/combination references, else ``items``), serve it
    on ``host:port`` with a real-time clock so orders move by themselves, and write ``ionapi_out``."""
    seeded = items_from_shop(shop) if shop is not None else list(items or [])
    m3 = seed_tenant(
        seeded,
        seed=seed,
        tenant=tenant,
        clock=SimClock(datetime.now(UTC), realtime=True),
        lifecycle=lifecycle,
    )
    server = BackgroundServer(create_app(m3), host=host, port=port, advertised_host=advertised_host).start()
    path = m3.write_ionapi(ionapi_out, server.url) if ionapi_out else None
    return InforSandbox(server, m3, path)


__all__ = [
    "Fault",
    "InforSandbox",
    "LifecycleSettings",
    "M3Failure",
    "M3Tenant",
    "SimClock",
    "create_app",
    "items_from_shop",
    "load_specs",
    "seed_tenant",
    "seed_tenant_from_shop",
    "start_infor_sandbox",
]
