"""Settings: what a command or a run needs to know, read when it starts and nowhere deeper."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SANDBOX_API_KEY = "ZQ5N8R2KX7WJ4M1TB6VY3HC9PLDF0GSE"  # the sandbox shop's Webservice key


@dataclass(frozen=True)
class SandboxSettings:
    host: str = "127.0.0.1"
    prestashop_port: int = 8081
    api_key: str = SANDBOX_API_KEY
    seed: int = 42
    orders: int = 2000
    version: str = "1.7.8.0"
    time_zone: str = "Europe/Paris"
    infor_port: int = 8082
    tenant: str = "SANDBOX_TST"
    ionapi_out: Path = Path(".prestashop_infor/sandbox.ionapi")
    traffic_interval: float = 0.0  # seconds between orders placed by simulated customers; 0 = none
