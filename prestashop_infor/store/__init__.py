"""The durable store: extraction cursors, dead letters and entity snapshots (SQLite or PostgreSQL),
its schema versioned with Alembic (``store/migrations``)."""

from prestashop_infor.store.migrations import StoreRevision, StoreSchemaError, UpgradeReport
from prestashop_infor.store.store import (
    DeadLetter,
    Store,
    store_revision,
    upgrade_store,
)
from prestashop_infor.store.tables import metadata

__all__ = [
    "DeadLetter",
    "Store",
    "StoreRevision",
    "StoreSchemaError",
    "UpgradeReport",
    "metadata",
    "store_revision",
    "upgrade_store",
]
