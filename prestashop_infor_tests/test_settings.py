"""One settings object for the command and the runs; command-line help that shows the defaults; a
shop URL accepted with or without /api/; no shop key or ION API secret sent over plain http beyond
loopback unless allowed; the alert format."""

from __future__ import annotations

import json

import pytest

from prestashop_infor.cli import build_parser, main
from prestashop_infor.infor.ionapi import ENV_FILE, ENV_PREFIX, KNOWN_KEYS
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.settings import SANDBOX_API_KEY, Settings, SettingsError


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example",
        "https://shop.example/",
        "https://shop.example/api",
        "https://shop.example/api/",
    ],
)
def test_a_shop_url_is_accepted_with_or_without_api(url: str):
    with PrestashopClient(url, "K" * 32) as client:
        assert client.base_url == "https://shop.example"


def test_help_shows_the_defaults(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per option
    for command in (["sandbox"], ["demo"], ["dlq", "list"]):
        with pytest.raises(SystemExit) as done:
            main([*command, "--help"])
        assert done.value.code == 0
    text = capsys.readouterr().out
    assert "(default: 8081)" in text and "(default: 3000)" in text and f"(default: {SANDBOX_API_KEY})" in text
    assert "(default: open)" in text  # dlq list --state


def test_the_dlq_command_reads_the_same_settings_and_names_a_bad_one(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PRESTASHOP_INFOR_SCHEDULES", "sometimes")
    assert main(["dlq", "list"]) == 2
    assert "PRESTASHOP_INFOR_SCHEDULES='sometimes'" in capsys.readouterr().err
    monkeypatch.delenv("PRESTASHOP_INFOR_SCHEDULES")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv("PRESTASHOP_INFOR_DATABASE_URL", raising=False)
    assert main(["dlq", "list"]) == 2
    assert f"there is no store at {tmp_path / 'prestashop_infor' / 'store.db'}" in capsys.readouterr().err
    assert build_parser().parse_args(["dlq", "list"]).state == "open"


# -- issue 17 §9: no key in clear by default ---------------------------------------------------------

IONAPI_VARIABLES = [ENV_FILE, *(ENV_PREFIX + key.upper() for key in KNOWN_KEYS), "INFOR_ALLOW_HTTP"]


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("PRESTASHOP_URL", "PRESTASHOP_ALLOW_HTTP", "ALERT_FORMAT", *IONAPI_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    "url", ["http://shop.example", "http://10.0.0.5:8080/api/", "http://sandbox:8081", "http://[fd00::1]/"]
)
def test_a_plain_http_shop_url_beyond_loopback_is_refused_unless_allowed(clean_env, url):
    clean_env.setenv("PRESTASHOP_URL", url)
    with pytest.raises(SettingsError) as refused:
        Settings.read()
    message = str(refused.value)
    assert message.startswith(f"PRESTASHOP_URL={url!r}: ")
    assert "would send the shop's Webservice key in clear" in message
    assert "use https://, or set PRESTASHOP_ALLOW_HTTP=1" in message
    clean_env.setenv("PRESTASHOP_ALLOW_HTTP", "1")
    assert Settings.read().prestashop_url == url


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/api/",
        "http://127.0.0.1:8081",
        "http://127.8.9.10/api/",
        "http://localhost:8081/api/",
        "http://LOCALHOST:8081",
        "http://[::1]:8081",
    ],
)
def test_https_and_loopback_shop_urls_need_no_permission(clean_env, url):
    clean_env.setenv("PRESTASHOP_URL", url)
    assert Settings.read().prestashop_url == url


def test_a_refused_shop_url_shows_no_key_written_into_it(clean_env):
    clean_env.setenv("PRESTASHOP_URL", "http://KEYINUSERINFO@shop.example/api/?ws_key=KEYINQUERY")
    with pytest.raises(SettingsError) as refused:
        Settings.read()
    assert "PRESTASHOP_URL='http://shop.example/api/'" in str(refused.value)
    assert "KEYIN" not in str(refused.value)


@pytest.mark.parametrize("url", ["shop.example", "ftp://shop.example", "https://"])
def test_a_shop_url_that_is_no_http_url_is_refused(clean_env, url):
    clean_env.setenv("PRESTASHOP_URL", url)
    with pytest.raises(SettingsError, match=r"PRESTASHOP_URL=.*must be an http\(s\) URL with a host"):
        Settings.read()


def test_a_bad_allow_http_value_is_named(clean_env):
    clean_env.setenv("PRESTASHOP_ALLOW_HTTP", "perhaps")
    with pytest.raises(
        SettingsError, match="PRESTASHOP_ALLOW_HTTP='perhaps': Input should be a valid boolean"
    ):
        Settings.read()


def test_the_commands_refuse_a_plain_http_shop_and_say_why(clean_env, capsys):
    clean_env.setenv("PRESTASHOP_URL", "http://shop.example/api/")
    assert main(["dlq", "list"]) == 2
    assert "would send the shop's Webservice key in clear" in capsys.readouterr().err


def test_the_code_location_loads_with_a_refused_shop_url_and_says_so(clean_env, caplog):
    clean_env.setenv("PRESTASHOP_URL", "http://shop-lenient.example")
    assert Settings.read_leniently().prestashop_url is None
    assert "PRESTASHOP_URL='http://shop-lenient.example'" in caplog.text and "in clear" in caplog.text


def ionapi(iu: str, pu: str) -> dict[str, str]:
    return {
        "ti": "ACME_TST",
        "ci": "ACME_TST~client",
        "cs": "S" * 40,
        "iu": iu,
        "pu": pu,
        "ot": "token.oauth2",
    }


@pytest.mark.parametrize(
    ("iu", "pu", "refused"),
    [
        (
            "http://m3.example",
            "https://sso.example/ACME_TST/as/",
            "INFOR_IONAPI_IU: plain http to m3.example",
        ),
        (
            "https://m3.example",
            "http://sso.example/ACME_TST/as/",
            "INFOR_IONAPI_PU: plain http to sso.example",
        ),
        ("http://127.0.0.1:8082", "http://localhost:8082/ACME_TST/as/", None),
        ("https://m3.example", "https://sso.example/ACME_TST/as/", None),
    ],
)
def test_plain_http_ion_api_urls_beyond_loopback_are_refused_unless_allowed(clean_env, iu, pu, refused):
    for key, value in ionapi(iu, pu).items():
        clean_env.setenv(ENV_PREFIX + key.upper(), value)
    if refused is None:
        assert Settings.read().ionapi_credentials().ion_api_url == iu
        return
    with pytest.raises(SettingsError) as error:
        Settings.read().ionapi_credentials()
    assert str(error.value).startswith(f"the M3 connection (INFOR_IONAPI_<KEY>): {refused} would send ")
    assert "in clear; use https://, or set INFOR_ALLOW_HTTP=1" in str(error.value)
    assert "S" * 40 not in str(error.value)
    clean_env.setenv("INFOR_ALLOW_HTTP", "1")
    assert Settings.read().ionapi_credentials().ion_api_url == iu


def test_an_ionapi_file_follows_the_same_rule(clean_env, tmp_path):
    path = tmp_path / "sandbox.ionapi"
    path.write_text(json.dumps(ionapi("http://sandbox:8082", "http://sandbox:8082/ACME_TST/as/")))
    clean_env.setenv(ENV_FILE, str(path))
    with pytest.raises(SettingsError, match=r"\(INFOR_IONAPI_FILE\): iu: plain http to sandbox would send"):
        Settings.read().ionapi_credentials()
    clean_env.setenv("INFOR_ALLOW_HTTP", "true")
    assert Settings.read().ionapi_credentials().auth_url == "http://sandbox:8082/ACME_TST/as/"


# -- issue 17 §10: alerts in the tools people use -------------------------------------------------------


def test_alert_format_is_json_slack_or_teams(clean_env):
    assert Settings.read().alert_format == "json"
    clean_env.setenv("ALERT_FORMAT", " Slack ")
    assert Settings.read().alert_format == "slack"
    clean_env.setenv("ALERT_FORMAT", "discord")
    with pytest.raises(SettingsError) as refused:
        Settings.read()
    assert str(refused.value) == "ALERT_FORMAT='discord': Input should be 'json', 'slack' or 'teams'"
