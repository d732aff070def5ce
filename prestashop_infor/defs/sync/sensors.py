"""The event lane's sensor: new webhook events in the inbox become a few well-sized sync runs.

``prestashop_webhook_sensor`` keeps its cursor on the inbox (the id of the last event it handed
on). Each evaluation takes every new event up to ``MAX_EVENTS`` and asks for one run per job that
has work: order, customer and address events run ``order_sync_job`` (extract the changed orders,
customers and addresses, send the new orders to M3); product, combination and stock events run
``backoffice_sync_job`` (the stock push and its reads). The ``run_key`` is the job and the range of
inbox ids, so a sensor that evaluates twice over the same range asks for nothing new. Payloads are
only hints: the runs re-read the shop through the same assets the schedules run, and the order sync
never sends an order twice (id map, claims, lookup by CUOR), so a late or repeated event is harmless.
Events of types this release does not handle (stored as ``ignored``) move the cursor and start
nothing. The schedules stay as the safety net: webhooks accelerate, polling guarantees.
"""

from __future__ import annotations

import hashlib

import dagster as dg

from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.defs.sync.schedules import backoffice_sync_job, order_status_job, order_sync_job
from prestashop_infor.settings import Settings
from prestashop_infor.store import inbox
from prestashop_infor.sync.m3_order_states import moved_orders

MAX_EVENTS = 1_000  # events per evaluation: a burst becomes a few runs, not one per event
ROUTES = {
    "order": order_sync_job.name,
    "customer": order_sync_job.name,
    "address": order_sync_job.name,
    "product": backoffice_sync_job.name,
    "combination": backoffice_sync_job.name,
    "stock": backoffice_sync_job.name,
}


def _default_status() -> dg.DefaultSensorStatus:
    """Running when ``PRESTASHOP_INFOR_SENSORS=on``, or unset and the schedules are on (the demo)."""
    on = Settings.read().sensors_on
    return dg.DefaultSensorStatus.RUNNING if on else dg.DefaultSensorStatus.STOPPED


def route(event: str) -> str | None:
    """The job an event name runs, None for an event nothing here handles."""
    return ROUTES.get(event.split(".", 1)[0])


@dg.sensor(
    name="prestashop_webhook_sensor",
    jobs=[order_sync_job, backoffice_sync_job],
    minimum_interval_seconds=5,  # the daemon evaluates sensors every 5 s at best
    default_status=_default_status(),
    description="New webhook events in the inbox, up to 1,000 at a time, become one run per job that has "
    "work (orders, customers, addresses: order_sync_job; products, combinations, stock: "
    "backoffice_sync_job).",
)
def prestashop_webhook_sensor(context: dg.SensorEvaluationContext, store: StoreResource) -> dg.SensorResult:
    after = int(context.cursor) if context.cursor and context.cursor.isdigit() else 0
    with store.open() as db:
        events = inbox.events_after(db, after, limit=MAX_EVENTS)
    if not events:
        return dg.SensorResult(skip_reason=f"no new webhook events after inbox id {after}")
    by_job: dict[str, list[inbox.InboxEvent]] = {}
    for event in events:
        job = route(event.event) if event.status == inbox.PENDING else None
        if job is not None:
            by_job.setdefault(job, []).append(event)
    requests = [
        dg.RunRequest(
            run_key=f"{job}:inbox:{batch[0].id}-{batch[-1].id}",
            job_name=job,
            tags={
                "prestashop_infor/trigger": "webhook",
                "prestashop_infor/inbox_ids": f"{batch[0].id}-{batch[-1].id}",
                "prestashop_infor/events": str(len(batch)),
            },
        )
        for job, batch in sorted(by_job.items())
    ]
    context.log.info(f"{len(events)} webhook events after inbox id {after}: {len(requests)} run(s)")
    return dg.SensorResult(run_requests=requests, cursor=str(events[-1].id))


@dg.sensor(
    name="infor_order_status_sensor",
    jobs=[order_status_job],
    minimum_interval_seconds=30,
    default_status=_default_status(),
    description="Asks M3 for the heads of the open orders the id map follows (bulk GetHead) and runs "
    "order_status_job only when one moved since its state was stored.",
)
def infor_order_status_sensor(
    context: dg.SensorEvaluationContext, infor: InforResource, store: StoreResource, mapping: MappingResource
) -> dg.SensorResult:
    with infor.get_client() as m3, store.open() as db:
        moved = moved_orders(m3=m3, store=db, mapping=mapping.load())
    if not moved:
        return dg.SensorResult(skip_reason="no order moved in M3")
    # the cursor is what moved: the same movement, seen again before the run stores it, asks nothing new
    key = ",".join(f"{order_id}:{fingerprint}" for order_id, fingerprint in sorted(moved.items()))
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"order_status_job:{digest}",
                job_name=order_status_job.name,
                tags={"prestashop_infor/trigger": "m3_status", "prestashop_infor/orders": str(len(moved))},
            )
        ],  # fmt: skip
        cursor=digest,
    )


SENSORS = [prestashop_webhook_sensor, infor_order_status_sensor]
