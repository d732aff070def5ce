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


def _settings_now(source: str | None = None) -> Settings:
    """The settings of the main installation, or of the further one named ``source``."""
    try:
        return Settings.read(source)
    except SettingsError as exc:
        raise ConfigurationError(str(exc)) from None


def _open_store(*, create: bool = False, source: str | None = None) -> Store:
    """The store the Dagster runs use: ``PRESTASHOP_INFOR_DATABASE_URL`` (default as in the
    definitions) and ``PRESTASHOP_INFOR_DATABASE_SCHEMA``. A SQLite file that does not exist is an
    error unless ``create`` (the receiver may be the first to write): the dlq commands would
    otherwise report an empty queue. ``source``: the store of that further installation."""
    settings = _settings_now(source)
    url, schema = settings.store_url(), settings.database_schema
    database_url = settings.variable(DATABASE_URL)
    shown = shown_url(url)
    if shown is None:
        raise ConfigurationError(f"{database_url}={url!r} is not a database URL")
    file_path = sqlite_file(url)
    if file_path not in (None, "", ":memory:") and not Path(file_path).expanduser().exists():
        if not create:
            raise ConfigurationError(
                f"there is no store at {file_path}: set {database_url} (or DAGSTER_HOME) to the "
                "store the Dagster runs use"
            )
        Path(file_path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        return Store.from_url(url, schema=schema)
    except ValueError as exc:
        raise ConfigurationError(f"{settings.variable(DATABASE_SCHEMA)}: {exc}") from None
    except StoreError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigurationError(f"cannot open the store at {shown} ({database_url}): {reason}") from None
