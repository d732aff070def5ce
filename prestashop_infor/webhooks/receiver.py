"""The webhook receiver: ``POST /webhooks/prestashop`` verifies a shop event and stores it in the
inbox before it answers; the sensors take it from there (contract ``webhooks.md``).

In the contract's order (§5, §8): a body over 64 KiB is refused with 413 before it is read in full;
a content type other than JSON gets 415; the signature (``X-PS-Webhook-Signature``,
HMAC-SHA256 over ``"{t}." + raw body``, compared in constant time with every active secret, 300
seconds either way) decides 401; the envelope (JSON object, ``id`` and ``event`` equal to their
headers, ``contract_version`` 1, a known shop) decides 400. Then the event is committed to the inbox,
unique on its id, and the answer is 202: for a new event, for a duplicate delivery (stored once),
and for a valid event of a type this release does not handle (stored as ``ignored``). Nothing a
client sends gets a 5xx; 503 means the store itself is unavailable, and the sender retries. Numbers in
headers are bounded ASCII digits (a ``t`` that is not is 401, a Content-Length 400 or 413); the
unsigned, informational ``X-PS-Webhook-Attempt`` is stored as unknown when it is not one.

Beside it, ``POST /webhooks/ps_webhooks/<token>`` is the door for shops running the unsigned ps_webhooks
module (``ps_webhooks``): open only with ``ps_webhooks_tokens``, its events go to the same inbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from prestashop_infor.names import EVENT_TYPES
from prestashop_infor.store import Store, inbox
from prestashop_infor.webhooks import ps_webhooks

log = logging.getLogger(__name__)

PATH = "/webhooks/prestashop"
MAX_BODY = 64 * 1024  # v1 events are a few hundred bytes (contract §8)
TOLERANCE = 300  # seconds between the signature's t and now, either way (contract §5)
BODY_TIMEOUT = 5.0  # seconds to receive the body: a sender that trickles is cut off
CONTRACT_VERSION = 1
EVENT_NAME = re.compile(r"^[a-z_]+\.[a-z_]+$")
# Numbers in headers are ASCII digits with a bound, never ``str.isdigit``: that also accepts "²" and
# "١", which ``int`` refuses or reads, and ``int`` refuses more than 4,300 digits; either would raise
# and answer a client's bytes with 500.
T_DIGITS = 12  # the signature's t, Unix seconds (10 digits until the year 2286)
ATTEMPT_DIGITS = 9  # X-PS-Webhook-Attempt, stored in a 32-bit column
INT32 = range(-(2**31), 2**31)  # what the inbox's integer columns (resource_id) hold
MAX_DEPTH = 32  # JSON nesting: a v1 envelope has 3 levels; near 1,000 the parser's recursion limit hits


class Refused(Exception):
    """A request the receiver answers with ``status`` and ``message``, storing nothing."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` signature of ``body`` signed at ``timestamp`` (what a sender puts in the header)."""
    return hmac.new(
        secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256
    ).hexdigest()


def verify(
    body: bytes, signature: str | None, timestamp: str | None, secrets: Sequence[str], *, now: float
) -> None:
    """Raise ``Refused(401)`` unless ``signature`` holds exactly one ``t`` (equal to ``timestamp``
    when that header is present) within ``TOLERANCE`` of ``now`` and a ``v1`` that matches one of
    ``secrets``."""
    if not signature:
        raise Refused(401, "missing X-PS-Webhook-Signature")
    parts = [part.split("=", 1) for part in signature.split(",") if "=" in part]
    stamps = [value.strip() for key, value in parts if key.strip() == "t"]
    given = [value.strip() for key, value in parts if key.strip() == "v1"]
    if len(stamps) != 1 or not given:
        raise Refused(
            401, "malformed X-PS-Webhook-Signature: exactly one t= and at least one v1= are required"
        )
    stamp = stamps[0]
    signed_at = _ascii_int(stamp, T_DIGITS)
    if signed_at is None:
        raise Refused(
            401, f"malformed X-PS-Webhook-Signature: t must be Unix seconds, 1 to {T_DIGITS} ASCII digits"
        )
    if timestamp is not None and timestamp.strip() != stamp:
        raise Refused(401, "X-PS-Webhook-Timestamp differs from the signature's t")
    if abs(now - signed_at) > TOLERANCE:
        raise Refused(
            401, f"the signature's t is more than {TOLERANCE} s from now (stale or from the future)"
        )
    # compare_digest raises on non-ASCII text; such a v1 can never equal a hex digest anyway
    given = [candidate for candidate in given if candidate.isascii()]
    for secret in secrets:
        expected = sign(secret, signed_at, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in given):
            return
    raise Refused(401, "the signature matches no active secret")


def parse_json(body: bytes) -> Any:
    """The parsed body; ``Refused(400)`` when it is not JSON or nests deeper than ``MAX_DEPTH``."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(400, f"the body is not JSON: {exc}") from None
    except RecursionError:  # nested deeper than the parser goes
        raise Refused(400, f"the body is nested more than {MAX_DEPTH} levels deep") from None
    if _depth(parsed) > MAX_DEPTH:  # the same answer whatever the stack depth of this parse or a later one
        raise Refused(400, f"the body is nested more than {MAX_DEPTH} levels deep")
    return parsed


def check_envelope(body: bytes, headers: Any, shop_urls: Sequence[str]) -> dict[str, Any]:
    """The parsed envelope; ``Refused(400)`` naming what is wrong with it."""
    envelope = parse_json(body)
    if not isinstance(envelope, dict):
        raise Refused(400, "the body must be a JSON object (the event envelope)")
    event_id, event = envelope.get("id"), envelope.get("event")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 100:
        raise Refused(400, "id must be a non-empty string of at most 100 characters")
    if not isinstance(event, str) or not EVENT_NAME.fullmatch(event) or len(event) > 100:
        raise Refused(400, "event must be a name like order.created")
    version = envelope.get("contract_version")
    if version != CONTRACT_VERSION or isinstance(version, bool):
        raise Refused(
            400, f"contract_version {version!r} is not supported (this receiver speaks {CONTRACT_VERSION})"
        )
    if headers.get("x-ps-webhook-id") != event_id:
        raise Refused(400, "the body's id differs from X-PS-Webhook-Id")
    if headers.get("x-ps-webhook-event") != event:
        raise Refused(400, "the body's event differs from X-PS-Webhook-Event")
    resource = envelope.get("resource")
    if resource is not None and not isinstance(resource, dict):
        raise Refused(400, "resource must be an object")
    shop = envelope.get("shop")
    # What the inbox stores in columns of its own must fit them: a value that does not would fail the
    # whole group commit, and every event in it would be answered 503 (and retried) for one bad body.
    resource_id = (resource or {}).get("id")
    if isinstance(resource_id, int) and not isinstance(resource_id, bool) and resource_id not in INT32:
        raise Refused(400, "resource.id is out of range (the inbox holds 32-bit integers)")
    for name, value in (
        ("id", event_id),
        ("resource.type", (resource or {}).get("type")),
        ("shop.url", shop.get("url") if isinstance(shop, dict) else None),
        ("occurred_at", envelope.get("occurred_at")),
    ):
        if isinstance(value, str) and not _storable(value):
            raise Refused(
                400, f"{name} holds a NUL character or a lone surrogate, which the inbox cannot store"
            )
    if shop_urls:
        url = (
            _base_url(shop.get("url")) if isinstance(shop, dict) and isinstance(shop.get("url"), str) else ""
        )
        if url not in shop_urls:
            raise Refused(400, f"unknown shop {url or '(none)'}: this receiver serves {', '.join(shop_urls)}")
    return envelope


def create_app(
    store: Store,
    secrets: Sequence[str],
    *,
    shop_urls: Sequence[str] = (),
    now: Callable[[], float] = time.time,
    max_body: int = MAX_BODY,
    ps_webhooks_tokens: Sequence[str] = (),
) -> Starlette:
    """The receiver on ``store`` with the active ``secrets`` (several during a rotation); with
    ``shop_urls``, events from other shops are refused. With ``ps_webhooks_tokens`` (several during a
    rotation) the ps_webhooks door is open to a URL ending in one of them; without, it is closed (404)."""
    door_tokens = list(ps_webhooks_tokens)
    if not secrets and not door_tokens:
        raise ValueError("the receiver needs at least one secret (or a ps_webhooks token)")
    known_shops = [_base_url(url) for url in shop_urls]
    writer = _GroupCommit(store)

    async def receive(request: Request) -> JSONResponse:
        try:
            _require_json(request)
            body = await _read_body(request, max_body)
            verify(
                body,
                request.headers.get("x-ps-webhook-signature"),
                request.headers.get("x-ps-webhook-timestamp"),
                secrets,
                now=now(),
            )
            envelope = check_envelope(body, request.headers, known_shops)
        except Refused as refused:
            log.info("webhook refused (%s): %s", refused.status, refused.message)
            return JSONResponse({"error": refused.message}, status_code=refused.status)
        # X-PS-Webhook-Attempt is informational (contract §3: logged and stored, never decides anything)
        # and not covered by the signature: one that is not a number (or absurdly long) is ignored and
        # stored as unknown, so that an authentic, verified event is not refused, and dead-lettered by
        # the sender, for a header that means nothing to its processing.
        attempt = _ascii_int(request.headers.get("x-ps-webhook-attempt"), ATTEMPT_DIGITS)
        return await accept(envelope, attempt)

    async def receive_ps_webhooks(request: Request) -> JSONResponse:
        if not ps_webhooks.token_matches(request.path_params["token"], door_tokens):
            # closed, or a wrong token: the very answer of a path that does not exist, and no log of it
            raise HTTPException(status_code=404)
        try:
            _require_json(request)
            body = await _read_body(request, max_body)
            shop = known_shops[0] if known_shops else None
            envelope = ps_webhooks.envelope_of(parse_json(body), shop_url=shop, received_at=now())
        except Refused as refused:
            log.info("ps_webhooks event refused (%s): %s", refused.status, refused.message)
            return JSONResponse({"error": refused.message}, status_code=refused.status)
        except ps_webhooks.Malformed as malformed:
            log.info("ps_webhooks event refused (400): %s", malformed)
            return JSONResponse({"error": str(malformed)}, status_code=400)
        if envelope is None:  # the module's Test button: an empty object
            return JSONResponse({"status": "test", "stored": False})
        return await accept(envelope, None)  # the module sends once: no attempt number

    async def accept(envelope: dict[str, Any], attempt: int | None) -> JSONResponse:
        """Commit a verified event to the inbox (``ignored`` when this release does not handle its
        type) and answer 202, or 503 when the store is unavailable."""
        status = inbox.PENDING if envelope["event"] in EVENT_TYPES else inbox.IGNORED
        try:
            new = await writer.store(envelope, status, attempt)
        except Exception as exc:  # noqa: BLE001 - the store is down: the sender retries later
            log.warning("webhook %s not stored: %s", envelope["id"], type(exc).__name__)
            return JSONResponse({"error": "the inbox is unavailable; retry later"}, status_code=503)
        log.info("webhook %s %s attempt %s: %s", envelope["id"], envelope["event"], attempt,
                 "stored" if new else "duplicate")  # fmt: skip
        return JSONResponse(
            {"status": ("accepted" if new else "duplicate"), "id": envelope["id"], "stored_as": status},
            status_code=202,
        )

    async def health(_request: Request) -> JSONResponse:
        try:
            await run_in_threadpool(store.count, "webhook_inbox")
        except Exception as exc:  # noqa: BLE001 - any store failure makes the receiver unhealthy
            return JSONResponse({"status": "unhealthy", "store": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route(PATH, receive, methods=["POST"]),
            Route(ps_webhooks.PATH, receive_ps_webhooks, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


class _GroupCommit:
    """Commits the events of concurrent requests together: each request waits for the transaction
    that holds its event (so nothing is answered before it is durable), and one transaction stores
    whatever arrived while the previous one ran, up to ``BATCH`` events."""

    BATCH = 100

    def __init__(self, store: Store):
        self._store = store
        self._queue: asyncio.Queue[tuple[dict[str, Any], str, int | None, asyncio.Future[bool]]] | None = None
        self._task: asyncio.Task[None] | None = None

    async def store(self, envelope: dict[str, Any], status: str, attempt: int | None) -> bool:
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._run(self._queue))
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((envelope, status, attempt, future))
        return await future

    async def _run(
        self, queue: asyncio.Queue[tuple[dict[str, Any], str, int | None, asyncio.Future[bool]]]
    ) -> None:
        while True:
            batch = [await queue.get()]
            while not queue.empty() and len(batch) < self.BATCH:
                batch.append(queue.get_nowait())
            try:
                answers = await run_in_threadpool(
                    inbox.enqueue_many,
                    self._store,
                    [(envelope, status, attempt) for envelope, status, attempt, _ in batch],
                )
            except Exception as exc:  # noqa: BLE001 - every request of the batch answers 503
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (*_, future), new in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(new)


def _require_json(request: Request) -> None:
    """``Refused(415)`` unless the request says its body is JSON."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refused(415, f"Content-Type must be application/json, not {kind[:100] or '(none)'}")


async def _read_body(request: Request, max_body: int) -> bytes:
    """The raw body, refused with 413 as soon as it passes ``max_body`` (the declared length is
    checked first, so an honest oversized request is not read at all)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        digits = declared.strip()
        if not re.fullmatch(r"[0-9]+", digits):  # ASCII digits only (see the note on T_DIGITS)
            raise Refused(400, "Content-Length is not a number (ASCII digits)")
        digits = digits.lstrip("0") or "0"
        if len(digits) > len(str(max_body)) or int(digits) > max_body:  # no int() of 5,000 digits
            raise Refused(413, f"the body is larger than {max_body} bytes")
    chunks: list[bytes] = []
    size = 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body:
                raise Refused(413, f"the body is larger than {max_body} bytes")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(read(), BODY_TIMEOUT)
    except TimeoutError:
        raise Refused(408, f"the body did not arrive within {BODY_TIMEOUT:.0f} s") from None
    except ClientDisconnect:
        raise Refused(400, "the client went away before sending the whole body") from None
    return b"".join(chunks)


def _base_url(url: str | None) -> str:
    return (url or "").strip().rstrip("/").removesuffix("/api").rstrip("/").lower()


def _ascii_int(value: str | None, digits: int) -> int | None:
    """``value`` (blanks around it aside) as a number when it is 1 to ``digits`` ASCII digits, else None."""
    if value is None or not re.fullmatch(f"[0-9]{{1,{digits}}}", value := value.strip()):
        return None
    return int(value)


def _depth(value: Any) -> int:
    """How deeply ``value`` (parsed JSON) nests objects and arrays, counted without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            pending.extend(
                (child, level + 1) for child in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def _storable(text: str) -> bool:
    """Whether a database can hold ``text``: PostgreSQL refuses NUL, and no driver encodes a lone
    surrogate (which a JSON escape such as ``"\\ud800"`` puts in a string) to UTF-8."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
