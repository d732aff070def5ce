"""The warm run launcher (``prestashop_infor.run_launcher``, ``prestashop_infor.warm_worker``): runs
forked from a worker that imported Dagster and the code location once, through the real daemon over
real sockets; a worker that is killed costs no run (the default launcher takes over, and a new
worker starts); the worker's own protocol; nothing left running."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from prestashop_infor.daemon import worker_pid
from prestashop_infor.processes import is_running, processes_of_home
from prestashop_infor.run_launcher import WARM_TAG, WarmRunLauncher
from prestashop_infor.store import Store
from prestashop_infor.warm_worker import READY, WARM_UP
from prestashop_infor_tests import benchmark_scripts
from prestashop_infor_tests.topology import instance_of, wait_for

PROJECT = Path(__file__).resolve().parents[1]


# -- the worker's own protocol ----------------------------------------------------------------------


@dg.op
def say_where() -> int:
    return os.getpid()


@dg.job
def tiny_job() -> None:
    say_where()


defs = dg.Definitions(jobs=[tiny_job])


def test_the_worker_forks_each_run_it_is_sent_and_ends_with_its_input(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "prestashop_infor.warm_worker", __name__],
        env=env, cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert worker.stdout.readline().strip() == READY
        from dagster._grpc.types import ExecuteRunArgs
        from dagster._serdes import serialize_value

        with instance_of(home) as instance:
            origin = dg.reconstructable(_tiny_job).get_python_origin()
            runs = [instance.create_run_for_job(tiny_job, job_code_origin=origin) for _ in range(2)]
            children = []
            for run in runs:
                payload = serialize_value(ExecuteRunArgs(origin, run.run_id, instance.get_ref()))
                worker.stdin.write(payload + "\n")
                worker.stdin.flush()
                children.append(json.loads(worker.stdout.readline())["pid"])
            for run, child in zip(runs, children, strict=True):
                wait_for(lambda run=run: instance.get_run_by_id(run.run_id).is_finished, 60, "the run to end")
                assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.SUCCESS
                assert worker_pid(instance, run.run_id) == child != worker.pid  # a process of its own
        assert len(set(children)) == 2
        worker.stdin.close()  # its input ends: it ends
        assert worker.wait(timeout=20) == 0
        wait_for(lambda: not any(is_running(child) for child in children), 20, "the runs' processes to end")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def _tiny_job() -> dg.JobDefinition:
    return tiny_job


def test_a_bad_request_costs_the_worker_nothing(tmp_path: Path) -> None:
    """A line that is no run: the child it forked fails alone; the worker answers the next one."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "prestashop_infor.warm_worker", __name__],
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)}, cwd=PROJECT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert worker.stdout.readline().strip() == READY
        for _ in range(2):
            worker.stdin.write("not a run\n")
            worker.stdin.flush()
            child = json.loads(worker.stdout.readline())["pid"]
            wait_for(lambda child=child: not is_running(child), 30, "the bad request's child to end")
        assert worker.poll() is None
    finally:
        worker.stdin.close()
        worker.wait(timeout=20)


def test_a_worker_whose_code_changed_forks_nothing_more_and_ends(tmp_path: Path) -> None:
    """An edit of the code it imported: the next request is answered ``stale`` (naming the file),
    nothing is forked, and the worker ends; the launcher then starts a new one."""
    location = tmp_path / "edited_location.py"
    location.write_text("import dagster as dg\n\ndefs = dg.Definitions()\n")
    worker = subprocess.Popen(
        [sys.executable, "-m", "prestashop_infor.warm_worker", "edited_location"],
        env={**os.environ, "DAGSTER_HOME": str(tmp_path), "PYTHONPATH": str(tmp_path)}, cwd=PROJECT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert worker.stdout.readline().strip() == READY
        location.write_text("import dagster as dg\n\ndefs = dg.Definitions(jobs=[])\n")
        worker.stdin.write("a run\n")
        worker.stdin.flush()
        assert json.loads(worker.stdout.readline()) == {"stale": str(location)}
        assert worker.wait(timeout=20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_every_module_it_warms_up_exists_in_the_release() -> None:
    """The worker skips a name it cannot import (a run imports what it needs anyway), so a name a
    library upgrade moved would cost every run its import again, silently: each must import here."""
    missing = []
    for name in WARM_UP:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            missing.append(f"{name}: {exc}")
    assert not missing


def test_the_worker_refuses_to_start_without_its_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "prestashop_infor.warm_worker"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "usage: python -m prestashop_infor.warm_worker MODULE" in done.stderr


def test_the_dagster_internals_it_relies_on_are_those_of_the_pinned_release() -> None:
    """Dagster has no public way to start a run in a process that is already warm: the launcher and
    the worker use what ``dagster api execute_run`` uses (the Dagster family is pinned together in
    pyproject.toml). An upgrade that moves any of it fails here, by name, before a run falls back to
    the default launcher for good."""
    import inspect

    from dagster._cli.api import _execute_run_command_body, execute_run_command
    from dagster._core.code_pointer import ModuleCodePointer
    from dagster._grpc.types import ExecuteRunArgs
    from dagster._serdes import serialize_value

    assert list(inspect.signature(execute_run_command.callback).parameters) == [
        "input_json",
        "compressed_input_json",
    ]
    assert list(ExecuteRunArgs._fields) == [
        "job_origin",
        "run_id",
        "instance_ref",
        "set_exit_code_on_failure",
    ]
    assert {"module", "working_directory"} <= set(ModuleCodePointer._fields)
    # the sweep of prestashop-infor daemon finds a run's process by this event, which the run writes itself
    assert "Started process for run (pid: {pid})." in inspect.getsource(_execute_run_command_body)
    assert callable(serialize_value)


def test_the_instance_of_the_project_uses_it() -> None:
    """The project's dagster.yaml (the demo's, the tests' homes') names the warm launcher, a
    DefaultRunLauncher for ``prestashop-infor daemon``'s sweep."""
    import yaml

    config = yaml.safe_load((PROJECT / "dagster.yaml").read_text())
    assert config["run_launcher"] == {"module": "prestashop_infor.run_launcher", "class": "WarmRunLauncher"}
    from dagster._core.launcher import DefaultRunLauncher

    assert issubclass(WarmRunLauncher, DefaultRunLauncher)


# -- through the daemon -----------------------------------------------------------------------------


def _ended(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """The order sync's runs, once every one of them has ended (an order is in M3 before its run ends)."""

    def runs() -> list[dg.DagsterRun] | None:
        found = instance.get_runs(dg.RunsFilter(job_name="order_sync_job"))
        return found if all(run.is_finished for run in found) else None

    return wait_for(runs, 120, "the order sync's runs to end")


@pytest.mark.slow
def test_runs_are_forked_warm_and_a_killed_worker_costs_no_run(tmp_path: Path) -> None:
    with benchmark_scripts.importable():
        from _stack import EventLaneStack, m3_call

    with EventLaneStack(tmp_path, seeded_orders=3) as stack, Store.from_url(stack.store_url) as store:
        placed: list[int] = []

        def reach_m3(seed: int) -> None:
            placed.extend(stack.place_orders(1, seed=seed))
            wait_for(lambda: len(stack.bound_at(store, placed)) == len(placed), 120, "the order to reach M3")

        for seed in (10, 11, 12):  # the first run is launched cold while the worker imports
            reach_m3(seed)
        with instance_of(stack.dagster_home) as instance:
            runs = instance.get_runs(dg.RunsFilter(job_name="order_sync_job"))
            warm = [run for run in runs if WARM_TAG in run.tags]
            assert warm, "no run was forked warm"
            assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in _ended(instance))
            forker = int(warm[0].tags[WARM_TAG])
            assert worker_pid(instance, warm[0].run_id) not in (None, forker)  # the run's own process
        # the warm worker dies: the next order's run is launched anyway, and a new worker starts
        os.kill(forker, signal.SIGKILL)
        wait_for(lambda: not is_running(forker), 20, "the warm worker to be gone")
        reach_m3(20)
        reach_m3(21)
        with instance_of(stack.dagster_home) as instance:
            runs = _ended(instance)
            assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
            forkers = {int(run.tags[WARM_TAG]) for run in runs if WARM_TAG in run.tags}
            assert forkers - {forker}, "no new warm worker took a run"
        # a warm run stuck on M3 is terminated as Dagster would (the UI, the run monitor): it ends, and
        # so does its process; the order reaches M3 with the next run
        m3_call(stack, "faults", {"status": 504, "count": 10_000, "match": "OIS100MI/", "delay": 3600})
        stuck = stack.place_orders(1, seed=30)
        with instance_of(stack.dagster_home) as instance:
            run = wait_for(
                lambda: next((r for r in instance.get_runs(dg.RunsFilter(job_name="order_sync_job",
                              statuses=[dg.DagsterRunStatus.STARTED])) if WARM_TAG in r.tags), None),
                120, "a warm run of the stuck order",
            )  # fmt: skip
            worker = wait_for(lambda: worker_pid(instance, run.run_id), 30, "its process")
            assert instance.run_launcher.terminate(run.run_id)
            wait_for(lambda: instance.get_run_by_id(run.run_id).is_finished, 60, "the terminated run to end")
            assert instance.get_run_by_id(run.run_id).status in (
                dg.DagsterRunStatus.CANCELED,
                dg.DagsterRunStatus.FAILURE,
            )
        wait_for(lambda: not is_running(worker), 60, "the terminated run's process to end")
        m3_call(stack, "faults", method="DELETE")
        placed.extend(stuck)
        reach_m3(31)
        assert stack.duplicates(store) == {"bound_twice": 0}
    assert not processes_of_home(stack.dagster_home)
