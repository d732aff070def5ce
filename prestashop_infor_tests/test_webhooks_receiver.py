"""The webhook receiver (issue 9 §1): every answer of the contract, duplicates stored once, two
deliveries of one event at once, secret rotation, the store's health, and the command over a real
socket."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from prestashop_infor.serving import BackgroundServer, free_port
from prestashop_infor.store import Store
from prestashop_infor.store import inbox as inbox_store
from prestashop_infor.store.tables import webhook_inbox
from prestashop_infor.webhooks import create_app, sign

SECRET = "s" * 40
NEW_SECRET = "n" * 40
NOW = 1_780_000_000
SHOP = "http://127.0.0.1:8081"


def envelope(event: str = "order.created", **changes) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "event": event,
        "contract_version": 1,
        "occurred_at": "2026-06-01T10:00:00Z",
        "shop": {"id_shop": 1, "id_shop_group": 1, "url": SHOP},
        "source_hook": "actionValidateOrder",
        "resource": {"type": "orders", "id": 5, "href": f"{SHOP}/api/orders/5"},
        "data": {"id_order": 5},
    }
    body.update(changes)
    return body


def signed(body: dict | bytes, *, secrets=(SECRET,), t: int = NOW, **headers) -> tuple[bytes, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    parsed = body if isinstance(body, dict) else {}
    out = {
        "Content-Type": "application/json",
        "X-PS-Webhook-Id": str(parsed.get("id", "")),
        "X-PS-Webhook-Event": str(parsed.get("event", "")),
        "X-PS-Webhook-Timestamp": str(t),
        "X-PS-Webhook-Attempt": "1",
        "X-PS-Webhook-Signature": f"t={t}," + ",".join(f"v1={sign(s, t, raw)}" for s in secrets),
    }
    out.update(headers)
    return raw, {k: v for k, v in out.items() if v is not None}


@pytest.fixture
def store(tmp_path: Path):
    with Store.from_url(f"sqlite:///{tmp_path / 'store.db'}") as opened:
        yield opened


@pytest.fixture
def client(store):
    with TestClient(create_app(store, [SECRET], shop_urls=[SHOP + "/api/"], now=lambda: NOW)) as http:
        yield http


def post(client, raw: bytes, headers: dict) -> httpx.Response:
    return client.post("/webhooks/prestashop", content=raw, headers=headers)


def stored(store) -> list:
    return inbox_store.events_after(store, 0)


def test_an_event_is_stored_before_the_answer_and_a_duplicate_once(client, store):
    body = envelope()
    raw, headers = signed(body)
    first = post(client, raw, headers)
    assert first.status_code == 202 and first.json()["status"] == "accepted"
    (event,) = stored(store)
    assert (event.event_id, event.event, event.status, event.resource_type, event.resource_id) == (
        body["id"], "order.created", "pending", "orders", 5)  # fmt: skip
    raw, headers = signed(body, t=NOW + 60, **{"X-PS-Webhook-Attempt": "2"})  # the retry, signed afresh
    again = post(client, raw, headers)
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    assert len(stored(store)) == 1


def test_a_valid_event_of_an_unknown_type_is_stored_as_ignored(client, store):
    raw, headers = signed(envelope("wishlist.updated"))
    answer = post(client, raw, headers)
    assert answer.status_code == 202 and answer.json()["stored_as"] == "ignored"
    assert [e.status for e in stored(store)] == ["ignored"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "missing X-PS-Webhook-Signature"),
        ("malformed", "exactly one t="),
        ("two timestamps", "exactly one t="),
        ("wrong secret", "matches no active secret"),
        ("stale", "more than 300 s"),
        ("future", "more than 300 s"),
        ("timestamp header differs", "differs from the signature's t"),
        ("body changed after signing", "matches no active secret"),
    ],
)
def test_bad_signatures_are_401_and_store_nothing(client, store, case, message):
    body = envelope()
    raw, headers = signed(body)
    if case == "missing":
        del headers["X-PS-Webhook-Signature"]
    elif case == "malformed":
        headers["X-PS-Webhook-Signature"] = "v1=abc"
    elif case == "two timestamps":
        headers["X-PS-Webhook-Signature"] = (
            f"t={NOW},t={NOW}," + headers["X-PS-Webhook-Signature"].split(",", 1)[1]
        )
    elif case == "wrong secret":
        raw, headers = signed(body, secrets=("w" * 40,))
    elif case == "stale":
        raw, headers = signed(body, t=NOW - 301)
    elif case == "future":
        raw, headers = signed(body, t=NOW + 301)
    elif case == "timestamp header differs":
        headers["X-PS-Webhook-Timestamp"] = str(NOW - 1)
    else:
        raw = raw.replace(b'"id_order": 5', b'"id_order": 6')
    answer = post(client, raw, headers)
    assert answer.status_code == 401 and message in answer.json()["error"]
    assert stored(store) == []


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not json", "not JSON"),
        ("not an object", "JSON object"),
        ("no id", "id must be"),
        ("bad event name", "event must be"),
        ("unsupported version", "contract_version 2"),
        ("id header differs", "X-PS-Webhook-Id"),
        ("event header differs", "X-PS-Webhook-Event"),
        ("unknown shop", "unknown shop"),
    ],
)
def test_malformed_or_unsupported_envelopes_are_400_and_store_nothing(client, store, case, message):
    body = envelope()
    if case == "not json":
        raw, headers = signed(b"{not json", **{"X-PS-Webhook-Id": "x", "X-PS-Webhook-Event": "order.created"})
    elif case == "not an object":
        raw, headers = signed(b"[1, 2]")
    elif case == "no id":
        raw, headers = signed({**body, "id": ""})
    elif case == "bad event name":
        raw, headers = signed({**body, "event": "DROP TABLE"})
    elif case == "unsupported version":
        raw, headers = signed({**body, "contract_version": 2})
    elif case == "id header differs":
        raw, headers = signed(body, **{"X-PS-Webhook-Id": "another"})
    elif case == "event header differs":
        raw, headers = signed(body, **{"X-PS-Webhook-Event": "order.updated"})
    else:
        raw, headers = signed({**body, "shop": {"url": "https://other.example"}})
    answer = post(client, raw, headers)
    assert answer.status_code == 400 and message in answer.json()["error"]
    assert stored(store) == []


def test_oversized_bodies_are_413_and_wrong_content_types_415(client, store):
    big = envelope(data={"padding": "x" * 70_000})
    raw, headers = signed(big)
    assert post(client, raw, headers).status_code == 413
    streamed = client.post(  # no Content-Length: refused while reading, not after
        "/webhooks/prestashop", content=iter([raw[:40_000], raw[40_000:]]), headers=headers
    )
    assert streamed.status_code == 413
    raw, headers = signed(envelope(), **{"Content-Type": "text/plain"})
    answer = post(client, raw, headers)
    assert answer.status_code == 415 and "application/json" in answer.json()["error"]
    assert stored(store) == []


# -- issue 16: a client's bytes never get a 5xx --------------------------------------------------------


@pytest.fixture
def raw_post(store):
    """Posts with header values as exactly the bytes given: Starlette's TestClient re-encodes them as
    UTF-8, so a latin-1 "²" (b"\\xb2") would arrive as "Â²" and a test of "²" would test nothing."""
    app = create_app(store, [SECRET], shop_urls=[SHOP + "/api/"], now=lambda: NOW)
    with asyncio.Runner() as runner:  # one loop: the group commit keeps a task on it
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver")
        yield lambda body, headers: runner.run(
            http.post("/webhooks/prestashop", content=body, headers=headers)
        )
        runner.run(http.aclose())


def stored_attempts(store) -> list:
    with store.engine.connect() as connection:
        return list(
            connection.execute(sa.select(webhook_inbox.c.attempt).order_by(webhook_inbox.c.id)).scalars()
        )


@pytest.mark.parametrize(
    ("t", "timestamp"),
    [
        (b"\xb2", b"\xb2"),  # "²" as it travels (latin-1): str.isdigit says yes, int() says no
        ("²".encode(), None),  # the same in UTF-8
        ("١٧٨٠٠٠٠٠٠٠".encode(), None),  # Arabic-Indic digits: int() reads them
        (b"9" * 5000, b"9" * 5000),  # over int()'s 4,300 digits
        (b"0" * 5000 + str(NOW).encode(), None),
        (str(NOW).encode() + b"\xb2", None),
        (b"-" + str(NOW).encode(), None),
        (b"", None),
    ],
)
def test_a_signature_t_that_is_not_ascii_unix_seconds_is_401(raw_post, store, t, timestamp):
    body, headers = signed(envelope())
    v1 = headers["X-PS-Webhook-Signature"].split(",", 1)[1]
    headers = {**headers, "X-PS-Webhook-Signature": b"t=" + t + b"," + v1.encode()}
    if timestamp is None:
        del headers["X-PS-Webhook-Timestamp"]
    else:
        headers["X-PS-Webhook-Timestamp"] = timestamp
    answer = raw_post(body, headers)
    assert answer.status_code == 401 and "t must be Unix seconds" in answer.json()["error"]
    assert stored(store) == []


@pytest.mark.parametrize(
    "v1", [b"\xe9" * 64, "é".encode() * 32, "\u0661".encode() * 32, b"\xff", b"9" * 5000]
)
def test_a_v1_that_is_not_ascii_hex_is_401_beside_a_valid_t(raw_post, store, v1):
    body, headers = signed(envelope())
    headers["X-PS-Webhook-Signature"] = f"t={NOW},v1=".encode() + v1
    answer = raw_post(body, headers)
    assert answer.status_code == 401 and "matches no active secret" in answer.json()["error"]
    assert stored(store) == []


@pytest.mark.parametrize(
    ("attempt", "kept"),
    [
        (b"3", 3),
        (b" 2 ", 2),
        (b"\xb2", None),  # "²"
        ("²".encode(), None),
        ("\u0663".encode(), None),  # Arabic-Indic three
        (b"9" * 5000, None),  # int() refuses it
        (b"99999999999", None),  # int() reads it, a 32-bit column does not hold it
        (b"-1", None),
        (b"", None),
        ("é🙂".encode(), None),
    ],
)
def test_the_attempt_header_is_informational_and_a_bad_one_is_stored_as_unknown(
    raw_post, store, attempt, kept
):
    """X-PS-Webhook-Attempt is not signed and decides nothing: an authentic event with an attempt
    that is not a number is accepted (202) and stored with attempt NULL, never answered 500."""
    body, headers = signed(envelope())
    answer = raw_post(body, {**headers, "X-PS-Webhook-Attempt": attempt})
    assert answer.status_code == 202 and answer.json()["status"] == "accepted"
    assert stored_attempts(store) == [kept]


@pytest.mark.parametrize(
    ("declared", "status", "message"),
    [
        (b"\xb2", 400, "Content-Length is not a number"),
        ("١٢".encode(), 400, "Content-Length is not a number"),
        (b"-5", 400, "Content-Length is not a number"),
        (b"9" * 5000, 413, "larger than"),
        (b"0" * 5000 + b"1", 202, "accepted"),  # 1 with leading zeros: a number; the body as read is verified
        (b"99999999999999999999999", 413, "larger than"),
    ],
)
def test_a_content_length_that_is_not_a_sane_number_is_4xx(raw_post, store, declared, status, message):
    body, headers = signed(envelope())
    answer = raw_post(body, {**headers, "Content-Length": declared})
    assert answer.status_code == status and message in answer.text
    assert len(stored(store)) == (status == 202)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (None, "nested more than"),  # deeper than the JSON parser goes (5,000 levels)
        ({"data": {"deep": json.loads("[" * 40 + "]" * 40)}}, "nested more than"),
        ({"resource": {"type": "orders", "id": 2**31}}, "resource.id is out of range"),
        ({"resource": {"type": "orders", "id": 10**30}}, "resource.id is out of range"),
        ({"resource": {"type": "orders\x00", "id": 5}}, "resource.type holds a NUL"),
        ({"occurred_at": "2026-06-01\ud800"}, "occurred_at holds a NUL character or a lone surrogate"),
        ({"shop": {"url": SHOP + "\x00"}}, "shop.url holds"),
    ],
)
def test_a_signed_body_the_inbox_cannot_hold_is_400_not_503(raw_post, store, change, message):
    """Too deeply nested, or a value no inbox column holds (which would fail the whole group commit
    with 503 for every event in it)."""
    if change is None:
        event = envelope()
        nested = json.dumps(event).encode().replace(b'{"id_order": 5}', b"[" * 5000 + b"]" * 5000)
        body, headers = signed(
            nested, **{"X-PS-Webhook-Id": event["id"], "X-PS-Webhook-Event": event["event"]}
        )
    else:
        body, headers = signed(envelope(**change))
    answer = raw_post(body, headers)
    assert answer.status_code == 400 and message in answer.json()["error"]
    assert stored(store) == []


def test_secret_rotation_accepts_either_active_secret(store):
    """During a rotation the receiver holds both secrets and the sender signs with both; before
    and after, either single signature is accepted by the receiver holding it."""
    app = create_app(store, [NEW_SECRET, SECRET], now=lambda: NOW)
    with TestClient(app) as http:
        for secrets in ((SECRET,), (NEW_SECRET,), (NEW_SECRET, SECRET)):
            raw, headers = signed(envelope(), secrets=secrets)
            assert post(http, raw, headers).status_code == 202
    with TestClient(create_app(store, [NEW_SECRET], now=lambda: NOW)) as http:  # the old one removed
        raw, headers = signed(envelope(), secrets=(SECRET,))
        assert post(http, raw, headers).status_code == 401
        raw, headers = signed(envelope(), secrets=(NEW_SECRET, SECRET))
        assert post(http, raw, headers).status_code == 202
    assert len(stored(store)) == 4


def test_health_reports_the_store(client, store):
    assert client.get("/health").json() == {"status": "ok"}
    store.engine.dispose()
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE webhook_inbox")
    answer = client.get("/health")
    assert answer.status_code == 503 and answer.json()["status"] == "unhealthy"
    raw, headers = signed(envelope())
    assert post(client, raw, headers).status_code == 503  # the store's failure, not the sender's


def test_concurrent_deliveries_of_one_event_store_it_once(tmp_path: Path):
    """Eight simultaneous deliveries of the same event over a real socket: every one answered 202,
    exactly one stored (the unique event id decides)."""
    store = Store.from_url(f"sqlite:///{tmp_path / 'race.db'}")
    body = envelope()
    answers: list[int] = []
    start = threading.Barrier(8)
    with BackgroundServer(create_app(store, [SECRET])) as server:

        def deliver() -> None:
            raw, headers = signed(body, t=int(time.time()))
            start.wait(timeout=10)
            answers.append(
                httpx.post(server.url + "/webhooks/prestashop", content=raw, headers=headers).status_code
            )

        threads = [threading.Thread(target=deliver) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert answers == [202] * 8
    assert [e.event_id for e in inbox_store.events_after(store, 0)] == [body["id"]]
    store.dispose()


@pytest.mark.slow
def test_the_command_serves_until_sigterm(tmp_path: Path):
    port = free_port("127.0.0.1")
    env = {**os.environ, "WEBHOOK_SECRET": f"{NEW_SECRET}, {SECRET}",
           "PRESTASHOP_INFOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}  # fmt: skip
    env.pop("PRESTASHOP_URL", None)
    command = [sys.executable, "-m", "prestashop_infor.cli", "webhooks", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):  # bounded: about 20 s
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        body = envelope()
        raw, headers = signed(body, t=int(time.time()))
        assert httpx.post(url + "/webhooks/prestashop", content=raw, headers=headers).status_code == 202
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    with Store.from_url(f"sqlite:///{tmp_path / 'store.db'}") as opened:
        assert [e.event_id for e in inbox_store.events_after(opened, 0)] == [body["id"]]


def test_the_command_needs_a_strong_secret(tmp_path: Path, monkeypatch, capsys):
    from prestashop_infor.cli import main

    monkeypatch.setenv("PRESTASHOP_INFOR_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    assert main(["webhooks", "serve", "--port", "1"]) == 2
    assert "WEBHOOK_SECRET is not set" in capsys.readouterr().err
    monkeypatch.setenv("WEBHOOK_SECRET", "short-secret")
    assert main(["webhooks", "serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "at least 32 characters" in err and "short-secret" not in err


# -- group commit: concurrent requests share one transaction, none is answered before it commits ----


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path):
    """The inbox on SQLite and on PostgreSQL (in a schema of its own, dropped afterwards)."""
    if request.param == "sqlite":
        with Store.from_url(f"sqlite:///{tmp_path / 'store.db'}") as opened:
            yield opened
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"test_receiver_{uuid.uuid4().hex[:12]}"
    try:
        with Store.from_url(url, schema=schema) as opened:
            yield opened
    finally:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
        engine.dispose()


def deliver_at_once(store, deliveries: list[tuple[bytes, dict]]) -> list[httpx.Response]:
    """All ``deliveries`` to one receiver at the same time, on one event loop (as uvicorn serves them)."""
    app = create_app(store, [SECRET], now=lambda: NOW)

    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
            return await asyncio.gather(
                *(
                    http.post("/webhooks/prestashop", content=raw, headers=headers)
                    for raw, headers in deliveries
                )
            )

    return asyncio.run(send_all())


def slow_commits(monkeypatch) -> list[int]:
    """Make every inbox transaction take 50 ms, so that requests arriving meanwhile queue up for the
    next one; returns the number of events of each transaction."""
    sizes: list[int] = []
    real = inbox_store.enqueue_many

    def slow(store, events):
        sizes.append(len(events))
        time.sleep(0.05)
        return real(store, events)

    monkeypatch.setattr(inbox_store, "enqueue_many", slow)
    return sizes


def test_concurrent_deliveries_share_transactions_and_a_duplicate_is_stored_once(any_store, monkeypatch):
    sizes = slow_commits(monkeypatch)
    bodies = [envelope() for _ in range(20)]
    twice = bodies[0]
    deliveries = [signed(body) for body in bodies] + [signed(twice, **{"X-PS-Webhook-Attempt": "2"})] * 3
    answers = deliver_at_once(any_store, deliveries)
    assert [answer.status_code for answer in answers] == [202] * 23
    statuses = [answer.json()["status"] for answer in answers]
    assert statuses[1:20] == ["accepted"] * 19
    # Of the four deliveries of one event, exactly one is new, whichever transaction holds it first.
    assert sorted(statuses[i] for i in (0, 20, 21, 22)) == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert sorted(e.event_id for e in stored(any_store)) == sorted(body["id"] for body in bodies)
    assert sum(sizes) == 23 and len(sizes) < 23  # grouped: fewer transactions than requests


def test_a_failing_commit_answers_no_request_of_its_group_with_202(any_store, monkeypatch):
    sizes = slow_commits(monkeypatch)

    def refuse(_connection) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("disk I/O error"))

    sa.event.listen(any_store.engine, "commit", refuse)
    bodies = [envelope() for _ in range(10)]
    answers = deliver_at_once(any_store, [signed(body) for body in bodies])
    assert [answer.status_code for answer in answers] == [503] * 10
    assert len(sizes) < 10 and stored(any_store) == []  # the groups rolled back, nothing half-stored
    sa.event.remove(any_store.engine, "commit", refuse)
    answers = deliver_at_once(any_store, [signed(body) for body in bodies])  # the sender's retries
    assert [answer.json()["status"] for answer in answers] == ["accepted"] * 10
    assert len(stored(any_store)) == 10


def test_an_inbox_commit_on_sqlite_is_synced_to_disk(store):
    """The store's SQLite runs WAL with synchronous=NORMAL, which a power cut can undo; the inbox
    commit asks for FULL, because the 202 tells the sender not to send the event again."""
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda _c, _cur, sql, *_: statements.append(sql))
    assert inbox_store.enqueue_many(store, [(envelope(), inbox_store.PENDING, 1)]) == [True]
    assert statements[0] == "PRAGMA synchronous=FULL" and statements[1].startswith("INSERT")
