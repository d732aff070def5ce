"""Stalls: a lane that has work and makes no progress, found from a few observations.

A lane can stop without anything failing: a run that died holding a pool slot leaves every later
step of that pool waiting, and no run fails. So stalls are judged from what waits and for how long,
never from failures. Four kinds, each with a stable key:

============================  =============================================================  =========
key                           stalled when                                                   threshold
============================  =============================================================  =========
``orders_not_in_m3``          the longest-waiting exportable shop order not in M3 (and not   orders
                              in the dead-letter queue, counted apart) has waited too long
``order_sync``                orders wait for M3 and no order sync has succeeded since they   order_sync
                              started waiting (or since the last success, if later)
``inbox:<job>``               a webhook event for ``<job>`` arrived after that job's newest   inbox
                              run was created (no run has taken it) and is too old
``pool:<pool>``               a step has waited too long for a slot of ``<pool>``             pool
============================  =============================================================  =========

``assess`` turns observations into one :class:`Finding` per observed key, stalled or not, each
saying what is stuck, since when and what holds it; ``compare`` tells which stalls opened and which
cleared since the previous evaluation, so an alert fires once when a stall opens and once when it
clears. A kind that could not be observed this time (the shop or the store unreachable) neither
opens nor clears anything: a stall stays open until it is seen to be over.

Pure Python: the Dagster side (``defs/alerts.py``, ``defs/sync/stall_checks.py``) gathers the
observations and delivers the alerts and check results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prestashop_infor.store.backlog import OrderBacklog, UntakenEvents

ORDERS = "orders_not_in_m3"
ORDER_SYNC = "order_sync"
INBOX = "inbox"
POOL = "pool"


def inbox_key(job: str) -> str:
    return f"{INBOX}:{job}"


def pool_key(pool: str) -> str:
    return f"{POOL}:{pool}"


def kind_of(key: str) -> str:
    """``orders_not_in_m3``, ``order_sync``, ``inbox`` or ``pool``."""
    return key.split(":", 1)[0]


@dataclass(frozen=True)
class Thresholds:
    """How long each kind of work may wait before it is a stall."""

    orders: timedelta = timedelta(minutes=10)
    order_sync: timedelta = timedelta(minutes=15)
    inbox: timedelta = timedelta(minutes=5)
    pool: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class RunInfo:
    """A run as an alert names it."""

    run_id: str
    job: str
    status: str  # the orchestrator's status name: QUEUED, STARTED, SUCCESS, FAILURE, ...
    created_at: datetime
    ended: bool = False

    def describe(self) -> str:
        ended = ", ended" if self.ended else ""
        return f"run {self.run_id[:8]} of {self.job} ({self.status}{ended}, created {_time(self.created_at)})"


@dataclass(frozen=True)
class SyncHistory:
    """The order sync's last success (the last materialization of ``infor_sales_orders``) and its
    newest run, whatever its status."""

    last_success: datetime | None
    last_success_run: str | None
    newest_run: RunInfo | None


@dataclass(frozen=True)
class InboxLane:
    """The webhook events of one job that no run has taken, and that job's newest run."""

    job: str
    untaken: UntakenEvents | None
    newest_run: RunInfo | None


@dataclass(frozen=True)
class StepInPool:
    """A step holding a slot of a pool, or waiting for one (``since``: when it asked)."""

    run_id: str
    step_key: str
    run: RunInfo | None  # None: the instance has no such run
    since: datetime | None = None

    def describe(self) -> str:
        run = self.run.describe() if self.run else f"run {self.run_id[:8]} (unknown to the instance)"
        return f"{run} step {self.step_key}"


@dataclass(frozen=True)
class PoolQueue:
    pool: str
    limit: int | None
    holders: Sequence[StepInPool]
    waiting: Sequence[StepInPool]  # steps not given a slot yet


@dataclass(frozen=True)
class Observations:
    """What was seen at ``now``; a part left None could not be observed this time."""

    now: datetime
    orders: OrderBacklog | None = None
    sync: SyncHistory | None = None
    inbox: Sequence[InboxLane] | None = None
    pools: Sequence[PoolQueue] | None = None

    def observed(self, key: str) -> bool:
        """Whether this evaluation saw enough to say that ``key`` is stalled or not."""
        kind = kind_of(key)
        if kind == ORDERS:
            return self.orders is not None
        if kind == ORDER_SYNC:
            return self.orders is not None and self.sync is not None
        if kind == INBOX:
            return self.inbox is not None
        if kind == POOL:
            return self.pools is not None
        return False


@dataclass(frozen=True)
class Finding:
    """One key's state: ``stalled`` or not, and in words what is stuck, since when, what holds it."""

    key: str
    stalled: bool
    text: str  # one sentence a person acts on: what, since when (and how long), what holds it
    what: str
    since: datetime | None = None
    holder: str | None = None
    run_id: str | None = None  # the run the alert links to (the waiting or the holding one)
    facts: Mapping[str, Any] = field(default_factory=dict)  # JSON-able: alert fields, check metadata


def assess(seen: Observations, limits: Thresholds) -> list[Finding]:
    """A finding for each key the observations cover, stalled or not."""
    findings: list[Finding] = []
    if seen.orders is not None:
        findings.append(_orders(seen.now, seen.orders, seen.sync, limits.orders))
        if seen.sync is not None:
            findings.append(_order_sync(seen.now, seen.orders, seen.sync, limits.order_sync))
    for lane in seen.inbox or ():
        findings.append(_inbox(seen.now, lane, limits.inbox))
    for queue in seen.pools or ():
        findings.append(_pool(seen.now, queue, limits.pool))
    return findings


def _orders(now: datetime, backlog: OrderBacklog, sync: SyncHistory | None, limit: timedelta) -> Finding:
    letters = (
        f"; {backlog.dead_lettered} more in the dead-letter queue (prestashop-infor dlq list)"
        if backlog.dead_lettered
        else ""
    )
    facts: dict[str, Any] = {
        "orders_waiting": backlog.waiting,
        "dead_lettered": backlog.dead_lettered,
        "threshold_seconds": limit.total_seconds(),
    }
    what = "shop orders are not reaching M3"
    oldest = backlog.oldest
    if oldest is None:
        return Finding(ORDERS, False, f"no exportable shop order waits for M3{letters}", what, facts=facts)
    waited = now - oldest.waiting_since
    facts |= {
        "oldest_order": oldest.order_id,
        "waiting_since": oldest.waiting_since.isoformat(),
        "placed_at": oldest.placed_at.isoformat(),
        "waited_seconds": round(waited.total_seconds()),
    }
    if waited <= limit:
        text = (
            f"the longest-waiting shop order, {oldest.order_id}, has waited {_duration(waited)} for M3 "
            f"(threshold {_duration(limit)}); {backlog.waiting} waiting{letters}"
        )
        return Finding(ORDERS, False, text, what, since=oldest.waiting_since, facts=facts)
    run = sync.newest_run if sync else None
    if oldest.claimed_by:
        holder = f"claimed by {oldest.claimed_by} at {_time(oldest.claimed_at)} and never bound"
        facts["claimed_by"] = oldest.claimed_by
    else:
        holder = f"newest order sync: {run.describe()}" if run else "no order sync run yet"
        if run and run.status == "SUCCESS":
            holder += "; the sync runs but leaves this order waiting (see infor_sales_orders' 'waiting')"
    placed = f", placed {_time(oldest.placed_at)}" if oldest.placed_at != oldest.waiting_since else ""
    text = (
        f"{what}: order {oldest.order_id} has waited since {_time(oldest.waiting_since)} "
        f"({_duration(waited)}{placed}; threshold {_duration(limit)}); {backlog.waiting} order(s) waiting "
        f"for M3{letters}; {holder}"
    )
    return Finding(ORDERS, True, text, what, oldest.waiting_since, holder, run.run_id if run else None, facts)


def _order_sync(now: datetime, backlog: OrderBacklog, sync: SyncHistory, limit: timedelta) -> Finding:
    last = (
        f"last success {_time(sync.last_success)} (run {(sync.last_success_run or '?')[:8]})"
        if sync.last_success
        else "no success yet"
    )
    facts: dict[str, Any] = {
        "last_success": sync.last_success.isoformat() if sync.last_success else None,
        "last_success_run": sync.last_success_run,
        "orders_waiting": backlog.waiting,
        "threshold_seconds": limit.total_seconds(),
    }
    what = "no order sync has succeeded while orders wait for M3"
    if backlog.oldest is None:
        return Finding(ORDER_SYNC, False, f"no order waits for M3 ({last})", what, facts=facts)
    # stuck since orders began to wait, or since the last success if that came later: a quiet night
    # without orders is no stall, and a sync that ran but left an order waiting is the other finding's
    since = max(backlog.oldest.waiting_since, sync.last_success or backlog.oldest.waiting_since)
    stuck = now - since
    facts["stuck_seconds"] = round(stuck.total_seconds())
    if stuck <= limit:
        text = (
            f"{backlog.waiting} order(s) wait for M3, {_duration(stuck)} without a successful order sync "
            f"({last}; threshold {_duration(limit)})"
        )
        return Finding(ORDER_SYNC, False, text, what, since=since, facts=facts)
    run = sync.newest_run
    holder = f"newest order sync: {run.describe()}" if run else "no order sync run at all"
    text = (
        f"{what}: none since {_time(since)} ({_duration(stuck)}; threshold {_duration(limit)}; {last}); "
        f"{backlog.waiting} order(s) waiting; {holder}"
    )
    return Finding(ORDER_SYNC, True, text, what, since, holder, run.run_id if run else None, facts)


def _inbox(now: datetime, lane: InboxLane, limit: timedelta) -> Finding:
    key = inbox_key(lane.job)
    events = lane.untaken
    facts: dict[str, Any] = {"job": lane.job, "threshold_seconds": limit.total_seconds()}
    what = f"webhook events for {lane.job} have not been taken by a run"
    if events is None:
        return Finding(
            key, False, f"every webhook event for {lane.job} has been taken by a run", what, facts=facts
        )
    waited = now - events.received_at
    facts |= {
        "events_waiting": events.count,
        "oldest_inbox_id": events.oldest_id,
        "oldest_event": events.event,
        "received_at": events.received_at.isoformat(),
        "waited_seconds": round(waited.total_seconds()),
    }
    if waited <= limit:
        text = (
            f"{events.count} webhook event(s) for {lane.job} wait for a run, the oldest for "
            f"{_duration(waited)} (threshold {_duration(limit)})"
        )
        return Finding(key, False, text, what, since=events.received_at, facts=facts)
    run = lane.newest_run
    holder = (
        f"no run of {lane.job} created since {_time(run.created_at)} ({run.describe()})"
        if run
        else f"no run of {lane.job} at all"
    ) + "; is prestashop_webhook_sensor running and the daemon up?"
    text = (
        f"{events.count} {what}: the oldest (inbox id {events.oldest_id}, {events.event}) waits since "
        f"{_time(events.received_at)} ({_duration(waited)}; threshold {_duration(limit)}); {holder}"
    )
    return Finding(key, True, text, what, events.received_at, holder, run.run_id if run else None, facts)


def _pool(now: datetime, queue: PoolQueue, limit: timedelta) -> Finding:
    key = pool_key(queue.pool)
    facts: dict[str, Any] = {
        "pool": queue.pool,
        "limit": queue.limit,
        "steps_waiting": len(queue.waiting),
        "slots_held_by": [f"{h.run_id}:{h.step_key}" for h in queue.holders],
        "threshold_seconds": limit.total_seconds(),
    }
    what = f"pool {queue.pool} is blocked"
    waiting = sorted((w for w in queue.waiting if w.since is not None), key=lambda w: w.since or now)
    if not waiting:
        return Finding(key, False, f"no step waits for pool {queue.pool}", what, facts=facts)
    first = waiting[0]
    assert first.since is not None
    waited = now - first.since
    facts |= {
        "waiting_run": first.run_id,
        "waiting_step": first.step_key,
        "waiting_since": first.since.isoformat(),
        "waited_seconds": round(waited.total_seconds()),
    }
    if waited <= limit:
        text = (
            f"{len(waiting)} step(s) wait for pool {queue.pool}, the longest for {_duration(waited)} "
            f"(threshold {_duration(limit)})"
        )
        return Finding(key, False, text, what, since=first.since, facts=facts)
    if queue.holders:
        held = "; ".join(
            h.describe()
            + (": the run ended and never freed its slot" if h.run is None or h.run.ended else "")
            for h in queue.holders
        )
        holder = f"slot(s) held by {held}"
    elif queue.limit == 0:
        holder = f"pool {queue.pool} has a limit of 0: no step can ever run"
    else:
        holder = "no slot is held; the slot is not being handed out"
    more = f" ({len(waiting) - 1} more step(s) waiting)" if len(waiting) > 1 else ""
    text = (
        f"{what}: {first.describe()} has waited for a slot since {_time(first.since)} "
        f"({_duration(waited)}; threshold {_duration(limit)}){more}; {holder}"
    )
    return Finding(key, True, text, what, first.since, holder, first.run_id, facts)


@dataclass(frozen=True)
class OpenStall:
    """A stall as the previous evaluation left it open (the sensor keeps these in its cursor)."""

    key: str
    what: str
    text: str
    since: datetime | None
    opened_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "text": self.text,
            "since": self.since.isoformat() if self.since else None,
            "opened_at": self.opened_at.isoformat(),
        }

    @classmethod
    def from_json(cls, key: str, value: Mapping[str, Any]) -> OpenStall:
        since = value.get("since")
        return cls(
            key=key,
            what=str(value.get("what") or key),
            text=str(value.get("text") or key),
            since=datetime.fromisoformat(since) if since else None,
            opened_at=datetime.fromisoformat(str(value["opened_at"])),
        )


@dataclass(frozen=True)
class Changes:
    opened: list[Finding]
    cleared: list[tuple[OpenStall, Finding | None]]  # the stall as opened, and what is seen now
    open: dict[str, OpenStall]  # every stall open after this evaluation


def compare(before: Mapping[str, OpenStall], findings: Sequence[Finding], seen: Observations) -> Changes:
    """Which stalls opened and which cleared since ``before``; a key this evaluation did not observe
    keeps its state."""
    by_key = {finding.key: finding for finding in findings}
    opened = [f for f in findings if f.stalled and f.key not in before]
    cleared: list[tuple[OpenStall, Finding | None]] = []
    still: dict[str, OpenStall] = {}
    for key, stall in before.items():
        now = by_key.get(key)
        if (now is not None and not now.stalled) or (now is None and seen.observed(key)):
            cleared.append((stall, now))
        else:
            still[key] = stall
    for finding in opened:
        still[finding.key] = OpenStall(finding.key, finding.what, finding.text, finding.since, seen.now)
    return Changes(opened=opened, cleared=cleared, open=still)


def cleared_text(stall: OpenStall, now: datetime) -> str:
    since = stall.since or stall.opened_at
    return f"cleared: {stall.what} (stuck since {_time(since)}, {_duration(now - since)})"


def _time(moment: datetime | None) -> str:
    if moment is None:
        return "?"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(span: timedelta) -> str:
    seconds = max(0, round(span.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"
