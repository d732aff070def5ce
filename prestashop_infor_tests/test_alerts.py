"""A failed run raises an alert (issue 9 §3): the run failure sensor posts job, run id, error and a
link to a local receiver, and a receiver that is down costs a log line, never the daemon. Stall
alerts (issue 16) take the same path: ``test_stalls.py``."""

from __future__ import annotations

import dagster as dg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
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
