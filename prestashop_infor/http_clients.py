"""The integration's HTTP clients (the shop's and M3's), sharing one TLS context per process.

``httpx.Client()`` builds a new TLS context each time, loading the whole CA bundle: about 37 ms on
the benchmark machine, and a run makes a client per step and system, more than half a second of a
webhook's way to M3 (``benchmarks/latency.py``). The context is built once, the way httpx builds it
(``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, else certifi's bundle), and shared: an ``ssl.SSLContext`` may
serve any number of connections and threads. The warm run worker builds it before it forks, so a
run finds it built.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's TLS context: certificates verified, as httpx verifies them by default."""
    return httpx.create_ssl_context()


def new_http_client(*, timeout: float) -> httpx.Client:
    """A new ``httpx.Client`` with ``timeout`` (seconds) on the shared TLS context."""
    return httpx.Client(timeout=timeout, verify=tls_context())
