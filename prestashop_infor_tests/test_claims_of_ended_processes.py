"""A claim whose holder was a process of this host that is gone is taken over at once (issue 16 §3):
a killed run's claims no longer keep its orders and customers waiting for ``stale_after``."""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prestashop_infor.store import Store, id_map
from prestashop_infor.store.tables import id_claims

HOST = socket.gethostname()


@pytest.fixture(scope="module")
def gone_pid() -> int:
    """The pid of a process of this host that has exited (and was reaped)."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


def test_a_holder_of_this_host_that_exited_is_gone(gone_pid: int):
    assert id_map.holder_is_gone(f"{HOST}:{gone_pid}:1")
    assert id_map.holder_is_gone(f"{HOST}:{gone_pid}:140001:0123456789ab")  # claim_many's owner


def test_a_holder_that_runs_is_not_gone():
    assert not id_map.holder_is_gone(f"{HOST}:{os.getpid()}:1")
    assert not id_map.holder_is_gone(id_map.claim_owner())


def test_a_holder_of_another_host_is_never_judged(gone_pid: int):
    assert not id_map.holder_is_gone(f"not-{HOST}:{gone_pid}:1")
    assert not id_map.holder_is_gone("dead:1:1")


@pytest.mark.parametrize("owner", ["", "x", f"{HOST}", f"{HOST}:", f"{HOST}:²:1", f"{HOST}:-1:1", "host:²:1"])
def test_a_malformed_owner_is_not_gone(owner: str):
    assert id_map.holder_is_gone(owner) is False


def _fresh_claim(store: Store, source_key: str, owner: str, age: timedelta = timedelta(seconds=15)) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            id_claims.insert().values(
                entity="customer",
                source_key=source_key,
                planned_key="PS1",
                owner=owner,
                claimed_at=datetime.now(UTC) - age,  # far from stale by age (an hour)
            )
        )


def test_a_fresh_claim_of_a_gone_holder_is_taken_over_after_the_grace_and_a_live_ones_is_not(
    tmp_path: Path, gone_pid: int
):
    with Store.from_url(f"sqlite:///{tmp_path}/store.db") as store:
        _fresh_claim(store, "dead@x.fr", f"{HOST}:{gone_pid}:1")
        # the holder's last request may still run in M3: not within the grace
        _fresh_claim(store, "just@x.fr", f"{HOST}:{gone_pid}:1", age=timedelta(seconds=2))
        _fresh_claim(store, "live@x.fr", f"{HOST}:{os.getpid()}:1")
        _fresh_claim(store, "remote@x.fr", f"elsewhere:{gone_pid}:1")
        planned = {"dead@x.fr": "PS1", "just@x.fr": "PS1", "live@x.fr": "PS1", "remote@x.fr": "PS1"}
        got = id_map.claim_for_work(store, "customer", planned, stale_after=timedelta(hours=1))
        assert got == {"dead@x.fr"}
        assert id_map.claim_of(store, "customer", "dead@x.fr").owner == id_map.claim_owner()
        assert id_map.claim_of(store, "customer", "live@x.fr").owner == f"{HOST}:{os.getpid()}:1"
        assert id_map.claim_of(store, "customer", "remote@x.fr").owner == f"elsewhere:{gone_pid}:1"
