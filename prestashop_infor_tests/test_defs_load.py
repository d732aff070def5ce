"""The project's Dagster definitions load, hold the PrestaShop assets, checks, job and schedule, and
read their settings from the environment the launcher sets."""

from __future__ import annotations

import importlib
from pathlib import Path

import dagster as dg
import pytest
import yaml

import prestashop_infor.defs
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.settings import Settings, SettingsError

ASSET_NAMES = {
    "prestashop_orders",
    "prestashop_customers",
    "prestashop_products",
    "prestashop_stock",
    "prestashop_reference_data",
}
REPO_ROOT = Path(__file__).resolve().parent.parent


def test_definitions_load_with_assets_checks_job_and_schedule() -> None:
    defs = prestashop_infor.defs.defs
    dg.Definitions.validate_loadable(defs)
    repository = defs.get_repository_def()
    graph = repository.asset_graph
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys >= ASSET_NAMES
    for name in ASSET_NAMES:
        node = graph.get(dg.AssetKey(name))
        assert node.group_name == "prestashop"
        assert node.description
        assert "prestashop" in node.kinds
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert {(name, "failure_share_within_threshold") for name in ASSET_NAMES} <= checks
    for key in graph.asset_check_keys:
        if key.asset_key.to_user_string() in ASSET_NAMES:
            assert graph.get_check_spec(key).blocking

    job = repository.get_job("prestashop_extract_job")
    assert job.executor_def.name == "in_process"
    schedule = repository.get_schedule_def("prestashop_extract_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.job_name == "prestashop_extract_job"

    assert set(repository.get_top_level_resources()) >= {"prestashop", "store", "validation_gate"}
    assert isinstance(prestashop_infor.defs.resources["prestashop"], PrestashopResource)


def test_the_code_location_loads_with_nothing_set_and_runs_read_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The definitions hold no settings (nothing read at import, no secret in a run's config);
    the resources read ``Settings`` when a run starts."""
    for name in (
        "PRESTASHOP_URL",
        "PRESTASHOP_API_KEY",
        "PRESTASHOP_INFOR_DATABASE_URL",
        "INFOR_IONAPI_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    module = importlib.reload(prestashop_infor.defs)
    try:
        resources = module.resources
        assert resources["prestashop"].url is None and resources["prestashop"].api_key is None
        assert resources["store"].database_url is None and resources["infor"].ionapi_file is None
        monkeypatch.setenv("PRESTASHOP_URL", "http://127.0.0.1:1/api/")
        monkeypatch.setenv("PRESTASHOP_API_KEY", "K" * 32)
        monkeypatch.setenv("PRESTASHOP_TIME_ZONE", "Europe/Paris")
        monkeypatch.setenv("PRESTASHOP_INFOR_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
        monkeypatch.setenv("PRESTASHOP_INFOR_MAX_FAILURE_SHARE", "0.2")
        with resources["prestashop"].get_client() as client:
            assert client.base_url == "http://127.0.0.1:1" and client.time_zone.key == "Europe/Paris"
        with resources["store"].open() as store:
            assert str(store.engine.url) == f"sqlite:///{tmp_path / 'x.db'}"
        assert resources["validation_gate"].threshold() == 0.2
    finally:
        monkeypatch.undo()
        importlib.reload(prestashop_infor.defs)


def test_defaults_and_bad_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "PRESTASHOP_TIME_ZONE",
        "PRESTASHOP_INFOR_DATABASE_URL",
        "PRESTASHOP_INFOR_MAX_FAILURE_SHARE",
        "PRESTASHOP_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    settings = Settings.read()
    assert settings.prestashop_time_zone == "UTC" and settings.max_failure_share == 0.05
    assert settings.store_url() == f"sqlite:///{tmp_path / 'prestashop_infor' / 'store.db'}"
    assert ValidationGateResource().threshold() == 0.05
    monkeypatch.setenv("PRESTASHOP_INFOR_MAX_FAILURE_SHARE", "five percent")
    with pytest.raises(SettingsError, match="PRESTASHOP_INFOR_MAX_FAILURE_SHARE='five percent'"):
        ValidationGateResource().threshold()
    monkeypatch.setenv("PRESTASHOP_INFOR_MAX_FAILURE_SHARE", "1.5")
    with pytest.raises(
        SettingsError, match="PRESTASHOP_INFOR_MAX_FAILURE_SHARE='1.5': .*less than or equal to 1"
    ):
        Settings.read()
    monkeypatch.setenv("PRESTASHOP_INFOR_MAX_FAILURE_SHARE", "0.1")
    monkeypatch.setenv("PRESTASHOP_INFOR_SCHEDULES", "sometimes")
    with pytest.raises(SettingsError, match="PRESTASHOP_INFOR_SCHEDULES='sometimes'"):
        Settings.read()
    monkeypatch.setenv("PRESTASHOP_INFOR_SCHEDULES", " ON ")
    assert Settings.read().schedules == "on"
    with pytest.raises(SettingsError, match="PRESTASHOP_URL and PRESTASHOP_API_KEY are not set"):
        PrestashopResource().get_client()


def test_resources_refuse_bad_settings() -> None:
    with pytest.raises(Exception, match="max_failure_share"):
        ValidationGateResource(max_failure_share=1.5)
    with pytest.raises(Exception, match="page_size"):
        PrestashopResource(url="http://x", api_key="k", page_size=0)
    assert StoreResource(database_url="sqlite://").database_schema is None


def test_workspace_and_instance_files_load() -> None:
    workspace = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())
    (location,) = workspace["load_from"]
    assert location["python_module"]["module_name"] == "prestashop_infor.defs"
    instance_config = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config_schema

    result = validate_config(dagster_instance_config_schema(), instance_config)
    assert result.success, result.errors
    assert instance_config["telemetry"]["enabled"] is False
    assert instance_config["run_retries"]["enabled"] is False


EXTRACTION_MODELS = {
    "prestashop_orders": "OrderSchema",
    "prestashop_customers": "CustomerSchema",
    "prestashop_products": "ProductSchema",
    "prestashop_stock": "StockSchema",
    "prestashop_reference_data": "OrderStateSchema",  # and the country and currency gates
    "infor_items": "ItemSchema",
    "infor_inventory": "BalanceSchema",
    "infor_order_statuses": "OrderStatusSchema",
}


def test_each_extraction_asset_shows_its_columns_and_checks() -> None:
    """The pandera model in front of the user: every gated asset's page lists the columns its gate
    checks (dagster/column_schema, from dagster-pandera) and its blocking failure-share check."""
    graph = prestashop_infor.defs.defs.resolve_asset_graph()
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    for name, model in EXTRACTION_MODELS.items():
        node = graph.get(dg.AssetKey(name))
        schema = node.metadata["dagster/column_schema"]
        columns = {column.name: column for column in schema.columns}
        assert columns and str(node.metadata["pandera_model"].value).endswith(model)
        assert (name, "failure_share_within_threshold") in checks
    order_id = {
        c.name: c
        for c in graph.get(dg.AssetKey("prestashop_orders")).metadata["dagster/column_schema"].columns
    }["id"]
    assert order_id.type == "Int64" and order_id.constraints.unique and "> 0" in order_id.constraints.other


def test_every_job_has_a_maximum_runtime() -> None:
    """No run runs for ever (issue 16 §2): Dagster's run monitoring ends a run past its job's
    ``dagster/max_runtime``; the instance's ``max_runtime_seconds`` covers runs outside a job."""
    from prestashop_infor.defs.runtime import MAX_RUNTIME_SECONDS, MAX_RUNTIME_TAG

    repository = prestashop_infor.defs.defs.get_repository_def()
    jobs = [job for job in repository.get_all_jobs() if not job.name.startswith("__")]
    assert {job.name for job in jobs} == set(MAX_RUNTIME_SECONDS)
    for job in jobs:
        assert int(job.tags[MAX_RUNTIME_TAG]) == MAX_RUNTIME_SECONDS[job.name] > 0, job.name
    for config in ("dagster.yaml", "docker/dagster.yaml"):
        monitoring = yaml.safe_load((REPO_ROOT / config).read_text())["run_monitoring"]
        assert monitoring["enabled"] and monitoring["max_runtime_seconds"] > 0, config
        assert 0 < monitoring["free_slots_after_run_end_seconds"] <= 5, config
        assert monitoring["poll_interval_seconds"] <= 5, config
