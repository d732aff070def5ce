"""The store's schema is versioned with Alembic: the revisions ship in the package, an empty database
is created at the newest one, a store behind it is refused until `prestashop-infor db upgrade`, which
upgrades it (a store made before migrations included) and keeps its rows; on SQLite and PostgreSQL,
with and without a schema."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from prestashop_infor.cli import main
from prestashop_infor.store import (
    Store,
    StoreSchemaError,
    metadata,
    migrations,
    store_revision,
    upgrade_store,
)
from prestashop_infor.store.migrations import HEAD, INITIAL, VERSION_TABLE
from prestashop_infor.store.migrations.initial_schema import INITIAL_TABLES, initial_metadata

NOW = datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
LAST_REPLAYED_AT = "0002"  # the revision that adds dead_letters.last_replayed_at


def _history() -> list:
    """The revisions, oldest first."""
    return list(
        reversed(list(ScriptDirectory.from_config(migrations.alembic_config(None, None)).walk_revisions()))
    )


def _applied_after(revision: str) -> list[str]:
    """The lines `db upgrade` prints for the revisions after ``revision``, in order."""
    history = _history()
    names = [script.revision for script in history]
    return [
        f"applied {script.revision}: {script.doc.strip().splitlines()[0]}"
        for script in history[names.index(revision) + 1 :]
    ]


@dataclass
class Target:
    """A database for one test: its URL and the PostgreSQL schema (None: the default one)."""

    url: str
    schema: str | None

    def engine(self) -> sa.Engine:
        database = make_url(self.url).database
        if self.url.startswith("sqlite") and database:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(self.url)


def _drop_schema(url: str, schema: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
    engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres-schema", marks=pytest.mark.postgres),
        pytest.param("postgres-database", marks=pytest.mark.postgres),
    ]
)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """SQLite; PostgreSQL in a schema of its own; PostgreSQL in the default schema of a new database."""
    if request.param == "sqlite":
        yield Target(f"sqlite:///{tmp_path / 'store' / 'store.db'}", None)
        return
    url = request.getfixturevalue("postgres_url")
    if request.param == "postgres-schema":
        schema = f"test_migrations_{uuid.uuid4().hex[:12]}"
        try:
            yield Target(url, schema)
        finally:
            _drop_schema(url, schema)
        return
    name = f"test_migrations_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'create database "{name}"'))
    try:
        yield Target(make_url(url).set(database=name).render_as_string(hide_password=False), None)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


def _db(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], target: Target, *argv: str):
    """Run `prestashop-infor db ...` on ``target`` through the environment, as a user would."""
    monkeypatch.setenv("PRESTASHOP_INFOR_DATABASE_URL", target.url)
    if target.schema:
        monkeypatch.setenv("PRESTASHOP_INFOR_DATABASE_SCHEMA", target.schema)
    else:
        monkeypatch.delenv("PRESTASHOP_INFOR_DATABASE_SCHEMA", raising=False)
    code = main(["db", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _fill_initial(target: Target, *, tables: tuple[str, ...] = INITIAL_TABLES) -> None:
    """Rows in the tables of revision 0001, written as that release would have written them."""
    old = initial_metadata(target.schema)
    key = f"{target.schema}." if target.schema else ""
    rows = {
        "cursors": [{"name": "prestashop.orders", "value": "2024-05-01T00:00:00+00:00", "updated_at": NOW}],
        "dead_letters": [
            {
                "entity": "sales_order",
                "key": str(n),
                "stage": "load",
                "error_code": "unknown_item",
                "field": "ITNO",
                "message": f"item {n} unknown",
                "payload": f'{{"id": {n}}}',
                "failures": "[]",
                "attempts": n,
                "first_seen": NOW,
                "last_seen": NOW,
                "state": "open",
            }
            for n in (1, 2)
        ],  # fmt: skip
        "id_map": [
            {
                "entity": "sales_order",
                "source_key": "41",
                "target_key": "1000041",
                "fingerprint": "f",
                "data": '{"CUOR": "PS41"}',
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],  # fmt: skip
    }
    engine = target.engine()
    with engine.begin() as connection:
        for name, values in rows.items():
            if name in tables:
                connection.execute(sa.insert(old.tables[key + name]), values)
    engine.dispose()


def _columns(target: Target, table: str) -> set[str]:
    engine = target.engine()
    try:
        return {column["name"] for column in sa.inspect(engine).get_columns(table, schema=target.schema)}
    finally:
        engine.dispose()


def _assert_rows_intact(target: Target) -> None:
    with Store.from_url(target.url, schema=target.schema) as store:
        assert store.get_cursor("prestashop.orders") == "2024-05-01T00:00:00+00:00"
        letters = store.dead_letters()
        assert [(x.key, x.attempts, x.message, x.first_seen) for x in letters] == [
            ("1", 1, "item 1 unknown", NOW),
            ("2", 2, "item 2 unknown", NOW),
        ]
        assert all(x.last_replayed_at is None for x in letters)
        # The new column works: marking a letter replayed records when.
        store.set_dead_letter_state(letters[0].id, "replayed")
        replayed = store.dead_letter(letters[0].id)
        assert replayed is not None and replayed.last_replayed_at is not None
        assert abs((datetime.now(UTC) - replayed.last_replayed_at).total_seconds()) < 300
        (binding,) = store.rows("id_map")
        assert (binding["source_key"], binding["target_key"], binding["data"]) == (
            "41",
            "1000041",
            '{"CUOR": "PS41"}',
        )


def test_head_is_the_newest_revision_and_the_history_is_one_line() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config(None, None))  # type: ignore[arg-type]
    assert script.get_heads() == [HEAD]
    history = _history()
    assert history[0].revision == INITIAL and history[0].down_revision is None
    assert all(
        later.down_revision == earlier.revision
        for earlier, later in zip(history[:-1], history[1:], strict=True)
    )
    assert LAST_REPLAYED_AT in [s.revision for s in history]
    # The revisions ship inside the package, not next to an alembic.ini.
    assert Path(script.dir).parent == Path(migrations.__file__).parent.parent


def test_the_migrated_schema_is_the_tables_in_tables_py(target: Target) -> None:
    """What the revisions build is exactly ``store/tables.py`` (no drift either way)."""
    upgrade_store(target.url, schema=target.schema)
    engine = target.engine()
    with engine.connect() as connection:
        if target.schema:  # compared as the store sees it: its schema first on the search path
            connection.execute(sa.text(f'set search_path to "{target.schema}"'))
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_an_empty_database_is_created_at_the_newest_revision_on_open(target: Target) -> None:
    assert store_revision(target.url, schema=target.schema).state == migrations.EMPTY
    with Store.from_url(target.url, schema=target.schema) as store:
        store.set_cursor("a", "1")
    found = store_revision(target.url, schema=target.schema)
    assert (found.revision, found.state) == (HEAD, migrations.CURRENT)
    assert "last_replayed_at" in _columns(target, "dead_letters")


def test_a_store_being_created_is_never_seen_as_one_made_before_migrations(target: Target) -> None:
    """Openers at once (the daemon starts runs in parallel): one creates the store, the others wait
    for it or find it made; none, and no reader meanwhile, takes it for an unversioned store."""
    watcher = target.engine()
    if target.schema:
        watcher = watcher.execution_options(schema_translate_map={None: target.schema})
    seen: set[str] = set()
    creating = threading.Event()

    def watch() -> None:
        while not creating.is_set():
            with watcher.connect() as connection:
                seen.add(migrations.revision_of(connection, target.schema).state)

    def open_store() -> str:
        with Store.from_url(target.url, schema=target.schema):
            return "opened"

    reader = threading.Thread(target=watch)
    reader.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(lambda _: open_store(), range(4)))
        for _ in range(200):  # and the reader sees the made store a while longer
            if migrations.CURRENT in seen:
                break
            time.sleep(0.01)
    finally:
        creating.set()
        reader.join()
        watcher.dispose()
    assert outcomes == ["opened"] * 4
    assert seen <= {migrations.EMPTY, migrations.CURRENT} and migrations.CURRENT in seen


def test_db_upgrade_brings_a_store_at_the_previous_revision_to_the_newest_keeping_its_rows(
    target: Target, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = upgrade_store(target.url, schema=target.schema, target=INITIAL)
    assert report.after == INITIAL and "last_replayed_at" not in _columns(target, "dead_letters")
    _fill_initial(target)

    # A run does not change a store behind the newest revision: it says what to do.
    with pytest.raises(StoreSchemaError, match=rf"at revision {INITIAL}; .*`prestashop-infor db upgrade`"):
        Store.from_url(target.url, schema=target.schema)
    code, out, _ = _db(monkeypatch, capsys, target, "current")
    assert code == 0
    assert f"revision: {INITIAL} (behind the newest, {HEAD}: run `prestashop-infor db upgrade`)" in out

    code, out, err = _db(monkeypatch, capsys, target, "upgrade")
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        f"the store was at revision {INITIAL}",
        *_applied_after(INITIAL),
        f"now at revision {HEAD}",
    ]
    assert f"applied {LAST_REPLAYED_AT}: dead_letters.last_replayed_at: when a replay last sent" in out
    assert out.splitlines()[0].startswith("store: ")
    assert "last_replayed_at" in _columns(target, "dead_letters")
    _assert_rows_intact(target)

    code, out, _ = _db(monkeypatch, capsys, target, "upgrade")
    assert code == 0 and out.splitlines()[1:] == [f"already at revision {HEAD}: nothing to do"]
    code, out, _ = _db(monkeypatch, capsys, target, "current")
    assert code == 0 and out.splitlines()[1] == f"revision: {HEAD} (the newest)"


def test_a_store_made_before_migrations_is_stamped_at_the_initial_revision_then_upgraded(
    target: Target, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the first release left it (``create_all`` at open): no version table, and without the
    tables added later (id map, claims, back-office pushes)."""
    older = (
        "cursors",
        "dead_letters",
        "ps_orders",
        "ps_order_rows",
        "ps_customers",
        "ps_products",
        "ps_stock",
    )
    engine = target.engine()
    if target.schema:
        with engine.begin() as connection:
            connection.execute(sa.schema.CreateSchema(target.schema))
    old = initial_metadata(target.schema)
    old.create_all(engine, tables=[t for t in old.sorted_tables if t.name in older])
    engine.dispose()
    _fill_initial(target, tables=older)

    with pytest.raises(StoreSchemaError, match="made before its schema was versioned.*db upgrade"):
        Store.from_url(target.url, schema=target.schema)
    code, out, _ = _db(monkeypatch, capsys, target, "current")
    assert "revision: none (a store made before migrations: run `prestashop-infor db upgrade`)" in out

    code, out, err = _db(monkeypatch, capsys, target, "upgrade")
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        f"recognised a store made before migrations: stamped at revision {INITIAL}",
        "created the tables it did not have yet: backoffice_order_pushes, id_claims, id_map",
        *_applied_after(INITIAL),
        f"now at revision {HEAD}",
    ]
    with Store.from_url(target.url, schema=target.schema) as store:
        assert store.get_cursor("prestashop.orders") == "2024-05-01T00:00:00+00:00"
        assert [x.key for x in store.dead_letters()] == ["1", "2"]
        assert store.count("id_map") == 0


def test_the_newest_revision_goes_down_again_in_batch_mode(target: Target) -> None:
    """Downgrades work too (a table copy on SQLite), and the rows survive both ways."""
    upgrade_store(target.url, schema=target.schema, target=INITIAL)
    _fill_initial(target)
    upgrade_store(target.url, schema=target.schema)
    engine = target.engine()
    with engine.connect() as connection, connection.begin():
        command.downgrade(migrations.alembic_config(connection, target.schema), INITIAL)
    engine.dispose()
    assert "last_replayed_at" not in _columns(target, "dead_letters")
    assert store_revision(target.url, schema=target.schema).revision == INITIAL
    upgrade_store(target.url, schema=target.schema)
    _assert_rows_intact(target)


def test_a_store_from_a_newer_release_is_refused(target: Target, monkeypatch, capsys) -> None:
    upgrade_store(target.url, schema=target.schema)
    engine = target.engine()
    version = sa.table(VERSION_TABLE, sa.column("version_num"), schema=target.schema)
    with engine.begin() as connection:
        connection.execute(sa.update(version).values(version_num="0099"))
    engine.dispose()
    with pytest.raises(StoreSchemaError, match="revision 0099, which this release .* does not know"):
        Store.from_url(target.url, schema=target.schema)
    code, _, err = _db(monkeypatch, capsys, target, "upgrade")
    assert code == 2 and "0099" in err and "newer release" in err


def test_a_store_made_before_migrations_with_other_columns_is_not_adopted(tmp_path, monkeypatch, capsys):
    target = Target(f"sqlite:///{tmp_path / 'odd.db'}", None)
    engine = target.engine()
    with engine.begin() as connection:
        connection.execute(sa.text("create table cursors (name varchar(200) primary key, value text)"))
    engine.dispose()
    code, _, err = _db(monkeypatch, capsys, target, "upgrade")
    assert code == 2
    assert "its tables are not those of revision 0001: cursors lacks updated_at" in err
    assert store_revision(target.url).state == migrations.UNVERSIONED  # nothing changed


@pytest.mark.parametrize(
    ("url", "schema", "message"),
    [
        ("not a url", None, "PRESTASHOP_INFOR_DATABASE_URL='not a url' is not a database URL"),
        ("postgresql+psycopg2://postgres@127.0.0.1:1/test", None, "cannot reach the store at "
         "postgresql+psycopg2://postgres@127.0.0.1:1/test (PRESTASHOP_INFOR_DATABASE_URL): "),
        ("mysql://user@127.0.0.1/shop", None, "the store runs on SQLite or PostgreSQL, not mysql"),
        ("sqlite:///{tmp}/s.db", "reporting", "a schema can only be chosen on PostgreSQL"),
        ("sqlite:///{tmp}", None, "cannot reach the store at sqlite:///"),  # a folder, not a file
    ],
)  # fmt: skip
@pytest.mark.parametrize("action", ["upgrade", "current"])
def test_bad_database_settings_exit_2_with_a_clear_message(
    action, url, schema, message, tmp_path, monkeypatch, capsys
):
    (tmp_path / "s.db").touch()
    code, _, err = _db(monkeypatch, capsys, Target(url.replace("{tmp}", str(tmp_path)), schema), action)
    assert code == 2
    assert err.startswith("prestashop-infor: ") and message in err
    assert "Traceback" not in err


def test_db_current_does_not_create_a_store(tmp_path, monkeypatch, capsys):
    target = Target(f"sqlite:///{tmp_path / 'none' / 'store.db'}", None)
    code, _, err = _db(monkeypatch, capsys, target, "current")
    assert code == 2 and "there is no store at" in err and "`db upgrade` creates one" in err
    assert not (tmp_path / "none").exists()


def test_db_upgrade_creates_a_store_in_an_empty_database(tmp_path, monkeypatch, capsys):
    target = Target(f"sqlite:///{tmp_path / 'new' / 'store.db'}", None)
    code, out, _ = _db(monkeypatch, capsys, target, "upgrade")
    assert code == 0
    assert out.splitlines() == [
        f"store: {target.url}",
        f"an empty database: created the store's tables at revision {INITIAL}",
        *_applied_after(INITIAL),
        f"now at revision {HEAD}",
    ]


def test_the_credit_notes_kept_before_divisions_are_the_mappings_own_divisions_both_ways(
    target: Target,
) -> None:
    """Revision 0013 keys M3's credit notes by division too: a note stored before it is the mapping's
    own division's (""), under the same key as before (so the shop never gets its slip twice), and a
    downgrade keeps it."""
    from prestashop_infor.store.credit_notes import credit_notes_of

    upgrade_store(target.url, schema=target.schema, target="0012")
    notes = sa.table("m3_credit_notes", *(sa.column(c) for c in (
        "year", "ivno", "orno", "amount", "currency", "corrects", "invoice_date", "loaded_at")), schema=target.schema)  # fmt: skip
    engine = target.engine()
    with engine.begin() as connection:
        connection.execute(notes.insert().values(year="2026", ivno="100000007", orno="1000000003", amount=-19.9,
                                                 currency="EUR", corrects="100000001", invoice_date=None,
                                                 loaded_at=NOW))  # fmt: skip
    engine.dispose()

    def the_note_is_the_mappings_own_divisions() -> None:
        upgrade_store(target.url, schema=target.schema)
        with Store.from_url(target.url, schema=target.schema) as store:
            [note] = credit_notes_of(store, ["1000000003"])["1000000003"]
        assert (note.division, note.key, note.amount) == ("", "2026:100000007", Decimal("-19.9"))

    the_note_is_the_mappings_own_divisions()
    engine = target.engine()
    with engine.connect() as connection, connection.begin():
        command.downgrade(migrations.alembic_config(connection, target.schema), "0012")
    engine.dispose()
    assert "division" not in _columns(target, "m3_credit_notes")
    the_note_is_the_mappings_own_divisions()
