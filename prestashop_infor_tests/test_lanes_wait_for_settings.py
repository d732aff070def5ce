"""The lanes' schedules and sensors stay stopped until the shop and the M3 connection are set, and say
so in the UI (issue 17): switched on (``PRESTASHOP_INFOR_SCHEDULES=on``) without them, every tick
would fail; instead their default status is STOPPED and their descriptions, which the UI shows, name
the missing variables. The definitions are loaded in a fresh process per case (the default status
and the descriptions are fixed when the code location loads).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from prestashop_infor.settings import Settings

LANE_SCHEDULES = (
    "order_sync_schedule",
    "order_status_schedule",
    "stock_sync_schedule",
    "order_reconciliation_schedule",
    "stock_reconciliation_schedule",
)
LANE_SENSORS = ("prestashop_webhook_sensor", "infor_order_status_sensor")
SHOP = {"PRESTASHOP_URL": "https://shop.example", "PRESTASHOP_API_KEY": "K" * 32}
M3_KEYS = {
    "INFOR_IONAPI_TI": "TENANT_PRD",
    "INFOR_IONAPI_CI": "client",
    "INFOR_IONAPI_CS": "secret",
    "INFOR_IONAPI_IU": "https://ion.example/TENANT_PRD",
    "INFOR_IONAPI_PU": "https://sso.example/TENANT_PRD/as/",
    "INFOR_IONAPI_OT": "token.oauth2",
}
STOPPED_NOTE = "Stopped until set: "

LOAD = """
import json
import prestashop_infor.defs

repository = prestashop_infor.defs.defs.get_repository_def()
print(json.dumps({
    "schedules": {s.name: [s.default_status.value, s.description] for s in repository.schedule_defs},
    "sensors": {s.name: [s.default_status.value, s.description] for s in repository.sensor_defs},
}))
"""


def _clean_environment() -> dict[str, str]:
    """This process's environment without any of the integration's variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PRESTASHOP_", "INFOR_", "ALERT_"))}


def _load(**values: str) -> dict[str, dict[str, list[str]]]:
    done = subprocess.run(
        [sys.executable, "-c", LOAD],
        env={**_clean_environment(), **values},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _lanes(loaded: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    return {
        **{name: loaded["schedules"][name] for name in LANE_SCHEDULES},
        **{name: loaded["sensors"][name] for name in LANE_SENSORS},
    }


def test_switched_on_without_the_shop_and_m3_the_lanes_stay_stopped_and_say_why() -> None:
    lanes = _lanes(_load(PRESTASHOP_INFOR_SCHEDULES="on"))
    for name, (status, description) in lanes.items():
        assert status == "STOPPED", name
        note = description[description.index(STOPPED_NOTE) :]
        assert note.startswith(
            "Stopped until set: PRESTASHOP_URL, PRESTASHOP_API_KEY, INFOR_IONAPI_FILE (or the "
            "INFOR_IONAPI_<KEY> variables)"
        ), (name, note)


def test_a_partial_m3_connection_names_the_keys_it_lacks() -> None:
    partial = {
        key: value for key, value in M3_KEYS.items() if key not in ("INFOR_IONAPI_CS", "INFOR_IONAPI_OT")
    }
    lanes = _lanes(_load(PRESTASHOP_INFOR_SCHEDULES="on", **SHOP, **partial))
    for name, (status, description) in lanes.items():
        assert status == "STOPPED", name
        assert f"{STOPPED_NOTE}INFOR_IONAPI_CS, INFOR_IONAPI_OT (" in description, (name, description)
        assert "PRESTASHOP_" not in description[description.index(STOPPED_NOTE) :], name


def test_with_the_shop_and_m3_set_the_lanes_start_and_the_note_is_gone() -> None:
    for m3 in ({"INFOR_IONAPI_FILE": "/opt/dagster/config/prod.ionapi"}, M3_KEYS):
        lanes = _lanes(_load(PRESTASHOP_INFOR_SCHEDULES="on", **SHOP, **m3))
        for name, (status, description) in lanes.items():
            assert status == "RUNNING", (name, m3)
            assert STOPPED_NOTE not in description, name
    # switched off, they stay stopped, with nothing missing to report
    lanes = _lanes(_load(PRESTASHOP_INFOR_SCHEDULES="off", **SHOP, **M3_KEYS))
    assert {status for status, _ in lanes.values()} == {"STOPPED"}
    assert not any(STOPPED_NOTE in description for _, description in lanes.values())


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        (
            {},
            [
                "PRESTASHOP_URL",
                "PRESTASHOP_API_KEY",
                "INFOR_IONAPI_FILE (or the INFOR_IONAPI_<KEY> variables)",
            ],
        ),
        ({**SHOP, "INFOR_IONAPI_FILE": "/x.ionapi"}, []),
        ({**SHOP, **M3_KEYS}, []),
        ({"PRESTASHOP_URL": "https://shop.example", **M3_KEYS}, ["PRESTASHOP_API_KEY"]),
        (
            {**SHOP, "INFOR_IONAPI_TI": "T", "INFOR_IONAPI_CN": "name only"},
            [
                "INFOR_IONAPI_CI",
                "INFOR_IONAPI_CS",
                "INFOR_IONAPI_IU",
                "INFOR_IONAPI_PU",
                "INFOR_IONAPI_OT",
            ],
        ),  # fmt: skip
        ({**SHOP, **M3_KEYS, "INFOR_IONAPI_CS": "  "}, ["INFOR_IONAPI_CS"]),  # blank is not set
        ({**SHOP, "INFOR_IONAPI_FILE": ""}, ["INFOR_IONAPI_FILE (or the INFOR_IONAPI_<KEY> variables)"]),
    ],
)
def test_missing_for_lanes_names_the_variables_by_name(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], missing: list[str]
) -> None:
    for name in list(os.environ):
        if name.startswith(("PRESTASHOP_", "INFOR_")):
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert Settings.read().missing_for_lanes() == missing
