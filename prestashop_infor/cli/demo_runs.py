"""What the demo runs itself through the Dagster webserver (GraphQL): the first materialization of
every asset, the discrepancies planted in the sandbox, and the reconciliation of the history; and the
line the terminal shows when any run starts and ends."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from prestashop_infor import names
from prestashop_infor.store import Store
from prestashop_infor.sync import reconcile

DEMO_GROUPS = ("prestashop", "infor", "order_to_cash")
# the demo's own runs, by their names.DEMO_TAG value
DEMO_RUN_LABELS = {
    "first_materialization": "First materialization (every asset)",
    "history_reconciliation": "Reconciliation of the history",
}
# Planted once the first materialization has bound the history (an order dropped from M3 before
# that would only be sent again), on days a week old or more, whose orders are paid and closed: no
# lane reads them again, so each change waits quietly for the reconciliation. No state set back by
# hand in the shop: the status lane's first pass over a new store would push it forward again.
DEMO_DISCREPANCIES = {"dropped": 1, "orphaned": 1, "amount": 1, "line": 1}
DEMO_DISCREPANCY_MIN_AGE_DAYS = 8
_DISCREPANCY_WORDS = {
    "dropped": "dropped from M3",
    "orphaned": "deleted from the shop (M3 keeps it)",
    "amount": "price raised in M3",
    "line": "item changed in M3",
}
_DEMO_ASSETS_QUERY = """
{ repositoriesOrError { __typename ... on RepositoryConnection { nodes {
    name location { name } assetNodes { assetKey { path } groupName isMaterializable } } } } }
"""
_DEMO_LAUNCH_MUTATION = """
mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on Error { message }
    ... on RunConfigValidationInvalid { errors { message } } } }
"""
_DEMO_RUN_QUERY = "query Run($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"
_RUN_ENDS = ("SUCCESS", "FAILURE", "CANCELED")


def _demo_graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    import httpx

    answer = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30)
    answer.raise_for_status()
    body = answer.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"][0].get("message", body["errors"]))
    return body["data"]


def _demo_start_runs(
    url: str,
    dagster: subprocess.Popen[Any],
    stopping: threading.Event,
    started: float,
    sandbox: Any,
    store_url: str,
) -> None:
    """What the demo runs itself once the UI answers and the code location is loaded, through the
    webserver (so each is a run of the instance, queued and run by the daemon like one launched from
    the UI): the first materialization of every asset; once it has bound the seeded history, a few
    discrepancies planted in the sandbox and the history reconciled in one run over its days."""
    location: dict[str, str] | None = None
    keys: list[Any] = []
    while location is None:
        if stopping.wait(1) or dagster.poll() is not None:
            return
        try:
            repositories = _demo_graphql(url, _DEMO_ASSETS_QUERY)["repositoriesOrError"]
        except Exception:  # noqa: BLE001 - not up yet: the webserver or the code location is starting
            continue
        for repository in repositories.get("nodes", []):
            keys = [n["assetKey"] for n in repository["assetNodes"]
                    if n["groupName"] in DEMO_GROUPS and n["isMaterializable"]]  # not the webhook inbox  # fmt: skip
            if keys:
                location = {
                    "repositoryLocationName": repository["location"]["name"],
                    "repositoryName": repository["name"],
                }
        if location is None and time.monotonic() - started > 300:
            print("prestashop-infor: the code location did not load; see the UI", file=sys.stderr)
            return
    print(f"Dagster UI answering, {time.monotonic() - started:.0f} s after the start.", flush=True)
    first = _launch_demo_run(
        url,
        {**location, "jobName": names.ASSET_JOB, "assetSelection": keys},
        "first_materialization",
        run_config={"execution": {"config": {"in_process": {}}}},  # no process per step
    )
    status = None if first is None else _wait_for_demo_run(url, first, dagster, stopping)
    if status != "SUCCESS":
        if status is not None:
            _say(f"The history is not reconciled: the first materialization ended {status}.")
        return
    first_day, today = sandbox.order_days()
    last_day = today - timedelta(days=1)
    if not sandbox.settings.history_days or last_day < first_day:
        return  # no history in M3 to reconcile with, or not a whole day of it yet
    _plant_demo_discrepancies(sandbox, first_day, today)
    reconciliation = _launch_demo_run(
        url,
        {**location, "jobName": names.ORDER_RECONCILIATION_JOB},
        "history_reconciliation",
        tags={
            "dagster/asset_partition_range_start": first_day.isoformat(),
            "dagster/asset_partition_range_end": last_day.isoformat(),
        },
    )
    if reconciliation is None or _wait_for_demo_run(url, reconciliation, dagster, stopping) != "SUCCESS":
        return
    with Store.from_url(store_url) as store:
        findings = reconcile.open_findings(store, first_day, last_day)
    found = "; ".join(f"{f.day} {f.kind} {f.key}" for f in findings[:10]) or "none"
    _say(
        f"History reconciled, {first_day} to {last_day}: {len(findings)} finding(s) ({found}); "
        f"each day's result: {url}/assets/order_reconciliation?view=partitions"
    )
    _act_after_sales(sandbox)


def _act_after_sales(sandbox: Any) -> None:
    """An order cancelled in the shop, one returned in M3, one refunded in the shop, one returned in
    the shop, for the lanes to carry across within a minute; say which (``prestashop-infor trace N`` tells each story)."""
    try:
        done = sandbox.act_after_sales(seed=sandbox.settings.seed)
    except ValueError as exc:
        _say(f"No after-sales acted for the lanes to carry: {exc}")
        return
    told = []
    if "cancelled" in done:
        told.append(f"order {done['cancelled']['order']} cancelled in the shop")
    if "returned" in done:
        told.append(f"order {done['returned']['order']} returned in M3 (return {done['returned']['return']})")
    if "refunded" in done:
        told.append(
            f"order {done['refunded']['order']} refunded in the shop (credit slip {done['refunded']['slip']})"
        )
    if "return_requested" in done:
        story = done["return_requested"]
        told.append(f"order {story['order']} returned in the shop (merchandise return {story['return']})")
    if told:
        _say(f"After-sales for the lanes to carry: {', '.join(told)}; `prestashop-infor trace N` tells each.")


DEMO_LAUNCH_ATTEMPTS = 3
_DEMO_RUNS_TAGGED_QUERY = """
query Tagged($tags: [ExecutionTag!]) {
  runsOrError(filter: {tags: $tags}) { ... on Runs { results { runId } } }
}
"""


def _demo_run_tagged(url: str, kind: str) -> str | None:
    """The id of the demo's run of ``kind`` if one was made (a launch that failed after creating it)."""
    try:
        data = _demo_graphql(url, _DEMO_RUNS_TAGGED_QUERY, {"tags": [{"key": names.DEMO_TAG, "value": kind}]})
    except Exception:  # noqa: BLE001 - the webserver does not answer: no run known
        return None
    results = (data.get("runsOrError") or {}).get("results") or []
    return results[0]["runId"] if results else None


def _launch_demo_run(
    url: str,
    selector: dict[str, Any],
    kind: str,
    *,
    run_config: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> str | None:
    """Launch one of the demo's runs (``kind``: a ``names.DEMO_TAG`` value) through the webserver; its id,
    or None with the reason on stderr."""
    params = {
        "selector": selector,
        "runConfigData": run_config or {},
        "executionMetadata": {
            "tags": [
                {"key": key, "value": value} for key, value in {names.DEMO_TAG: kind, **(tags or {})}.items()
            ]
        },
    }
    label = DEMO_RUN_LABELS[kind]
    for attempt in range(1, DEMO_LAUNCH_ATTEMPTS + 1):
        try:
            launched = _demo_graphql(url, _DEMO_LAUNCH_MUTATION, {"params": params})["launchRun"]
            break
        except Exception as exc:  # noqa: BLE001 - a loaded webserver may fail a launch: tried again
            made = _demo_run_tagged(url, kind)  # the run may exist all the same: never a second one
            if made:
                return made
            if attempt == DEMO_LAUNCH_ATTEMPTS:
                print(f"prestashop-infor: could not launch the {label}: {exc}", file=sys.stderr)
                return None
            time.sleep(2)
    if launched["__typename"] != "LaunchRunSuccess":
        why = launched.get("message") or launched.get("errors") or launched["__typename"]
        print(f"prestashop-infor: the {label} was refused: {why}", file=sys.stderr)
        return None
    return launched["run"]["runId"]


def _wait_for_demo_run(
    url: str, run_id: str, dagster: subprocess.Popen[Any], stopping: threading.Event
) -> str | None:
    """The run's final status; None when the demo stops first."""
    status = "QUEUED"
    while status not in _RUN_ENDS:
        if stopping.wait(1) or dagster.poll() is not None:
            return None
        try:
            status = _demo_graphql(url, _DEMO_RUN_QUERY, {"id": run_id})["runOrError"].get("status", status)
        except Exception:  # noqa: BLE001 - asked again at the next turn
            continue
    return status


def _plant_demo_discrepancies(sandbox: Any, first_day: date, today: date) -> None:
    """Plant DEMO_DISCREPANCIES on the history's days at least DEMO_DISCREPANCY_MIN_AGE_DAYS old, and
    say which orders they touched."""
    last = today - timedelta(days=DEMO_DISCREPANCY_MIN_AGE_DAYS)
    days = [first_day + timedelta(days=n) for n in range((last - first_day).days + 1)]
    try:
        if not days:
            raise ValueError(f"the history has no day {DEMO_DISCREPANCY_MIN_AGE_DAYS} days old or more")
        planted = sandbox.plant_discrepancies(seed=sandbox.settings.seed, days=days, **DEMO_DISCREPANCIES)
    except ValueError as exc:
        _say(f"No discrepancies planted for the reconciliation to find: {exc}")
        return
    touched = [f"order {order_id} {_DISCREPANCY_WORDS[kind]}"
               for kind in DEMO_DISCREPANCIES for order_id in planted[kind]]  # fmt: skip
    _say(f"Planted for the reconciliation to find: {', '.join(touched)}.")


def _watch_runs(dagster_home: Path, url: str, stopping: threading.Event) -> None:
    """What the terminal shows of the lanes: a line when a run starts and when it ends, with what
    started it. Every event of every run is in the UI (and in the logs under the demo's home)."""
    import dagster as dg

    announced: set[tuple[str, str]] = set()  # (run id, "started" or its end)
    since: datetime | None = None
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        while not stopping.wait(1):
            try:
                records = instance.get_run_records(
                    filters=dg.RunsFilter(updated_after=since), order_by="update_timestamp", ascending=True
                )
            except Exception:  # noqa: BLE001 - the SQLite storage is busy: asked again in a second
                continue
            if records:  # a second back: a run updated in the same instant as the last one is not missed
                since = records[-1].update_timestamp - timedelta(seconds=1)
            for record in records:
                run, status = record.dagster_run, record.dagster_run.status.value
                event = status if status in _RUN_ENDS else "started" if status == "STARTED" else None
                if event is None or (run.run_id, event) in announced:
                    continue
                # a run that started and ended between two looks gets its start line all the same
                if event != "started" and record.start_time and (run.run_id, "started") not in announced:
                    announced.add((run.run_id, "started"))
                    _say(_run_line(run, "started", record, url))
                announced.add((run.run_id, event))
                _say(_run_line(run, event, record, url))


def _say(event: str) -> None:
    """One line of what happens in the demo, with the time it was seen; an event of several lines (an
    alert quoting a run's error) is folded into that one line."""
    line = " / ".join(part.strip() for part in event.splitlines() if part.strip())
    print(f"{datetime.now().strftime('%H:%M:%S')}  {line}", flush=True)


def _run_line(run: Any, event: str, record: Any, url: str) -> str:
    link = f"{url}/runs/{run.run_id}"
    if event == "started":
        return f"{_run_label(run)}: started  {link}"
    took = f" in {record.end_time - record.start_time:.0f} s" if record.start_time and record.end_time else ""
    return f"{_run_label(run)}: {event}{took}" + ("" if event == "SUCCESS" else f"  {link}")


def _run_label(run: Any) -> str:
    """The demo's own runs by name; any other by its job (or its assets) and what launched it."""
    if run.tags.get(names.DEMO_TAG) in DEMO_RUN_LABELS:
        return DEMO_RUN_LABELS[run.tags[names.DEMO_TAG]]
    what = run.job_name
    if what.startswith(names.ASSET_JOB) and run.asset_selection:
        assets = sorted(key.to_user_string() for key in run.asset_selection)
        what = ", ".join(assets[:3]) + (f" and {len(assets) - 3} more" if len(assets) > 3 else "")
    tags = run.tags
    by = (
        tags.get("dagster/schedule_name")
        or tags.get("dagster/sensor_name")
        or (f"backfill {tags['dagster/backfill']}" if "dagster/backfill" in tags else "launched from the UI")
    )
    return f"{what} ({by})"
