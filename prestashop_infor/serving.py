"""Run an ASGI app (an emulator, the webhook receiver) with uvicorn on a loopback port in a thread.

Tests, benchmarks and the sandbox all start servers this one way: bind 127.0.0.1, port 0 picks a
free port, ``url`` says where it landed, ``stop()`` (or leaving the ``with`` block) shuts it down.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn


class BackgroundServer:
    """A uvicorn server in a daemon thread, bound to loopback."""

    def __init__(
        self,
        app: object,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_level: str = "warning",
        advertised_host: str | None = None,
    ):
        if port == 0:
            port = free_port(host)
        elif not port_is_free(host, port):
            raise OSError(f"port {port} on {host} is already in use; choose another port")
        config = uvicorn.Config(
            app, host=host, port=port, log_level=log_level, lifespan="off", access_log=False
        )
        self.host = host
        self.advertised_host = advertised_host or host  # the name others reach it by (``url``)
        self.port = port
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"server-{port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.advertised_host}:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start within {timeout:.0f}s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    """Whether a server can bind ``host:port`` now. Bound as uvicorn (and so dagster-webserver) binds,
    with ``SO_REUSEADDR``: the connections a server just stopped on that port left in TIME_WAIT (about a
    minute) do not stop the next server, while a server listening there still does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True
