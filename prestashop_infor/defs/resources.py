"""Resources shared by every integration: the durable store and the validation gate's threshold."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import Field

from prestashop_infor.store import Store


class StoreResource(dg.ConfigurableResource):
    """The durable store (cursors, dead letters, entity snapshots) at ``database_url``."""

    database_url: str = Field(
        description="SQLAlchemy URL: sqlite:///path/store.db (WAL) or postgresql+psycopg2://user@host/db."
    )
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema to keep the tables in (created if missing)."
    )

    @contextmanager
    def open(self) -> Iterator[Store]:
        """The store for the duration of a step, disposed of afterwards."""
        store = Store.from_url(self.database_url, schema=self.database_schema)
        try:
            yield store
        finally:
            store.dispose()


class ValidationGateResource(dg.ConfigurableResource):
    """How much of a batch may fail validation before the blocking checks stop downstream work."""

    max_failure_share: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description="Largest share (0–1) of extracted records that may be quarantined in one materialization.",
    )
    min_quarantined: int = Field(
        default=3,
        ge=1,
        description="The check fails only from this many quarantined records on, so one bad record in a "
        "small incremental batch (1 of 1 is 100 %) does not stop the line; it waits in the dead-letter table.",
    )
