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

ASSET_NAMES = {"prestashop_orders", "prestashop_customers", "prestashop_products", "prestashop_stock"}
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


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRESTASHOP_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("PRESTASHOP_API_KEY", "K" * 32)
    monkeypatch.setenv("PRESTASHOP_TIME_ZONE", "Europe/Paris")
    monkeypatch.setenv("PRESTASHOP_INFOR_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("PRESTASHOP_INFOR_MAX_FAILURE_SHARE", "0.2")
    module = importlib.reload(prestashop_infor.defs)
    try:
        resources = module.resources
        # Secrets stay environment references: they are resolved when a run starts, not stored.
        assert isinstance(resources["prestashop"].api_key, dg.EnvVar)
        assert resources["prestashop"].api_key.env_var_name == "PRESTASHOP_API_KEY"
        assert resources["prestashop"].time_zone.env_var_name == "PRESTASHOP_TIME_ZONE"
        assert resources["store"].database_url.env_var_name == "PRESTASHOP_INFOR_DATABASE_URL"
        assert resources["validation_gate"].max_failure_share == 0.2
    finally:
        monkeypatch.undo()
        importlib.reload(prestashop_infor.defs)


def test_defaults_without_optional_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "PRESTASHOP_TIME_ZONE",
        "PRESTASHOP_INFOR_DATABASE_URL",
        "PRESTASHOP_INFOR_MAX_FAILURE_SHARE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    module = importlib.reload(prestashop_infor.defs)
    try:
        assert module.resources["prestashop"].time_zone == "UTC"
        assert (
            module.resources["store"].database_url
            == f"sqlite:///{tmp_path / 'prestashop_infor' / 'store.db'}"
        )
        assert module.resources["validation_gate"].max_failure_share == 0.05
        monkeypatch.setenv("PRESTASHOP_INFOR_MAX_FAILURE_SHARE", "five percent")
        with pytest.raises(
            ValueError, match="PRESTASHOP_INFOR_MAX_FAILURE_SHARE must be a number from 0 to 1"
        ):
            importlib.reload(prestashop_infor.defs)
    finally:
        monkeypatch.undo()
        importlib.reload(prestashop_infor.defs)


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
