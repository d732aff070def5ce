"""A few shop writes at once: one slow request never holds the rest of a push back.

A PrestaShop request may take seconds, or hang until the client's timeout (30 s for a write). A
push that writes one record after another waits out every such request in turn; with
``SHOP_WRITERS`` at once the others go on meanwhile. A shop's Webservice serves several requests
at a time (a PHP worker each); eight are what a small shop's PHP-FPM pool serves beside its
customers.

:func:`in_order` runs ``work(item)`` for each item in threads and hands back the outcomes in the
items' order, so the caller keeps one thread for everything else (its database, its counters).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar

SHOP_WRITERS = 8
#: Records in a row whose write the shop did not take (a 500 or a timeout after the client's
#: retries): it is down, and a push stops; fewer are left for the next run, which reads them again.
UNAVAILABLE_IN_A_ROW = 5
#: How far past the oldest outcome not yet handed back writes may start, in multiples of ``writers``:
#: a write that hangs (half a minute) lets the others go on for that many items, no further.
AHEAD = 4

T = TypeVar("T")
R = TypeVar("R")
_END = object()


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
    in the items' order (``future.result()`` returns or raises what ``work`` did). The items start
    in their order, the next one as soon as any write ends (one that hangs holds a single writer,
    not the others), at most ``AHEAD`` times ``writers`` items past the oldest outcome not yet
    handed back. Leaving the block early (the caller stops on an error) starts no further item and
    waits for those under way.

    With ``seconds``, no item starts once that long has passed since the block began: the iterator
    ends after the items under way, and the items it never yielded are the caller's to leave for
    the next run (a push that ends in bounded time holds its pool, and its lane's news, that long)."""
    pending = iter(items)
    until = None if seconds is None else clock() + seconds
    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="shop-write") as pool:
        under_way: deque[tuple[T, Future[R]]] = deque()  # started, in order, not yet handed back
        running: set[Future[R]] = set()  # started and not yet seen ended

        def start_more() -> None:
            while len(running) < writers and len(under_way) < AHEAD * writers:
                if until is not None and clock() >= until:
                    return
                item = next(pending, _END)
                if item is _END:
                    return
                future = pool.submit(work, item)
                under_way.append((item, future))
                running.add(future)

        def outcomes() -> Iterator[tuple[T, Future[R]]]:
            while True:
                start_more()
                if not under_way:
                    return
                item, future = under_way[0]
                if future.done():
                    under_way.popleft()
                    running.discard(future)
                    yield item, future
                else:  # the oldest is still under way: start another as soon as any write ends
                    ended, _ = wait(running, return_when=FIRST_COMPLETED)
                    running.difference_update(ended)

        try:
            yield outcomes()
        finally:
            for _, future in under_way:
                future.cancel()
