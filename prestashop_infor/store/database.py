"""The store's database: engines on SQLite (WAL, its folder made) or PostgreSQL (a schema per store),
the schema's revision and its upgrade (``prestashop-infor db``), and the store URL as the command
line shows it. ``Store.from_url`` opens its engine here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
import tenacity
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from prestashop_infor.store import migrations
from prestashop_infor.store.migrations import EMPTY, SCHEMA_LOCK_KEY, StoreRevision, UpgradeReport


def upgrade_store(url: str, *, schema: str | None = None, target: str = "head") -> UpgradeReport:
    """Bring the store at ``url`` (and ``schema``) to revision ``target`` (the newest by default),
    creating it in an empty database; a store made before migrations is recognised and stamped at
    the initial revision first. Returns what was done. ``prestashop-infor db upgrade`` runs this."""
    engine = open_engine(url, schema)
    try:
        return migrations.migrate(engine, schema, target=target)
    finally:
        engine.dispose()


def store_revision(url: str, *, schema: str | None = None) -> StoreRevision:
    """Where the store at ``url`` stands (``prestashop-infor db current``); changes nothing."""
    parsed = make_url(url)
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if database not in (None, "", ":memory:") and not Path(database).expanduser().exists():
        return StoreRevision(None, EMPTY)  # connecting would create the file
    engine = open_engine(url, schema, create=False)
    try:
        with engine.connect() as connection:
            return migrations.revision_of(connection, schema)
    finally:
        engine.dispose()


def open_engine(url: str, schema: str | None, *, create: bool = True) -> sa.Engine:
    """The engine for ``url``; with ``create``, the SQLite folder or the PostgreSQL schema is made
    when missing."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if schema is not None:
            raise ValueError("a schema can only be chosen on PostgreSQL, not on SQLite")
        return _sqlite_engine(url, create=create)
    if backend != "postgresql":
        raise ValueError(f"the store runs on SQLite or PostgreSQL, not {backend}")
    connect_args = {}
    if parsed.get_driver_name() in ("psycopg2", "psycopg") and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = 10  # an unreachable server is an error, not a hang
    engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if schema is None:
        return engine
    if create:
        try:
            with engine.begin() as connection:
                # CREATE SCHEMA IF NOT EXISTS still races with itself: serialize it.
                connection.execute(sa.text("select pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
                connection.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
        except BaseException:
            engine.dispose()
            raise
    return engine.execution_options(schema_translate_map={None: schema})


def _sqlite_engine(url: str, *, create: bool = True) -> sa.Engine:
    parsed = make_url(url)
    database = parsed.database
    in_memory = database in (None, "", ":memory:")
    if in_memory:
        # One shared connection, or every new connection would see an empty database.
        engine = sa.create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        if create:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # The busy timeout first: switching to WAL needs a lock another connection may hold.
        cursor.execute("PRAGMA busy_timeout=30000")
        if not in_memory and cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


@tenacity.retry(
    retry=tenacity.retry_if_exception_message(match=".*database is locked.*"),
    wait=tenacity.wait_random(0.01, 0.1),
    stop=tenacity.stop_after_delay(30),
    reraise=True,
)
def _switch_to_wal(cursor: Any) -> None:
    """WAL is a property of the file, set by the first connection. SQLite answers "database is
    locked" at once, without its busy timeout, when several connections to a new file switch it at
    the same moment (the daemon starting runs in parallel): try again for up to 30 s."""
    cursor.execute("PRAGMA journal_mode=WAL")


# -- the store's URL, for the command line -----------------------------------------------------------

StoreError = sa.exc.SQLAlchemyError
"""What opening or reading the store raises when its database cannot be used as it is (unreachable,
refused, a schema this code does not run on: ``StoreSchemaError``); callers outside the store catch
this name."""


def shown_url(url: str) -> str | None:
    """``url`` as it may be shown, its password hidden; None when it is not a database URL."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return None


def sqlite_file(url: str) -> str | None:
    """The database a SQLite ``url`` names (a path, or "" or ":memory:" in memory); None for
    another database."""
    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" else None
