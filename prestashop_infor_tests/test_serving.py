"""A port is free for the next server as soon as the last one stopped (issue 17 §1): the connections
a stopped server closed first wait in TIME_WAIT for about a minute, which must not make the port
look taken (uvicorn binds with SO_REUSEADDR, and so does the check); a server listening there still
does."""

from __future__ import annotations

import httpx
import psutil
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from prestashop_infor.serving import BackgroundServer, port_is_free

pytestmark = pytest.mark.slow
HOST = "127.0.0.1"


def _hello(request) -> PlainTextResponse:
    return PlainTextResponse("hello")


APP = Starlette(routes=[Route("/", _hello)])


def _time_wait_on(port: int) -> bool:
    return any(
        c.status == psutil.CONN_TIME_WAIT and c.laddr and c.laddr.port == port
        for c in psutil.net_connections("tcp4")
    )


def test_a_port_left_in_time_wait_by_a_stopped_server_is_free_and_bound_again_at_once():
    client = httpx.Client()  # a keep-alive connection, open while the server stops (as a browser's)
    with BackgroundServer(APP) as server:
        port = server.port
        assert client.get(server.url).text == "hello"
        assert not port_is_free(HOST, port)  # listening: taken
    client.close()  # the server closed first: its end of the connection waits in TIME_WAIT
    assert _time_wait_on(port), "the test needs a TIME_WAIT connection on the port"
    assert port_is_free(HOST, port)
    with BackgroundServer(APP, HOST, port) as again:  # and a server binds it, at once
        assert httpx.get(again.url).text == "hello"


def test_a_port_a_server_listens_on_is_refused_with_a_message():
    with BackgroundServer(APP) as server:
        assert not port_is_free(HOST, server.port)
        try:
            BackgroundServer(APP, HOST, server.port)
        except OSError as exc:
            assert f"port {server.port} on {HOST} is already in use" in str(exc)
        else:
            raise AssertionError("a second server on a port in use was accepted")
