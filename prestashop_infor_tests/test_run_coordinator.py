"""The run queue looked at twice a second (``prestashop_infor.run_coordinator``): Dagster's queued
run coordinator with a dequeue interval in fractions of a second, as the project's instances (the
embedded one and docker/'s) configure it, its run limits unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from prestashop_infor.names import LANE_TAG
from prestashop_infor.run_coordinator import SubsecondQueuedRunCoordinator
from prestashop_infor_tests.topology import instance_of

PROJECT = Path(__file__).resolve().parents[1]


def _home(tmp_path: Path, interval: Any = None) -> Path:
    config = yaml.safe_load((PROJECT / "dagster.yaml").read_text(encoding="utf-8"))
    if interval is not None:
        config["run_coordinator"]["config"]["dequeue_interval_seconds"] = interval
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return tmp_path


def test_the_projects_instance_queues_with_it_and_keeps_its_run_limits(tmp_path: Path) -> None:
    with instance_of(_home(tmp_path)) as instance:
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, SubsecondQueuedRunCoordinator)
        assert coordinator.dequeue_interval_seconds == 0.5
        assert coordinator.dequeue_use_threads and coordinator.dequeue_num_workers == 2
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None and queue.max_concurrent_runs == 4
        assert list(queue.tag_concurrency_limits) == [{"key": LANE_TAG, "value": "orders", "limit": 2}]


def test_the_pinned_daemon_looks_at_the_queue_at_the_coordinators_interval(tmp_path: Path) -> None:
    """A Dagster upgrade whose daemon read the interval elsewhere would quietly bring the whole
    second back (or Dagster's five)."""
    from dagster._daemon.controller import create_daemon_of_type
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

    with instance_of(_home(tmp_path)) as instance:
        daemon = create_daemon_of_type(QueuedRunCoordinatorDaemon.daemon_type(), instance)
        assert daemon.interval_seconds == 0.5


def test_whole_seconds_still_read_and_the_default_is_one() -> None:
    assert SubsecondQueuedRunCoordinator(dequeue_interval_seconds=2).dequeue_interval_seconds == 2.0
    assert SubsecondQueuedRunCoordinator().dequeue_interval_seconds == 1.0


@pytest.mark.parametrize(
    ("interval", "message"),
    [(0, "must be a number of seconds above 0"), (-1, "must be a number of seconds above 0"),
     ("soon", "dequeue_interval_seconds")],
)  # fmt: skip
def test_a_bad_interval_is_refused_naming_the_setting(tmp_path: Path, interval: Any, message: str) -> None:
    with pytest.raises(Exception, match=message), instance_of(_home(tmp_path, interval)) as instance:
        instance.run_coordinator  # noqa: B018 - built when first asked for
