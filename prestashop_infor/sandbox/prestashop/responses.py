"""HTTP side of the PrestaShop Webservice emulator: a Starlette app that only translates HTTP in and out.

Requests are turned into ``Shop.query`` / ``Shop.write`` calls (all rules live in ``models/``); answers
are rendered by ``render.py`` byte for byte like PrestaShop (contract §7, §8) and sent with its
headers (§9). Also serves the sandbox-only control endpoints under ``/_sandbox/`` (not part of
PrestaShop, no Webservice key) when enabled.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import random
import time
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prestashop_infor.sandbox.prestashop.models import (
    FAULT_SETTINGS,
    RecordNotFound,
    Shop,
    WebserviceError,
)
from prestashop_infor.sandbox.prestashop.render import (
    JSON_TYPE,
    XML_TYPE,
    render_errors_json,
    render_errors_xml,
    render_index_json,
    render_index_xml,
    render_json,
    render_xml,
)

REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
    'No password required."'
)
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"]
PHP_WARNING = (
    '<br />\n<b>Warning</b>:  Undefined array key "id_lang" in '
    "<b>/var/www/html/modules/ps_customtheme/ps_customtheme.php</b> on line <b>142</b><br />\n"
)
PHP_FATAL_HTML = (
    "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head><body>\n"
    "<h1>Oops... looks like an unexpected error occurred</h1>\n"
    "<p>Fatal error: Allowed memory size of 134217728 bytes exhausted</p>\n</body></html>\n"
)


def create_app(
    shop: Shop, *, sandbox_endpoints: bool = True, extra_routes: Sequence[Route] = ()
) -> Starlette:
    """The Webservice (``/api/...``) of ``shop``, plus ``/_sandbox/...`` controls when enabled
    (``extra_routes``: the sandbox's own, such as the discrepancies planted in both systems)."""
    routes = [
        Route("/api", _api_endpoint(shop), methods=ALL_METHODS),
        Route("/api/{path:path}", _api_endpoint(shop), methods=ALL_METHODS),
    ]
    if sandbox_endpoints:
        routes += [
            Route("/_sandbox/faults", _sandbox_faults(shop), methods=["GET", "POST"]),
            Route("/_sandbox/orders", _sandbox_orders(shop), methods=["POST"]),
            Route("/_sandbox/orders/{order_id:int}/{action}", _sandbox_order_action(shop), methods=["POST"]),
            Route("/_sandbox/order_returns", _sandbox_order_returns(shop), methods=["GET"]),
            Route("/_sandbox/order_returns/{return_id:int}", _sandbox_return_state(shop), methods=["POST"]),
            Route("/_sandbox/outbox", _sandbox_outbox(shop), methods=["GET", "DELETE"]),
            Route("/_sandbox/events", _sandbox_events(shop), methods=["GET"]),
            Route("/_sandbox/records/{resource}", _sandbox_records(shop), methods=["GET"]),
            Route("/_sandbox/clock", _sandbox_clock(shop), methods=["GET", "POST"]),
            Route("/_sandbox/webhooks", _sandbox_webhooks(shop), methods=["GET", "POST"]),
            Route("/_sandbox/webhooks/faults", _sandbox_webhook_faults(shop), methods=["GET", "POST"]),
            *extra_routes,
        ]
    app = Starlette(routes=routes)
    app.state.shop = shop
    return app


# ----------------------------------------------------------------------------- request parsing


def presented_key(request: Request) -> str | None:
    """The key from Basic auth (user name, wins) or ``ws_key``; None when neither is there (§2)."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            decoded = ""
        return decoded.split(":", 1)[0]
    if "ws_key" in request.query_params:
        return request.query_params["ws_key"]
    return None


def wants_json(request: Request) -> bool:
    """Format precedence of §3: Io-Format > Output-Format > output_format > io_format; only "JSON"."""
    for value in (
        request.headers.get("io-format"),
        request.headers.get("output-format"),
        request.query_params.get("output_format"),
        request.query_params.get("io_format"),
    ):
        if value is not None:
            return value == "JSON"
    return False


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"


# ----------------------------------------------------------------------------- the endpoint


def _api_endpoint(shop: Shop):
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        faults = shop.faults
        decision = faults.draw()
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if decision.timeout:
            await asyncio.sleep(faults.timeout_seconds)
        method = request.query_params.get("ps_method", request.method).upper()
        as_json = wants_json(request)
        key = presented_key(request)
        if key is None:
            return _finish(
                shop,
                started,
                401,
                b"401 Unauthorized",
                "text/plain;charset=utf-8",
                {"WWW-Authenticate": REALM},
                head=method == "HEAD",
            )
        try:
            body = await request.body() if method in ("POST", "PUT", "PATCH") else b""
        except ClientDisconnect:  # the client went away mid-request (a killed run): nothing to answer
            return Response(status_code=499)
        path = request.path_params.get("path", "").strip("/")
        parts = path.split("/") if path else []
        try:
            with shop.lock:
                content, status, content_type = _handle(
                    shop, request, method, parts, key, body, as_json, decision
                )
        except RecordNotFound:
            return _finish(shop, started, 404, b"", None, {}, head=method == "HEAD")
        except WebserviceError as error:
            content = render_errors_json(error.errors) if as_json else render_errors_xml(error.errors)
            extra = {"WWW-Authenticate": REALM} if error.errors[0][0] in (17, 18, 20, 21) else {}
            return _finish(
                shop,
                started,
                error.status,
                content,
                JSON_TYPE if as_json else XML_TYPE,
                extra,
                head=method == "HEAD",
            )
        except _PlainAnswer as answer:
            return _finish(
                shop, started, answer.status, answer.body, answer.content_type, {}, head=method == "HEAD"
            )
        headers: dict[str, str] = {}
        sha = hashlib.sha1(content).hexdigest()
        if shop.profile == "8" and status == 200 and request.headers.get("local-content-sha1") == sha:
            return _finish(shop, started, 304, b"", None, {"Content-Sha1": sha}, head=True)
        if decision.php_warning:
            content = PHP_WARNING.encode() + content
        return _finish(shop, started, status, content, content_type, headers, head=method == "HEAD", sha=sha)

    return endpoint


class _PlainAnswer(Exception):
    def __init__(self, status: int, body: bytes, content_type: str | None):
        self.status, self.body, self.content_type = status, body, content_type


def _handle(
    shop: Shop,
    request: Request,
    method: str,
    parts: list[str],
    key: str,
    body: bytes,
    as_json: bool,
    decision,
) -> tuple[bytes, int, str]:
    if shop.faults.disabled:
        raise WebserviceError(
            503, 22, "The PrestaShop webservice is disabled. Please activate it in the PrestaShop Back Office"
        )
    api_key = shop.authenticate(key)
    if decision.html_error:
        raise _PlainAnswer(500, PHP_FATAL_HTML.encode(), "text/html; charset=utf-8")
    if decision.error:
        raise WebserviceError(500, decision.error_code, decision.error_message)
    if method not in shop.allowed_methods():
        raise WebserviceError(405, 23, f"Method {method} is not valid")
    base = base_url(request)
    params = request.query_params.multi_items()
    if not parts:
        if method not in ("GET", "HEAD"):
            raise WebserviceError(405, 23, f"Method {method} is not valid")
        if as_json:
            if shop.profile == "8":
                raise _PlainAnswer(500, b"", None)  # the 8.x JSON index crashes (#32179)
            return render_index_json(shop, api_key), 200, JSON_TYPE
        return render_index_xml(shop, api_key, base), 200, XML_TYPE
    resource = parts[0]
    record_id = parts[1] if len(parts) > 1 and parts[1] != "" else None
    shop.check_access(api_key, resource, method)
    shop.check_shop_right(api_key, dict(params))
    if method in ("GET", "HEAD"):
        result = shop.query(resource, record_id, params)
        status = 200
    else:
        status, result = shop.write(method, resource, record_id, body, params)
        if result is None:
            return b"", status, ""
    if as_json:
        return render_json(shop, result), status, JSON_TYPE
    return render_xml(shop, result, base), status, XML_TYPE


def _finish(
    shop: Shop,
    started: float,
    status: int,
    content: bytes,
    content_type: str | None,
    headers: dict[str, str],
    *,
    head: bool = False,
    sha: str | None = None,
) -> Response:
    all_headers = {
        "PSWS-Version": shop.version,
        "X-Powered-By": "PrestaShop Webservice",
        "Access-Time": str(int(shop.clock.now().timestamp())),
        "Execution-Time": f"{time.perf_counter() - started:.3f}",
    }
    if content:
        all_headers["Content-Sha1"] = sha or hashlib.sha1(content).hexdigest()
    all_headers.update(headers)
    if head:
        response = Response(b"", status_code=status, headers=all_headers)
        if content_type:
            response.headers["content-type"] = content_type
        return response
    response = Response(content, status_code=status, headers=all_headers)
    if content_type:
        response.headers["content-type"] = content_type
    return response


# ----------------------------------------------------------------------------- sandbox controls


def _sandbox_faults(shop: Shop):
    async def endpoint(request: Request) -> Response:
        if request.method == "POST":
            try:
                settings = await request.json()
                if not isinstance(settings, dict):
                    raise ValueError("the body must be a JSON object of fault settings")
                shop.faults.update(settings)
            except (ValueError, TypeError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)
        faults = shop.faults
        return JSONResponse({name: getattr(faults, name) for name in FAULT_SETTINGS})

    return endpoint


def _sandbox_orders(shop: Shop):
    async def endpoint(request: Request) -> Response:
        try:
            payload = await request.json()
            if isinstance(payload, dict) and "random" in payload:
                count = int(payload["random"])
                if not 1 <= count <= 10_000:
                    raise ValueError("random must be 1 to 10,000 orders")
                chooser = random.Random(payload.get("seed"))
                id_shop = payload.get("id_shop")
                return JSONResponse({"ids": shop.place_random_orders(count, chooser, id_shop)}, 201)
            customer_id = int(payload["customer_id"])
            lines = [(int(line[0]), int(line[1]), int(line[2])) for line in payload["lines"]]
            currency = str(payload.get("currency", "EUR"))
            order_id = shop.place_order(customer_id, lines, currency, payload.get("id_shop"))
        except (KeyError, IndexError, TypeError, ValueError, json.JSONDecodeError) as error:
            return JSONResponse(
                {
                    "error": f"bad order: {error}; expected {{customer_id, lines: [[product_id, combination_id, qty]], currency, id_shop}} or {{random: N, seed, id_shop}}"
                },
                status_code=400,
            )
        return JSONResponse({"id": order_id}, status_code=201)

    return endpoint


def _sandbox_order_action(shop: Shop):
    """POST ``/_sandbox/orders/{id}/return`` ``{"lines": [[order_detail_id, qty]], "question": "..."}``:
    the customer asks for a merchandise return; ``/refund`` ``{"lines": [...], "shipping": false}``: the
    merchant refunds with a credit slip (``Shop.request_return``, ``Shop.refund``)."""

    async def endpoint(request: Request) -> Response:
        order_id, action = request.path_params["order_id"], request.path_params["action"]
        if action not in ("return", "refund"):
            return JSONResponse({"error": f"unknown order action {action!r}: return or refund"}, 404)
        try:
            payload = await request.json()
            lines = [(int(line[0]), int(line[1])) for line in payload.get("lines", [])]
            if action == "return":
                return_id = shop.request_return(order_id, lines, str(payload.get("question", "")))
                return JSONResponse({"id": return_id, "lines": shop.order_return_details[return_id]}, 201)
            slip_id = shop.refund(order_id, lines, shipping=bool(payload.get("shipping", False)))
        except (AttributeError, IndexError, TypeError, ValueError, json.JSONDecodeError) as error:
            expected = '{"lines": [[order_detail_id, quantity]], ' + (
                '"question": "..."}' if action == "return" else '"shipping": false}'
            )
            return JSONResponse({"error": f"bad {action}: {error}; expected {expected}"}, status_code=400)
        return JSONResponse({"id": slip_id}, status_code=201)

    return endpoint


def _sandbox_order_returns(shop: Shop):
    """GET ``/_sandbox/order_returns[?id_order=N]``: the merchandise returns with their lines, which
    PrestaShop's Webservice never shows (``order_return_detail``)."""

    async def endpoint(request: Request) -> Response:
        wanted = request.query_params.get("id_order")
        with shop.lock:
            returns = [
                {**record, "order_return_details": [
                    {"id_order_detail": detail, "product_quantity": quantity}
                    for detail, quantity in shop.order_return_details.get(record["id"], [])
                ]}
                for record in shop.records("order_returns")
                if wanted is None or record["id_order"] == wanted
            ]  # fmt: skip
        return JSONResponse(returns)

    return endpoint


def _sandbox_return_state(shop: Shop):
    """POST ``/_sandbox/order_returns/{id}`` ``{"state": 2}``: the merchant moves a merchandise return
    to a return state in the back office (``Shop.set_return_state``)."""

    async def endpoint(request: Request) -> Response:
        try:
            payload = await request.json()
            shop.set_return_state(request.path_params["return_id"], int(payload["state"]))
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as error:
            return JSONResponse({"error": f'bad return state: {error}; expected {{"state": 2}}'}, 400)
        return JSONResponse(shop.record("order_returns", request.path_params["return_id"]))

    return endpoint


def _sandbox_outbox(shop: Shop):
    async def endpoint(request: Request) -> Response:
        with shop.lock:
            if request.method == "DELETE":
                shop.outbox.clear()
            return JSONResponse([email.as_dict() for email in shop.outbox])

    return endpoint


def _sandbox_records(shop: Shop):
    """GET ``/_sandbox/records/<resource>?fields=a,b``: the stored records of a resource as JSON, past
    the Webservice and its injected faults (what a benchmark checks the integration's writes with)."""

    async def endpoint(request: Request) -> Response:
        resource = request.path_params["resource"]
        if resource not in shop.definitions:
            return JSONResponse({"error": f"no resource {resource!r}"}, status_code=404)
        definition = shop.definitions[resource]
        wanted = set(request.query_params.get("fields", "").split(","))
        fields = [f for f in definition.fields if f.name in wanted]
        if not fields:
            return JSONResponse(shop.records(resource))
        with shop.lock:  # only the fields asked for: a benchmark samples often, the shop keeps serving
            rows = [row for _, row in sorted(shop.tables[resource].rows.items())]
            return JSONResponse([{f.name: shop.value(definition, row, f) for f in fields} for row in rows])

    return endpoint


def _sandbox_events(shop: Shop):
    async def endpoint(request: Request) -> Response:
        since = int(request.query_params.get("since", "0") or 0)
        with shop.lock:
            return JSONResponse(shop.events[since:])

    return endpoint


def _sandbox_webhooks(shop: Shop):
    """POST ``{"url": ..., "secret": ...}`` subscribes a receiver to the shop's webhooks; GET says
    who is subscribed and how deliveries went (secrets are never shown)."""

    async def endpoint(request: Request) -> Response:
        sender = shop.webhook_sender
        if sender is None:
            return JSONResponse(
                {"error": "this shop sends no webhooks (start it with the sandbox)"}, status_code=404
            )
        if request.method == "POST":
            try:
                payload = await request.json()
                url, secret = str(payload["url"]), payload["secret"]
                secrets = [secret] if isinstance(secret, str) else [str(s) for s in secret]
                if not url.startswith(("http://", "https://")) or not all(secrets):
                    raise ValueError("give a http(s) url and a secret")
            except (ValueError, TypeError, KeyError, json.JSONDecodeError) as error:
                return JSONResponse({"error": f"bad subscription: {error}"}, status_code=400)
            sender.subscribe(url, secrets)
        return JSONResponse(
            {
                "subscribers": sorted(sender.subscribers),
                "events": sender.events,
                "delivered": len(sender.delivered),
                "dead": len(sender.dead),
                "pending": sender.pending(),
            }  # fmt: skip
        )

    return endpoint


def _sandbox_webhook_faults(shop: Shop):
    """POST ``{"duplicate_rate": 0.1, "retry_delays": [1, 2, 5]}`` (any of ``SENDER_SETTINGS``) sets
    what the webhook sender gets wrong and its retry schedule; GET shows them."""

    async def endpoint(request: Request) -> Response:
        sender = shop.webhook_sender
        if sender is None:
            return JSONResponse(
                {"error": "this shop sends no webhooks (start it with the sandbox)"}, status_code=404
            )
        if request.method == "POST":
            try:
                settings = await request.json()
                if not isinstance(settings, dict):
                    raise ValueError("the body must be a JSON object of sender settings")
                return JSONResponse(sender.configure(settings))
            except (ValueError, TypeError, json.JSONDecodeError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(sender.settings())

    return endpoint


def _sandbox_clock(shop: Shop):
    async def endpoint(request: Request) -> Response:
        from datetime import datetime, timedelta

        if request.method == "POST":
            try:
                payload = await request.json()
                if "set" in payload:
                    shop.clock.set(datetime.fromisoformat(payload["set"]))
                if "advance_seconds" in payload:
                    shop.clock.advance(timedelta(seconds=float(payload["advance_seconds"])))
                if payload.get("freeze") is True:
                    shop.clock.freeze()
                elif payload.get("freeze") is False:
                    shop.clock.unfreeze()
            except (ValueError, TypeError, json.JSONDecodeError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(
            {"time_zone": shop.clock.time_zone, "now": shop.clock.local_text(), "frozen": shop.clock.frozen}
        )

    return endpoint
