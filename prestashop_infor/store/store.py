"""The durable store: one database (SQLite in WAL mode by default, PostgreSQL by URL).

``Store`` is the only code that talks SQL. It keeps extraction cursors, the dead-letter queue and
the snapshot tables the PrestaShop assets write. Open one with ``Store.from_url(url)`` (the default
URL is ``prestashop_infor.settings.Settings.store_url()``) and close it with ``dispose()`` (or use it as a context manager).

The schema is versioned (``store/migrations``): opening an empty database creates the store at the
newest revision; a store behind it is not changed behind the operator's back, opening it fails with
``StoreSchemaError`` naming ``prestashop-infor db upgrade`` (``upgrade_store``).

Opening the database (engines, URLs, revisions and upgrades) lives in ``store/database.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from prestashop_infor.store import migrations, tables
from prestashop_infor.store.database import (
    StoreError,
    open_engine,
    shown_url,
    sqlite_file,
    store_revision,
    upgrade_store,
)
from prestashop_infor.store.tables import DEAD_LETTER_STAGES, DEAD_LETTER_STATES, metadata

UPSERT_CHUNK = 500  # rows per multi-row INSERT; 500 x ~25 columns stays under the parameter caps


@dataclass(frozen=True)
class DeadLetter:
    """One quarantined record: what failed, where, how often, and the record itself."""

    id: int
    entity: str
    key: str
    stage: str
    error_code: str
    field: str | None
    message: str
    payload: Any
    failures: list[dict[str, Any]]
    attempts: int
    first_seen: datetime
    last_seen: datetime
    state: str
    last_replayed_at: datetime | None = None  # when a replay last sent it through (revision 0002)


class Store:
    """Cursors, dead letters and entity snapshots in one SQL database."""

    def __init__(self, engine: sa.Engine):
        """A store on ``engine``, whose schema is at the newest revision (``from_url`` sees to it)."""
        self.engine = engine

    @classmethod
    def from_url(cls, url: str, *, schema: str | None = None) -> Store:
        """Open the store at ``url``, creating it when the database is empty.

        ``sqlite:///path/store.db`` creates the folder and turns on WAL so readers never block the
        writer; ``postgresql+psycopg2://…`` uses PostgreSQL. ``schema`` (PostgreSQL only) puts every
        table in that schema, creating it if missing — tests use it to stay apart.

        An empty database gets the store's tables at the newest revision; a store behind the newest
        revision (or made before migrations) raises ``StoreSchemaError`` naming
        ``prestashop-infor db upgrade`` and is left as it is.
        """
        engine = open_engine(url, schema)
        try:
            migrations.prepare(engine, schema)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.dispose()

    # -- cursors ---------------------------------------------------------------------------------

    def get_cursor(self, name: str) -> str | None:
        """The stored value of cursor ``name``, or None when it was never set."""
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(tables.cursors.c.value).where(tables.cursors.c.name == name)
            ).scalar_one_or_none()

    def set_cursor(self, name: str, value: str) -> None:
        """Store ``value`` as cursor ``name`` (insert or overwrite), durably on return."""
        row = {"name": name, "value": value, "updated_at": _now()}
        with self.engine.begin() as connection:
            statement = self._upsert_statement(
                tables.cursors, key_columns=["name"], update=["value", "updated_at"]
            )
            connection.execute(statement, [row])

    # -- dead letters ----------------------------------------------------------------------------

    def quarantine(
        self,
        entity: str,
        key: str | int,
        stage: str,
        error_code: str,
        field: str | None,
        message: str,
        payload: Any,
        *,
        failures: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Put one record in the dead-letter queue.

        Quarantining the same (entity, key, stage) again updates the error and payload, counts one
        more attempt and reopens it, instead of adding a second dead letter.
        """
        self.quarantine_many(
            [
                {
                    "entity": entity,
                    "key": key,
                    "stage": stage,
                    "error_code": error_code,
                    "field": field,
                    "message": message,
                    "payload": payload,
                    "failures": failures,
                }
            ]
        )

    def quarantine_many(self, letters: Iterable[Mapping[str, Any]]) -> int:
        """``quarantine`` for several records in one transaction; returns how many."""
        now = _now()
        rows = []
        for letter in letters:
            if letter["stage"] not in DEAD_LETTER_STAGES:
                raise ValueError(
                    f"unknown dead-letter stage {letter['stage']!r}; use one of {DEAD_LETTER_STAGES}"
                )
            rows.append(
                {
                    "entity": letter["entity"],
                    "key": str(letter["key"]),
                    "stage": letter["stage"],
                    "error_code": letter["error_code"],
                    "field": letter.get("field"),
                    "message": letter["message"],
                    "payload": json.dumps(letter.get("payload"), default=str, sort_keys=True),
                    "failures": json.dumps(list(letter.get("failures") or []), default=str),
                    "attempts": 1,
                    "first_seen": now,
                    "last_seen": now,
                    "state": "open",
                }
            )
        if not rows:
            return 0
        table = tables.dead_letters
        insert = self._insert(table)
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.entity, table.c.key, table.c.stage],
            set_={
                "error_code": insert.excluded.error_code,
                "field": insert.excluded.field,
                "message": insert.excluded.message,
                "payload": insert.excluded.payload,
                "failures": insert.excluded.failures,
                "attempts": table.c.attempts + 1,
                "last_seen": insert.excluded.last_seen,
                "state": "open",
            },
        )
        with self.engine.begin() as connection:
            # One statement per row: a multi-row upsert may not touch the same key twice.
            for row in rows:
                connection.execute(statement, row)
        return len(rows)

    def dead_letters(
        self,
        state: str | None = None,
        entity: str | None = None,
        stage: str | None = None,
        *,
        after_id: int | None = None,
    ) -> list[DeadLetter]:
        """Dead letters, oldest first, optionally only those in ``state`` / of ``entity`` / ``stage``
        / filed after the dead letter ``after_id`` (a larger id)."""
        table = tables.dead_letters
        query = sa.select(table).order_by(table.c.first_seen, table.c.id)
        if state is not None:
            if state not in DEAD_LETTER_STATES:
                raise ValueError(f"unknown dead-letter state {state!r}; use one of {DEAD_LETTER_STATES}")
            query = query.where(table.c.state == state)
        if entity is not None:
            query = query.where(table.c.entity == entity)
        if stage is not None:
            query = query.where(table.c.stage == stage)
        if after_id is not None:
            query = query.where(table.c.id > after_id)
        with self.engine.connect() as connection:
            return [_dead_letter(row) for row in connection.execute(query).mappings()]

    def dead_letter(self, dead_letter_id: int) -> DeadLetter | None:
        """The dead letter with this id, or None when the store has none."""
        table = tables.dead_letters
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(table).where(table.c.id == dead_letter_id)).mappings().first()
        return _dead_letter(row) if row is not None else None

    def set_dead_letter_state(self, dead_letter_id: int, state: str) -> None:
        """Mark one dead letter ``replayed`` (which records when, in ``last_replayed_at``) or
        ``resolved`` (or reopen it)."""
        if state not in DEAD_LETTER_STATES:
            raise ValueError(f"unknown dead-letter state {state!r}; use one of {DEAD_LETTER_STATES}")
        table = tables.dead_letters
        now = _now()
        values: dict[str, Any] = {"state": state, "last_seen": now}
        if state == "replayed":
            values["last_replayed_at"] = now
        with self.engine.begin() as connection:
            result = connection.execute(sa.update(table).where(table.c.id == dead_letter_id).values(**values))
        if result.rowcount == 0:
            raise KeyError(f"no dead letter with id {dead_letter_id}")

    def resolve_dead_letters(self, entity: str, keys: Iterable[str | int], stage: str) -> int:
        """Mark the open dead letters of these records resolved (they passed ``stage`` since)."""
        key_list = [str(key) for key in keys]
        if not key_list:
            return 0
        table = tables.dead_letters
        resolved = 0
        with self.engine.begin() as connection:
            for start in range(0, len(key_list), 500):
                result = connection.execute(
                    sa.update(table)
                    .where(
                        table.c.entity == entity,
                        table.c.stage == stage,
                        table.c.state == "open",
                        table.c.key.in_(key_list[start : start + 500]),
                    )
                    .values(state="resolved", last_seen=_now())
                )
                resolved += result.rowcount
        return resolved

    def dead_letters_of(self, entities: Iterable[str], key: str | int) -> list[DeadLetter]:
        """The dead letters of one record, ``key``, under any of ``entities``, oldest first (a shop
        order's letters are filed by the order sync, the status lane and the extraction)."""
        table = tables.dead_letters
        query = (
            sa.select(table)
            .where(table.c.entity.in_(list(entities)), table.c.key == str(key))
            .order_by(table.c.first_seen, table.c.id)
        )
        with self.engine.connect() as connection:
            return [_dead_letter(row) for row in connection.execute(query).mappings()]

    def dead_letters_opened_since(self, since: datetime) -> list[datetime]:
        """When each dead letter first seen at ``since`` or later was opened (a daily rate's input)."""
        table = tables.dead_letters
        query = sa.select(table.c.first_seen).where(table.c.first_seen >= since)
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    # -- snapshots -------------------------------------------------------------------------------

    def upsert(
        self, table: sa.Table | str, rows: Sequence[Mapping[str, Any]], *, key: str | Sequence[str] = "id"
    ) -> int:
        """Insert ``rows`` into ``table``, replacing the rows with the same ``key`` (a column, or the
        columns of a composite key); returns how many."""
        table = self.table(table)
        if not rows:
            return 0
        keys = [key] if isinstance(key, str) else list(key)
        columns = list(rows[0].keys())
        update = [c for c in columns if c not in keys]
        with self.engine.begin() as connection:
            self._write_rows(connection, table, rows, key_columns=keys, update=update)
        return len(rows)

    def _write_rows(
        self,
        connection: sa.Connection,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]],
        *,
        key_columns: list[str],
        update: list[str],
    ) -> None:
        """Upsert ``rows`` the way the database takes them fastest (measured: 20,000 rows): SQLite,
        one compiled statement over the rows (executemany; a multi-row INSERT compiled per chunk
        cost ten times more); PostgreSQL (psycopg2), a multi-row INSERT per chunk of
        ``UPSERT_CHUNK`` rows (three times faster than its executemany)."""
        if self.engine.dialect.name == "postgresql":
            for start in range(0, len(rows), UPSERT_CHUNK):
                chunk = [dict(row) for row in rows[start : start + UPSERT_CHUNK]]
                connection.execute(
                    self._upsert_statement(table, key_columns=key_columns, update=update, rows=chunk)
                )
        else:
            statement = self._upsert_statement(table, key_columns=key_columns, update=update)
            connection.execute(statement, [dict(row) for row in rows])

    def replace_children(
        self,
        table: sa.Table | str,
        parent_column: str,
        parent_ids: Iterable[int],
        rows: Sequence[Mapping[str, Any]],
    ) -> int:
        """Make ``rows`` the complete set of children of ``parent_ids`` (e.g. the rows of some orders)."""
        table = self.table(table)
        ids = list(parent_ids)
        with self.engine.begin() as connection:
            for start in range(0, len(ids), 500):
                connection.execute(
                    sa.delete(table).where(table.c[parent_column].in_(ids[start : start + 500]))
                )
            if rows:
                # An upsert, not an insert: a child that moved from a parent outside this batch
                # must not fail the batch.
                columns = list(rows[0].keys())
                key = table.primary_key.columns.values()[0].name
                update = [c for c in columns if c != key]
                self._write_rows(connection, table, rows, key_columns=[key], update=update)
        return len(rows)

    def delete_missing(self, table: sa.Table | str, keep_ids: Iterable[int], *, key: str = "id") -> int:
        """Delete the rows of ``table`` whose ``key`` is not in ``keep_ids`` (after a full scan)."""
        table = self.table(table)
        keep = set(keep_ids)
        with self.engine.begin() as connection:
            stored = connection.execute(sa.select(table.c[key])).scalars().all()
            gone = [value for value in stored if value not in keep]
            for start in range(0, len(gone), 500):
                connection.execute(sa.delete(table).where(table.c[key].in_(gone[start : start + 500])))
        return len(gone)

    def rows(self, table: sa.Table | str, *, order_by: str = "id") -> list[dict[str, Any]]:
        """Every row of ``table`` as a dict, ordered by ``order_by``."""
        table = self.table(table)
        with self.engine.connect() as connection:
            return [
                dict(row)
                for row in connection.execute(sa.select(table).order_by(table.c[order_by])).mappings()
            ]

    def rows_by_id(self, table: sa.Table | str, ids: Iterable[int]) -> list[dict[str, Any]]:
        """The rows of ``table`` whose ``id`` is one of ``ids`` (absent ids are left out)."""
        return self.rows_where_in(table, "id", {int(i) for i in ids})

    def rows_where_in(
        self, table: sa.Table | str, column: str, values: Iterable[Any]
    ) -> list[dict[str, Any]]:
        """The rows of ``table`` whose ``column`` holds one of ``values``, 500 values a query."""
        table = self.table(table)
        wanted = sorted(set(values))
        found: list[dict[str, Any]] = []
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                query = sa.select(table).where(table.c[column].in_(wanted[start : start + 500]))
                found += [dict(row) for row in connection.execute(query).mappings()]
        return found

    def count(self, table: sa.Table | str) -> int:
        table = self.table(table)
        with self.engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()

    @staticmethod
    def table(table: sa.Table | str) -> sa.Table:
        if isinstance(table, sa.Table):
            return table
        try:
            return metadata.tables[table]
        except KeyError:
            raise KeyError(f"the store has no table {table!r}; it has {sorted(metadata.tables)}") from None

    # -- helpers ---------------------------------------------------------------------------------

    def _insert(self, table: sa.Table) -> Any:
        name = self.engine.dialect.name
        if name == "sqlite":
            return sqlite.insert(table)
        if name == "postgresql":
            return postgresql.insert(table)
        raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {name}")

    def _upsert_statement(
        self,
        table: sa.Table,
        *,
        key_columns: list[str],
        update: list[str],
        rows: Sequence[Mapping[str, Any]] | None = None,
    ) -> Any:
        """INSERT ... ON CONFLICT DO UPDATE of ``update`` (nothing: DO NOTHING): of ``rows`` (a
        multi-row INSERT), or for executemany."""
        insert = self._insert(table) if rows is None else self._insert(table).values(list(rows))
        if not update:
            return insert.on_conflict_do_nothing(index_elements=key_columns)
        return insert.on_conflict_do_update(
            index_elements=key_columns, set_={column: insert.excluded[column] for column in update}
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _dead_letter(row: Mapping[str, Any]) -> DeadLetter:
    return DeadLetter(
        id=row["id"],
        entity=row["entity"],
        key=row["key"],
        stage=row["stage"],
        error_code=row["error_code"],
        field=row["field"],
        message=row["message"],
        payload=json.loads(row["payload"]) if row["payload"] is not None else None,
        failures=json.loads(row["failures"]) if row["failures"] else [],
        attempts=row["attempts"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        state=row["state"],
        last_replayed_at=row["last_replayed_at"],
    )


# Opened in ``store/database.py``; the command line imports them from here.
__all__ = [
    "DeadLetter",
    "Store",
    "StoreError",
    "shown_url",
    "sqlite_file",
    "store_revision",
    "upgrade_store",
]
