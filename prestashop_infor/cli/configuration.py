"""What every command reads at the edge: the settings (the environment variables of the Dagster
definitions, ``prestashop_infor.defs``), the store the Dagster runs use, and the error that names a
setting that is missing or wrong."""

from __future__ import annotations

from pathlib import Path

from prestashop_infor.settings import Settings, SettingsError
from prestashop_infor.store import Store
from prestashop_infor.store.store import StoreError, shown_url, sqlite_file

DATABASE_URL = "PRESTASHOP_INFOR_DATABASE_URL"
DATABASE_SCHEMA = "PRESTASHOP_INFOR_DATABASE_SCHEMA"
MAPPING_FILE = "PRESTASHOP_INFOR_MAPPING_FILE"


class ConfigurationError(Exception):
    """A setting the command needs is missing or wrong; the message names the variable."""


def _settings_now() -> Settings:
    try:
        return Settings.read()
    except SettingsError as exc:
        raise ConfigurationError(str(exc)) from None


def _open_store(*, create: bool = False) -> Store:
    """The store the Dagster runs use: ``PRESTASHOP_INFOR_DATABASE_URL`` (default as in the
    definitions) and ``PRESTASHOP_INFOR_DATABASE_SCHEMA``. A SQLite file that does not exist is an
    error unless ``create`` (the receiver may be the first to write): the dlq commands would
    otherwise report an empty queue."""
    settings = _settings_now()
    url, schema = settings.store_url(), settings.database_schema
    shown = shown_url(url)
    if shown is None:
        raise ConfigurationError(f"{DATABASE_URL}={url!r} is not a database URL")
    file_path = sqlite_file(url)
    if file_path not in (None, "", ":memory:") and not Path(file_path).expanduser().exists():
        if not create:
            raise ConfigurationError(
                f"there is no store at {file_path}: set {DATABASE_URL} (or DAGSTER_HOME) to the "
                "store the Dagster runs use"
            )
        Path(file_path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        return Store.from_url(url, schema=schema)
    except ValueError as exc:
        raise ConfigurationError(f"{DATABASE_SCHEMA}: {exc}") from None
    except StoreError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigurationError(f"cannot open the store at {shown} ({DATABASE_URL}): {reason}") from None
