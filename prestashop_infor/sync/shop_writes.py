"""A few shop writes at once: one slow request never holds the rest of a push back.

A PrestaShop request may take seconds, or hang until the client's timeout (30 s for a write). A
push that writes one record after another waits out every such request in turn; with
``SHOP_WRITERS`` at once the others go on meanwhile. A shop's Webservice serves several requests
at a time; four keep a shared host comfortable.

:func:`in_order` runs ``work(item)`` for each item in threads and hands back the outcomes in the
items' order, so the caller keeps one thread for everything else (its database, its counters).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

SHOP_WRITERS = 4

T = TypeVar("T")
R = TypeVar("R")


@contextmanager
def in_order(
    items: Iterable[T],
    work: Callable[[T], R],
    *,
    writers: int = SHOP_WRITERS,
    seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Iterator[tuple[T, Future[R]]]]:
    """``work`` over ``items``, at most ``writers`` at a time: yields an iterator of (item, future)
    in the items' order (``future.result()`` returns or raises what ``work`` did). Leaving the block
    early (the caller stops on an error) starts no further item and waits for those under way.

    With ``seconds``, no item starts once that long has passed since the block began: the iterator
    ends after the items under way, and the items it never yielded are the caller's to leave for
    the next run (a push that ends in bounded time holds its pool, and its lane's news, that long)."""
    pending = iter(items)
    until = None if seconds is None else clock() + seconds
    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="shop-write") as pool:
        under_way: deque[tuple[T, Future[R]]] = deque()

        def submit_next() -> None:
            if until is not None and clock() >= until:
                return
            for item in pending:
                under_way.append((item, pool.submit(work, item)))
                return

        def outcomes() -> Iterator[tuple[T, Future[R]]]:
            for _ in range(writers):
                submit_next()
            while under_way:
                item, future = under_way.popleft()
                yield item, future
                submit_next()

        try:
            yield outcomes()
        finally:
            for _, future in under_way:
                future.cancel()
