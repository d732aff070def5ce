"""The alert bodies (issue 17 §10), as plain functions of the alert dict, without Dagster: what Slack
and Teams would refuse or misread never leaves here. The alerts that the sensors build, posted to a
receiver in each format: ``test_alerts.py``."""

from __future__ import annotations

import pytest

from prestashop_infor.alert_formats import (
    FORMATS,
    SLACK_FIELD_CHARS,
    SLACK_SECTION_CHARS,
    body,
    facts,
    sentence,
)

UI = "http://127.0.0.1:3000"


def failure_alert(job: str, run_id: str, error: str) -> dict:
    """A failed run's alert as ``defs.alerts.failure_alert`` builds it."""
    link = f"{UI}/runs/{run_id}"
    text = f"prestashop-infor: run of {job} failed: {error} ({link})"
    return {"text": text, "job": job, "run_id": run_id, "error": error, "link": link}


def test_the_formats_are_json_slack_and_teams_and_json_is_the_alert_itself():
    alert = failure_alert("order_sync_job", "r1", "M3 said no")
    assert FORMATS == ("json", "slack", "teams")
    assert body(alert, "json") == alert
    with pytest.raises(ValueError, match="one of json, slack, teams"):
        body(alert, "discord")  # type: ignore[arg-type]


def test_a_chat_shows_the_sentence_without_the_name_and_the_link_it_shows_apart():
    alert = failure_alert("order_sync_job", "r1", "M3 said no")
    assert alert["text"] == f"prestashop-infor: run of order_sync_job failed: M3 said no ({UI}/runs/r1)"
    assert sentence(alert) == "run of order_sync_job failed: M3 said no"


def test_facts_leave_out_what_has_no_value():
    link = f"{UI}/assets/infor/sales_orders?view=checks"
    cleared = {
        "text": f"prestashop-infor: webhook inbox moves again ({link})", "kind": "stall", "state": "cleared",
        "stall": "inbox:orders", "what": "webhook inbox stuck", "since": None, "holder": None, "run_id": None,
        "link": link,
    }  # fmt: skip
    assert facts(cleared) == [("State", "cleared"), ("Stall", "inbox:orders")]
    card = body(cleared, "teams")["attachments"][0]["content"]
    assert card["body"][2] == {
        "type": "FactSet",
        "facts": [{"title": "State", "value": "cleared"}, {"title": "Stall", "value": "inbox:orders"}],
    }


def test_slack_text_is_escaped_so_an_error_cannot_mention_or_link():
    alert = failure_alert("order_sync_job", "r1", "M3 said <!channel> & <http://evil|click>")
    message = body(alert, "slack")["blocks"][0]["text"]["text"]
    assert "M3 said &lt;!channel&gt; &amp; &lt;http://evil|click&gt;" in message
    assert "<!channel>" not in message


def test_a_long_error_stays_within_slacks_block_limits():
    """Slack refuses the whole message when one block is too long: the alert would be lost."""
    alert = failure_alert("order_sync_job", "r" * 2500, "x" * 5000)
    blocks = body(alert, "slack")["blocks"]
    assert len(blocks[0]["text"]["text"]) == SLACK_SECTION_CHARS and blocks[0]["text"]["text"].endswith("…")
    assert all(len(field["text"]) <= SLACK_FIELD_CHARS for field in blocks[1]["fields"])
    assert len(blocks[1]["fields"]) <= 10


def test_teams_card_text_is_what_the_alert_says():
    """A card shows the full sentence (Teams wraps, it has no 3000-character limit to clip at)."""
    alert = failure_alert("order_sync_job", "r1", "y" * 5000)
    card = body(alert, "teams")["attachments"][0]["content"]
    assert card["body"][1] == {"type": "TextBlock", "text": sentence(alert), "wrap": True}
