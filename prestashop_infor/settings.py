"""Settings: what a command or a run needs to know, read from the environment when it starts.

One object, :class:`Settings` (pydantic-settings), read by the ``prestashop-infor`` command and by
the Dagster resources when a run starts, never at import: the code location loads without any of
it set, and a bad value fails the run or the command with a message naming the variable.

=========================================  ==========================================================
variable                                   meaning (default)
=========================================  ==========================================================
``PRESTASHOP_URL``                         the shop's base URL, with or without ``/api/``; ``https://``, or
                                           ``http://`` to a loopback host (127.0.0.0/8, ::1, localhost)
``PRESTASHOP_ALLOW_HTTP``                  ``1`` allows ``http://`` to any host: the Webservice key then
                                           travels in clear (off)
``PRESTASHOP_API_KEY``                     the Webservice key
``PRESTASHOP_TIME_ZONE``                   the shop's IANA time zone (``UTC``)
``PRESTASHOP_SHOPS``                       multistore: the shop ids this installation works for, comma-
                                           separated (all); the others' orders and stock are left alone
``PRESTASHOP_INFOR_DATABASE_URL``          the store (SQLite ``$DAGSTER_HOME/prestashop_infor/store.db``,
                                           or ``./.prestashop_infor/store.db`` without ``DAGSTER_HOME``)
``PRESTASHOP_INFOR_DATABASE_SCHEMA``       PostgreSQL only: the schema holding the store's tables
``INFOR_IONAPI_FILE``                      the ION API credentials file, or each of its keys as
                                           ``INFOR_IONAPI_<KEY>`` (``TI``, ``CI``, ``CS``, ``IU``, ...); its
                                           ``iu`` and ``pu`` URLs follow the rule of ``PRESTASHOP_URL``
``INFOR_ALLOW_HTTP``                       ``1`` allows ``http://`` ION API URLs to any host (off)
``PRESTASHOP_INFOR_MAPPING_FILE``          the mapping.yaml (the commented one in the package)
``PRESTASHOP_INFOR_SCHEDULES``             ``on`` starts the sync schedules with the code location (``off``)
``PRESTASHOP_INFOR_MAX_FAILURE_SHARE``     the validation gate's threshold, 0 to 1 (``0.05``)
``PRESTASHOP_INFOR_SENSORS``               ``on``/``off`` starts the event-lane sensors (as the schedules)
``PRESTASHOP_INFOR_RECONCILIATION_START``  the first day of the reconciliation partitions (``2024-01-01``)
``WEBHOOK_SECRET``                         the webhook receiver's secret(s), comma-separated in a rotation
``PS_WEBHOOKS_TOKEN``                      the token in the URL of the door for the ps_webhooks module,
                                           comma-separated in a rotation (unset: the door is closed)
``ALERT_WEBHOOK_URL``                      where alerts (failed runs, stalled lanes) are posted (logged only
                                           when unset)
``ALERT_FORMAT``                           their body: ``json``, ``slack`` or ``teams`` (``json``)
``PRESTASHOP_INFOR_DAGSTER_UI_URL``        the Dagster UI the alerts link to (``http://127.0.0.1:3000``)
``PRESTASHOP_INFOR_SOURCES``               further PrestaShop installations, by name, comma-separated
                                           (none); each sets its own ``<NAME>_PRESTASHOP_URL`` and the
                                           other variables of ``PER_SOURCE``
``PRESTASHOP_INFOR_STALL_ORDER_SECONDS``   alert when the oldest exportable order not in M3 is older (600)
``PRESTASHOP_INFOR_STALL_SYNC_SECONDS``    alert when no order sync succeeded for this long with orders
                                           pending (900)
``PRESTASHOP_INFOR_STALL_INBOX_SECONDS``   alert when a webhook no run has taken is older (300)
``PRESTASHOP_INFOR_STALL_POOL_SECONDS``    alert when a run has waited this long for a pool (300)
``PRESTASHOP_INFOR_POOL_WAIT_SECONDS``     a run waiting longer for a pool is failed by the daemon (900)
=========================================  ==========================================================

**Further PrestaShop installations** (``PRESTASHOP_INFOR_SOURCES``) share all but :data:`PER_SOURCE`,
each set with the name in capitals as prefix (``OUTLET_PRESTASHOP_URL``), unset its default, never the
main one's value; the store defaults to a schema ``outlet`` of the main PostgreSQL database, else a
SQLite file beside the main one. ``Settings.read("outlet")`` reads them, naming prefixed variables.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import string
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import httpx
import pydantic
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from prestashop_infor.alert_formats import AlertFormat
from prestashop_infor.infor.ionapi import (
    ENV_FILE,
    ENV_PREFIX,
    REQUIRED_KEYS,
    IonApiCredentials,
    IonApiFileError,
)
from prestashop_infor.sync.errors import field_problems

SANDBOX_API_KEY = "ZQ5N8R2KX7WJ4M1TB6VY3HC9PLDF0GSE"  # the sandbox shop's Webservice key
MIN_SECRET_LENGTH = 32
# variables whose values never appear in a message (nor do the .ionapi secrets: see IonApiCredentials)
SECRET_VARIABLES = frozenset(
    {"PRESTASHOP_API_KEY", "WEBHOOK_SECRET", "PS_WEBHOOKS_TOKEN", "INFOR_IONAPI_CS", "INFOR_IONAPI_SASK"}
)
_URL_SAFE = frozenset(string.ascii_letters + string.digits + "-_")  # what a token in a URL path holds
MAX_HISTORY_DAYS = 1000  # sandbox history: a bit under three years
MAX_ORDERS_PER_DAY = 2000

#: The variables each further PrestaShop installation (``PRESTASHOP_INFOR_SOURCES``) sets for itself,
#: prefixed with its name in capitals; everything else is shared with the main installation.
PER_SOURCE = (
    "PRESTASHOP_ALLOW_HTTP", "PRESTASHOP_URL", "PRESTASHOP_API_KEY", "PRESTASHOP_TIME_ZONE", "PRESTASHOP_SHOPS",
    "PRESTASHOP_INFOR_DATABASE_URL", "PRESTASHOP_INFOR_DATABASE_SCHEMA", "PRESTASHOP_INFOR_MAPPING_FILE",
    "WEBHOOK_SECRET", "PS_WEBHOOKS_TOKEN",
)  # fmt: skip
SOURCES_VARIABLE = "PRESTASHOP_INFOR_SOURCES"
#: A source's name: in asset keys, job names and variable prefixes (``outlet`` -> ``OUTLET_...``).
SOURCE_NAME = re.compile(r"^[a-z](?:[a-z0-9]|_(?!_)){0,19}$")

_log = logging.getLogger(__name__)
_warned: set[str] = set()  # what Settings.read_leniently has logged already (once per process)


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the environment variable."""


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1: traffic that never leaves the machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def http_refusal(url: str, allowed: bool, secret: str, switch: str) -> str | None:
    """Why ``url`` may not carry ``secret``, or None: it must be https, or plain http to a loopback
    host, or plain http anywhere when the variable ``switch`` allows it (``allowed``)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = httpx.URL()
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "must be an http(s) URL with a host, such as https://shop.example"
    if parsed.scheme == "http" and not allowed and not is_loopback(parsed.host):
        return (
            f"plain http to {parsed.host} would send {secret} in clear; use https://, or set {switch}=1 "
            "if the network in between is private and trusted"
        )
    return None


def comma_separated(value: str) -> list[str]:
    """The non-empty parts of a comma-separated variable, stripped."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _shown(name: str, value: Any) -> str:
    """A variable's value as a message shows it: never a secret, nor a key written into a URL."""
    if name in SECRET_VARIABLES:
        return "(not shown)"
    if name == "PRESTASHOP_URL" and isinstance(value, str):
        try:
            return repr(str(httpx.URL(value).copy_with(userinfo=b"", query=None)))
        except httpx.InvalidURL:
            return "(not shown)"
    return repr(value)


class Settings(BaseSettings):
    """The integration's settings, from the environment (an empty variable counts as unset)."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True, frozen=True)

    # before prestashop_url: its validator reads it
    prestashop_allow_http: bool = Field(False, validation_alias="PRESTASHOP_ALLOW_HTTP")
    prestashop_url: str | None = Field(None, validation_alias="PRESTASHOP_URL")
    prestashop_api_key: SecretStr | None = Field(None, validation_alias="PRESTASHOP_API_KEY")
    prestashop_time_zone: str = Field("UTC", validation_alias="PRESTASHOP_TIME_ZONE")
    # multistore: the shops (id_shop) this installation works for; empty: every shop
    prestashop_shops: Annotated[tuple[int, ...], NoDecode] = Field((), validation_alias="PRESTASHOP_SHOPS")
    database_url: str | None = Field(None, validation_alias="PRESTASHOP_INFOR_DATABASE_URL")
    database_schema: str | None = Field(None, validation_alias="PRESTASHOP_INFOR_DATABASE_SCHEMA")
    ionapi_file: str | None = Field(None, validation_alias=ENV_FILE)
    infor_allow_http: bool = Field(False, validation_alias="INFOR_ALLOW_HTTP")
    mapping_file: str | None = Field(None, validation_alias="PRESTASHOP_INFOR_MAPPING_FILE")
    schedules: Literal["on", "off"] = Field("off", validation_alias="PRESTASHOP_INFOR_SCHEDULES")
    # the first day of the daily reconciliation partitions (in the shop's time zone)
    reconciliation_start: date = Field(
        date(2024, 1, 1), validation_alias="PRESTASHOP_INFOR_RECONCILIATION_START"
    )
    # the sensors start with the code location; unset: as the schedules
    sensors: Literal["on", "off"] | None = Field(None, validation_alias="PRESTASHOP_INFOR_SENSORS")
    max_failure_share: float = Field(
        0.05, ge=0.0, le=1.0, validation_alias="PRESTASHOP_INFOR_MAX_FAILURE_SHARE"
    )
    dagster_home: str | None = Field(None, validation_alias="DAGSTER_HOME")
    webhook_secret: SecretStr | None = Field(None, validation_alias="WEBHOOK_SECRET")
    # the token in the URL of the door for shops running the ps_webhooks module; unset: the door is closed
    ps_webhooks_token: SecretStr | None = Field(None, validation_alias="PS_WEBHOOKS_TOKEN")
    alert_webhook_url: str | None = Field(None, validation_alias="ALERT_WEBHOOK_URL")
    alert_format: AlertFormat = Field("json", validation_alias="ALERT_FORMAT")
    dagster_ui_url: str = Field("http://127.0.0.1:3000", validation_alias="PRESTASHOP_INFOR_DAGSTER_UI_URL")
    # stalls: how long a lane may have work and make no progress before an alert says so
    stall_order_seconds: float = Field(600, gt=0, validation_alias="PRESTASHOP_INFOR_STALL_ORDER_SECONDS")
    stall_sync_seconds: float = Field(900, gt=0, validation_alias="PRESTASHOP_INFOR_STALL_SYNC_SECONDS")
    stall_inbox_seconds: float = Field(300, gt=0, validation_alias="PRESTASHOP_INFOR_STALL_INBOX_SECONDS")
    stall_pool_seconds: float = Field(300, gt=0, validation_alias="PRESTASHOP_INFOR_STALL_POOL_SECONDS")
    # a step waiting longer than this for a pool slot fails its run (prestashop-infor daemon)
    pool_wait_seconds: float = Field(900, gt=0, validation_alias="PRESTASHOP_INFOR_POOL_WAIT_SECONDS")
    # further PrestaShop installations, by name (each with its <NAME>_... variables)
    sources: Annotated[tuple[str, ...], NoDecode] = Field((), validation_alias=SOURCES_VARIABLE)
    # which installation these settings are of: None for the main one (set by read(source))
    _source: str | None = pydantic.PrivateAttr(default=None)

    @pydantic.field_validator("prestashop_shops", mode="before")
    @classmethod
    def _shop_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        parts = comma_separated(value)
        if not all(part.isdigit() and int(part) > 0 for part in parts):
            raise ValueError("shop ids (id_shop), positive whole numbers, comma-separated, such as 1,3")
        return tuple(sorted({int(part) for part in parts}))

    @pydantic.field_validator("sources", mode="before")
    @classmethod
    def _source_names(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        names = comma_separated(value)
        bad = [name for name in names if not SOURCE_NAME.match(name)]
        if bad:
            raise ValueError(
                f"{', '.join(map(repr, bad))}: a source's name is a lowercase letter, then up to 19 lowercase "
                "letters, digits and single underscores (it prefixes asset keys, job names and variables)"
            )
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"{', '.join(doubled)} named twice")
        return tuple(names)

    @pydantic.field_validator("schedules", "sensors", "alert_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @pydantic.field_validator("prestashop_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError("not an IANA time zone (such as Europe/Paris or UTC)") from None
        return value

    @pydantic.field_validator("prestashop_url")
    @classmethod
    def _safe_shop_url(cls, value: str | None, info: pydantic.ValidationInfo) -> str | None:
        if value is None:
            return None
        allowed = info.data.get("prestashop_allow_http", False)
        refusal = http_refusal(value, allowed, "the shop's Webservice key", "PRESTASHOP_ALLOW_HTTP")
        if refusal:
            raise ValueError(refusal)
        return value

    @property
    def sensors_on(self) -> bool:
        """Whether the sensors start running: ``PRESTASHOP_INFOR_SENSORS``, else as the schedules."""
        return (self.sensors or self.schedules) == "on"

    def _missing_shop(self) -> list[str]:
        """The shop's variables that are not set, by name."""
        pairs = (("PRESTASHOP_URL", self.prestashop_url), ("PRESTASHOP_API_KEY", self.prestashop_api_key))
        return [self.variable(name) for name, value in pairs if not value]

    def missing_for_lanes(self) -> list[str]:
        """The variables the sync lanes need (the shop and the M3 connection) that are not set, by
        name: empty when the schedules and sensors can run. Only presence is judged here (the code
        location must load without a shop or M3 answering); a bad value fails the tick that reads it."""
        missing = self._missing_shop()
        if self.ionapi_file:
            return missing
        keys = {key: os.environ.get(ENV_PREFIX + key.upper(), "").strip() for key in REQUIRED_KEYS}
        if not any(keys.values()):
            return [*missing, f"{ENV_FILE} (or the {ENV_PREFIX}<KEY> variables)"]
        return [*missing, *(ENV_PREFIX + key.upper() for key, value in keys.items() if not value)]

    @property
    def source(self) -> str | None:
        """The further installation these settings are of (``PRESTASHOP_INFOR_SOURCES``), None for the
        main one."""
        return self._source

    def variable(self, name: str) -> str:
        """The variable that sets ``name`` for this installation: ``OUTLET_PRESTASHOP_URL`` for a
        source's own (:data:`PER_SOURCE`), else ``name``."""
        return f"{self._source.upper()}_{name}" if self._source and name in PER_SOURCE else name

    @classmethod
    def read(cls, source: str | None = None) -> Settings:
        """The settings as the environment holds them now; a bad value is a ``SettingsError``
        naming the variable and what it must be. ``source``: those of a further installation
        (``PRESTASHOP_INFOR_SOURCES``), its own variables read with its prefix."""
        main = cls._strictly({}, "")
        if source is None:
            return main
        if source not in main.sources:
            named = ", ".join(main.sources) or "none"
            raise SettingsError(f"{source!r} is not a source: {SOURCES_VARIABLE} names {named}")
        prefix = f"{source.upper()}_"
        fields = {info.validation_alias: info for info in cls.model_fields.values()}
        overrides: dict[str, Any] = {}
        for name in PER_SOURCE:
            value = os.environ.get(prefix + name, "").strip()
            overrides[name] = value if value else fields[name].default
        if not overrides["PRESTASHOP_INFOR_DATABASE_URL"]:
            url = main.database_url or ""
            if url.startswith("postgresql"):  # the main database, in a schema of the source's
                overrides["PRESTASHOP_INFOR_DATABASE_URL"] = url
                overrides["PRESTASHOP_INFOR_DATABASE_SCHEMA"] = (
                    overrides["PRESTASHOP_INFOR_DATABASE_SCHEMA"] or source
                )
            elif url:  # a SQLite file beside the main one
                path = Path(url.removeprefix("sqlite:///"))
                overrides["PRESTASHOP_INFOR_DATABASE_URL"] = (
                    f"sqlite:///{path.with_name(f'{path.stem}-{source}{path.suffix}')}"
                )
        settings = cls._strictly(overrides, prefix)
        object.__setattr__(settings, "_source", source)
        return settings

    @classmethod
    def _strictly(cls, overrides: dict[str, Any], prefix: str) -> Settings:
        try:
            return cls(**overrides)
        except pydantic.ValidationError as exc:
            problems = []
            for problem in field_problems(exc):
                name = problem.path or "?"  # each setting is one variable: its path is its name
                shown = prefix + name if name in PER_SOURCE else name
                problems.append(f"{shown}={_shown(name, problem.value)}: {problem.message}")
            raise SettingsError("; ".join(problems)) from None

    @classmethod
    def read_leniently(cls, source: str | None = None) -> Settings:
        """The settings for what the Dagster definitions need when the code location loads (the
        reconciliation partitions' start and time zone, the schedules' and sensors' default status).
        A bad value is no error here: a warning names the variable and its default stands in, so the
        code location still loads; the runs and the ticks, which call :meth:`read`, fail on it.
        A source's settings that do not read are logged, and stand in as its defaults (its shop not
        set, so its lanes stay stopped)."""
        if source is not None:
            try:
                return cls.read(source)
            except SettingsError as exc:
                message = f"source {source}: {exc}; its lanes stay stopped until it is fixed"
                if message not in _warned:
                    _warned.add(message)
                    _log.warning(message)
                settings = cls.model_construct()
                object.__setattr__(settings, "_source", source)
                return settings
        fields = {info.validation_alias: info for info in cls.model_fields.values()}
        overrides: dict[str, Any] = {}
        for _ in fields:
            try:
                return cls(**overrides)
            except pydantic.ValidationError as exc:
                errors = [(problem.path or "?", problem) for problem in field_problems(exc)]
                if any(name not in fields or name in overrides for name, _ in errors):
                    return cls.model_construct()  # a default refused: nothing but the defaults
                for name, problem in errors:
                    # a bad PRESTASHOP_INFOR_SENSORS stops the sensors, whatever the schedules say
                    overrides[name] = "off" if name == "PRESTASHOP_INFOR_SENSORS" else fields[name].default
                    shown = _shown(name, problem.value)
                    message = (
                        f"{name}={shown}: {problem.message}; the code location loads as if it were "
                        f"{overrides[name]!s}, and every run and tick that reads the settings fails until "
                        "it is fixed"
                    )
                    if message not in _warned:
                        _warned.add(message)
                        _log.warning(message)
        return cls.model_construct()

    def store_url(self) -> str:
        """``PRESTASHOP_INFOR_DATABASE_URL``, else SQLite next to the Dagster instance (or in the
        working directory without one), so runs and commands find the same store."""
        if self.database_url:
            return self.database_url
        folder = (
            Path(self.dagster_home) / "prestashop_infor" if self.dagster_home else Path(".prestashop_infor")
        )
        name = f"store-{self._source}.db" if self._source else "store.db"
        return f"sqlite:///{(folder / name).resolve()}"

    def ionapi_credentials(self) -> IonApiCredentials:
        """``INFOR_IONAPI_FILE``, else the ``INFOR_IONAPI_<KEY>`` variables."""
        via = ENV_FILE if self.ionapi_file else f"{ENV_PREFIX}<KEY>"
        try:
            credentials = IonApiCredentials.from_env(os.environ)
        except ValueError as exc:
            raise SettingsError(f"the M3 connection ({via}): {exc}") from None
        carried = {"iu": "the ION API's bearer tokens", "pu": "the client secret and service-account keys"}
        for key, url in (("iu", credentials.ion_api_url), ("pu", credentials.token_url)):
            refusal = http_refusal(url, self.infor_allow_http, carried[key], "INFOR_ALLOW_HTTP")
            if refusal:
                label = key if self.ionapi_file else ENV_PREFIX + key.upper()
                raise SettingsError(f"the M3 connection ({via}): {label}: {refusal}")
        return credentials

    def require_prestashop(self) -> tuple[str, str]:
        """The shop's URL and key; missing ones are a ``SettingsError``."""
        missing = self._missing_shop()
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            raise SettingsError(
                f"{' and '.join(missing)} {verb} not set (the shop's base URL and Webservice key)"
            )
        assert self.prestashop_url is not None and self.prestashop_api_key is not None
        return self.prestashop_url, self.prestashop_api_key.get_secret_value()

    def webhook_secrets(self) -> list[str]:
        """The receiver's active secrets (``WEBHOOK_SECRET``, comma-separated during a rotation),
        each at least 32 characters (the contract asks for 32 random bytes or more)."""
        if self.webhook_secret is None:
            raise SettingsError(
                f"{self.variable('WEBHOOK_SECRET')} is not set (the shared secret, or several comma-separated)"
            )
        secrets = comma_separated(self.webhook_secret.get_secret_value())
        short = [index + 1 for index, secret in enumerate(secrets) if len(secret) < MIN_SECRET_LENGTH]
        if not secrets or short:
            raise SettingsError(
                f"{self.variable('WEBHOOK_SECRET')}: every secret needs at least {MIN_SECRET_LENGTH} characters "
                f"(too short: {', '.join(map(str, short)) or 'all'}); the value is not shown"
            )
        return secrets

    def ps_webhooks_tokens(self) -> list[str]:
        """The tokens that open the ps_webhooks door (``PS_WEBHOOKS_TOKEN``, comma-separated during a
        rotation, as ``WEBHOOK_SECRET``); empty when it is unset, which keeps the door closed. Each is
        at least 32 characters of letters, digits, ``-`` and ``_`` (it travels in a URL path)."""
        if self.ps_webhooks_token is None:
            return []
        tokens = comma_separated(self.ps_webhooks_token.get_secret_value())
        bad = [
            index + 1
            for index, token in enumerate(tokens)
            if len(token) < MIN_SECRET_LENGTH or not set(token) <= _URL_SAFE
        ]
        if not tokens or bad:
            raise SettingsError(
                f"{self.variable('PS_WEBHOOKS_TOKEN')}: every token needs at least {MIN_SECRET_LENGTH} characters, letters, digits, "
                f"- and _ only (wrong: {', '.join(map(str, bad)) or 'all'}); the value is not shown"
            )
        return tokens


@dataclass(frozen=True)
class SandboxSettings:
    """How ``prestashop-infor sandbox`` / ``demo`` start the emulators."""

    host: str = "127.0.0.1"
    # the host name other machines reach the emulators by (a container's service name), written into
    # the URLs the sandbox hands out (.ionapi, webhooks); None: ``host``
    advertised_host: str | None = None
    prestashop_port: int = 8081
    api_key: str = SANDBOX_API_KEY
    seed: int = 42
    orders: int = 2000
    version: str = "1.7.8.0"
    time_zone: str = "Europe/Paris"
    infor_port: int = 8082
    tenant: str = "SANDBOX_TST"
    ionapi_out: Path = Path(".prestashop_infor/sandbox.ionapi")
    traffic_interval: float = 0.0  # seconds between orders placed by simulated customers; 0 = none
    webhook_urls: tuple[str, ...] = ()  # receivers the shop's webhooks are sent to
    webhook_secret: str = field(default="", repr=False)  # their shared secret
    # A history in both systems (sandbox.history): orders over the last ``history_days`` days, about
    # ``orders_per_day`` a day, each in the shop and in M3; it replaces the ``orders`` seed.
    history_days: int = 0
    orders_per_day: int = 0
    # the share (0 to 1) of the M3 emulator's orders of two lines or more delivered in two deliveries
    split_deliveries: float = 0.0
    shops: int = 1  # shops of the PrestaShop multistore (1 to 4); the demo seeds two

    def __post_init__(self) -> None:
        if not 0.0 <= self.split_deliveries <= 1.0:
            raise ValueError(f"split_deliveries must be a share from 0 to 1, got {self.split_deliveries}")
        if not 1 <= self.shops <= 4:
            raise ValueError(f"shops must be 1 to 4, got {self.shops}")
        if not 0 <= self.history_days <= MAX_HISTORY_DAYS:
            raise ValueError(f"history_days must be 0 to {MAX_HISTORY_DAYS} days, got {self.history_days}")
        if not 0 <= self.orders_per_day <= MAX_ORDERS_PER_DAY:
            raise ValueError(
                f"orders_per_day must be 0 to {MAX_ORDERS_PER_DAY} orders, got {self.orders_per_day}"
            )
        if (self.history_days > 0) != (self.orders_per_day > 0):
            raise ValueError(
                "history_days and orders_per_day go together: give both (a history of N days, M orders "
                f"a day) or neither; got history_days={self.history_days}, orders_per_day={self.orders_per_day}"
            )


__all__ = [
    "MAX_HISTORY_DAYS",
    "MAX_ORDERS_PER_DAY",
    "SANDBOX_API_KEY",
    "IonApiFileError",
    "SandboxSettings",
    "Settings",
    "SettingsError",
]
