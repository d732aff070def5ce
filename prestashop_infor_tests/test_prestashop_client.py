"""The client against real recorded answers (OCA cassettes, PrestaShop 1.6.1.x) and against small
servers that misbehave the ways real shops do (§8, §12). The emulator tests are in
``test_prestashop_client_emulator.py``.

Recorded bodies are served by a tiny starlette app through starlette's ``TestClient`` (real HTTP
semantics, in process); the unreachable-shop test uses a real loopback port with nothing on it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from prestashop_infor.prestashop import (
    Order,
    PrestashopAuthError,
    PrestashopClient,
    PrestashopError,
    PrestashopRequestError,
    PrestashopResponseError,
    PrestashopUnavailable,
    xml_codec,
)
from prestashop_infor.serving import free_port

FIXTURES = Path(__file__).parent / "fixtures" / "prestashop"
EXTRACTED = FIXTURES / "oca-cassettes" / "extracted"
KEY = "ZQ88PRJX5VWQHCWE4EE7SQ7HPNX00RAJ"
XML = "text/xml;charset=utf-8"


class CassetteLoader(yaml.SafeLoader):
    """VCR cassettes tag bodies ``!!python/unicode``; read them as plain strings."""


CassetteLoader.add_constructor(
    "tag:yaml.org,2002:python/unicode", lambda loader, node: loader.construct_scalar(node)
)


def load_cassette(name: str) -> list[dict]:
    with open(FIXTURES / "oca-cassettes" / name, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=CassetteLoader)["interactions"]


class Shop:
    """A starlette app answering every request with ``answer(request)``, and remembering the requests."""

    def __init__(self, answer: Callable[[Request, int], Response]):
        self.answer = answer
        self.requests: list[Request] = []
        self.app = Starlette(
            routes=[Route("/{path:path}", self._handle, methods=["GET", "HEAD", "POST", "PUT", "DELETE"])]
        )

    async def _handle(self, request: Request) -> Response:
        self.requests.append(request)
        return self.answer(request, len(self.requests))

    def client(self, **options) -> PrestashopClient:
        options = {"backoff": 0.001, "max_attempts": 3, **options}
        return PrestashopClient("http://testserver", KEY, http_client=TestClient(self.app), **options)


def body_of(name: str) -> bytes:
    return (EXTRACTED / name).read_bytes()


def serve_file(name: str) -> Shop:
    return Shop(lambda request, n: Response(body_of(name), media_type=XML))


def replay(interaction: dict) -> Callable[[Request, int], Response]:
    recorded = interaction["response"]
    headers = {
        name: values[0] for name, values in recorded["headers"].items() if name.lower() != "set-cookie"
    }
    body = recorded["body"]["string"].encode()

    def answer(request: Request, n: int) -> Response:
        return Response(body, status_code=recorded["status"]["code"], headers=headers)

    return answer


# --- real 401 / 200 from the cassettes ---------------------------------------------------------------


def test_recorded_401_raises_auth_error_without_retry_or_key():
    (interaction,) = load_cassette("test_auth_failure.yaml")
    assert interaction["request"]["method"] == "HEAD" and interaction["response"]["status"]["code"] == 401
    shop = Shop(replay(interaction))
    with shop.client(max_attempts=5) as client, pytest.raises(PrestashopAuthError) as info:
        client.ping()
    assert len(shop.requests) == 1  # a rejected key is configuration, not a transient fault
    message = str(info.value)
    assert "rejected the API key" in message and "401" in message
    assert KEY not in message and base64.b64encode(f"{KEY}:".encode()).decode() not in message
    assert info.value.status == 401 and info.value.url == "http://testserver/api/"
    # The key went out as Basic auth, user name = key, empty password (§2).
    assert (
        shop.requests[0].headers["authorization"] == "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    )


def test_recorded_401_on_a_list_read_with_ws_key_redacts_the_key():
    (interaction,) = load_cassette("test_auth_failure.yaml")
    shop = Shop(replay(interaction))
    with shop.client(use_ws_key=True) as client, pytest.raises(PrestashopAuthError) as info:
        client.list("orders")
    assert shop.requests[0].query_params["ws_key"] == KEY
    assert "authorization" not in shop.requests[0].headers
    assert KEY not in str(info.value) and KEY not in (info.value.url or "")
    assert "ws_key=REDACTED" in str(info.value)
    assert info.value.resource == "orders"


def test_recorded_auth_success():
    (interaction,) = load_cassette("test_auth_success.yaml")
    shop = Shop(replay(interaction))
    with shop.client() as client:
        assert client.ping() == "1.6.1.6"  # from the psws-version header


# --- recorded list bodies through the client (XML) ---------------------------------------------------


def test_xml_ids_only_list():
    shop = serve_file("get_orders__q9984be.xml")
    with shop.client(fmt="xml") as client:
        records = client.list("orders", display=None)
    assert records and all(set(r) == {"id"} and isinstance(r["id"], int) for r in records)
    assert "output-format" not in shop.requests[0].headers


@pytest.mark.parametrize(
    ("name", "resource"),
    [
        ("get_customer_messages__q2bd9cf.xml", "customer_messages"),
        ("get_order_payments__q20a6ee.xml", "order_payments"),
        ("get_order_discounts__q9e6a52.xml", "order_discounts"),  # root <order_cart_rules>
    ],
)
def test_xml_empty_lists_parse_to_nothing(name: str, resource: str):
    with serve_file(name).client(fmt="xml") as client:
        assert client.list(resource) == []
        assert list(client.iter_all(resource)) == []


def test_root_element_differs_from_the_url_name():
    assert xml_codec.root_name(body_of("get_order_discounts__q9e6a52.xml")) == "order_cart_rules"


def test_the_client_always_sorts_what_the_shop_would_not():
    body = body_of("get_order_states__q19841c.xml")
    _, recorded = xml_codec.parse_list(body)
    ids = [r["id"] for r in recorded]
    assert ids != sorted(ids)  # the real shop answered out of order without sort
    shop = serve_file("get_order_states__q19841c.xml")
    with shop.client(fmt="xml", page_size=1000) as client:
        list(client.iter_all("order_states"))
        client.order_states()
    for request in shop.requests:
        assert request.query_params["sort"] == "[id_ASC]"
        assert request.query_params["display"] == "full"
    assert shop.requests[0].query_params["limit"] == "1000"


def test_partial_display_without_id():
    shop = serve_file("get_stock_availables__qbb0eba.xml")
    with shop.client(fmt="xml") as client:
        rows = list(
            client.iter_all(
                "stock_availables",
                display="[quantity]",
                filters={"id_product": "1", "id_product_attribute": "1"},
            )
        )
    assert rows == [{"quantity": "299"}]
    # Without an id to page on, the client pages by offset.
    assert "filter[id]" not in shop.requests[0].query_params


def test_partial_display_with_ids_from_an_unsorted_recording():
    with serve_file("get_stock_availables__q28b981.xml").client(fmt="xml") as client:
        rows = client.list("stock_availables", display="[id,id_product,id_product_attribute]")
    assert rows and all(set(r) == {"id", "id_product", "id_product_attribute"} for r in rows)


def test_xml_order_5_through_get():
    # The shop's list form of order 5: the recorded record inside its plural container (§7.1).
    record_xml = body_of("get_orders_5.xml").decode()
    inner = record_xml.split('<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">', 1)[1].rsplit(
        "</prestashop>", 1
    )[0]
    listed = f'<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n<orders>{inner}</orders>\n</prestashop>\n'
    shop = Shop(lambda request, n: Response(listed.encode(), media_type=XML))
    with shop.client(fmt="xml") as client:
        record = client.get("orders", 5)
    assert shop.requests[0].url.path == "/api/orders"
    assert shop.requests[0].query_params["filter[id]"] == "[5]"
    order = Order.model_validate(record)
    assert [row.id for row in order.order_rows] == [13, 14, 15] and order.current_state == 10


# --- JSON shapes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"[]", b'{"orders":[]}', b'{"orders": []}\n'])
def test_json_empty_list_shapes(body: bytes):
    shop = Shop(lambda request, n: Response(body, media_type="application/json"))
    with shop.client() as client:
        assert client.list("orders") == []
        assert client.get("orders", 1) is None
    assert shop.requests[0].headers["output-format"] == "JSON"


def test_json_list_any_root_key():
    body = json.dumps({"order_cart_rules": [{"id": 3, "name": "x"}]}).encode()
    with Shop(lambda request, n: Response(body, media_type="application/json")).client() as client:
        assert client.list("order_discounts") == [{"id": 3, "name": "x"}]


def test_date_filters_always_carry_date_1():
    shop = Shop(lambda request, n: Response(b"[]", media_type="application/json"))
    with shop.client() as client:
        client.list("orders", filters={"date_upd": ">[2019-01-23 00:00:00]"})
        client.list("orders", sort="[date_add_DESC]")
        client.list("orders", filters={"id_customer": "[1]"})
    assert [r.query_params.get("date") for r in shop.requests] == ["1", "1", None]


# --- errors -----------------------------------------------------------------------------------------


def test_4xx_error_document_is_a_request_error_with_codes_and_no_retry():
    message = 'This filter does not exist. Did you mean: "date_upd"?'
    body = xml_codec.render_errors([(32, message)])
    shop = Shop(lambda request, n: Response(body, status_code=400, media_type=XML))
    with shop.client() as client, pytest.raises(PrestashopRequestError) as info:
        client.list("orders", filters={"date_upx": "[1]"})
    assert len(shop.requests) == 1
    assert info.value.errors == [(32, message)] and info.value.codes == [32]
    assert "orders" in str(info.value) and "[32]" in str(info.value)


def test_json_error_document_codes():
    body = json.dumps({"errors": [{"code": 35, "message": "Unable to display this field"}]}).encode()
    shop = Shop(lambda request, n: Response(body, status_code=400, media_type="application/json"))
    with shop.client() as client, pytest.raises(PrestashopRequestError) as info:
        client.list("orders", display="[nope]")
    assert info.value.errors == [(35, "Unable to display this field")]


def failing_then(failures: list[Response], good: bytes) -> Shop:
    def answer(request: Request, n: int) -> Response:
        return failures[n - 1] if n <= len(failures) else Response(good, media_type="application/json")

    return Shop(answer)


GOOD = json.dumps({"orders": [{"id": 1, "reference": "ABC"}]}).encode()
PHP_WARNING = (
    b"<br />\n<b>Warning</b>:  Invalid argument supplied for foreach() in <b>/var/www/module.php</b>\n"
)


@pytest.mark.parametrize(
    "failure",
    [
        Response(b"", status_code=500),
        Response(b"<html><body>Internal Server Error</body></html>", status_code=500, media_type="text/html"),
        Response(xml_codec.render_errors([(8, "Undefined index")]), status_code=500, media_type=XML),
        Response(xml_codec.render_errors([(22, "The PrestaShop webservice is disabled.")]), status_code=503),
        Response(b"", status_code=429, headers={"Retry-After": "0"}),
        Response(b'{"orders":[{"id":1,"refer', media_type="application/json"),  # truncated
        Response(b"<!DOCTYPE html><html>maintenance</html>", media_type="text/html"),  # HTML with 200
        Response(PHP_WARNING + GOOD, media_type="application/json"),
    ],
    ids=["500-empty", "500-html", "500-php-notice", "503", "429", "truncated", "html-200", "php-warning"],
)
def test_transient_failures_are_retried(failure: Response):
    shop = failing_then([failure, failure], GOOD)
    with shop.client(max_attempts=3) as client:
        assert client.list("orders") == [{"id": 1, "reference": "ABC"}]
    assert len(shop.requests) == 3


def test_php_warning_before_xml_is_retried():
    good = body_of("get_order_states__q19841c.xml")
    shop = Shop(lambda request, n: Response(PHP_WARNING + good if n == 1 else good, media_type=XML))
    with shop.client(fmt="xml") as client:
        assert len(client.list("order_states")) == 14
    assert len(shop.requests) == 2


def test_persistent_unparsable_body_names_resource_and_offset():
    shop = Shop(lambda request, n: Response(b'{"orders":[{"id":1', media_type="application/json"))
    with shop.client(max_attempts=4) as client, pytest.raises(PrestashopResponseError) as info:
        client.list("orders", limit=50, offset=200)
    assert len(shop.requests) == 4
    assert "orders" in str(info.value) and "offset 200" in str(info.value)
    assert info.value.resource == "orders"


def test_persistent_5xx_raises_unavailable_after_max_attempts():
    body = xml_codec.render_errors([(22, "The PrestaShop webservice is disabled.")])
    shop = Shop(lambda request, n: Response(body, status_code=503, media_type=XML))
    with shop.client(max_attempts=4) as client, pytest.raises(PrestashopUnavailable) as info:
        client.list("orders")
    assert len(shop.requests) == 4
    assert info.value.status == 503 and info.value.codes == [22]
    assert isinstance(info.value, PrestashopError)


def test_a_post_is_not_retried_after_a_500():
    shop = Shop(
        lambda request, n: Response(xml_codec.render_errors([(46, "Unable to save")]), status_code=500)
    )
    with shop.client(max_attempts=5) as client, pytest.raises(PrestashopUnavailable):
        client.add_order_history(5, 4)
    assert len(shop.requests) == 1  # the history row may exist: never add it twice


def test_unreachable_shop_names_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    client = PrestashopClient(url, KEY, max_attempts=2, backoff=0.001, timeout=2)
    with client, pytest.raises(PrestashopUnavailable) as info:
        client.list("orders")
    assert url in str(info.value) and "unreachable" in str(info.value)
    assert KEY not in str(info.value)
    client = PrestashopClient(url, KEY, max_attempts=1, use_ws_key=True, timeout=2)
    with client, pytest.raises(PrestashopUnavailable) as info:
        client.list("orders")
    assert KEY not in str(info.value) and "ws_key=REDACTED" in str(info.value)


def test_constructor_rejects_nonsense():
    with pytest.raises(ValueError, match="page_size"):
        PrestashopClient("http://x", KEY, page_size=0)
    with pytest.raises(ValueError, match="fmt"):
        PrestashopClient("http://x", KEY, fmt="yaml")  # type: ignore[arg-type]
    assert KEY not in repr(PrestashopClient("http://x", KEY))


def test_changed_since_refuses_resources_without_date_upd():
    with PrestashopClient("http://x", KEY) as client, pytest.raises(ValueError, match="full scan"):
        next(client.changed_since("stock_availables", None))


def test_a_read_that_hangs_is_asked_again_after_the_read_timeout_and_a_write_gets_the_whole_timeout():
    """A shop that does not answer one read in 15 s is asked again, not waited on for 30 s (the chaos
    benchmark: 5% of shop requests hanging made every run last minutes); a write is not cut short."""
    import httpx

    from prestashop_infor.prestashop.client import PrestashopClient

    seen: list[tuple[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.extensions["timeout"]["read"]))
        return httpx.Response(200, json={"orders": []}, headers={"PSWS-Version": "1.7.8.0"})

    transport = httpx.MockTransport(handler)
    with (
        httpx.Client(transport=transport, timeout=30) as http,
        PrestashopClient("http://shop.test", "K" * 32, http_client=http, read_timeout=5) as shop,
    ):
        shop.list("orders")
        shop._request("POST", "order_histories", resource="order_histories", content="<prestashop/>")
    assert seen == [("GET", 5), ("POST", 30)]
