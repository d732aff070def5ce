"""The PrestaShop Webservice as a Dagster resource: connection settings in, a ``PrestashopClient`` out."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
from pydantic import Field

from prestashop_infor.prestashop import PrestashopClient


class PrestashopResource(dg.ConfigurableResource):
    """Where the shop is and how to talk to it. The key comes from ``dg.EnvVar`` in the definitions."""

    url: str = Field(description="Shop base URL, e.g. https://shop.example (the client adds /api).")
    api_key: str = Field(description="Webservice key (32 characters), sent as the HTTP Basic user name.")
    time_zone: str = Field(
        default="UTC", description="The shop's IANA time zone; its dates are local wall-clock."
    )
    page_size: int = Field(default=100, gt=0, description="Records per list request.")
    timeout: float = Field(default=30.0, gt=0, description="Seconds per HTTP request.")
    max_attempts: int = Field(default=5, ge=1, description="Tries per request on 5xx, 429 and timeouts.")
    overlap_minutes: float = Field(
        default=10.0,
        ge=0,
        description="Incremental reads start this long before the cursor, for clock skew and late commits.",
    )

    @property
    def overlap(self) -> timedelta:
        return timedelta(minutes=self.overlap_minutes)

    def get_client(self) -> PrestashopClient:
        return PrestashopClient(
            self.url,
            self.api_key,
            time_zone=self.time_zone,
            page_size=self.page_size,
            timeout=self.timeout,
            max_attempts=self.max_attempts,
        )
