"""Alert bodies for the tools people read them in: ``ALERT_FORMAT`` picks one (``json`` by default).

An alert is the plain dict :mod:`prestashop_infor.defs.alerts` builds: ``text`` (one sentence ending
in the link), ``link``, and the fields a receiver routes on (a failed run: ``job``, ``run_id``,
``error``; a stall: ``kind: stall``, ``state``, ``stall``, ``what``, ``since``, ``holder``,
``run_id``). This module turns it into what the receiver accepts:

- ``json``: the alert itself, for a receiver of your own (and Slack, which shows its ``text``).
- ``slack``: a Slack incoming-webhook message: ``text`` (the notification and the fallback) and
  Block Kit ``blocks`` (the sentence, the fields, a link to the Dagster UI).
- ``teams``: a Microsoft Teams *workflow* webhook message ("Send webhook alerts to a channel"): one
  Adaptive Card 1.4 attachment (a title, the sentence, a fact set, an "Open in Dagster" action).
  Workflows accept Adaptive Cards only, not the retired connectors' MessageCard.

Plain functions of the alert, nothing of Dagster: ``body(alert, "teams")`` is the whole API.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

AlertFormat = Literal["json", "slack", "teams"]
FORMATS: tuple[str, ...] = get_args(AlertFormat)

PREFIX = "prestashop-infor: "
# the routing fields a chat shows as facts, in this order, under these labels
FACT_LABELS = {
    "job": "Job",
    "state": "State",
    "stall": "Stall",
    "since": "Since",
    "holder": "Held by",
    "run_id": "Run",
}
# Slack's Block Kit limits: a section's text, a field's text (a longer one refuses the whole message)
SLACK_SECTION_CHARS = 3000
SLACK_FIELD_CHARS = 2000
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def body(alert: dict[str, Any], alert_format: AlertFormat) -> dict[str, Any]:
    """What is posted to ``ALERT_WEBHOOK_URL`` for ``alert`` in ``alert_format``."""
    if alert_format == "slack":
        return slack(alert)
    if alert_format == "teams":
        return teams(alert)
    if alert_format == "json":
        return alert
    raise ValueError(f"unknown alert format {alert_format!r}: one of {', '.join(FORMATS)}")


def title(alert: dict[str, Any]) -> str:
    """A few words saying what happened: a run failed, a lane stalled, a stall cleared."""
    if alert.get("kind") == "stall":
        return PREFIX + ("lane stalled" if alert.get("state") == "opened" else "stall cleared")
    return PREFIX + "run failed"


def sentence(alert: dict[str, Any]) -> str:
    """The alert's ``text`` without the product's name in front and the link at the end (a chat
    shows both apart)."""
    text = str(alert["text"]).removeprefix(PREFIX)
    return text.removesuffix(f" ({alert['link']})") if alert.get("link") else text


def facts(alert: dict[str, Any]) -> list[tuple[str, str]]:
    """The routing fields worth a glance, as (label, value); the ones without a value are left out."""
    return [(label, str(alert[key])) for key, label in FACT_LABELS.items() if alert.get(key) is not None]


def is_trouble(alert: dict[str, Any]) -> bool:
    """A failed run or a stall that opened (red), not a stall that cleared (green)."""
    return not (alert.get("kind") == "stall" and alert.get("state") == "cleared")


def slack(alert: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message (Block Kit)."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _clip(
                    f"*{_slack_escape(title(alert))}*\n{_slack_escape(sentence(alert))}", SLACK_SECTION_CHARS
                ),
            },
        }
    ]
    shown = facts(alert)
    if shown:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": _clip(f"*{label}*\n{_slack_escape(value)}", SLACK_FIELD_CHARS),
                    }
                    for label, value in shown
                ],
            }
        )
    if alert.get("link"):
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{alert['link']}|Open in Dagster>"}],
            }
        )
    return {"text": alert["text"], "blocks": blocks}


def teams(alert: dict[str, Any]) -> dict[str, Any]:
    """A Microsoft Teams workflow webhook message: one Adaptive Card."""
    card: dict[str, Any] = {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": title(alert),
                "weight": "Bolder",
                "size": "Medium",
                "color": "Attention" if is_trouble(alert) else "Good",
                "wrap": True,
            },
            {"type": "TextBlock", "text": sentence(alert), "wrap": True},
        ],
    }
    shown = facts(alert)
    if shown:
        card["body"].append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in shown]})
    if alert.get("link"):
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Dagster", "url": alert["link"]}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn reads ``<...>`` as a link or a mention and ``&`` as an entity."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
