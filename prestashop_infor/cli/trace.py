"""``prestashop-infor trace``: where is order N? Its story in the store, and the Dagster runs its
webhooks started, in time order."""

from __future__ import annotations

import argparse
import json
from typing import Any

from prestashop_infor import names
from prestashop_infor.cli.configuration import _open_store, _settings_now
from prestashop_infor.cli.terminal import _print_table, _Progress


def cmd_trace(args: argparse.Namespace) -> int:
    """One order's story in time order: the store's steps, and the runs the webhooks started."""
    from prestashop_infor.sync.trace import trace_order

    with _Progress(f"order {args.order_id}: reading the store") as progress:
        with _open_store(source=args.source) as store:
            story = trace_order(store, args.order_id)
        inbox_ids = {step.inbox_id for step in story if step.inbox_id is not None}
        progress.step(f"order {args.order_id}: looking through the webhook runs", advance=0)
        runs = _webhook_runs(
            inbox_ids, args.source, lambda seen: progress.step(f"order {args.order_id}: {seen} webhook runs")
        )
    steps = [step.as_dict() for step in story]
    steps = sorted(steps + runs, key=lambda step: step["at"])
    if args.json:
        print(json.dumps({"order": args.order_id, "steps": steps}, indent=2, ensure_ascii=False))
        return 0 if steps else 1
    if not steps:
        print(f"the store knows nothing of order {args.order_id} (not extracted yet?)")
        return 1
    print(f"order {args.order_id}")
    _print_table([[step["at"][:19].replace("T", " "), step["what"], step["detail"]] for step in steps])
    return 0


def _webhook_runs(
    inbox_ids: set[int], source: str | None = None, progress: Any = None
) -> list[dict[str, Any]]:
    """The Dagster runs of the installation ``source`` the sensor started for these webhooks, or
    handed them to (by their inbox ids: each installation's inbox counts its own), with a link; none
    when there is no Dagster instance (``DAGSTER_HOME``) to ask."""
    settings = _settings_now(source)
    if not inbox_ids or not settings.dagster_home:
        return []
    import dagster as dg

    try:
        instance = dg.DagsterInstance.get()
    except Exception:  # noqa: BLE001 - no instance to ask: the store's story is still told
        return []
    found = []
    started = instance.get_runs(filters=dg.RunsFilter(tags={names.TRIGGER_TAG: names.WEBHOOK_TRIGGER}))
    took = instance.get_runs(filters=dg.RunsFilter(tags={names.TAKES_WEBHOOKS_TAG: "yes"}))
    runs = list({run.run_id: run for run in [*started, *took]}.values())
    for seen, run in enumerate(runs, start=1):
        if progress is not None:  # a busy shop has thousands of these runs
            progress(seen)
        if names.source_named_by(run.job_name, dict(run.tags)) != source:
            continue
        first, _, last = run.tags.get(names.INBOX_IDS_TAG, "").partition("-")
        if first.isdigit() and last.isdigit() and any(int(first) <= i <= int(last) for i in inbox_ids):
            record = instance.get_run_record_by_id(run.run_id)
            at = record.create_timestamp if record is not None else None
            found.append({"at": at.isoformat() if at else "", "what": f"run {run.job_name}",
                          "detail": f"{run.status.value}: {settings.dagster_ui_url.rstrip('/')}/runs/{run.run_id}"})  # fmt: skip
    return found
