"""Alerts: a run that fails raises an alert a person sees, not only a red row in the UI.

``run_failure_alert_sensor`` watches every job of the code location. For each failed run it logs
the alert and, when ``ALERT_WEBHOOK_URL`` is set, posts it as JSON (job, run id, error, a link to
the run in the Dagster UI at ``PRESTASHOP_INFOR_DAGSTER_UI_URL``): a Slack or Teams incoming
webhook, an incident tool, or anything that takes a JSON POST. A receiver that is down is retried
by the project's retry policy and then logged, never raised (an alert must not fail the daemon).
"""

from __future__ import annotations

import logging
from typing import Any

import dagster as dg
import httpx

from prestashop_infor.retry import RetryPolicy, Transient
from prestashop_infor.settings import Settings

log = logging.getLogger(__name__)


def failure_alert(job: str, run_id: str, error: str, ui_url: str) -> dict[str, Any]:
    """The alert's JSON body."""
    link = f"{ui_url.rstrip('/')}/runs/{run_id}"
    return {
        "text": f"prestashop-infor: run of {job} failed: {error} ({link})",
        "job": job,
        "run_id": run_id,
        "error": error,
        "link": link,
    }


def post_alert(url: str, alert: dict[str, Any], *, policy: RetryPolicy | None = None) -> bool:
    """POST ``alert`` to ``url``; True when the receiver took it (2xx)."""

    def attempt() -> bool:
        try:
            answer = httpx.post(url, json=alert, timeout=5)
        except httpx.HTTPError as exc:
            raise Transient(exc) from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise Transient(RuntimeError(f"HTTP {answer.status_code}"))
        return 200 <= answer.status_code < 300

    try:
        return (policy or RetryPolicy(max_attempts=3, backoff=0.5)).call(attempt)
    except Exception as exc:  # noqa: BLE001 - an alert receiver that is down is logged, not raised
        log.warning("alert not delivered to %s: %s", _where(url), exc)
        return False


def _where(url: str) -> str:
    """The receiver without its path and query: an incoming-webhook URL's path is its secret (Slack's
    ``/services/T…/B…/<token>``, Teams' ``…/IncomingWebhook/…``)."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "") + "/..."


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    description="Posts a JSON alert (job, run id, error, link to the run) to ALERT_WEBHOOK_URL for every "
    "failed run, and logs it.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext) -> None:
    settings = Settings.read()
    run = context.dagster_run
    error = context.failure_event.message or "the run failed"
    alert = failure_alert(run.job_name, run.run_id, error, settings.dagster_ui_url)
    context.log.error(alert["text"])
    if settings.alert_webhook_url:
        post_alert(settings.alert_webhook_url, alert)


SENSORS = [run_failure_alert_sensor]
