"""One settings object for the command and the runs; command-line help that shows the defaults; a
shop URL accepted with or without /api/."""

from __future__ import annotations

import pytest

from prestashop_infor.cli import build_parser, main
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.settings import SANDBOX_API_KEY


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
