"""The store's schema, versioned with Alembic; the revisions ship inside the package.

``versions/`` holds the revisions (``0001`` the tables as they were when migrations began, then one
file per change); Alembic is configured here in code, with no ``alembic.ini``, so an installed
wheel can upgrade its store. The version table is ``prestashop_infor_alembic_version`` (not
``alembic_version``: Dagster's own PostgreSQL storage keeps that one, possibly in the same
database), in the store's PostgreSQL schema when one is configured.

What opening a store does (``Store.from_url``):

- an empty database (none of the store's tables, no version table) is created at the newest
  revision, by running the revisions;
- a store at the newest revision opens as it is (one query, no lock);
- a store behind it (at an older revision, or made before migrations existed) is not changed
  behind the operator's back: opening it fails with ``StoreSchemaError`` naming
  ``prestashop-infor db upgrade``, which upgrades it (``upgrade_store``); so does a store at a revision
  this release does not know (a newer release upgraded it).

Concurrent openers of a fresh store (the daemon starts runs in parallel) are serialized: a
PostgreSQL advisory lock, or SQLite's write lock (``BEGIN IMMEDIATE``), is held while the schema is
read again and migrated, in one transaction.

Writing a revision: copy the newest file in ``versions/``, give it the next number as ``revision``
and the previous one as ``down_revision``, change ``HEAD`` below and ``store/tables.py`` to match
(a test compares the migrated schema with ``tables.metadata``). Use ``op.batch_alter_table`` for
ALTERs (SQLite) and pass ``schema=store_schema()`` to every operation. Never edit a shipped revision.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

VERSION_TABLE = "prestashop_infor_alembic_version"
INITIAL = "0001"
HEAD = "0013"  # the newest revision in versions/ (a test checks it)
SCHEMA_LOCK_KEY = 7_431_209_651  # PostgreSQL advisory lock held while the schema is created or changed
UPGRADE_COMMAND = "prestashop-infor db upgrade"

EMPTY = "empty"  # none of the store's tables, no version table
UNVERSIONED = "unversioned"  # the store's tables without a version table: made before migrations
CURRENT = "current"  # at HEAD
BEHIND = "behind"  # at an older revision
UNKNOWN = "unknown"  # at a revision this release does not have (a newer release upgraded it)


class StoreSchemaError(sa.exc.SQLAlchemyError):
    """The store's schema is not the one this code needs, and opening it does not change it.

    A ``SQLAlchemyError``: to callers the database is not usable as it is, as when it is unreachable.
    """


@dataclass(frozen=True)
class StoreRevision:
    """Where a store's schema stands."""

    revision: str | None  # None: no version table
    state: str  # EMPTY, UNVERSIONED, CURRENT, BEHIND or UNKNOWN

    def describe(self) -> str:
        """E.g. ``0002 (the newest)``, ``none (an empty database: no store yet)``."""
        if self.state == EMPTY:
            return "none (an empty database: no store yet)"
        if self.state == UNVERSIONED:
            return f"none (a store made before migrations: run `{UPGRADE_COMMAND}`)"
        if self.state == CURRENT:
            return f"{self.revision} (the newest)"
        if self.state == BEHIND:
            return f"{self.revision} (behind the newest, {HEAD}: run `{UPGRADE_COMMAND}`)"
        return (
            f"{self.revision} (unknown to this release, whose newest is {HEAD}: a newer release upgraded it)"
        )


@dataclass
class UpgradeReport:
    """What ``upgrade`` did."""

    before: StoreRevision
    after: str
    adopted: bool = False  # a store made before migrations, recognised and stamped at INITIAL
    created_tables: list[str] = field(default_factory=list)  # by revision INITIAL (none when adopted whole)
    applied: list[tuple[str, str]] = field(default_factory=list)  # (revision, what it does)

    def lines(self) -> list[str]:
        """The report in words, one line per thing done."""
        if not self.applied:
            return [f"already at revision {self.after}: nothing to do"]
        if self.before.state == EMPTY:
            lines = [f"an empty database: created the store's tables at revision {INITIAL}"]
        elif self.adopted:
            lines = [f"recognised a store made before migrations: stamped at revision {INITIAL}"]
            if self.created_tables:
                lines.append(f"created the tables it did not have yet: {', '.join(self.created_tables)}")
        else:
            lines = [f"the store was at revision {self.before.revision}"]
        for revision, what in self.applied:
            if revision != INITIAL or self.before.state not in (EMPTY, UNVERSIONED):
                lines.append(f"applied {revision}: {what}")
        lines.append(f"now at revision {self.after}")
        return lines


def store_schema() -> str | None:
    """For a revision: the PostgreSQL schema the store lives in (None: the default schema)."""
    from alembic import op

    return op.get_context().version_table_schema


def revision_of(connection: sa.Connection, schema: str | None) -> StoreRevision:
    """Where the store on ``connection`` stands; reads only.

    The table names come from one query: outside a transaction each statement sees the database as
    it is then, and a store being created by another opener commits its tables and its version
    together, so asking "is there a version table?" and "which tables are there?" apart could see
    the tables without the version (and call a store being created one made before migrations)."""
    names = set(sa.inspect(connection).get_table_names(schema=schema))
    if VERSION_TABLE in names:
        version = sa.table(VERSION_TABLE, sa.column("version_num"), schema=schema)
        revisions = connection.execute(sa.select(version.c.version_num)).scalars().all()
        if len(revisions) == 1:
            (revision,) = revisions
            if revision == HEAD:
                return StoreRevision(revision, CURRENT)
            return StoreRevision(revision, BEHIND if revision in _known_revisions() else UNKNOWN)
        if revisions:
            return StoreRevision(",".join(sorted(revisions)), UNKNOWN)
        # An empty version table: Alembic's state after a downgrade to base.
    from prestashop_infor.store.migrations.initial_schema import INITIAL_TABLES

    present = names & set(INITIAL_TABLES)
    return StoreRevision(None, UNVERSIONED if present else EMPTY)


def prepare(engine: sa.Engine, schema: str | None) -> UpgradeReport | None:
    """Make the store on ``engine`` ready for this code, as ``Store.from_url`` promises: an empty
    database is created at the newest revision; a store at the newest revision is left alone
    (returns None, after one query and no lock); any other raises ``StoreSchemaError``."""
    with engine.connect() as connection:
        found = revision_of(connection, schema)
    if found.state == CURRENT:
        return None
    if found.state != EMPTY:
        raise StoreSchemaError(_refusal(engine, schema, found))
    return migrate(engine, schema, only_if_empty=True)


def migrate(
    engine: sa.Engine, schema: str | None, *, target: str = "head", only_if_empty: bool = False
) -> UpgradeReport:
    """Bring the store on ``engine`` to ``target`` under the schema lock: a store made before
    migrations is recognised (its tables' columns checked) and stamped at ``INITIAL`` first.
    ``only_if_empty``: change nothing unless the database is still empty once the lock is held
    (another opener may have created the store meanwhile)."""
    with _locked(engine) as connection:
        before = revision_of(connection, schema)
        if only_if_empty and before.state != EMPTY:
            if before.state == CURRENT:
                return UpgradeReport(before=before, after=HEAD)
            raise StoreSchemaError(_refusal(engine, schema, before))
        if before.state == UNKNOWN:
            raise StoreSchemaError(_refusal(engine, schema, before))
        tables_before = set(sa.inspect(connection).get_table_names(schema=schema))
        if before.state == UNVERSIONED:
            _check_adoptable(connection, schema, engine)
        report = UpgradeReport(
            before=before, after=before.revision or "", adopted=before.state == UNVERSIONED
        )

        def record(*, step: Any, **_: Any) -> None:
            if step.is_upgrade and not step.is_stamp:
                report.applied.append((step.up_revision_id, step.up_revision.doc.strip().splitlines()[0]))

        from alembic import command

        config = alembic_config(connection, schema, on_version_apply=[record])
        command.upgrade(config, target)
        report.after = revision_of(connection, schema).revision or ""
        if before.state in (EMPTY, UNVERSIONED) and report.applied:
            from prestashop_infor.store.migrations.initial_schema import INITIAL_TABLES

            report.created_tables = sorted(set(INITIAL_TABLES) - tables_before)
        return report


def alembic_config(
    connection: sa.Connection, schema: str | None, *, on_version_apply: list[Any] | None = None
) -> Any:
    """An Alembic ``Config`` for the store on ``connection`` (no ``alembic.ini``): for
    ``alembic.command`` calls such as ``upgrade``, ``downgrade`` or ``current``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    config.attributes["on_version_apply"] = on_version_apply or []
    return config


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


@contextlib.contextmanager
def _locked(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in a transaction that holds the store's schema lock until it commits."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection, connection.begin():
            connection.execute(sa.text("select pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            yield connection
        return
    # SQLite: the driver must not manage transactions, so that BEGIN IMMEDIATE (the database's write
    # lock, waited for up to the busy timeout) opens the one transaction the migration runs in.
    with engine.connect() as base:
        connection = base.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            with contextlib.suppress(sa.exc.DBAPIError):  # SQLite may have rolled back already
                connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT")


def _check_adoptable(connection: sa.Connection, schema: str | None, engine: sa.Engine) -> None:
    """A store made before migrations is adopted at ``INITIAL`` only if the tables it has hold
    every column of that revision (tables it lacks are created: older releases had fewer)."""
    from prestashop_infor.store.migrations.initial_schema import initial_metadata

    inspector = sa.inspect(connection)
    present = set(inspector.get_table_names(schema=schema))
    problems = []
    for table in initial_metadata().sorted_tables:
        if table.name not in present:
            continue
        have = {column["name"] for column in inspector.get_columns(table.name, schema=schema)}
        missing = [column.name for column in table.columns if column.name not in have]
        if missing:
            problems.append(f"{table.name} lacks {', '.join(missing)}")
    if problems:
        raise StoreSchemaError(
            f"the store at {_where(engine, schema)} has no revision and its tables are not those of "
            f"revision {INITIAL}: {'; '.join(problems)}. It cannot be upgraded automatically."
        )


def _where(engine: sa.Engine, schema: str | None) -> str:
    shown = engine.url.render_as_string(hide_password=True)
    return f"{shown} (schema {schema})" if schema else shown


def _refusal(engine: sa.Engine, schema: str | None, found: StoreRevision) -> str:
    where = _where(engine, schema)
    if found.state == UNKNOWN:
        return (
            f"the store at {where} is at revision {found.revision}, which this release of prestashop-infor "
            f"does not know (its newest is {HEAD}): a newer release upgraded it; run that release"
        )
    if found.state == UNVERSIONED:
        return (
            f"the store at {where} was made before its schema was versioned; this release needs revision "
            f"{HEAD}: run `{UPGRADE_COMMAND}` (with the same PRESTASHOP_INFOR_DATABASE_URL"
            f"{' and PRESTASHOP_INFOR_DATABASE_SCHEMA' if schema else ''})"
        )
    return (
        f"the store at {where} is at revision {found.revision}; this release needs {HEAD}: run "
        f"`{UPGRADE_COMMAND}` (with the same PRESTASHOP_INFOR_DATABASE_URL"
        f"{' and PRESTASHOP_INFOR_DATABASE_SCHEMA' if schema else ''})"
    )
