"""`prestashop-infor demo` (what `make demo` runs): the sandbox plus `dagster dev` on an embedded
SQLite instance, with the assets visible, already materialized once, and materializable through
the webserver and the daemon's run queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from dagster_graphql import DagsterGraphQLClient

from prestashop_infor.serving import free_port

SCHEDULES_QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes { schedules { name scheduleState { status } } } } } }
"""
ASSETS_QUERY = """
{ assetNodes { assetKey { path } groupName assetMaterializations(limit: 1) { runId } } }
"""


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _webserver_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/server_info", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_demo_serves_materialized_assets_and_launches_runs(tmp_path: Path):
    dagster_port = free_port()
    arguments = ["--prestashop-port", str(free_port()), "--infor-port", str(free_port()),
                 "--dagster-port", str(dagster_port), "--dagster-home", str(tmp_path / "home"),
                 "--ionapi-out", str(tmp_path / "sandbox.ionapi"), "--orders", "150"]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "prestashop_infor.cli", "demo", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{dagster_port}"
    try:
        _wait_for(lambda: process.poll() is not None or _webserver_up(url), 180, "the Dagster webserver")
        assert process.poll() is None, "the demo exited early"
        nodes = httpx.post(f"{url}/graphql", json={"query": ASSETS_QUERY}, timeout=30).json()["data"][
            "assetNodes"
        ]
        by_name = {node["assetKey"]["path"][-1]: node for node in nodes}
        expected = {"prestashop_orders", "prestashop_customers", "prestashop_products", "prestashop_stock",
                    "infor_items", "infor_inventory", "infor_order_statuses", "infor_customers",
                    "infor_sales_orders", "prestashop_order_status_updates", "prestashop_stock_levels"}  # fmt: skip
        assert expected <= set(by_name)
        # The demo materialized every asset once before opening the UI.
        assert all(by_name[name]["assetMaterializations"] for name in expected)

        # The sync schedules run on their own in the demo.
        repositories = httpx.post(f"{url}/graphql", json={"query": SCHEDULES_QUERY}, timeout=30).json()
        schedules = {
            schedule["name"]: schedule["scheduleState"]["status"]
            for node in repositories["data"]["repositoriesOrError"]["nodes"]
            for schedule in node["schedules"]
        }
        assert schedules["order_sync_schedule"] == schedules["backoffice_sync_schedule"] == "RUNNING"
        assert schedules["prestashop_extract_schedule"] == "STOPPED"

        # A run launched from the UI goes through the queue and the daemon, and succeeds.
        client = DagsterGraphQLClient("127.0.0.1", port_number=dagster_port)
        run_id = client.submit_job_execution("prestashop_extract_job")
        status = _wait_for(
            lambda: (s := client.get_run_status(run_id).value) in {"SUCCESS", "FAILURE", "CANCELED"} and s,
            180,
            "the launched run to finish",
        )
        assert status == "SUCCESS"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
    assert process.returncode == 0, output[-3000:]
