"""The PrestaShop Webservice as a Dagster resource: connection settings in, a ``PrestashopClient`` out.

Unset fields come from :class:`prestashop_infor.settings.Settings` (``PRESTASHOP_URL``,
``PRESTASHOP_API_KEY``, ``PRESTASHOP_TIME_ZONE``), read when the run starts."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from prestashop_infor.defs.sources import Source, SourceResource
from prestashop_infor.installations import check_shops_apart
from prestashop_infor.prestashop import PrestashopClient


class PrestashopResource(SourceResource):
    """Where the shop is and how to talk to it; what is left unset comes from the settings. A
    further installation's runs talk to its own shop (``<NAME>_PRESTASHOP_URL``...); ``url``,
    ``api_key`` and ``time_zone`` here are the main installation's."""

    url: str | None = Field(
        default=None, description="Shop base URL, e.g. https://shop.example (with or without /api/)."
    )
    api_key: str | None = Field(
        default=None,
        description="Webservice key (32 characters), sent as the HTTP Basic user name. Use dg.EnvVar: a "
        "literal value shows in the UI's resource configuration; unset, PRESTASHOP_API_KEY is read at run time.",
    )
    time_zone: str | None = Field(
        default=None, description="The shop's IANA time zone; its dates are local wall-clock (default UTC)."
    )
    page_size: int = Field(default=100, gt=0, description="Records per list request.")
    timeout: float = Field(default=30.0, gt=0, description="Seconds per write request (POST, PUT).")
    read_timeout: float = Field(
        default=15.0,
        gt=0,
        description="Seconds a read may take before it is asked again (at most `timeout`).",
    )
    max_attempts: int = Field(default=5, ge=1, description="Tries per request on 5xx, 429 and timeouts.")
    overlap_minutes: float = Field(
        default=10.0,
        ge=0,
        description="Incremental reads start this long before the cursor, for clock skew and late commits.",
    )

    @property
    def overlap(self) -> timedelta:
        return timedelta(minutes=self.overlap_minutes)

    def shop_time_zone(self, source: Source | None = None) -> str:
        return self._time_zone(source) or self.settings(source).prestashop_time_zone

    def _time_zone(self, source: Source | None) -> str | None:
        """``time_zone`` when it is the installation's (the main one's), else None."""
        return self.time_zone if self.installation(source) is None else None

    def get_client(self, source: Source | None = None) -> PrestashopClient:
        """The client of ``source``'s shop (else of the run's installation), restricted to its
        ``PRESTASHOP_SHOPS``; with further installations, once they are checked apart
        (:func:`prestashop_infor.installations.check_shops_apart`)."""
        settings = self.settings(source)
        if settings.sources:
            check_shops_apart(settings)
        if self.url and self.api_key and self.installation(source) is None:
            url, api_key = self.url, self.api_key
        else:
            url, api_key = settings.require_prestashop()
        return PrestashopClient(
            url,
            api_key,
            shops=settings.prestashop_shops,
            time_zone=self._time_zone(source) or settings.prestashop_time_zone,
            page_size=self.page_size,
            timeout=self.timeout,
            read_timeout=self.read_timeout,
            max_attempts=self.max_attempts,
        )
