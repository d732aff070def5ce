"""The runs of the asset graph that name no job (the UI's "Materialize", a backfill) run each step in
a process of its own, forked from a server that imported the definitions once; it ends with the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psutil

from prestashop_infor.defs import EXECUTOR, defs
from prestashop_infor.processes import is_running


@dg.op
def where_it_ran() -> dict:
    parent = psutil.Process(os.getppid())
    return {"step": os.getpid(), "server": parent.pid, "server_command": parent.cmdline()}


@dg.job(executor_def=EXECUTOR)
def one_step_job() -> None:
    where_it_ran()


def run_it() -> None:
    """Run ``one_step_job`` under ``DAGSTER_HOME`` and print where its step ran (the subprocess of
    the test below, so that the server ends with it, as it ends with a run worker)."""
    with (
        dg.DagsterInstance.get() as instance,
        dg.execute_job(dg.reconstructable(one_step_job), instance=instance) as result,
    ):
        assert result.success
        print(json.dumps({"run": os.getpid(), **result.output_for_node("where_it_ran")}))


def test_runs_without_a_job_of_their_own_use_the_project_executor() -> None:
    repository = defs.get_repository_def()
    assert repository.get_implicit_global_asset_job_def().executor_def is EXECUTOR
    assert repository.get_job("order_reconciliation_job").executor_def is dg.in_process_executor


def test_a_step_is_forked_from_a_server_holding_the_definitions_which_ends_with_the_run(
    tmp_path: Path,
) -> None:
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = subprocess.run(
        [sys.executable, "-c", "from prestashop_infor_tests.test_executor import run_it; run_it()"],
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    where = json.loads(done.stdout.strip().splitlines()[-1])
    assert where["step"] != where["run"] and where["server"] != where["run"]
    command = " ".join(where["server_command"])
    assert "forkserver" in command and "prestashop_infor.defs" in command, command
    deadline = time.monotonic() + 10  # the server sees its run's end (its pipe closed) and exits
    while time.monotonic() < deadline and any(is_running(pid) for pid in (where["server"], where["step"])):
        time.sleep(0.1)
    assert not any(is_running(pid) for pid in (where["server"], where["step"]))
