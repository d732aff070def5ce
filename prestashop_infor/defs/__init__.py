"""The project's Dagster definitions (``dagster dev -m prestashop_infor.defs``): every integration's
definitions merged, with the resources bound once.

Settings come from the environment through ``dg.EnvVar`` (resolved when a run starts, never shown
in the UI); the optional ones fall back to a default when unset:

- ``PRESTASHOP_URL``, ``PRESTASHOP_API_KEY`` — the shop (required to run the PrestaShop assets);
- ``PRESTASHOP_TIME_ZONE`` — the shop's IANA time zone (default ``UTC``);
- ``PRESTASHOP_INFOR_DATABASE_URL`` — the store (default: SQLite ``$DAGSTER_HOME/prestashop_infor/store.db``,
  or ``./.prestashop_infor/store.db`` without ``DAGSTER_HOME``);
- ``INFOR_IONAPI_FILE`` — the ION API credentials file, or each of its keys as ``INFOR_IONAPI_<KEY>``
  (``TI``, ``CI``, ``CS``, ``IU``, ``PU``, ``SAAK``, ``SASK``);
- ``PRESTASHOP_INFOR_DATABASE_SCHEMA`` — PostgreSQL only: the schema holding the store's tables;
- ``PRESTASHOP_INFOR_MAPPING_FILE`` — the mapping.yaml (default: the commented one in the package);
- ``PRESTASHOP_INFOR_SCHEDULES`` — ``on`` starts the sync schedules with the code location (default ``off``);
- ``PRESTASHOP_INFOR_MAX_FAILURE_SHARE`` — the validation gate's threshold, 0–1 (default ``0.05``).
"""

from __future__ import annotations

import os

import dagster as dg

from prestashop_infor.defs import infor, prestashop, sync
from prestashop_infor.defs.infor import infor_resources
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.store import default_database_url

DEFAULT_MAX_FAILURE_SHARE = 0.05


def _env_or(name: str, default: str) -> str | dg.EnvVar:
    """``dg.EnvVar(name)`` when the variable is set (the value stays out of the run config), else ``default``."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def _max_failure_share() -> float:
    text = os.environ.get("PRESTASHOP_INFOR_MAX_FAILURE_SHARE", "")
    if not text:
        return DEFAULT_MAX_FAILURE_SHARE
    try:
        share = float(text)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"PRESTASHOP_INFOR_MAX_FAILURE_SHARE must be a number from 0 to 1, got {text!r}")
    return share


resources = {
    "prestashop": PrestashopResource(
        url=dg.EnvVar("PRESTASHOP_URL"),
        api_key=dg.EnvVar("PRESTASHOP_API_KEY"),
        time_zone=_env_or("PRESTASHOP_TIME_ZONE", "UTC"),
    ),
    "store": StoreResource(
        database_url=_env_or("PRESTASHOP_INFOR_DATABASE_URL", default_database_url()),
        database_schema=dg.EnvVar("PRESTASHOP_INFOR_DATABASE_SCHEMA")
        if os.environ.get("PRESTASHOP_INFOR_DATABASE_SCHEMA")
        else None,
    ),
    "validation_gate": ValidationGateResource(max_failure_share=_max_failure_share()),
    "mapping": MappingResource(mapping_file=_env_or("PRESTASHOP_INFOR_MAPPING_FILE", "")),
    **infor_resources,
}

defs = dg.Definitions.merge(prestashop.defs, infor.defs, sync.defs, dg.Definitions(resources=resources))
