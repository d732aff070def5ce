"""HTTP side of the PrestaShop Webservice emulator: a Starlette app that only translates HTTP in and out.

Requests are turned into ``Shop.query`` / ``Shop.write`` calls (all rules live in models.py); answers
are rendered byte for byte like PrestaShop (contract §7 for XML and JSON, §8 for errors, §9 for
headers). Also serves the sandbox-only control endpoints under ``/_sandbox/`` (not part of
PrestaShop, no Webservice key) when enabled.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prestashop_infor.sandbox.prestashop.models import (
    FAULT_SETTINGS,
    QueryResult,
    RecordNotFound,
    Shop,
    WebserviceError,
)
from prestashop_infor.sandbox.prestashop.resources import AssociationDef, FieldDef, ResourceDef

XML_TYPE = "text/xml;charset=utf-8"
JSON_TYPE = "application/json"
PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
EPILOG = "</prestashop>\n"
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


def create_app(shop: Shop, *, sandbox_endpoints: bool = True) -> Starlette:
    """The Webservice (``/api/...``) of ``shop``, plus ``/_sandbox/...`` controls when enabled."""
    routes = [
        Route("/api", _api_endpoint(shop), methods=ALL_METHODS),
        Route("/api/{path:path}", _api_endpoint(shop), methods=ALL_METHODS),
    ]
    if sandbox_endpoints:
        routes += [
            Route("/_sandbox/faults", _sandbox_faults(shop), methods=["GET", "POST"]),
            Route("/_sandbox/orders", _sandbox_orders(shop), methods=["POST"]),
            Route("/_sandbox/outbox", _sandbox_outbox(shop), methods=["GET", "DELETE"]),
            Route("/_sandbox/events", _sandbox_events(shop), methods=["GET"]),
            Route("/_sandbox/clock", _sandbox_clock(shop), methods=["GET", "POST"]),
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
        body = await request.body() if method in ("POST", "PUT", "PATCH") else b""
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


# ----------------------------------------------------------------------------- XML rendering


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _href(base: str, link: str, value: str, row_id: int) -> str:
    if link == "images":
        return f"{base}/api/images/products/{row_id}/{value}"
    return f"{base}/api/{link}/{value}"


def _xml_field(
    f: FieldDef, value: Any, base: str, languages: list[int], row_id: int, lang_hrefs: dict[int, str]
) -> str:
    name = f.name
    if f.i18n:
        texts = value or {}
        inner = "".join(
            f'<language id="{lang}" xlink:href="{lang_hrefs[lang]}">{_cdata(texts.get(lang, ""))}</language>'
            for lang in languages
        )
        return f"\t<{name}>{inner}</{name}>\n"
    text = "" if value is None else str(value)
    attrs = ""
    if f.link and text not in ("", "0"):
        attrs = f' xlink:href="{_href(base, f.link, text, row_id)}"'
    if f.not_filterable:
        attrs += ' notFilterable="true"'
    content = _cdata(text) if text else ""
    return f"\t<{name}{attrs}>{content}</{name}>\n"


def _xml_associations(
    shop: Shop,
    definition: ResourceDef,
    row: list,
    selected: list[tuple[AssociationDef, list[str]]],
    base: str,
) -> str:
    parts = ["<associations>\n"]
    for association, subfields in selected:
        items = shop.association_items(definition, row, association)
        if association.virtual:
            opening = f'<{association.name} nodeType="{association.node_type}" virtualEntity="true"'
        else:
            opening = f'<{association.name} nodeType="{association.node_type}" api="{association.api}"'
        if not items:
            parts.append(opening + "/>\n")
            continue
        parts.append(opening + ">\n")
        indexes = [association.fields.index(s) for s in subfields]
        node = association.node_type
        for item in items:
            if association.virtual or association.api is None:
                parts.append(f"\t<{node}>\n")
            else:
                href = f"{base}/api/{association.api}/{item[0]}"
                if association.api == "images":
                    href = f"{base}/api/images/products/{row[0]}/{item[0]}"
                parts.append(f'\t<{node} xlink:href="{href}">\n')
            for index in indexes:
                sub = association.fields[index]
                text = "" if item[index] is None else str(item[index])
                link = association.links.get(sub)
                attrs = f' xlink:href="{base}/api/{link}/{text}"' if link and text not in ("", "0") else ""
                parts.append(f"\t<{sub}{attrs}>{_cdata(text) if text else ''}</{sub}>\n")
            parts.append(f"\t</{node}>\n")
        parts.append(f"</{association.name}>\n")
    parts.append("</associations>\n")
    return "".join(parts)


def _xml_record(shop: Shop, result: QueryResult, row: list, base: str, lang_hrefs: dict[int, str]) -> str:
    definition = result.definition
    selection = result.selection
    entity = definition.entity
    parts = [f"<{entity}>\n"]
    value = shop.value
    for f in selection.fields:
        parts.append(_xml_field(f, value(definition, row, f), base, result.languages, row[0], lang_hrefs))
    if selection.associations:
        parts.append(_xml_associations(shop, definition, row, selection.associations, base))
    parts.append(f"</{entity}>\n")
    return "".join(parts)


def render_xml(shop: Shop, result: QueryResult, base: str) -> bytes:
    """A list, record or schema document exactly as §7.1."""
    definition = result.definition
    if result.kind.startswith("schema_"):
        return _render_schema_xml(shop, result, base).encode()
    lang_hrefs = {lang: f"{base}/api/languages/{lang}" for lang in result.languages}
    if result.kind == "record":
        return (PROLOG + _xml_record(shop, result, result.rows[0], base, lang_hrefs) + EPILOG).encode()
    root, entity = definition.list_root, definition.entity
    parts = [PROLOG, f"<{root}>\n"]
    if result.selection.ids_only:
        href = f"{base}/api/{definition.name}/"
        parts.extend(f'<{entity} id="{row[0]}" xlink:href="{href}{row[0]}"/>\n' for row in result.rows)
    else:
        parts.extend(_xml_record(shop, result, row, base, lang_hrefs) for row in result.rows)
    parts.append(f"</{root}>\n")
    parts.append(EPILOG)
    return "".join(parts).encode()


def _render_schema_xml(shop: Shop, result: QueryResult, base: str) -> str:
    definition = result.definition
    synopsis = result.kind == "schema_synopsis"
    parts = [PROLOG, f"<{definition.entity}>\n"]
    for f in definition.fields:
        if not synopsis and f.not_writable:
            continue
        attrs = ""
        if synopsis:
            if f.required:
                attrs += ' required="true"'
            if f.max_size:
                attrs += f' maxSize="{f.max_size}"'
            if f.name != "id":
                attrs += f' format="{f.type.format}"'
            if f.read_only:
                attrs += ' readOnly="true"'
        if f.i18n:
            inner = "".join(
                f'<language id="{lang}" xlink:href="{base}/api/languages/{lang}"></language>'
                for lang in result.languages
            )
            parts.append(f"\t<{f.name}{attrs}>{inner}</{f.name}>\n")
        else:
            parts.append(f"\t<{f.name}{attrs}></{f.name}>\n")
    if definition.associations:
        parts.append("<associations>\n")
        for association in definition.associations:
            kind = 'virtualEntity="true"' if association.virtual else f'api="{association.api}"'
            parts.append(f'<{association.name} nodeType="{association.node_type}" {kind}>\n')
            parts.append(f"\t<{association.node_type}>\n")
            parts.extend(f"\t<{sub}></{sub}>\n" for sub in association.fields)
            parts.append(f"\t</{association.node_type}>\n</{association.name}>\n")
        parts.append("</associations>\n")
    parts.append(f"</{definition.entity}>\n")
    parts.append(EPILOG)
    return "".join(parts)


def render_errors_xml(errors: list[tuple[int, str]]) -> bytes:
    items = "".join(
        f"<error>\n<code>{_cdata(str(code))}</code>\n<message>{_cdata(message)}</message>\n</error>\n"
        for code, message in errors
    )
    return f"{PROLOG}<errors>\n{items}</errors>\n{EPILOG}".encode()


def _index_flags(shop: Shop, api_key, definition: ResourceDef) -> str:
    methods = ["get", "put", "post"] + (["patch"] if shop.profile == "8" else []) + ["delete", "head"]
    allowed = None if api_key.permissions is None else api_key.permissions.get(definition.name, set())
    flags = []
    for method in methods:
        upper = method.upper()
        ok = upper not in definition.refused_methods and (
            allowed is None or upper in allowed or (upper == "HEAD" and "GET" in allowed)
        )
        flags.append(f'{method}="{"true" if ok else "false"}"')
    return " ".join(flags)


def _visible_resources(shop: Shop, api_key) -> list[ResourceDef]:
    return [
        definition
        for name, definition in sorted(shop.definitions.items())
        if api_key.permissions is None or name in api_key.permissions
    ]


def render_index_xml(shop: Shop, api_key, base: str) -> bytes:
    parts = [PROLOG, f'<api shopName="{_escape_attr(shop.shop_name)}">\n']
    for definition in _visible_resources(shop, api_key):
        href = f"{base}/api/{definition.name}"
        flags = _index_flags(shop, api_key, definition)
        parts.append(f'<{definition.name} xlink:href="{href}" {flags}>\n')
        parts.append(f'<description xlink:href="{href}" {flags}>{definition.description}</description>\n')
        parts.append(f'<schema xlink:href="{href}?schema=blank" type="blank"/>\n')
        parts.append(f'<schema xlink:href="{href}?schema=synopsis" type="synopsis"/>\n')
        parts.append(f"</{definition.name}>\n")
    parts.append("</api>\n")
    parts.append(EPILOG)
    return "".join(parts).encode()


def render_index_json(shop: Shop, api_key) -> bytes:
    api: dict[str, Any] = {}
    for definition in _visible_resources(shop, api_key):
        flags = dict(pair.split("=") for pair in _index_flags(shop, api_key, definition).split())
        api[definition.name] = {
            "description": definition.description,
            **{k: v.strip('"') for k, v in flags.items()},
        }
    return json.dumps({"api": api}, ensure_ascii=False, separators=(",", ":")).encode()


def _escape_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# ----------------------------------------------------------------------------- JSON rendering


def _json_record(shop: Shop, result: QueryResult, row: list) -> dict[str, Any]:
    definition = result.definition
    languages = result.languages
    one_language = languages[0] if len(languages) == 1 else None
    record: dict[str, Any] = {}
    value_of = shop.value
    for f in result.selection.fields:
        value = value_of(definition, row, f)
        if f.name == "id":
            record["id"] = value
        elif f.i18n:
            texts = value or {}
            if one_language is not None:
                record[f.name] = texts.get(one_language, "")
            else:
                record[f.name] = [{"id": str(lang), "value": texts.get(lang, "")} for lang in languages]
        elif f.json_number and value is not None:
            record[f.name] = int(value)
        else:
            record[f.name] = value
    if result.selection.associations:
        associations = {}
        for association, subfields in result.selection.associations:
            items = shop.association_items(definition, row, association)
            if not items:
                continue
            indexes = [(sub, association.fields.index(sub)) for sub in subfields]
            associations[association.name] = [
                {sub: ("" if item[i] is None else str(item[i])) for sub, i in indexes} for item in items
            ]
        if associations:
            record["associations"] = associations
    return record


def render_json(shop: Shop, result: QueryResult) -> bytes:
    """§7.2: ids as numbers, other values strings, null for NULL, ``[]`` for an empty list."""
    definition = result.definition
    if result.kind.startswith("schema_"):
        template = {
            f.name: "" for f in definition.fields if result.kind == "schema_synopsis" or not f.not_writable
        }
        payload: Any = {definition.entity: template}
    elif result.kind == "record":
        record = _json_record(shop, result, result.rows[0])
        if shop.profile == "8":  # 8.x drops falsy top-level fields of single records (PR #39918)
            record = {k: v for k, v in record.items() if v not in ("", "0", 0, None, False, [], {})}
        payload = {definition.entity: record}
    elif result.kind == "ids_record":
        payload = {definition.name: [{"id": row[0]} for row in result.rows]}
    elif not result.rows:
        payload = {definition.list_root: []} if shop.empty_list_as_object else []
    elif result.selection.ids_only:
        payload = {definition.list_root: [{"id": row[0]} for row in result.rows]}
    else:
        payload = {definition.list_root: [_json_record(shop, result, row) for row in result.rows]}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def render_errors_json(errors: list[tuple[int, str]]) -> bytes:
    return json.dumps(
        {"errors": [{"code": code, "message": message} for code, message in errors]}, ensure_ascii=False
    ).encode()


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
            customer_id = int(payload["customer_id"])
            lines = [(int(line[0]), int(line[1]), int(line[2])) for line in payload["lines"]]
            currency = str(payload.get("currency", "EUR"))
            order_id = shop.place_order(customer_id, lines, currency)
        except (KeyError, IndexError, TypeError, ValueError, json.JSONDecodeError) as error:
            return JSONResponse(
                {
                    "error": f"bad order: {error}; expected {{customer_id, lines: [[product_id, combination_id, qty]], currency}}"
                },
                status_code=400,
            )
        return JSONResponse({"id": order_id}, status_code=201)

    return endpoint


def _sandbox_outbox(shop: Shop):
    async def endpoint(request: Request) -> Response:
        with shop.lock:
            if request.method == "DELETE":
                shop.outbox.clear()
            return JSONResponse([email.as_dict() for email in shop.outbox])

    return endpoint


def _sandbox_events(shop: Shop):
    async def endpoint(request: Request) -> Response:
        since = int(request.query_params.get("since", "0") or 0)
        with shop.lock:
            return JSONResponse(shop.events[since:])

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
