"""A few shop writes at once (``sync.shop_writes``): outcomes in the items' order, never more than
``writers`` under way, and a caller that stops starts nothing more."""

from __future__ import annotations

import threading

import pytest

from prestashop_infor.sync.shop_writes import AHEAD, in_order


class Writes:
    """Work that records how many items are under way at once; item 0 waits until item 3 is done."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.under_way = self.most = 0
        self.started: list[int] = []
        self.three_done = threading.Event()

    def __call__(self, item: int) -> int:
        with self.lock:
            self.under_way += 1
            self.most = max(self.most, self.under_way)
            self.started.append(item)
        try:
            if item == 0:  # a hanging request: the others go on meanwhile
                assert self.three_done.wait(10), "item 3 never ran while item 0 hung"
            if item == 5:
                raise ValueError("refused")
            return item * 10
        finally:
            with self.lock:
                self.under_way -= 1
            if item == 3:
                self.three_done.set()


def test_outcomes_come_in_order_while_a_slow_item_does_not_hold_the_others():
    work = Writes()
    with in_order(range(8), work, writers=4) as outcomes:
        seen = []
        for item, future in outcomes:
            try:
                seen.append((item, future.result()))
            except ValueError as error:
                seen.append((item, str(error)))
    assert seen == [(0, 0), (1, 10), (2, 20), (3, 30), (4, 40), (5, "refused"), (6, 60), (7, 70)]
    assert 1 < work.most <= 4


def test_a_caller_that_stops_starts_nothing_more():
    work = Writes()
    work.three_done.set()  # nothing hangs
    with pytest.raises(ValueError), in_order(range(100), work, writers=2) as outcomes:
        for _item, future in outcomes:
            future.result()  # item 5 raises: the caller stops there
    assert max(work.started) < 5 + AHEAD * 2  # the window beyond the failed item at most
    assert work.under_way == 0  # the writes under way were waited for


def test_a_write_that_hangs_holds_one_writer_and_the_others_go_on_past_it():
    """Item 0 hangs until every item the window lets start after it is done: with two writers, the
    other writer takes them one after another while item 0 holds its own."""
    after = AHEAD * 2 - 1  # the window: item 0 and this many after it
    done_after_0 = threading.Semaphore(0)
    order: list[int] = []

    def work(item: int) -> int:
        if item == 0:
            for _ in range(after):
                assert done_after_0.acquire(timeout=10), "the items after a hanging one did not go on"
        order.append(item)
        if item:
            done_after_0.release()
        return item

    with in_order(range(after + 3), work, writers=2) as outcomes:
        handed_back = [future.result() for _item, future in outcomes]
    assert handed_back == list(range(after + 3))  # still in the items' order
    assert order[: after + 1] == [*range(1, after + 1), 0]


def test_once_the_time_is_up_no_item_starts_and_those_under_way_finish():
    now = [0.0]
    started: list[int] = []

    def work(item: int) -> int:
        started.append(item)
        now[0] += 4.0  # each item takes 4 s on this clock
        return item

    with in_order(range(10), work, writers=1, seconds=10, clock=lambda: now[0]) as outcomes:
        done = [future.result() for _item, future in outcomes]
    assert done == started == [0, 1, 2]  # started at 0, 4 and 8 s; at 12 s the time was up
