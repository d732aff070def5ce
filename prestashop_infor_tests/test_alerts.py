"""A failed run raises an alert (issue 9 §3): the run failure sensor posts job, run id, error and a
link to a local receiver, and a receiver that is down costs a log line, never the daemon. Stall
alerts (issue 16) take the same path: ``test_stalls.py``. Each ``ALERT_FORMAT`` (issue 17 §10)
reaches a real receiver on 127.0.0.1 in its own shape, for a failed run and for a stall; the
shapes' details are in ``test_alert_formats.py``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from prestashop_infor.defs.alerts import (
    failure_alert,
    post_alert,
    raise_alert,
    run_failure_alert_sensor,
    stall_alert,
)
from prestashop_infor.retry import RetryPolicy
from prestashop_infor.serving import BackgroundServer, free_port
from prestashop_infor.settings import Settings


@dg.op
def breaks() -> None:
    raise RuntimeError("M3 said no")


@dg.job
def failing_job() -> None:
    breaks()


def failed_run_context(instance: dg.DagsterInstance) -> dg.RunFailureSensorContext:
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    run = instance.get_run_by_id(result.run_id)
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=run,
    ).for_run_failure()


def test_a_failed_run_posts_an_alert_with_a_link(monkeypatch):
    received: list[dict] = []

    async def hook(request: Request) -> JSONResponse:
        received.append(await request.json())
        return JSONResponse({"ok": True})

    with BackgroundServer(Starlette(routes=[Route("/alerts", hook, methods=["POST"])])) as receiver:
        monkeypatch.setenv("ALERT_WEBHOOK_URL", receiver.url + "/alerts")
        monkeypatch.setenv("PRESTASHOP_INFOR_DAGSTER_UI_URL", "http://127.0.0.1:3000/")
        with dg.instance_for_test() as instance:
            context = failed_run_context(instance)
            run_failure_alert_sensor(context)
            run_id = context.dagster_run.run_id
    (alert,) = received
    assert alert["job"] == "failing_job" and alert["run_id"] == run_id
    assert alert["link"] == f"http://127.0.0.1:3000/runs/{run_id}" and "failed" in alert["text"]


def test_an_alert_receiver_that_is_down_is_logged_not_raised(caplog):
    url = f"http://127.0.0.1:{free_port()}/alerts"  # nobody listens there
    policy = RetryPolicy(max_attempts=2, sleep=lambda _s: None)
    assert post_alert(url, {"text": "x"}, policy=policy) is False
    assert "alert not delivered" in caplog.text


def test_every_alert_is_text_then_fields_and_is_only_logged_without_a_receiver(monkeypatch):
    """Failure and stall alerts share one shape and one path: ``text`` first (what a chat shows),
    then the fields a receiver routes on; without ALERT_WEBHOOK_URL nothing is posted."""
    monkeypatch.delenv("ALERT_WEBHOOK_URL", raising=False)
    failure = failure_alert("order_sync_job", "r1", "M3 said no", "http://ui/")
    stall = stall_alert(
        "pool:infor_erp", opened=True, text="pool infor_erp is blocked: ...",
        what="pool infor_erp is blocked", since=None, holder="slot(s) held by run r0", run_id="r1",
        ui_url="http://ui/",
    )  # fmt: skip
    for alert in (failure, stall):
        assert next(iter(alert)) == "text" and alert["text"].startswith("prestashop-infor: ")
    assert stall["link"] == "http://ui/deployment/concurrency/infor_erp" and stall["state"] == "opened"
    said: list[str] = []
    assert raise_alert(stall, Settings.read(), said.append) is False
    assert said == [stall["text"]]


@contextmanager
def alert_receiver(status: int = 200, answer: str = "1") -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    """A receiver on 127.0.0.1 that records each POST's content type and JSON body."""
    received: list[tuple[str, Any]] = []

    async def hook(request: Request) -> PlainTextResponse:
        received.append((request.headers["content-type"], await request.json()))
        return PlainTextResponse(answer, status_code=status)

    with BackgroundServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as server:
        yield server.url + "/hook", received


@pytest.fixture(scope="module")
def failed_run() -> Iterator[dg.RunFailureSensorContext]:
    with dg.instance_for_test() as instance:
        yield failed_run_context(instance)


def a_stall(opened: bool) -> dict:
    return stall_alert(
        "pool:infor_erp", opened=opened, text="pool infor_erp is blocked: 3 steps wait",
        what="pool infor_erp is blocked", since=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        holder="slot(s) held by run r0" if opened else None, run_id="r0" if opened else None,
        ui_url="http://127.0.0.1:3000",
    )  # fmt: skip


RUN_LINK = "http://127.0.0.1:3000/runs/{run_id}"
POOL_LINK = "http://127.0.0.1:3000/deployment/concurrency/infor_erp"


def post_three_alerts(alert_format: str, failed_run, monkeypatch) -> list[dict]:
    """A failed run's alert (through the run failure sensor), then a stall opening and clearing (as
    the stall sensor raises them), posted in ``alert_format`` to a receiver on 127.0.0.1."""
    with alert_receiver() as (url, received):
        monkeypatch.setenv("ALERT_WEBHOOK_URL", url)
        monkeypatch.setenv("ALERT_FORMAT", alert_format)
        monkeypatch.setenv("PRESTASHOP_INFOR_DAGSTER_UI_URL", "http://127.0.0.1:3000")
        run_failure_alert_sensor(failed_run)
        settings = Settings.read()
        assert raise_alert(a_stall(opened=True), settings, lambda _text: None) is True
        assert raise_alert(a_stall(opened=False), settings, lambda _text: None) is True
    assert [content_type for content_type, _ in received] == ["application/json"] * 3
    return [body for _, body in received]


def test_json_alerts_keep_their_shape(failed_run, monkeypatch):
    failure, opened, cleared = post_three_alerts("json", failed_run, monkeypatch)
    run_id = failed_run.dagster_run.run_id
    assert list(failure) == ["text", "job", "run_id", "error", "link"]
    assert (failure["job"], failure["run_id"]) == ("failing_job", run_id)
    assert failure["link"] == RUN_LINK.format(run_id=run_id)
    assert opened == a_stall(opened=True) and opened["since"] == "2026-01-05T09:30:00+00:00"
    assert (cleared["state"], cleared["link"]) == ("cleared", POOL_LINK)


def test_slack_alerts_are_incoming_webhook_messages(failed_run, monkeypatch):
    failure, opened, cleared = post_three_alerts("slack", failed_run, monkeypatch)
    run_id = failed_run.dagster_run.run_id
    for body, link in ((failure, RUN_LINK.format(run_id=run_id)), (opened, POOL_LINK), (cleared, POOL_LINK)):
        assert set(body) == {"text", "blocks"} and body["text"].endswith(f"({link})")
        assert [block["type"] for block in body["blocks"]] == ["section", "section", "context"]
        assert body["blocks"][2]["elements"] == [{"type": "mrkdwn", "text": f"<{link}|Open in Dagster>"}]
    message = failure["blocks"][0]["text"]["text"]
    assert message.startswith("*prestashop-infor: run failed*\nrun of failing_job failed: Execution of run")
    assert [field["text"] for field in failure["blocks"][1]["fields"]] == [
        "*Job*\nfailing_job",
        f"*Run*\n{run_id}",
    ]
    assert opened["blocks"][0]["text"]["text"].startswith("*prestashop-infor: lane stalled*")
    assert cleared["blocks"][0]["text"]["text"].startswith("*prestashop-infor: stall cleared*")


def test_teams_alerts_are_workflow_adaptive_cards(failed_run, monkeypatch):
    failure, opened, cleared = post_three_alerts("TEAMS", failed_run, monkeypatch)  # any case
    run_id = failed_run.dagster_run.run_id
    cards = []
    for body, link in ((failure, RUN_LINK.format(run_id=run_id)), (opened, POOL_LINK), (cleared, POOL_LINK)):
        assert body["type"] == "message"
        (attachment,) = body["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
        assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
        assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in Dagster", "url": link}]
        cards.append(card)
    heading, message, fact_set = cards[0]["body"]
    assert (heading["text"], heading["color"]) == ("prestashop-infor: run failed", "Attention")
    assert message["text"].startswith("run of failing_job failed: Execution of run")
    assert fact_set["facts"] == [{"title": "Job", "value": "failing_job"}, {"title": "Run", "value": run_id}]
    assert [card["body"][0]["color"] for card in cards[1:]] == ["Attention", "Good"]  # opened, cleared


def test_a_receiver_that_refuses_the_body_is_logged_with_its_answer(monkeypatch, caplog):
    """Slack answers 400 invalid_blocks to a body it cannot read: the log says so, and what to check."""
    with alert_receiver(status=400, answer="invalid_blocks") as (url, received):
        monkeypatch.setenv("ALERT_WEBHOOK_URL", url)
        monkeypatch.setenv("ALERT_FORMAT", "slack")
        assert raise_alert(a_stall(opened=True), Settings.read(), lambda _text: None) is False
    assert len(received) == 1  # a refusal is not retried
    assert "alert refused by http://127.0.0.1:" in caplog.text and "HTTP 400 invalid_blocks" in caplog.text
    assert "/hook" not in caplog.text  # the path of a webhook URL is its secret
