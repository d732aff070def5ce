"""The webhook receiver under fuzzing (issue 11 §4): whatever invalid request arrives — random
bodies, missing, random or garbled headers, bad signatures, wrong content types, oversized bodies,
a valid signature over an invalid envelope — it is answered without a 5xx and nothing is stored.

Hypothesis runs derandomized (the same examples on every run), against the receiver's ASGI app
in-process; a valid control event at the end shows the same app does store what is valid.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from prestashop_infor.store import Store
from prestashop_infor.webhooks import create_app, sign
from prestashop_infor.webhooks.receiver import MAX_BODY, PATH

SECRET = "f" * 48
NOW = 1_780_000_000
SHOP = "http://127.0.0.1:8081"
FUZZ = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HEADER_NAMES = [
    "Content-Type", "X-PS-Webhook-Id", "X-PS-Webhook-Event", "X-PS-Webhook-Timestamp",
    "X-PS-Webhook-Attempt", "X-PS-Webhook-Signature", "Content-Encoding", "X-Anything",
]  # fmt: skip
# what can travel in an HTTP header: latin-1 without control characters (Unicode digits such as
# "²" and "١" included: str.isdigit() says yes to them, int() may not)
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=80
)
# any header value at all (issue 16): any Unicode, control characters included, any length; digits
# that str.isdigit accepts and int() refuses or reads; numbers beyond int()'s 4,300 digits or any column
any_header_value = st.one_of(
    st.text(max_size=300),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=12),
    st.builds(lambda unit, times: unit * times, st.text(min_size=1, max_size=3), st.integers(1, 6000)),
    st.integers(1, 6000).map(lambda digits: "9" * digits),
    st.integers(-(2**80), 2**80).map(str),
)
FUZZED_HEADERS = [
    "Content-Type", "Content-Length", "X-PS-Webhook-Signature", "X-PS-Webhook-Timestamp",
    "X-PS-Webhook-Attempt", "X-PS-Webhook-Id", "X-PS-Webhook-Event",
]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def envelope() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "event": "order.created",
        "contract_version": 1,
        "occurred_at": "2026-06-01T10:00:00Z",
        "shop": {"id_shop": 1, "id_shop_group": 1, "url": SHOP},
        "source_hook": "actionValidateOrder",
        "resource": {"type": "orders", "id": 5, "href": f"{SHOP}/api/orders/5"},
        "data": {"id_order": 5},
    }


def signed_headers(body: bytes, event: dict[str, Any] | None = None, t: int = NOW) -> dict[str, str]:
    event = event or {}
    return {
        "Content-Type": "application/json",
        "X-PS-Webhook-Id": str(event.get("id", "")),
        "X-PS-Webhook-Event": str(event.get("event", "")),
        "X-PS-Webhook-Timestamp": str(t),
        "X-PS-Webhook-Attempt": "1",
        "X-PS-Webhook-Signature": f"t={t},v1={sign(SECRET, t, body)}",
    }


class RawClient:
    """Posts to the app in-process with header values as exactly the bytes given, on one event loop
    for its life (the receiver's group commit keeps a task on it). Not Starlette's TestClient: that
    decodes header values and re-encodes them as UTF-8, so a latin-1 "²" (b"\\xb2") arrived as "Â²"."""

    def __init__(self, app: Starlette):
        self._runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # a crash is a 500 answer
        self._http = httpx.AsyncClient(transport=transport, base_url="http://receiver")

    def post(self, path: str, *, content: Any, headers: dict[str, Any]) -> httpx.Response:
        if content is not None and not isinstance(content, bytes | str):  # chunks: streamed, no length
            chunks = list(content)

            async def stream() -> Any:
                for chunk in chunks:
                    yield chunk

            content = stream()
        return self._runner.run(self._http.post(path, content=content, headers=headers))

    def close(self) -> None:
        self._runner.run(self._http.aclose())
        self._runner.close()


@contextmanager
def receiver() -> Iterator[tuple[RawClient, Store]]:
    with (
        tempfile.TemporaryDirectory(prefix="receiver-fuzz-") as folder,
        Store.from_url(f"sqlite:///{Path(folder) / 'store.db'}") as store,
    ):
        client = RawClient(create_app(store, [SECRET], shop_urls=[SHOP], now=lambda: NOW))
        try:
            yield client, store
        finally:
            client.close()


def post(client: RawClient, body: Any, headers: dict[str, str]) -> httpx.Response:
    """Header values go as bytes, as they travel (httpx would refuse non-ASCII text): latin-1, which
    the server decodes back to the same text, when it encodes the value, else UTF-8."""
    return client.post(PATH, content=body, headers={k: _raw(v) for k, v in headers.items()})


def _raw(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def assert_refused_and_nothing_stored(client: RawClient, store: Store, body: Any, headers: dict) -> None:
    before = store.count("webhook_inbox")
    answer = post(client, body, headers)
    assert answer.status_code < 500, (answer.status_code, answer.text, headers)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text, headers)
    assert store.count("webhook_inbox") == before


# -- invalid envelopes under a valid signature -------------------------------------------------------

_BREAKS = {
    "id missing": lambda e: e.pop("id"),
    "id not a string": lambda e: e.update(id=12),
    "id empty": lambda e: e.update(id=""),
    "id too long": lambda e: e.update(id="x" * 101),
    "event missing": lambda e: e.pop("event"),
    "event not a name": lambda e: e.update(event="Order Created"),
    "contract_version 2": lambda e: e.update(contract_version=2),
    "contract_version true": lambda e: e.update(contract_version=True),
    "contract_version a string": lambda e: e.update(contract_version="1"),
    "resource a list": lambda e: e.update(resource=[1, 2]),
    "another shop": lambda e: e.update(shop={"url": "http://evil.example"}),
    "no shop": lambda e: e.pop("shop"),
    "shop a string": lambda e: e.update(shop=SHOP),
}


@st.composite
def invalid_envelopes(draw) -> tuple[bytes, dict[str, str]]:
    """A body that is not a valid v1 envelope for its headers, signed with the right secret."""
    kind = draw(st.sampled_from(["broken field", "header mismatch", "not an object", "not json"]))
    event = envelope()
    if kind == "broken field":
        for name in draw(st.lists(st.sampled_from(sorted(_BREAKS)), min_size=1, max_size=3, unique=True)):
            _BREAKS[name](event)
        for key, value in draw(
            st.dictionaries(st.sampled_from(["data", "extra", "occurred_at"]), json_values)
        ).items():
            event[key] = value
        body = json.dumps(event).encode()
        return body, signed_headers(body, event)
    if kind == "header mismatch":
        body = json.dumps(event).encode()
        headers = signed_headers(body, event)
        name = draw(st.sampled_from(["X-PS-Webhook-Id", "X-PS-Webhook-Event"]))
        other = draw(header_text.filter(lambda v: v != headers[name]))
        headers[name] = other
        return body, headers
    if kind == "not an object":
        body = json.dumps(draw(json_values.filter(lambda v: not isinstance(v, dict)))).encode()
        return body, signed_headers(body, event)
    body = draw(st.binary(max_size=300).filter(lambda b: not _is_json(b)))
    return body, signed_headers(body, event)


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


@FUZZ
@given(request=invalid_envelopes(), attempt=header_text)
def test_a_valid_signature_over_an_invalid_envelope_is_a_4xx_and_stores_nothing(
    shared_receiver, request, attempt
):
    body, headers = request
    client, store = shared_receiver
    assert_refused_and_nothing_stored(client, store, body, {**headers, "X-PS-Webhook-Attempt": attempt})


# -- bad signatures, random headers, content types, sizes ----------------------------------------------


@st.composite
def garbled_signatures(draw) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                st.builds(lambda t: f"t={t}", st.one_of(st.integers(), header_text)),
                st.builds(
                    lambda v: f"v1={v}", st.one_of(st.text("0123456789abcdef", max_size=64), header_text)
                ),
                header_text,
            ),
            max_size=5,
        )
    )
    return draw(st.sampled_from([",", ", ", ";", " "])).join(parts)


@FUZZ
@given(
    signature=garbled_signatures() | header_text,
    timestamp=st.none() | header_text | st.integers(NOW - 1000, NOW + 1000).map(str),
    body_change=st.sampled_from(["none", "appended", "resigned stale", "other secret"]),
)
def test_bad_or_garbled_signatures_are_refused_and_store_nothing(
    shared_receiver, signature, timestamp, body_change
):
    event = envelope()
    body = json.dumps(event).encode()
    headers = signed_headers(body, event)
    if body_change == "none":
        headers["X-PS-Webhook-Signature"] = signature
    elif body_change == "appended":
        body += b" "  # signed over one body, another sent
    elif body_change == "resigned stale":
        headers = signed_headers(body, event, t=NOW - 301)
    else:
        headers["X-PS-Webhook-Signature"] = f"t={NOW},v1={sign('o' * 48, NOW, body)}"
    if timestamp is None:
        headers.pop("X-PS-Webhook-Timestamp")
    elif body_change == "none":
        headers["X-PS-Webhook-Timestamp"] = timestamp
    client, store = shared_receiver
    assert_refused_and_nothing_stored(client, store, body, headers)


@FUZZ
@given(
    body=st.binary(max_size=2000),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_text, max_size=len(HEADER_NAMES)),
)
def test_random_bodies_and_headers_are_refused_and_store_nothing(shared_receiver, body, headers):
    client, store = shared_receiver
    assert_refused_and_nothing_stored(client, store, body, headers)


@FUZZ
@given(
    content_type=st.one_of(
        st.sampled_from(
            [
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data",
                "application/jsonp",
                "json",
                "",
                "application/xml",
            ]
        ),  # fmt: skip
        header_text.filter(lambda v: v.split(";")[0].strip().lower() != "application/json"),
    )
)
def test_a_signed_event_of_another_content_type_is_415_and_stores_nothing(shared_receiver, content_type):
    event = envelope()
    body = json.dumps(event).encode()
    headers = {**signed_headers(body, event), "Content-Type": content_type}
    client, store = shared_receiver
    before = store.count("webhook_inbox")
    answer = post(client, body, headers)
    assert answer.status_code == 415 and store.count("webhook_inbox") == before


@FUZZ
@given(
    extra=st.integers(1, MAX_BODY),
    streamed=st.booleans(),
    declared=st.none() | header_text.filter(lambda v: not v.isascii() or not v.isdigit()),
)
def test_oversized_or_oddly_declared_bodies_are_refused_and_store_nothing(
    shared_receiver, extra, streamed, declared
):
    """Over 64 KiB, sent whole (declared) or streamed in chunks (no length), signed or not; or a
    Content-Length that is not a number."""
    event = envelope()
    event["data"] = {"padding": "x" * (MAX_BODY + extra)}
    body = json.dumps(event).encode()
    headers = signed_headers(body, event)
    client, store = shared_receiver
    before = store.count("webhook_inbox")
    if declared is not None:
        small = json.dumps(envelope()).encode()
        answer = post(client, small, {**signed_headers(small), "Content-Length": declared})
        assert answer.status_code < 500 and store.count("webhook_inbox") == before
    content: Any = (body[i : i + 8192] for i in range(0, len(body), 8192)) if streamed else body
    answer = post(client, content, headers)
    assert answer.status_code == 413 and store.count("webhook_inbox") == before


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[tuple[RawClient, Store]]:
    """One receiver for every example of the module's tests (each example a new event id; what a test
    says is stored or not is counted against what the store held before): a new store per example
    cost a quarter of a second of migrations each."""
    with receiver() as opened:
        yield opened


@settings(FUZZ, max_examples=300)  # one shared receiver: about a second
@given(
    changes=st.dictionaries(st.sampled_from(FUZZED_HEADERS), any_header_value, max_size=3),
    t=st.none() | any_header_value,
)
def test_any_header_value_is_answered_without_a_5xx_and_only_an_authentic_event_is_stored(
    shared_receiver, changes, t
):
    """Any value in any header the receiver reads, on an otherwise valid signed event, and any ``t``
    beside a ``v1`` that is valid for the real t: never a 5xx; an answer other than 202 stores
    nothing, and a 202 only ever for a signature that holds the valid ``v1``."""
    event = envelope()
    body = json.dumps(event).encode()
    headers = signed_headers(body, event)
    v1 = f"v1={sign(SECRET, NOW, body)}"
    if t is not None:
        headers["X-PS-Webhook-Signature"] = f"t={t},{v1}"
        headers.pop("X-PS-Webhook-Timestamp")
    headers.update(changes)
    client, store = shared_receiver
    before = store.count("webhook_inbox")
    answer = post(client, body, headers)
    assert answer.status_code < 500, (answer.status_code, answer.text)
    if answer.status_code == 202:
        assert v1 in headers["X-PS-Webhook-Signature"] and store.count("webhook_inbox") == before + 1
    else:
        assert 400 <= answer.status_code < 500 and store.count("webhook_inbox") == before
        assert answer.json()["error"]  # says what is wrong
    if not changes.keys() - {"X-PS-Webhook-Attempt"} and t is None:
        assert answer.status_code == 202  # the attempt header is informational: never refused


def test_the_fuzzed_app_stores_a_valid_event():
    """The control: the app the fuzz tests use stores a valid, signed event (they are not vacuous)."""
    event = envelope()
    body = json.dumps(event).encode()
    with receiver() as (client, store):
        answer = client.post(PATH, content=body, headers=signed_headers(body, event))
        assert answer.status_code == 202 and store.count("webhook_inbox") == 1


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
