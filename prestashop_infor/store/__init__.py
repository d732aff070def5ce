"""The durable store: extraction cursors, dead letters and entity snapshots (SQLite or PostgreSQL)."""

from prestashop_infor.store.store import DeadLetter, Store
from prestashop_infor.store.tables import metadata

__all__ = ["DeadLetter", "Store", "metadata"]
