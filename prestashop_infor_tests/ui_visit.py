"""The demo's Dagster UI in a real browser, as the demo test visits it (``test_demo.py``, on the demo it
started: one demo for both): Playwright driving a Chromium that is already there
(``tools.chromium()``: ``PRESTASHOP_INFOR_TEST_CHROMIUM``, ``chromium`` on PATH, or Playwright's own;
``make test`` installs Debian's as root on Debian, else names what to install; nothing is downloaded
at run time). A user's first visit, end to end: dismiss
Dagster's first-visit dialog, open the asset graph, materialize `prestashop_orders` and watch its
run succeed and its check pass, launch a backfill of the reconciliation assets over the last three
days, and read the webhook sensor's ticks. Every page is saved as a screenshot in the test's output
folder; with ``UPDATE_SCREENSHOTS=1`` the asset graph, the sensor's ticks and the backfill also
replace the README's pictures (:data:`README_PICTURES`)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from prestashop_infor_tests.tools import CHROMIUM, required
from prestashop_infor_tests.topology import wait_for

if TYPE_CHECKING:
    from prestashop_infor_tests.test_demo import Demo

REPO = Path(__file__).resolve().parents[1]
# The README's pictures, replaced with ``UPDATE_SCREENSHOTS=1``: this test's screenshot -> the file.
README_PICTURES = {
    "asset_graph.png": REPO / "docs" / "asset-graph.png",
    "sensor_ticks.png": REPO / "docs" / "sensor-ticks.png",
    "backfill.png": REPO / "docs" / "reconciliation-backfill.png",
}
VIEWPORT = {"width": 1600, "height": 1000}
RUN_TIMEOUT_S = 150  # a run is seconds on a quiet machine; the queue may hold it behind the schedules
UI_TIMEOUT_MS = 30_000  # one page or element
CHECK = "failure_share_within_threshold"
CHECK_EXECUTIONS_QUERY = """
query ($path: [String!]!, $check: String!) {
  assetCheckExecutions(assetKey: {path: $path}, checkName: $check, limit: 20) { runId status } }
"""
RUN_QUERY = "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
BACKFILL_QUERY = "query ($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }"
# What closes the dialogs Dagster shows on a first visit ("Join the Dagster community": Skip).
DISMISS = ("Skip", "Close", "Dismiss", "Got it", "No thanks", "Not now", "Maybe later")


def _dismiss_first_visit_dialogs(page, settle_s: float = 6.0) -> list[str]:
    """Close what Dagster greets a new instance with. It comes a moment after the page (once the
    instance is asked whether it was seen before), so watch for ``settle_s`` after the app is up and
    again after each one closed; returns the dialogs' titles."""
    closed: list[str] = []
    deadline = time.monotonic() + settle_s
    while time.monotonic() < deadline:
        dialog = page.get_by_role("dialog")
        if dialog.count() and dialog.first.is_visible():
            title = dialog.first.inner_text().strip().split("\n")[0]
            buttons = [dialog.first.get_by_role("button", name=name, exact=True) for name in DISMISS]
            button = next((b for b in buttons if b.count()), None)
            if button is not None:
                button.first.click()
            else:
                page.keyboard.press("Escape")
            closed.append(title)
            assert len(closed) < 5, f"dialogs keep coming back: {closed}"
            deadline = time.monotonic() + 2.0
        page.wait_for_timeout(250)
    assert not page.get_by_role("dialog").count(), "a first-visit dialog is still open"
    return closed


def _graphql(url: str, query: str, **variables) -> dict:
    answer = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30).json()
    assert "errors" not in answer, answer
    return answer["data"]


def _ended(url: str, run_id: str) -> str | None:
    """The run's final status, or None while it has none."""
    status = _graphql(url, RUN_QUERY, id=run_id)["runOrError"]["status"]
    return status if status in ("SUCCESS", "FAILURE", "CANCELED") else None


def _toast_link(page, text: str) -> str:
    """The "View" link of the toast that says ``text`` (a launched run or backfill): its path."""
    toast = page.locator("[class*=Toaster_toastInner]", has_text=re.compile(text))
    link = toast.get_by_role("link", name="View", exact=True)
    link.wait_for(timeout=UI_TIMEOUT_MS)
    href = link.get_attribute("href")
    link.click()
    return href


def first_visit(demo: Demo, shots: Path) -> str:
    """A first visit to the running ``demo``'s UI, its pages saved in ``shots``; the id of the backfill
    it launched."""
    from playwright.sync_api import expect, sync_playwright

    executable = required(CHROMIUM)
    shots.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # An order placed in the shop: its webhook gives the webhook sensor a tick that asks for a run.
    placed = httpx.post(f"http://127.0.0.1:{demo.prestashop_port}/_sandbox/orders",
                        json={"customer_id": 1, "lines": [[1, 1, 1]], "currency": "EUR"}, timeout=30)  # fmt: skip
    assert placed.status_code in (200, 201), placed.text
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(UI_TIMEOUT_MS)
            expect.set_options(timeout=UI_TIMEOUT_MS)

            def shot(name: str) -> Path:
                path = shots / name
                page.screenshot(path=path)
                return path

            # First visit: the overview, and the dialog(s) a new instance opens with.
            page.goto(demo.url)
            page.locator('a[href="/asset-groups"]').wait_for()
            print(f"first-visit dialogs closed: {_dismiss_first_visit_dialogs(page)}")

            # The asset graph: Lineage, the global view of the four groups, once the demo's first
            # run has materialized every asset (the picture shows them materialized).
            assert "SUCCESS" in demo.wait_for_first_materialization(), demo.output[-3000:]
            page.locator('a[href="/asset-groups"]').click()
            expect(page.get_by_text("Global asset lineage")).to_be_visible()
            for group in ("prestashop", "infor", "order_to_cash", "reconciliation"):
                expect(page.locator(f'[data-tooltip="{group}"]')).to_be_visible()
            expect(page.get_by_text("fetching statuses")).to_have_count(0)
            page.wait_for_timeout(1000)  # the edges are drawn after the nodes
            shot("asset_graph.png")

            # Materialize prestashop_orders from its page and follow the run to its end.
            page.goto(f"{demo.url}/assets/prestashop_orders")
            page.get_by_role("button", name=re.compile(r"\bMaterialize$")).click()
            run_path = _toast_link(page, r"Launched run")
            run_id = run_path.rsplit("/", 1)[-1]
            page.wait_for_url(re.compile(re.escape(run_path)))
            # The run's event log: its end, and the check's evaluation on the way.
            end = page.get_by_text(re.compile(r"^RUN_(SUCCESS|FAILURE|CANCELED)$"))
            end.first.wait_for(timeout=RUN_TIMEOUT_S * 1000)
            # the event is written a moment before the run's status
            status = wait_for(lambda: _ended(demo.url, run_id), 30, f"the status of run {run_id}")
            expect(page.get_by_text("Success", exact=True).first).to_be_visible()  # the header's tag
            shot("run.png")
            assert end.first.inner_text() == "RUN_SUCCESS" and status == "SUCCESS", (
                f"run {run_id} ended {status}:\n{demo.output[-3000:]}"
            )
            evaluated = page.get_by_text(re.compile(f"Check {CHECK} succeeded for materialization"))
            expect(evaluated.first).to_be_visible()
            executions = _graphql(demo.url, CHECK_EXECUTIONS_QUERY, path=["prestashop_orders"], check=CHECK)
            assert {"runId": run_id, "status": "SUCCEEDED"} in executions["assetCheckExecutions"], executions

            # The asset's Checks tab, the check's execution history: this run's evaluation passed
            # (the latest may be a newer run's: the schedules materialize the asset too).
            page.goto(f"{demo.url}/assets/prestashop_orders")
            page.get_by_role("tab", name="Checks").click()
            expect(page.get_by_text(CHECK).first).to_be_visible()
            page.get_by_role("tab", name="Execution history").click()
            ours = page.get_by_role("row").filter(has=page.locator(f'a[href*="{run_id}"]'))
            expect(ours.first).to_be_visible()
            print("check execution row:", ours.first.inner_text().replace("\n", " | "))
            expect(ours.first).to_contain_text(re.compile("Passed|Succeeded"))
            shot("asset_checks.png")

            # A backfill of the reconciliation assets over the last three days: the graph
            # filtered to order_reconciliation and the daily snapshots it reads, "Materialize all", a range.
            page.goto(f"{demo.url}/asset-groups")
            search = page.get_by_role("textbox", name="Search and filter assets")
            search.focus()  # a CodeMirror editor: its own layers take the clicks
            # (its group only: prestashop_orders_daily also reads the stored catalogue, which is
            # not partitioned and not part of a reconciliation backfill)
            page.keyboard.type("+key:order_reconciliation and group:reconciliation")
            page.keyboard.press("Enter")
            page.get_by_role("button", name=re.compile("Materialize all")).click()
            dialog = page.get_by_role("dialog")
            expect(dialog.get_by_text("Launch runs to materialize 3 assets")).to_be_visible()
            ends = dialog.get_by_text(re.compile(r"^\d{4}-\d{2}-\d{2}$"))  # the range's first and last day
            expect(ends.last).to_be_visible()  # drawn once the partitions are loaded
            last = dt.date.fromisoformat(max(ends.all_inner_texts()))  # the newest: yesterday in the shop
            partitions = dialog.get_by_role("textbox").first
            partitions.fill(f"[{last - dt.timedelta(days=2)}...{last}]")
            partitions.press("Enter")
            expect(dialog.get_by_text("3 partitions", exact=True)).to_be_visible()
            shot("backfill_dialog.png")
            dialog.get_by_role("button", name="Launch backfill").click()
            backfill_path = _toast_link(page, r"Created backfill")
            backfill_id = backfill_path.rsplit("/", 1)[-1]
            expect(page.get_by_text(f"{last - dt.timedelta(days=2)}...{last}")).to_be_visible()
            for asset in ("prestashop_orders_daily", "infor_orders_daily", "order_reconciliation"):
                expect(page.get_by_role("link", name=asset).first).to_be_visible()
            shot("backfill.png")
            backfill = _graphql(demo.url, BACKFILL_QUERY, id=backfill_id)["partitionBackfillOrError"]
            assert backfill.get("status"), backfill  # it may succeed or fail: it exists
            # ... and in the Runs page's backfills list.
            page.goto(f"{demo.url}/runs?tab=backfills")
            expect(page.get_by_role("link", name=backfill_id).first).to_be_visible()
            shot("backfills.png")

            # The event lane: Automation > prestashop_webhook_sensor, its ticks.
            page.locator('a[href="/automation"]').click()
            page.locator('a[href$="/sensors/prestashop_webhook_sensor"]').click()
            expect(page.get_by_text("prestashop_webhook_sensor").first).to_be_visible()
            expect(page.get_by_text(re.compile(r"^\d+ runs? requested$")).first).to_be_visible()
            shot("sensor_ticks.png")
            # The order placed above: a tick asked for an order_sync_job run, listed under Runs.
            tab = page.get_by_role("tab", name="Runs", exact=True)
            tab.or_(page.get_by_role("button", name="Runs", exact=True)).first.click()
            # (the list is not a table to the accessibility tree: a run's tag, and its job's link
            # beside the one in the sensor's header)
            expect(page.get_by_text("prestashop_infor/trigger: webhook").first).to_be_visible(timeout=60_000)
            job_links = page.locator('a[href$="/jobs/order_sync_job"]')
            wait_for(lambda: job_links.count() >= 2, 30, "an order_sync_job run in the sensor's runs")
            shot("sensor_runs.png")
        finally:
            browser.close()
    print(f"screenshots in {shots}: {sorted(p.name for p in shots.iterdir())}")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        for name, picture in README_PICTURES.items():
            shutil.copyfile(shots / name, picture)
    print(f"the browser's visit took {time.monotonic() - started:.0f} s")
    return backfill_id
