"""An ASGI app (an emulator) answering an ``httpx.Client`` in the test's own process, over no socket.

Starlette's ``TestClient`` does the same, but runs each request through eight hops to a portal
thread (and warns of the ``timeout`` the clients pass): 3.6 ms for a shop emulator's GET of one
record, against 0.8 ms here, where a request is one coroutine on one event loop thread shared by
every in-process client of the worker. The app's errors reach the caller as they do through the
test client. A handler of an app served this way must not call another app served this way (it
would wait on its own loop): that is refused by name.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx

BASE_URL = "http://testserver"

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def _event_loop() -> asyncio.AbstractEventLoop:
    """The worker's event loop for in-process apps, started on first use (a daemon thread)."""
    global _loop, _thread
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            _thread = threading.Thread(target=_loop.run_forever, name="in-process-apps", daemon=True)
            _thread.start()
        return _loop


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        self._app = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        loop = _event_loop()
        if threading.current_thread() is _thread:
            raise RuntimeError(f"{request.method} {request.url}: an in-process app called another one")
        request.read()  # its body is now a stream the app reads asynchronously as well

        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await self._app.handle_async_request(request)
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
            return response.status_code, response.headers.raw, raw

        status, headers, raw = asyncio.run_coroutine_threadsafe(call(), loop).result()
        return httpx.Response(status, headers=headers, content=raw, request=request)


def in_process_client(app: Any) -> httpx.Client:
    """An HTTP client whose requests ``app`` answers in this process (base URL ``BASE_URL``)."""
    return httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL)
