"""The benchmarks' event-lane stack (``benchmarks/_stack.py``) on a busy machine (issue 22): a port
the stack picked can be bound by another program before the stack's own process binds it. The stack
must then neither take that program's answer for its receiver's (the shop's webhooks went there,
were refused, given up, and the warm-up order never reached the inbox) nor fail: it starts the
process again on another port."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.applications import Starlette

from prestashop_infor.serving import BackgroundServer
from prestashop_infor.store import Store, inbox
from prestashop_infor_tests import benchmark_scripts


def _order_created(store: Store, order_id: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(
            e.event == "order.created" and e.resource_id == order_id for e in inbox.events_after(store, 0)
        ):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_a_port_taken_after_the_stack_picked_it_does_not_swallow_the_webhooks(tmp_path: Path):
    with benchmark_scripts.importable():
        from _stack import EventLaneStack, webhook_counts

    stack = EventLaneStack(tmp_path, seeded_orders=2, daemon=False)  # the receiver is what is tested
    picked = stack.receiver_port
    # another program binds the receiver's port first; it answers every path (404 to all of them)
    with BackgroundServer(Starlette(), port=picked), stack, Store.from_url(stack.store_url) as store:
        assert stack.processes["receiver"].poll() is None, (stack.logs / "receiver.log").read_text()
        assert stack.receiver_port != picked
        order_id = stack.place_orders(1, seed=0)[0]
        assert _order_created(store, order_id, 15), webhook_counts(stack, store)
        assert webhook_counts(stack, store)["given_up"] == 0
