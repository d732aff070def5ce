"""Alerts: a run that fails, or a lane that stops, raises an alert a person sees, not only a red row
in the UI.

Every alert is one dict: a ``text`` a chat shows as it is, then the fields a receiver routes on. It
is logged and, when ``ALERT_WEBHOOK_URL`` is set, posted there in ``ALERT_FORMAT``: ``json`` (the dict
itself), ``slack`` (an incoming-webhook message) or ``teams`` (a workflow webhook's Adaptive Card);
``prestashop_infor.alert_formats`` builds the bodies. A receiver that is down is retried by the
project's retry policy and then logged, never raised (an alert must not fail the daemon); one that
refuses the body (4xx) is logged with its answer. Links point at the Dagster UI at
``PRESTASHOP_INFOR_DAGSTER_UI_URL``.

- ``run_failure_alert_sensor``: every failed run of the code location (``job``, ``run_id``,
  ``error``, ``link`` to the run).
- ``lane_stall_alert_sensor``: a lane that has work and makes no progress, though nothing fails (a
  run that died holding a pool slot blocks every later step of that pool, and no run fails). Every
  30 s it looks at the order backlog, the last successful order sync, the webhook inbox and the
  pools (``sync.stalls`` says what is a stall; thresholds ``PRESTASHOP_INFOR_STALL_*_SECONDS``) and
  alerts once when a stall opens (what is stuck, since when, which run or pool holds it) and once
  when it clears (``kind: stall``, ``state``, ``stall``, ``what``, ``since``, ``holder``,
  ``run_id``, ``link``). Its cursor holds the open stalls. Its tick also carries the result of the
  matching check (``defs/sync/stall_checks.py``), which the daemon records without a run, so the
  check turns red and green with the alerts.

- ``finding_alert_sensor``: each new finding a person must act on (an order cancelled in the shop
  that M3 had gone too far with: ``cancel_too_late``), once (``kind: finding``, ``finding``,
  ``order``, ``dead_letter``, ``link``). Its cursor is the last dead letter it alerted on.

All three run by default, whatever ``PRESTASHOP_INFOR_SENSORS`` says: they only read and post, and a
stall happens precisely when nobody is looking.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import dagster as dg
import httpx

from prestashop_infor import alert_formats
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sources import MAIN, Source
from prestashop_infor.defs.sync import stall_checks
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.retry import RetryPolicy, Transient
from prestashop_infor.settings import Settings, SettingsError
from prestashop_infor.store.store import DeadLetter
from prestashop_infor.sync import cancellation, credit_gate, stalls

log = logging.getLogger(__name__)
T = TypeVar("T")


def alert_body(text: str, **fields: Any) -> dict[str, Any]:
    """Every alert's JSON: ``text`` (what a chat shows), then the fields a receiver routes on."""
    return {"text": f"prestashop-infor: {text}", **fields}


def of_source(alert: dict[str, Any], source: Source) -> dict[str, Any]:
    """An alert about a further installation names it, in its text and in ``source``."""
    if source.name is None:
        return alert
    text = alert["text"].replace("prestashop-infor: ", f"prestashop-infor ({source.name}): ", 1)
    return {**alert, "text": text, "source": source.name}


def failure_alert(job: str, run_id: str, error: str, ui_url: str) -> dict[str, Any]:
    """A failed run's alert."""
    link = f"{ui_url.rstrip('/')}/runs/{run_id}"
    return alert_body(
        f"run of {job} failed: {error} ({link})", job=job, run_id=run_id, error=error, link=link
    )


def stall_alert(
    key: str,
    *,
    opened: bool,
    text: str,
    what: str,
    since: datetime | None,
    holder: str | None,
    run_id: str | None,
    ui_url: str,
) -> dict[str, Any]:
    """A stall's alert, when it opens and when it clears."""
    link = stall_link(key, run_id, ui_url)
    return alert_body(
        f"{'stalled: ' if opened else ''}{text} ({link})",
        kind="stall",
        state="opened" if opened else "cleared",
        stall=key,
        what=what,
        since=since.isoformat() if since else None,
        holder=holder,
        run_id=run_id,
        link=link,
    )


def stall_link(key: str, run_id: str | None, ui_url: str) -> str:
    """Where a person starts: the pool's page, else the run that holds or waits, else the check."""
    ui = ui_url.rstrip("/")
    if stalls.kind_of(key) == stalls.POOL:
        return f"{ui}/deployment/concurrency/{key.split(':', 1)[1]}"
    if run_id:
        return f"{ui}/runs/{run_id}"
    asset, _name = stall_checks.CHECK_OF.get(key, (stall_checks.infor_sales_orders, ""))
    return f"{ui}/assets/{asset.to_user_string()}?view=checks"


def post_alert(url: str, body: dict[str, Any], *, policy: RetryPolicy | None = None) -> bool:
    """POST ``body`` (an alert in its receiver's format) to ``url``; True when the receiver took it (2xx)."""

    def attempt() -> bool:
        try:
            answer = httpx.post(url, json=body, timeout=5)
        except httpx.HTTPError as exc:
            raise Transient(exc) from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise Transient(RuntimeError(f"HTTP {answer.status_code}"))
        if not 200 <= answer.status_code < 300:  # Slack: invalid_blocks, Teams: a card it cannot read
            log.warning(
                "alert refused by %s: HTTP %s %s (is ALERT_FORMAT right for it?)",
                _where(url), answer.status_code, answer.text[:200],
            )  # fmt: skip
            return False
        return True

    try:
        return (policy or RetryPolicy(max_attempts=3, backoff=0.5)).call(attempt)
    except Exception as exc:  # noqa: BLE001 - an alert receiver that is down is logged, not raised
        log.warning("alert not delivered to %s: %s", _where(url), exc)
        return False


def raise_alert(alert: dict[str, Any], settings: Settings, say: Callable[[str], Any]) -> bool:
    """Log the alert with ``say`` and post it in ``ALERT_FORMAT`` when ``ALERT_WEBHOOK_URL`` is set;
    True if posted."""
    say(alert["text"])
    if not settings.alert_webhook_url:
        return False
    return post_alert(settings.alert_webhook_url, alert_formats.body(alert, settings.alert_format))


def _where(url: str) -> str:
    """The receiver without its path and query: an incoming-webhook URL's path is its secret (Slack's
    ``/services/T…/B…/<token>``, Teams' ``…/IncomingWebhook/…``)."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "") + "/..."


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    description="Posts an alert (job, run id, error, link to the run) to ALERT_WEBHOOK_URL in ALERT_FORMAT "
    "(json, slack, teams) for every failed run, and logs it.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext) -> None:
    settings = Settings.read()
    run = context.dagster_run
    error = context.failure_event.message or "the run failed"
    raise_alert(
        failure_alert(run.job_name, run.run_id, error, settings.dagster_ui_url), settings, context.log.error
    )


# -- stalls ---------------------------------------------------------------------------------------


def read_stall_cursor(cursor: str | None) -> tuple[dict[str, stalls.OpenStall], list[int] | None]:
    """The open stalls and the exportable order states last read from the shop; anything unreadable
    is forgotten (a stall still there opens again: one alert too many, never one too few)."""
    try:
        stored = json.loads(cursor or "{}")
        opened = {
            key: stalls.OpenStall.from_json(key, value) for key, value in stored.get("open", {}).items()
        }
        states = stored.get("exportable_states")
        return opened, [int(s) for s in states] if isinstance(states, list) else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}, None


def _attempt(notes: list[str], what: str, read: Callable[[], T]) -> T | None:
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - what cannot be read now is left unjudged, never raised
        notes.append(f"{what} not read: {type(exc).__name__}: {exc}")
        return None


def observe(
    instance: dg.DagsterInstance,
    store: StoreResource,
    prestashop: PrestashopResource,
    mapping: MappingResource,
    known_states: list[int] | None,
    source: Source = MAIN,
) -> tuple[stalls.Observations, list[int] | None, list[str]]:
    """What ``source``'s lanes look like now; a part that cannot be read is left out (None) with a
    note. The exportable order states come from the shop, or from the last read when the shop does
    not answer. The pools, shared by every installation, are the main installation's to watch."""
    notes: list[str] = []
    states = _attempt(
        notes,
        "the shop's order states",
        lambda: stall_checks.exportable_order_states(prestashop, mapping, source),
    )
    if states is None and known_states is not None:
        notes.append("the order states last read from the shop stand in")
    states = known_states if states is None else states
    sync = _attempt(notes, "the order sync's runs", lambda: stall_checks.sync_history(instance, source))
    pools = None
    if source.name is None:
        pools = _attempt(notes, "the pools", lambda: stall_checks.pool_queues(instance))
    orders = inbox = None
    try:
        with store.open(source) as db:
            if states is not None:
                orders = _attempt(notes, "the order backlog", lambda: stall_checks.order_backlog(db, states))
            inbox = _attempt(
                notes, "the webhook inbox", lambda: stall_checks.inbox_lanes(instance, db, source)
            )
    except Exception as exc:  # noqa: BLE001 - a store that is down now is a note, not a failed tick
        notes.append(f"the store not opened: {type(exc).__name__}: {exc}")
    seen = stalls.Observations(now=datetime.now(UTC), orders=orders, sync=sync, inbox=inbox, pools=pools)
    return seen, states, notes


# -- findings a person must act on ------------------------------------------------------------------

#: Dead-letter codes that need a person, not a replay: each new one is an alert.
#: The findings a person must act on: code -> the dead letters' entity.
FINDINGS = {cancellation.TOO_LATE: cancellation.ENTITY, credit_gate.CREDIT_HOLD: credit_gate.CREDIT_HOLD}
#: Where the UI shows each finding's story.
FINDING_ASSETS = {
    cancellation.TOO_LATE: "infor_order_cancellations",
    credit_gate.CREDIT_HOLD: "prestashop_credit_holds",
}
MAX_FINDING_ALERTS = 20  # per tick; more are summed up in one alert


def finding_alert(letter: DeadLetter, ui_url: str, source: Source = MAIN) -> dict[str, Any]:
    asset = "/".join(source.key(FINDING_ASSETS[letter.error_code]).path)
    alert = alert_body(
        f"order {letter.key}: {letter.error_code}: {letter.message}",
        kind="finding", finding=letter.error_code, order=letter.key, dead_letter=letter.id,
        link=f"{ui_url.rstrip('/')}/assets/{asset}",
    )  # fmt: skip
    return of_source(alert, source)


def lane_alert_sensors(source: Source) -> list[dg.SensorDefinition]:
    """``source``'s stall and finding alert sensors (each installation has its own store and lanes)."""

    @dg.sensor(
        name=source.named("lane_stall_alert_sensor"),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Alerts (log, and ALERT_WEBHOOK_URL) once when a lane stalls and once when it clears: an "
        "exportable order not in M3 for too long, no successful order sync while orders wait, webhook events no "
        "run has taken, a step waiting for a pool; records the matching checks' results without a run.",
    )
    def lane_stall_alert_sensor(
        context: dg.SensorEvaluationContext,
        store: StoreResource,
        prestashop: PrestashopResource,
        mapping: MappingResource,
    ) -> dg.SensorResult:
        try:
            settings = Settings.read(source.name)
        except SettingsError as exc:
            context.log.error(f"stall alerts paused until the settings are fixed: {exc}")
            return dg.SensorResult(skip_reason=f"bad settings: {exc}")  # the cursor stays
        before, known_states = read_stall_cursor(context.cursor)
        seen, states, notes = observe(context.instance, store, prestashop, mapping, known_states, source)
        for note in notes:
            context.log.warning(note)
        findings = stalls.assess(seen, stall_checks.thresholds(settings))
        changes = stalls.compare(before, findings, seen)
        ui = settings.dagster_ui_url
        checks: list[dg.AssetCheckEvaluation] = []
        for finding in changes.opened:
            alert = stall_alert(
                finding.key, opened=True, text=finding.text, what=finding.what, since=finding.since,
                holder=finding.holder, run_id=finding.run_id, ui_url=ui,
            )  # fmt: skip
            raise_alert(of_source(alert, source), settings, context.log.error)
            if finding.key in stall_checks.CHECK_OF:
                checks.append(
                    stall_checks.check_evaluation(finding.key, finding, passed=False, source=source)
                )
        for stall, now in changes.cleared:
            alert = stall_alert(
                stall.key, opened=False, text=stalls.cleared_text(stall, seen.now), what=stall.what,
                since=stall.since, holder=None, run_id=None, ui_url=ui,
            )  # fmt: skip
            raise_alert(of_source(alert, source), settings, context.log.info)
            if stall.key in stall_checks.CHECK_OF:
                checks.append(stall_checks.check_evaluation(stall.key, now, passed=True, source=source))
        cursor = json.dumps(
            {
                "open": {key: stall.to_json() for key, stall in sorted(changes.open.items())},
                "exportable_states": states,
            },
            sort_keys=True,
        )
        summary = (
            f"{len(changes.open)} stall(s) open ({', '.join(sorted(changes.open)) or 'none'}); "
            f"{len(changes.opened)} opened, {len(changes.cleared)} cleared"
        )
        # the daemon records the check results with the tick (without a run: a stalled lane has none)
        return dg.SensorResult(skip_reason="; ".join([summary, *notes]), cursor=cursor, asset_events=checks)

    @dg.sensor(
        name=source.named("finding_alert_sensor"),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Alerts (log, and ALERT_WEBHOOK_URL) once for each new finding a person must act on: an "
        "order cancelled in the shop that M3 had gone too far with (cancel_too_late), an order of a business "
        "customer M3 holds for credit (credit_hold).",
    )
    def finding_alert_sensor(context: dg.SensorEvaluationContext, store: StoreResource) -> dg.SkipReason:
        try:
            settings = Settings.read(source.name)
        except SettingsError as exc:
            context.log.error(f"finding alerts paused until the settings are fixed: {exc}")
            return dg.SkipReason(f"bad settings: {exc}")  # the cursor stays
        seen = int(context.cursor) if (context.cursor or "").isdigit() else 0
        with store.open(source) as db:
            new = [  # only the letters filed since the last look: the table keeps every letter ever filed
                letter
                for code, entity in FINDINGS.items()
                for letter in db.dead_letters(entity=entity, after_id=seen)
                if letter.error_code == code
            ]
        for letter in sorted(new, key=lambda letter: letter.id)[:MAX_FINDING_ALERTS]:
            raise_alert(finding_alert(letter, settings.dagster_ui_url, source), settings, context.log.error)
        if len(new) > MAX_FINDING_ALERTS:
            more = alert_body(f"{len(new) - MAX_FINDING_ALERTS} more findings: `prestashop-infor dlq list`",
                              kind="finding", finding="more", count=len(new) - MAX_FINDING_ALERTS)  # fmt: skip
            raise_alert(of_source(more, source), settings, context.log.error)
        if new:
            context.update_cursor(str(max(letter.id for letter in new)))
        return dg.SkipReason(f"{len(new)} new finding(s) alerted")

    return [lane_stall_alert_sensor, finding_alert_sensor]


lane_stall_alert_sensor, finding_alert_sensor = lane_alert_sensors(MAIN)
SENSORS = [run_failure_alert_sensor, lane_stall_alert_sensor, finding_alert_sensor]
