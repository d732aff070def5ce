"""The event lane's sensors: new webhook events become a few well-sized sync runs; M3 changes
flow back on their own.

``prestashop_webhook_sensor`` routes each event by type to the job that materializes the right
assets (the same assets the schedules run): order, customer, address and merchandise return events to
``order_sync_job`` (extract the changed orders, customers and addresses, send the new orders to M3);
product, combination and stock events to ``stock_sync_job`` (the stock push and its reads, the
item descriptions). Its cursor keeps, per job, the id of the last inbox event that job has seen, and
each evaluation looks at up to ``MAX_EVENTS`` new events per job:

- a job with new events gets one run, its ``run_key`` the job and the range of inbox ids, so a
  sensor that evaluates twice over the same range asks for nothing new;
- a job with a run that has not started yet (queued, or starting) gets no second one: that run reads
  the shop after these events were accepted, so it covers them (an order's webhooks arriving
  across two evaluations make one run, not two); that run is tagged with the inbox ids it took
  (``names.TAKES_WEBHOOKS_TAG``), so ``prestashop-infor trace`` names it;
- ``stock_sync_job`` runs one at a time: while a run of it is at work its new events wait (the
  cursor stays before them) and make one run when it ends. Every order moves stock; overlapping
  stock runs would only queue for the ``prestashop_stock`` pool, each holding a run slot;
- ``stock_sync_job`` waits until its oldest new event is ``HOLD_SECONDS["stock_sync_job"]``
  old: every order moves stock, and running the catalogue and stock push per order would take the
  cores the orders' own runs need; a burst of stock events becomes one run per window. The window
  ends early only when the job's own events fill an evaluation (``MAX_EVENTS``), never because a
  burst of order events did: the orders' run launches alone, and the stock run after it reads the
  stock those orders moved;
- ``stock_sync_job`` gives way to ``order_sync_job`` (``YIELDS_TO``): while an order run is queued,
  launching or at work, or asked in the same tick, the stock events wait, ``YIELD_SECONDS`` (60)
  at most from the oldest of them, so a steady flow of orders never starves the stock lane (the
  stock schedule runs beside it, as always).

Payloads are only hints: the runs re-read the shop, and the order sync never sends an order twice
(id map, claims, lookup by CUOR), so a late or repeated event is harmless. Events of types this
release does not handle (stored as ``ignored``) move the cursor and start nothing. The schedules stay
as the safety net: webhooks accelerate, polling guarantees.

Each evaluation reads the settings first (strictly: a bad value fails the tick, naming the variable);
the default status, read when the code location loads, is read leniently (a bad value: stopped), and
is stopped while the shop or the M3 connection is not set (the descriptions then name what is missing).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import dagster as dg

from prestashop_infor import names
from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sources import MAIN, Source
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.defs.sync.schedules import (
    NOT_STARTED,
    lanes_note,
    order_status_job,
    order_sync_job,
    read_settings_for_tick,
    run_in_flight,
    stock_sync_job,
)
from prestashop_infor.settings import Settings
from prestashop_infor.store import inbox
from prestashop_infor.sync.m3_order_states import moved_orders

if TYPE_CHECKING:
    from prestashop_infor.defs.sources import AssetJob

MAX_EVENTS = 1_000  # events per job and evaluation: a burst becomes a few runs, not one per event
ROUTES = {
    "order": order_sync_job.name,
    "customer": order_sync_job.name,
    "address": order_sync_job.name,
    "order_return": order_sync_job.name,
    "product": stock_sync_job.name,
    "combination": stock_sync_job.name,
    "stock": stock_sync_job.name,
}
JOBS = (order_sync_job.name, stock_sync_job.name)
HOLD_SECONDS = {order_sync_job.name: 0.0, stock_sync_job.name: 10.0}
#: Jobs that run one at a time: new events wait for the run at work to end.
ONE_AT_A_TIME = {stock_sync_job.name}
#: A job whose runs give way to another's: its events wait while a run of that job is in flight
#: (queued, launching or at work), ``YIELD_SECONDS`` at most from the oldest of them.
YIELDS_TO = {stock_sync_job.name: order_sync_job.name}
YIELD_SECONDS = 60.0


def _default_status(source: Source) -> dg.DefaultSensorStatus:
    """Running when ``PRESTASHOP_INFOR_SENSORS=on``, or unset and the schedules are on (the demo),
    and the shop and M3 connection are set (without them every tick would fail; the description says
    what is missing: :func:`lanes_note`). Read when the code location loads, leniently: a bad value is
    logged and the sensors are stopped."""
    settings = Settings.read_leniently(source.name)
    on = settings.sensors_on and not settings.missing_for_lanes()
    return dg.DefaultSensorStatus.RUNNING if on else dg.DefaultSensorStatus.STOPPED


def route(event: str) -> str | None:
    """The job an event name runs, None for an event nothing here handles."""
    return ROUTES.get(event.split(".", 1)[0])


def read_cursor(cursor: str | None) -> dict[str, int]:
    """Per job, the last inbox id it has seen. A bare number (the cursor before per-job positions)
    is every job's position; anything unreadable starts from the beginning (repeats are harmless)."""
    if cursor and cursor.isdigit():
        return dict.fromkeys(JOBS, int(cursor))
    try:
        stored = json.loads(cursor or "{}")
    except json.JSONDecodeError:
        stored = {}
    stored = stored if isinstance(stored, dict) else {}
    stored.setdefault(stock_sync_job.name, stored.get(names.FORMER_STOCK_SYNC_JOB))
    return {job: int(stored[job]) if str(stored.get(job, "")).isdigit() else 0 for job in JOBS}


def _hand_over(instance: dg.DagsterInstance, run_id: str, first: int, last: int) -> None:
    """Tag a run that has not started with the inbox ids it now covers (its range widened to
    ``last``), so an order's story shows the run that read its webhooks."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        return
    start, _, _ = run.tags.get(names.INBOX_IDS_TAG, "").partition("-")
    start = int(start) if start.isdigit() else first
    instance.add_run_tags(run_id, {names.INBOX_IDS_TAG: f"{start}-{last}", names.TAKES_WEBHOOKS_TAG: "yes"})


def event_lane_sensors(source: Source, jobs: dict[str, AssetJob]) -> list[dg.SensorDefinition]:
    """``source``'s webhook sensor and M3 status sensor, on its ``jobs`` (by main name)."""

    @dg.sensor(
        name=source.named("prestashop_webhook_sensor"),
        jobs=[jobs[names.ORDER_SYNC_JOB], jobs[names.STOCK_SYNC_JOB]],
        # asked every 1 to 1.5 s by the half-second loop of `prestashop-infor daemon` (Dagster's own: 5 s);
        # Dagster takes whole seconds, and 0 ("every loop") would show in the UI as "~30 sec"
        minimum_interval_seconds=1,
        default_status=_default_status(source),
        description="New webhook events in the inbox, up to 1,000 per job at a time, become one run per job "
        "that has work (orders, customers, addresses, returns: order_sync_job at once; products, combinations, "
        "stock: stock_sync_job, gathered for 10 s, one run at a time, giving way to order runs for 60 s at most); "
        "no second run while one has not started." + lanes_note(source),
    )
    def prestashop_webhook_sensor(
        context: dg.SensorEvaluationContext, store: StoreResource
    ) -> dg.SensorResult:
        read_settings_for_tick(source)
        positions = read_cursor(context.cursor)
        now = datetime.now(UTC)
        requests, notes = [], []
        with store.open(source) as db:
            for job in JOBS:
                events = inbox.events_after(db, positions[job], limit=MAX_EVENTS)
                if not events:
                    continue
                mine = [e for e in events if e.status == inbox.PENDING and route(e.event) == job]
                if not mine:
                    positions[job] = events[-1].id
                    continue
                waited = now - mine[0].received_at
                # the window ends early only when this job's own events fill an evaluation; a burst of
                # orders (each moving stock) must not bring the stock run forward to launch beside theirs
                if waited < timedelta(seconds=HOLD_SECONDS[job]) and len(mine) < MAX_EVENTS:
                    notes.append(f"{job}: {len(mine)} event(s) gathered ({HOLD_SECONDS[job]:.0f} s window)")
                    continue
                running = run_in_flight(context.instance, source.named(job)) if job in ONE_AT_A_TIME else None
                if running:
                    notes.append(f"{job}: {len(mine)} event(s) wait for run {running} to end")
                    continue
                ahead = YIELDS_TO.get(job)
                if ahead and waited < timedelta(seconds=YIELD_SECONDS):
                    busy = ("asked this tick" if any(r.job_name == source.named(ahead) for r in requests)
                            else run_in_flight(context.instance, source.named(ahead)))  # fmt: skip
                    if busy:
                        notes.append(f"{job}: {len(mine)} event(s) give way to {ahead} ({busy})")
                        continue
                positions[job] = events[-1].id
                waiting = run_in_flight(context.instance, source.named(job), NOT_STARTED)
                if waiting:
                    _hand_over(context.instance, waiting, mine[0].id, mine[-1].id)
                    notes.append(f"{job}: {len(mine)} event(s) left to run {waiting}, not started yet")
                    continue
                ids = f"{mine[0].id}-{mine[-1].id}"
                requests.append(
                    dg.RunRequest(
                        run_key=f"{job}:inbox:{ids}",
                        job_name=source.named(job),
                        tags={
                            names.TRIGGER_TAG: names.WEBHOOK_TRIGGER,
                            names.INBOX_IDS_TAG: ids,
                            names.EVENTS_TAG: str(len(mine)),
                        },
                    )
                )
        cursor = json.dumps(positions, sort_keys=True)
        if cursor == json.dumps(read_cursor(context.cursor), sort_keys=True) and not requests:
            reason = "; ".join(notes) or f"no new webhook events ({cursor})"
            return dg.SensorResult(skip_reason=reason)
        for note in notes:
            context.log.info(note)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    @dg.sensor(
        name=source.named("infor_order_status_sensor"),
        jobs=[jobs[names.ORDER_STATUS_JOB]],
        minimum_interval_seconds=30,
        default_status=_default_status(source),
        description="Asks M3 for the heads of the open orders the id map follows (bulk GetHead) and runs "
        "order_status_job only when one moved since its state was stored, and no run of it is at work; "
        "the run reads only the orders that moved." + lanes_note(source),
    )
    def infor_order_status_sensor(
        context: dg.SensorEvaluationContext,
        infor: InforResource,
        store: StoreResource,
        mapping: MappingResource,
    ) -> dg.SensorResult:
        read_settings_for_tick(source)
        status_job = source.named(names.ORDER_STATUS_JOB)
        running = run_in_flight(context.instance, status_job)
        if running:  # what moved meanwhile is still moved when it ends: its stored states are older
            return dg.SensorResult(skip_reason=f"run {running} of {status_job} has not ended")
        rules = mapping.load(source)
        with infor.get_client(rules.erp) as m3, store.open(source) as db:
            moved = moved_orders(m3=m3, store=db, mapping=rules)
        if not moved:
            return dg.SensorResult(skip_reason="no order moved in M3")
        # the cursor is what moved: the same movement, seen again before the run stores it, asks nothing
        # new; the run key also names the job's last run, so the same movement after a run that ended
        # without storing it (killed, failed) asks again instead of waiting for the schedule
        key = ",".join(f"{order_id}:{fingerprint}" for order_id, fingerprint in sorted(moved.items()))
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        last = context.instance.get_run_ids(dg.RunsFilter(job_name=status_job), limit=1)
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"{status_job}:{digest}:after:{last[0] if last else 'none'}",
                    job_name=status_job,
                    tags={names.TRIGGER_TAG: names.M3_STATUS_TRIGGER, names.ORDERS_TAG: str(len(moved))},
                    # the run reads only the orders that moved: their heads were just read here
                    run_config={"ops": {"infor_order_statuses": {"config": {"order_ids": sorted(moved)}}}},
                )
            ],
            cursor=digest,
        )

    return [prestashop_webhook_sensor, infor_order_status_sensor]


SENSORS = event_lane_sensors(
    MAIN, {job.name: job for job in (order_sync_job, stock_sync_job, order_status_job)}
)
prestashop_webhook_sensor, infor_order_status_sensor = SENSORS
