"""Resources shared by every integration: the durable store and the validation gate's threshold."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import Field

from prestashop_infor.defs.sources import Source, SourceResource
from prestashop_infor.settings import Settings
from prestashop_infor.store import Store


class StoreResource(SourceResource):
    """The durable store (cursors, dead letters, entity snapshots) at ``database_url``; unset, the
    settings' store (``PRESTASHOP_INFOR_DATABASE_URL``, default SQLite next to the instance). A
    further installation's runs open its own store (``<NAME>_PRESTASHOP_INFOR_DATABASE_URL``...)."""

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL: sqlite:///path/store.db (WAL) or postgresql+psycopg2://user@host/db.",
    )
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema to keep the tables in (created if missing)."
    )

    @contextmanager
    def open(self, source: Source | None = None) -> Iterator[Store]:
        """The store of ``source`` (else of the run's installation) for the duration of a step,
        disposed of afterwards."""
        name = self.installation(source)
        if self.database_url and name is None:
            url, schema = self.database_url, self.database_schema
        else:
            settings = Settings.read(name)
            own = self.database_schema if name is None else None
            url, schema = settings.store_url(), own or settings.database_schema
        store = Store.from_url(url, schema=schema)
        try:
            yield store
        finally:
            store.dispose()


class ValidationGateResource(dg.ConfigurableResource):
    """How much of a batch may fail validation before the blocking checks stop downstream work."""

    max_failure_share: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Largest share (0–1) of extracted records that may be quarantined in one materialization "
        "(default PRESTASHOP_INFOR_MAX_FAILURE_SHARE, else 0.05).",
    )
    min_quarantined: int = Field(
        default=3,
        ge=1,
        description="The check fails only from this many quarantined records on, so one bad record in a "
        "small incremental batch (1 of 1 is 100 %) does not stop the line; it waits in the dead-letter table.",
    )

    def threshold(self) -> float:
        return (
            self.max_failure_share
            if self.max_failure_share is not None
            else Settings.read().max_failure_share
        )
