"""``prestashop-infor db``: the store's schema, versioned with Alembic; bring it to the newest
revision, or say where it stands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from prestashop_infor.cli.arguments import add_source_argument
from prestashop_infor.cli.configuration import DATABASE_SCHEMA, DATABASE_URL, ConfigurationError
from prestashop_infor.settings import Settings, SettingsError
from prestashop_infor.store.store import StoreError, shown_url, sqlite_file


def _db_target(source: str | None = None) -> tuple[str, str | None, str]:
    """The store the Dagster runs use (``PRESTASHOP_INFOR_DATABASE_URL``, default as in the
    definitions, and ``PRESTASHOP_INFOR_DATABASE_SCHEMA``; ``source``: that installation's) and how
    to show it."""
    try:
        settings = Settings.read(source)
    except SettingsError as exc:
        raise ConfigurationError(str(exc)) from None
    url, schema = settings.store_url(), settings.database_schema or None
    shown = shown_url(url)
    if shown is None:
        raise ConfigurationError(f"{DATABASE_URL}={url!r} is not a database URL")
    return url, schema, shown + (f" (schema {schema})" if schema else "")


def _db_failure(exc: Exception, shown: str) -> ConfigurationError:
    from prestashop_infor.store import StoreSchemaError

    if isinstance(exc, StoreSchemaError):
        return ConfigurationError(str(exc))
    if isinstance(exc, ValueError):  # a schema on SQLite, a database the store does not run on
        return ConfigurationError(f"{DATABASE_URL} / {DATABASE_SCHEMA}: {exc}")
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return ConfigurationError(f"cannot reach the store at {shown} ({DATABASE_URL}): {reason}")


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from prestashop_infor.store import upgrade_store

    url, schema, shown = _db_target(args.source)
    print(f"store: {shown}", flush=True)
    try:
        report = upgrade_store(url, schema=schema)
    except (ValueError, StoreError) as exc:
        raise _db_failure(exc, shown) from None
    for line in report.lines():
        print(line)
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    from prestashop_infor.store import store_revision

    url, schema, shown = _db_target(args.source)
    file_path = sqlite_file(url)
    if file_path not in (None, "", ":memory:") and not Path(file_path).expanduser().exists():
        raise ConfigurationError(
            f"there is no store at {file_path}: set {DATABASE_URL} (or DAGSTER_HOME) to the store the "
            "Dagster runs use; `db upgrade` creates one"
        )
    try:
        revision = store_revision(url, schema=schema)
    except (ValueError, StoreError) as exc:
        raise _db_failure(exc, shown) from None
    print(f"store: {shown}")
    print(f"revision: {revision.describe()}")
    return 0


def _add_db_commands(commands: Any) -> None:
    db = commands.add_parser(
        "db",
        help="the store's schema: upgrade, current",
        description=f"The store's schema is versioned (Alembic, shipped in the package). The store is "
        f"{DATABASE_URL} (and {DATABASE_SCHEMA}), as for the Dagster runs. A run refuses a store behind "
        "the newest revision; `db upgrade` brings it there.",
    )
    actions = db.add_subparsers(dest="db_command", required=True)
    upgrade = actions.add_parser(
        "upgrade",
        help="bring the store to the newest revision (creating it in an empty database) and say what was done",
    )
    add_source_argument(upgrade)
    upgrade.set_defaults(handler=cmd_db_upgrade)
    current = actions.add_parser("current", help="the store's revision, and whether it is the newest")
    add_source_argument(current)
    current.set_defaults(handler=cmd_db_current)
