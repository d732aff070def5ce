"""Hedged reads (``hedging``): a read that hangs is asked a second time beside it and the first answer
wins; a read answering at the usual speed is asked once; the delay follows the shop's usual time.
Plus the shop client over a real socket: a page whose first request hangs comes back in about the
hedge's delay, not the read timeout."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from prestashop_infor.hedging import FACTOR, Hedge
from prestashop_infor.prestashop.client import PrestashopClient
from prestashop_infor.serving import BackgroundServer


class Reads:
    """A read whose first ``hanging`` calls block until released (or ``fail``); the others answer."""

    def __init__(self, hanging: int = 0, fail: bool = False) -> None:
        self.calls = 0
        self.hanging, self.fail = hanging, fail
        self.release = threading.Event()
        self.lock = threading.Lock()

    def __call__(self) -> str:
        with self.lock:
            self.calls += 1
            call = self.calls
        if call <= self.hanging:
            self.release.wait(10)
            if self.fail:
                raise ConnectionError(f"request {call} failed")
            return f"late answer {call}"
        return f"answer {call}"


def test_a_read_that_hangs_is_answered_by_the_second_request_after_the_delay():
    hedge, reads = Hedge(floor=0.2), Reads(hanging=1)
    started = time.monotonic()
    try:
        assert hedge.call(reads) == "answer 2"
        assert 0.2 <= time.monotonic() - started < 2 and hedge.hedged == 1
    finally:
        reads.release.set()
        hedge.close()


def test_reads_at_the_usual_speed_are_asked_once():
    hedge, reads = Hedge(floor=0.5), Reads()
    with hedge_closed(hedge):
        assert [hedge.call(reads) for _ in range(20)] == [f"answer {n}" for n in range(1, 21)]
    assert reads.calls == 20 and hedge.hedged == 0


def test_the_first_request_failing_waits_for_the_second_and_both_failing_raise():
    hedge = Hedge(floor=0.1)
    with hedge_closed(hedge):
        reads = Reads(hanging=1, fail=True)
        threading.Timer(0.3, reads.release.set).start()  # the first fails after the hedge was sent
        assert hedge.call(reads) == "answer 2"
        both = Reads(hanging=2, fail=True)
        threading.Timer(0.3, both.release.set).start()
        with pytest.raises(ConnectionError, match="failed"):
            hedge.call(both)
        assert hedge.hedged == 2


def test_the_delay_follows_the_usual_answer_time_and_never_reaches_the_timeout():
    hedge = Hedge(floor=0.01, give_up_after=1.0)
    with hedge_closed(hedge):
        assert hedge.delay() == 0.01  # nothing known yet: the floor
        for _ in range(5):
            hedge.call(lambda: time.sleep(0.05))
        assert FACTOR * 0.05 <= hedge.delay() < FACTOR * 0.05 + 0.2
        for _ in range(50):  # a shop that takes 0.3 s: a hedge would come after the timeout
            hedge._times.append(0.3)
        reads, hedged = Reads(hanging=1), hedge.hedged
        threading.Timer(0.5, reads.release.set).start()
        assert hedge.call(reads) == "late answer 1" and hedge.hedged == hedged  # waited, asked once


def test_the_shop_client_gets_a_page_whose_first_request_hangs_in_about_the_delay():
    asked: list[float] = []

    async def orders(request: Request) -> JSONResponse:
        asked.append(time.monotonic())
        if len(asked) == 1:
            await asyncio.sleep(4)  # this request hangs, inside the client's read timeout
        return JSONResponse({"orders": [{"id": 1}]}, headers={"PSWS-Version": "1.7.8.0"})

    app = Starlette(routes=[Route("/api/orders", orders)])
    with BackgroundServer(app) as server, PrestashopClient(server.url, "K" * 32, read_timeout=6) as shop:
        started = time.monotonic()
        assert [order["id"] for order in shop.list("orders")] == [1]
        took = time.monotonic() - started
    assert len(asked) == 2 and took < 3.5, f"{took:.1f} s, {len(asked)} requests"


class hedge_closed:  # noqa: N801 - reads as a with-statement
    def __init__(self, hedge: Hedge) -> None:
        self.hedge = hedge

    def __enter__(self) -> Hedge:
        return self.hedge

    def __exit__(self, *exc: object) -> None:
        self.hedge.close()
