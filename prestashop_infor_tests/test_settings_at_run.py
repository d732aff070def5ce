"""Settings are read when a run or a tick starts, not when the code location loads (issue 16).

A bad ``PRESTASHOP_TIME_ZONE``, ``PRESTASHOP_INFOR_SCHEDULES``, ``PRESTASHOP_INFOR_SENSORS`` or
``PRESTASHOP_INFOR_RECONCILIATION_START``: the code location still loads (a warning names the
variable, its default stands in, the schedules and sensors stopped), and every tick of a schedule or
sensor and every run of a reconciliation asset fails with a message naming the variable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

import prestashop_infor.defs
from prestashop_infor.defs.reconciliation import (
    infor_orders_daily,
    order_reconciliation,
    prestashop_orders_daily,
)
from prestashop_infor.sandbox import start_sandbox
from prestashop_infor.serving import free_port
from prestashop_infor.settings import SandboxSettings, Settings, SettingsError

VARIABLES = (
    "PRESTASHOP_TIME_ZONE",
    "PRESTASHOP_INFOR_SCHEDULES",
    "PRESTASHOP_INFOR_SENSORS",
    "PRESTASHOP_INFOR_RECONCILIATION_START",
)
BAD = [
    ("PRESTASHOP_TIME_ZONE", "Mars/Olympus"),
    ("PRESTASHOP_INFOR_SCHEDULES", "sometimes"),
    ("PRESTASHOP_INFOR_SENSORS", "maybe"),
    ("PRESTASHOP_INFOR_RECONCILIATION_START", "the first of May"),
]
PROJECT_SENSORS = ("prestashop_webhook_sensor", "infor_order_status_sensor")  # alerts.py has its own
# the shop and M3 connection, present (the schedules and sensors start only with them; not contacted)
LANES_SET = {
    "PRESTASHOP_URL": "https://shop.example",
    "PRESTASHOP_API_KEY": "K" * 32,
    "INFOR_IONAPI_FILE": "/x.ionapi",
}
AT = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)

LOAD = """
import json
import dagster as dg
import prestashop_infor.defs
from prestashop_infor.defs.reconciliation import DAILY

defs = prestashop_infor.defs.defs
dg.Definitions.validate_loadable(defs)
repository = defs.get_repository_def()
print(json.dumps({
    "schedules": {s.name: s.default_status.value for s in repository.schedule_defs},
    "sensors": {s.name: s.default_status.value for s in repository.sensor_defs},
    "start": DAILY.start.date().isoformat(),
    "time_zone": DAILY.timezone,
}))
"""


def _environment(**values: str) -> dict[str, str]:
    """This process's environment without the variables under test, plus ``values``."""
    environment = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return {**environment, **values}


def _load(**values: str) -> tuple[dict, str]:
    """The definitions loaded in a fresh process (module-level definitions are built once per
    process): what they hold, and what the load wrote to stderr."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD],
        env=_environment(**values),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.mark.parametrize(("variable", "value"), BAD)
def test_the_code_location_loads_with_a_bad_value_and_says_which(variable: str, value: str) -> None:
    loaded, stderr = _load(**{variable: value})
    assert f"{variable}={value!r}" in stderr and "the code location loads as if it were" in stderr
    assert set(loaded["schedules"].values()) == {"STOPPED"}  # the default, or the bad value's stand-in
    assert {loaded["sensors"][name] for name in PROJECT_SENSORS} == {"STOPPED"}
    assert loaded["time_zone"] == "UTC" and loaded["start"] == "2024-01-01"


def test_only_the_bad_value_falls_back_at_load() -> None:
    """A bad time zone leaves the schedules on as asked; a bad sensors switch stops the sensors even
    with the schedules on (unset, they would follow the schedules)."""
    loaded, stderr = _load(
        PRESTASHOP_TIME_ZONE="Mars/Olympus",
        PRESTASHOP_INFOR_SCHEDULES="on",
        PRESTASHOP_INFOR_SENSORS="maybe",
        PRESTASHOP_INFOR_RECONCILIATION_START="2025-02-01",
        **LANES_SET,
    )
    assert "PRESTASHOP_TIME_ZONE='Mars/Olympus'" in stderr and "PRESTASHOP_INFOR_SENSORS='maybe'" in stderr
    assert loaded["schedules"]["order_sync_schedule"] == "RUNNING"
    assert loaded["schedules"]["order_reconciliation_schedule"] == "RUNNING"
    assert {loaded["sensors"][name] for name in PROJECT_SENSORS} == {"STOPPED"}
    assert loaded["time_zone"] == "UTC" and loaded["start"] == "2025-02-01"
    good, stderr = _load(PRESTASHOP_TIME_ZONE="Europe/Paris", PRESTASHOP_INFOR_SCHEDULES="on", **LANES_SET)
    assert "the code location loads as if it were" not in stderr
    assert good["time_zone"] == "Europe/Paris"
    assert {good["sensors"][name] for name in PROJECT_SENSORS} == {"RUNNING"}


def test_the_lenient_read_uses_the_defaults_and_the_strict_one_names_the_variable(monkeypatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for variable, value in BAD:
        monkeypatch.setenv(variable, value)
    lenient = Settings.read_leniently()
    assert lenient.prestashop_time_zone == "UTC" and str(lenient.reconciliation_start) == "2024-01-01"
    assert lenient.schedules == "off" and lenient.sensors == "off"
    with pytest.raises(SettingsError) as caught:
        Settings.read()
    assert all(f"{variable}={value!r}" in str(caught.value) for variable, value in BAD)


def _tick_error(evaluate) -> str:
    """The error a tick fails with and its causes (Dagster wraps a decorated function's error in a
    ScheduleExecutionError or SensorExecutionError and shows the chain): the settings' error among them."""
    with pytest.raises(Exception) as caught:  # the SettingsError is looked for in the chain
        evaluate()
    error: BaseException | None = caught.value
    texts = []
    while error is not None:
        texts.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    assert any(text.startswith("SettingsError: ") for text in texts), texts
    return "\n".join(texts)


def _settings_env(monkeypatch, tmp_path: Path, **values: str) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRESTASHOP_INFOR_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    for name, value in values.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(("variable", "value"), BAD)
def test_every_schedule_and_sensor_tick_fails_naming_the_variable(
    variable: str, value: str, monkeypatch, tmp_path: Path
) -> None:
    _settings_env(monkeypatch, tmp_path, **{variable: value})
    repository = prestashop_infor.defs.defs.get_repository_def()
    schedules = list(repository.schedule_defs)
    assert (
        len(schedules) == 7
    )  # order sync, order status, stock sync, price sync, extraction, two reconciliations
    resources = prestashop_infor.defs.resources
    with dg.instance_for_test() as instance:
        for schedule in schedules:
            with dg.build_schedule_context(
                instance=instance, scheduled_execution_time=AT, repository_def=repository
            ) as context:
                error = _tick_error(lambda: schedule.evaluate_tick(context))  # noqa: B023 - called at once
            assert f"{variable}={value!r}" in error, schedule.name
        for name in PROJECT_SENSORS:
            sensor = repository.get_sensor_def(name)
            with dg.build_sensor_context(instance=instance, resources=resources) as context:
                error = _tick_error(lambda: sensor.evaluate_tick(context))  # noqa: B023 - called at once
            assert f"{variable}={value!r}" in error, name


def test_with_good_settings_the_schedules_ask_for_their_runs(monkeypatch, tmp_path: Path) -> None:
    _settings_env(monkeypatch, tmp_path, PRESTASHOP_TIME_ZONE="Europe/Paris")
    repository = prestashop_infor.defs.defs.get_repository_def()
    with dg.instance_for_test() as instance:
        for schedule in repository.schedule_defs:
            with dg.build_schedule_context(
                instance=instance, scheduled_execution_time=AT, repository_def=repository
            ) as context:
                requests = schedule.evaluate_tick(context).run_requests
            assert requests is not None and len(requests) == 1, schedule.name
            if schedule.name == "order_reconciliation_schedule":
                assert requests[0].partition_key == "2026-12-03" and requests[0].run_key == "2026-12-03"


# -- a run of the reconciliation assets, on the emulators ------------------------------------------


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch):
    """The emulators, and the environment pointing the project's resources at them (as a deployment
    sets it): only the variable under test is wrong."""
    settings = SandboxSettings(prestashop_port=free_port(), infor_port=free_port(), orders=5,
                               ionapi_out=tmp_path / "sandbox.ionapi")  # fmt: skip
    started = start_sandbox(settings)
    try:
        _settings_env(monkeypatch, tmp_path, **started.environment())
        yield started
    finally:
        started.stop()


def _reconcile(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [prestashop_orders_daily, infor_orders_daily, order_reconciliation],
        resources=prestashop_infor.defs.resources,
        partition_key="2025-03-06",
        instance=instance,
        raise_on_error=False,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PRESTASHOP_TIME_ZONE", "Mars/Olympus"), ("PRESTASHOP_INFOR_RECONCILIATION_START", "the first of May")],
)
def test_a_reconciliation_run_fails_naming_the_variable(
    sandbox, variable: str, value: str, monkeypatch
) -> None:
    with dg.instance_for_test() as instance:
        assert _reconcile(instance).success  # the emulators and the store are fine
        monkeypatch.setenv(variable, value)
        result = _reconcile(instance)
    assert not result.success
    failures = result.get_step_failure_events()
    assert failures
    for failure in failures:
        error = failure.step_failure_data.error
        assert error is not None and f"{variable}={value!r}" in error.to_string()
    assert not result.get_asset_materialization_events()
