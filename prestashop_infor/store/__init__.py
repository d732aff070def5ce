"""The durable store: extraction cursors, dead letters and entity snapshots (SQLite or PostgreSQL)."""

from prestashop_infor.store.store import DeadLetter, Store, default_database_url
from prestashop_infor.store.tables import metadata

__all__ = ["DeadLetter", "Store", "default_database_url", "metadata"]
