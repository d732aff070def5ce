"""HTTP face of the M3 emulator: the ION API gateway routes, M3 MI REST v2 (single, matrix, bulk), v1,
and the sandbox-only hooks under ``/_sandbox/``. Only translation lives here; rules are in ``models/``.

Routes (``{ti}`` is the tenant):

- ``POST /{ti}/as/token.oauth2`` — password, client_credentials and refresh_token grants; client
  authentication by HTTP Basic or form fields. ``POST|GET /{ti}/as/revoke_token.oauth2``.
- ``GET /{ti}/M3/m3api-rest/v2/execute/{PROGRAM}/{TRANSACTION}[;matrix=params]?FIELD=value&...``
- ``POST /{ti}/M3/m3api-rest/v2/execute`` — bulk, one program per request.
- ``GET /{ti}/M3/m3api-rest/execute/{PROGRAM}/{TRANSACTION}`` — v1 (``MIRecord``/``NameValue``).
- ``/_sandbox/...`` — advance the clock, ship/invoice/pay/cancel an order, adjust stock, inject
  faults, expire tokens, set a quota, read a summary.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prestashop_infor.sandbox.infor.models import (
    COMMON_PARAMETERS,
    Fault,
    M3Failure,
    M3Tenant,
    OAuthError,
)

ERROR_MESSAGE_WIDTH = 120  # M3 pads message texts with blanks; clients must trim


def create_app(tenant: M3Tenant) -> Starlette:
    """The ASGI app serving one tenant."""
    api = _Api(tenant)
    ti = "{tenant}"
    routes = [
        Route(f"/{ti}/as/token.oauth2", api.token, methods=["POST"]),
        Route(f"/{ti}/as/revoke_token.oauth2", api.revoke, methods=["POST", "GET"]),
        Route(f"/{ti}/M3/m3api-rest/v2/execute", api.bulk, methods=["POST"]),
        Route(f"/{ti}/M3/m3api-rest/v2/execute/{{program}}/{{transaction}}", api.single, methods=["GET"]),
        Route(f"/{ti}/M3/m3api-rest/execute/{{program}}/{{transaction}}", api.single_v1, methods=["GET"]),
        Route("/_sandbox/state", api.sandbox_state, methods=["GET"]),
        Route("/_sandbox/advance", api.sandbox_advance, methods=["POST"]),
        Route("/_sandbox/orders/{orno}/{action}", api.sandbox_order, methods=["POST"]),
        Route("/_sandbox/stock", api.sandbox_stock, methods=["POST"]),
        Route("/_sandbox/faults", api.sandbox_faults, methods=["POST", "DELETE"]),
        Route("/_sandbox/tokens/expire", api.sandbox_expire_tokens, methods=["POST"]),
        Route("/_sandbox/quota", api.sandbox_quota, methods=["POST"]),
        Route("/_sandbox/settings", api.sandbox_settings, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.tenant = tenant
    return app


def _gateway_error(status: int, error: str, description: str = "", headers: dict[str, str] | None = None):
    body = {"error": error}
    if description:
        body["error_description"] = description
    return JSONResponse(body, status_code=status, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (parsed here: no multipart dependency needed)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("true", "1", "yes")


class _Options:
    """The common parameters of a call (query, matrix or bulk body)."""

    def __init__(self, params: dict[str, str], default_maxrecs: int):
        self.cono = params.get("cono")
        self.divi = params.get("divi")
        raw_max = params.get("maxrecs")
        try:
            self.maxrecs = int(raw_max) if raw_max not in (None, "") else default_maxrecs
        except ValueError:
            raise M3Failure("EMI0105", f"maxrecs must be a number, got {raw_max!r}", "maxrecs") from None
        cols = params.get("returncols") or ""
        self.returncols = [c.strip() for c in cols.split(",") if c.strip()]
        excl = params.get("excludeempty", params.get("excludempty"))
        self.excludeempty = _flag(excl, False)
        self.righttrim = _flag(params.get("righttrim"), True)
        self.dateformat = params.get("dateformat") or "YMD8"
        self.extendedresult = _flag(params.get("extendedresult"), False)


class _Api:
    def __init__(self, tenant: M3Tenant):
        self.m3 = tenant

    # -- OAuth ---------------------------------------------------------------------------------

    async def _client_auth(self, request: Request, form: dict[str, str]) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            return self.m3.gateway.authenticate_client(client_id, client_secret)
        return self.m3.gateway.authenticate_client(form.get("client_id"), form.get("client_secret"))

    async def token(self, request: Request) -> Response:
        if request.path_params["tenant"] != self.m3.tenant:
            return _gateway_error(404, "Not Found", "unknown tenant")
        form = await _form(request)
        if not await self._client_auth(request, form):
            return _gateway_error(401, "invalid_client", "Client authentication failed")
        try:
            return JSONResponse(self.m3.gateway.token(form), headers={"Cache-Control": "no-store"})
        except OAuthError as exc:
            return _gateway_error(exc.status, exc.error, exc.description)

    async def revoke(self, request: Request) -> Response:
        if request.path_params["tenant"] != self.m3.tenant:
            return _gateway_error(404, "Not Found", "unknown tenant")
        if request.method == "GET":
            form = dict(request.query_params)
        else:
            form = await _form(request)
        if not await self._client_auth(request, form):
            return _gateway_error(401, "invalid_client", "Client authentication failed")
        if not form.get("token"):
            return _gateway_error(400, "invalid_request", "token is required")
        self.m3.gateway.revoke(form["token"])
        return Response(status_code=200)

    # -- M3 calls ------------------------------------------------------------------------------

    async def _gate(self, request: Request, *targets: str) -> tuple[Response | None, Fault | None]:
        """Tenant, bearer token, quota and injected faults, in the order a gateway applies them."""
        if request.path_params["tenant"] != self.m3.tenant:
            return _gateway_error(404, "Not Found", f"no API at {request.url.path}"), None
        if not self.m3.gateway.check_bearer(request.headers.get("authorization")):
            return JSONResponse({"error": "Unauthorized"}, status_code=401), None
        wait = self.m3.gateway.over_quota()
        if wait is not None:
            return _gateway_error(
                429, "Too Many Requests", "quota exceeded", {"Retry-After": str(wait)}
            ), None
        fault = self.m3.gateway.take_fault(*targets)
        if fault is not None and not fault.after_commit:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            return self._fault_response(fault), None
        return None, fault

    async def _after_commit(self, fault: Fault) -> Response:
        """The fault of a call that ran: its ``delay`` passes after the commit (a write that committed
        and then timed out at the gateway), then the fault is the answer."""
        if fault.delay:
            await asyncio.sleep(fault.delay)
        return self._fault_response(fault)

    @staticmethod
    def _fault_response(fault: Fault) -> Response:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
        if fault.status == 401:
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        names = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
                 503: "Service Unavailable", 504: "Gateway Timeout", 403: "Forbidden"}  # fmt: skip
        return _gateway_error(fault.status, names.get(fault.status, "Error"), "injected fault", headers)

    def _shape(self, program: str, transaction: str, records: list[dict[str, str]], opts: _Options):
        spec = self.m3.specs[program][transaction]
        if opts.maxrecs > 0:
            records = records[: opts.maxrecs]
        shaped = []
        for record in records:
            if opts.returncols:
                record = {k: record[k] for k in opts.returncols if k in record}
            if not opts.righttrim:
                record = {k: v.ljust(spec.outputs.get(k, len(v))) for k, v in record.items()}
            if opts.excludeempty:
                record = {k: v for k, v in record.items() if v.strip() != ""}
            shaped.append(record)
        return shaped

    def _run(self, program: str, transaction: str, fields: dict[str, str], opts: _Options) -> dict[str, Any]:
        """One transaction -> its ``results[]`` entry (records or error fields)."""
        entry: dict[str, Any] = {"transaction": transaction}
        try:
            if opts.cono not in (None, "", self.m3.cono):
                raise M3Failure("XAU0008", f"Not authorized for company {opts.cono}", "CONO")
            records = self.m3.execute(
                program, transaction, fields, dateformat=opts.dateformat, maxrecs=opts.maxrecs
            )
            entry["records"] = self._shape(program, transaction, records, opts)
        except M3Failure as failure:
            entry.update(self._error_fields(failure))
            entry["records"] = []
        if opts.extendedresult:
            entry["parameters"] = dict(fields)
        return entry

    @staticmethod
    def _error_fields(failure: M3Failure) -> dict[str, Any]:
        return {
            "errorMessage": failure.message.ljust(ERROR_MESSAGE_WIDTH),
            "errorCode": failure.code,
            "errorField": failure.field,
            "errorType": failure.error_type,
            "errorCfg": "",
            "notProcessed": False,
        }

    async def single(self, request: Request) -> Response:
        program = request.path_params["program"]
        transaction, *matrix = request.path_params["transaction"].split(";")
        response, fault = await self._gate(request, f"{program}/{transaction}")
        if response is not None:
            return response
        params: dict[str, str] = {}
        for part in matrix:
            key, _, value = part.partition("=")
            params[key] = value
        fields: dict[str, str] = {}
        for key, value in request.query_params.multi_items():
            if key in COMMON_PARAMETERS or key == "excludempty":
                params[key] = value
            elif key.startswith("_") or key in ("metadata",):
                continue  # _rid cache buster, v2 "metadata" flag (not supported, ignored)
            else:
                fields[key] = value
        try:
            opts = _Options(params, self.m3.default_maxrecs)
        except M3Failure as failure:
            return self._error_body(transaction, failure)
        entry = self._run(program, transaction, fields, opts)
        if fault is not None:
            return await self._after_commit(fault)  # the transaction ran, the caller never hears so
        if "errorCode" in entry:
            return self._error_body(transaction, entry)
        return JSONResponse(
            {
                "results": [entry],
                "wasTerminated": False,
                "nrOfSuccessfullTransactions": 1,
                "nrOfFailedTransactions": 0,
            }
        )

    def _error_body(self, transaction: str, entry_or_failure: dict[str, Any] | M3Failure) -> Response:
        if isinstance(entry_or_failure, M3Failure):
            entry = {"transaction": transaction, **self._error_fields(entry_or_failure), "records": []}
        else:
            entry = entry_or_failure
        if self.m3.error_style == "top":
            body = {
                "results": [],
                "wasTerminated": True,
                "terminationReason": entry["errorMessage"],
                "terminationErrorType": entry["errorType"],
                "errorMessage": entry["errorMessage"],
                "errorCode": entry["errorCode"],
                "errorField": entry["errorField"],
                "nrOfSuccessfullTransactions": 0,
                "nrOfFailedTransactions": 1,
            }
        else:
            body = {
                "results": [entry],
                "wasTerminated": False,
                "nrOfSuccessfullTransactions": 0,
                "nrOfFailedTransactions": 1,
            }
        return JSONResponse(body, status_code=400)

    async def bulk(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _gateway_error(400, "Bad Request", "the body must be JSON")
        if (
            not isinstance(body, dict)
            or not body.get("program")
            or not isinstance(body.get("transactions"), list)
        ):
            return _gateway_error(400, "Bad Request", "the body needs 'program' and a 'transactions' list")
        program = str(body["program"])
        names = sorted({str(t.get("transaction", "")) for t in body["transactions"] if isinstance(t, dict)})
        response, fault = await self._gate(request, f"{program}/", *(f"{program}/{n}" for n in names))
        if response is not None:
            return response
        params = dict(request.query_params)
        for key, name in (("cono", "cono"), ("divi", "divi"), ("dateFormat", "dateformat"),
                          ("maxReturnedRecords", "maxrecs")):  # fmt: skip
            if body.get(key) is not None:
                params[name] = str(body[key])
        if body.get("excludeEmptyValues") is not None:
            params["excludeempty"] = str(bool(body["excludeEmptyValues"])).lower()
        if body.get("rightTrim") is not None:
            params["righttrim"] = str(bool(body["rightTrim"])).lower()
        results, ok, failed = [], 0, 0
        for item in body["transactions"]:
            name = str(item.get("transaction", "")) if isinstance(item, dict) else ""
            record = item.get("record") or {} if isinstance(item, dict) else {}
            try:
                opts = _Options(params, self.m3.default_maxrecs)
            except M3Failure as failure:
                return self._error_body(name, failure)
            columns = item.get("selectedColumns") if isinstance(item, dict) else None
            if columns:
                opts.returncols = [str(c) for c in columns]
            entry = self._run(program, name, {str(k): str(v) for k, v in record.items()}, opts)
            if "errorCode" in entry:
                failed += 1
            else:
                ok += 1
            results.append(entry)
        if fault is not None:
            return await self._after_commit(fault)
        return JSONResponse(
            {
                "results": results,
                "wasTerminated": False,
                "nrOfSuccessfullTransactions": ok,
                "nrOfFailedTransactions": failed,
                "nrOfNotProcessedTransactions": 0,
            }
        )

    async def single_v1(self, request: Request) -> Response:
        program, transaction = (
            request.path_params["program"],
            request.path_params["transaction"].split(";")[0],
        )
        response, fault = await self._gate(request, f"{program}/{transaction}")
        if response is not None:
            return response
        fields = {
            k: v
            for k, v in request.query_params.items()
            if k not in COMMON_PARAMETERS and not k.startswith("_")
        }
        try:
            opts = _Options(dict(request.query_params), self.m3.default_maxrecs)
            records = self.m3.execute(program, transaction, fields, maxrecs=opts.maxrecs)
            records = self._shape(program, transaction, records, opts)
        except M3Failure as failure:
            return JSONResponse(
                {
                    "@type": failure.error_type,
                    "@code": failure.code,
                    "@field": failure.field.ljust(10),
                    "@cfg": None,
                    "Message": failure.message.ljust(ERROR_MESSAGE_WIDTH),
                },  # fmt: skip
                status_code=400,
            )
        if fault is not None:
            return await self._after_commit(fault)
        spec = self.m3.specs[program][transaction]
        return JSONResponse(
            {
                "Program": program,
                "Transaction": transaction,
                "Metadata": {
                    "Field": [
                        {"@name": k, "@type": "A", "@length": n, "@description": k}
                        for k, n in spec.outputs.items()
                    ]
                },  # fmt: skip
                "MIRecord": [
                    {"RowIndex": i, "NameValue": [{"Name": k, "Value": v} for k, v in r.items()]}
                    for i, r in enumerate(records)
                ],
            }
        )

    # -- sandbox hooks -------------------------------------------------------------------------

    async def _json(self, request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw:
            return {}
        try:
            body = await request.json()
        except ValueError:
            raise M3Failure("EMI0105", "the body must be JSON", "") from None
        if not isinstance(body, dict):
            raise M3Failure("EMI0105", "the body must be a JSON object", "")
        return body

    @staticmethod
    def _hook_error(failure: M3Failure) -> Response:
        return JSONResponse(
            {"error": failure.code, "field": failure.field, "message": failure.message}, status_code=409
        )

    async def sandbox_state(self, request: Request) -> Response:
        summary = self.m3.summary()
        if _flag(request.query_params.get("paid"), False):  # ?paid=1: which orders are paid, by CUOR
            with self.m3.lock():
                summary["paid_orders"] = sorted(
                    order.cuor
                    for order in self.m3.orders.values()
                    if order.invoice is not None and self.m3.invoices[order.invoice].reco == "9"
                )
        if _flag(request.query_params.get("orders"), False):  # ?orders=1: each order's phase, by CUOR
            with self.m3.lock():
                summary["order_phases"] = {o.cuor: o.phase for o in self.m3.orders.values() if o.cuor}
        if _flag(request.query_params.get("balances"), False):  # ?balances=1: AV01 per warehouse and item
            with self.m3.lock():
                summary["balances"] = [
                    {"WHLO": b.whlo, "ITNO": b.itno, "AV01": str(b.allocatable)}
                    for b in self.m3.balances.values()
                ]
        return JSONResponse(summary)

    async def sandbox_advance(self, request: Request) -> Response:
        try:
            body = await self._json(request)
            seconds = float(body.get("seconds", 0))
        except (M3Failure, TypeError, ValueError):
            return _gateway_error(400, "Bad Request", 'expected {"seconds": <number>}')
        if seconds < 0:
            return _gateway_error(400, "Bad Request", "seconds must not be negative")
        now = self.m3.clock.advance(timedelta(seconds=seconds))
        return JSONResponse({"now": now.isoformat(), **self.m3.summary()})

    async def sandbox_order(self, request: Request) -> Response:
        orno, action = request.path_params["orno"], request.path_params["action"]
        try:
            body = await self._json(request)
            with self.m3.lock():
                self.m3.tick()
                if action == "ship":
                    delivery = self.m3.ship_now(orno, body.get("tracking_number"))
                    return JSONResponse(
                        {"ORNO": orno, "DLIX": delivery.dlix, "CONN": delivery.conn, "ETRN": delivery.etrn}
                    )
                order = self.m3._order(orno)
                if action == "invoice":
                    invoice = self.m3.invoice_order(order)
                    return JSONResponse(
                        {"ORNO": orno, "IVNO": invoice.ivno, "YEA4": invoice.yea4, "AMT1": str(invoice.gross)}
                    )
                if action == "pay":
                    if order.invoice is None:
                        raise M3Failure("EMI0203", f"Order {orno} is not invoiced", "ORNO")
                    invoice = self.m3.invoices[order.invoice]
                    self.m3.pay_invoice(invoice, invoice.remaining, self.m3.today())
                    return JSONResponse({"ORNO": orno, "CINO": invoice.cino, "RECO": invoice.reco})
                if action == "cancel":
                    self.m3.cancel_order(order)
                    return JSONResponse({"ORNO": orno, "STAT": order.stat})
        except M3Failure as failure:
            return self._hook_error(failure)
        return _gateway_error(404, "Not Found", f"unknown order action {action!r}")

    async def sandbox_stock(self, request: Request) -> Response:
        try:
            body = await self._json(request)
            quantity = Decimal(str(body["quantity"]))
            balance = self.m3.adjust_stock(
                str(body.get("warehouse", self.m3.default_warehouse)), str(body["item"]), quantity
            )
        except M3Failure as failure:
            return self._hook_error(failure)
        except (KeyError, InvalidOperation):
            return _gateway_error(
                400, "Bad Request", 'expected {"item": ..., "quantity": ..., "warehouse": ...}'
            )
        return JSONResponse({"WHLO": balance.whlo, "ITNO": balance.itno, "STQT": str(balance.on_hand),
                             "ALQT": str(balance.allocated), "AV01": str(balance.allocatable)})  # fmt: skip

    async def sandbox_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.m3.gateway.faults.clear()
            return JSONResponse({"faults": 0})
        try:
            body = await self._json(request)
            retry_after = body.get("retry_after")
            fault = Fault(
                status=int(body["status"]),
                count=int(body.get("count", 1)),
                match=str(body.get("match", "")),
                retry_after=None if retry_after is None else str(retry_after),
                delay=float(body.get("delay", 0)),
                after_commit=bool(body.get("after_commit", False)),
                rate=float(body.get("rate", 1.0)),
                seconds=None if body.get("seconds") is None else float(body["seconds"]),
            )
            if not 0.0 < fault.rate <= 1.0:
                raise ValueError("rate must be above 0 and at most 1")
            if fault.seconds is not None and not 0.0 < fault.seconds <= 3600:
                raise ValueError("seconds must be above 0 and at most 3600")
        except (M3Failure, KeyError, TypeError, ValueError):
            return _gateway_error(
                400,
                "Bad Request",
                'expected {"status": 503, "count": 1, "match": "OIS100MI/", "rate": 1.0, "delay": 0, '
                '"after_commit": false, "seconds": null}',
            )
        self.m3.gateway.faults.append(fault)
        return JSONResponse({"faults": len(self.m3.gateway.faults)})

    async def sandbox_expire_tokens(self, request: Request) -> Response:
        return JSONResponse({"expired": self.m3.gateway.expire_tokens()})

    async def sandbox_quota(self, request: Request) -> Response:
        try:
            body = await self._json(request)
            allow = body.get("allow")
            self.m3.gateway.quota = (
                None
                if allow is None
                else (int(allow), timedelta(seconds=float(body.get("period_seconds", 60))))
            )
        except (M3Failure, TypeError, ValueError):
            return _gateway_error(400, "Bad Request", 'expected {"allow": 100, "period_seconds": 60}')
        return JSONResponse({"allow": allow})

    async def sandbox_settings(self, request: Request) -> Response:
        try:
            body = await self._json(request)
        except M3Failure:
            return _gateway_error(400, "Bad Request", "the body must be a JSON object")
        if "error_style" in body:
            if body["error_style"] not in ("results", "top"):
                return _gateway_error(400, "Bad Request", "error_style is 'results' or 'top'")
            self.m3.error_style = body["error_style"]
        if "token_lifetime_seconds" in body:
            self.m3.gateway.token_lifetime = timedelta(seconds=float(body["token_lifetime_seconds"]))
        return JSONResponse({"error_style": self.m3.error_style,
                             "token_lifetime_seconds": self.m3.gateway.token_lifetime.total_seconds()})  # fmt: skip
