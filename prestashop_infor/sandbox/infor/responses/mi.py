"""The M3 MI REST routes: single transactions (v2, with matrix parameters), bulk requests and v1,
behind the gateway's checks (tenant, bearer token, quota, injected faults)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from prestashop_infor.sandbox.infor.models import COMMON_PARAMETERS, Fault, M3Failure, M3Tenant
from prestashop_infor.sandbox.infor.responses.wire import flag, gateway_error

ERROR_MESSAGE_WIDTH = 120  # M3 pads message texts with blanks; clients must trim


class Options:
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
        self.excludeempty = flag(excl, False)
        self.righttrim = flag(params.get("righttrim"), True)
        self.dateformat = params.get("dateformat") or "YMD8"
        self.extendedresult = flag(params.get("extendedresult"), False)


class MiRoutes:
    """``/{ti}/M3/m3api-rest/v2/execute`` (single and bulk) and the v1 ``execute`` of one tenant."""

    def __init__(self, tenant: M3Tenant):
        self.m3 = tenant

    async def _gate(self, request: Request, *targets: str) -> tuple[Response | None, Fault | None]:
        """Tenant, bearer token, quota and injected faults, in the order a gateway applies them."""
        if request.path_params["tenant"] != self.m3.tenant:
            return gateway_error(404, "Not Found", f"no API at {request.url.path}"), None
        if not self.m3.gateway.check_bearer(request.headers.get("authorization")):
            return JSONResponse({"error": "Unauthorized"}, status_code=401), None
        wait = self.m3.gateway.over_quota()
        if wait is not None:
            return gateway_error(429, "Too Many Requests", "quota exceeded", {"Retry-After": str(wait)}), None
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
        return gateway_error(fault.status, names.get(fault.status, "Error"), "injected fault", headers)

    def _shape(self, program: str, transaction: str, records: list[dict[str, str]], opts: Options):
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

    def _run(self, program: str, transaction: str, fields: dict[str, str], opts: Options) -> dict[str, Any]:
        """One transaction -> its ``results[]`` entry (records or error fields)."""
        entry: dict[str, Any] = {"transaction": transaction}
        try:
            records = self.m3.company(opts.cono).execute(
                program, transaction, fields, dateformat=opts.dateformat, maxrecs=opts.maxrecs, divi=opts.divi
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
            opts = Options(params, self.m3.default_maxrecs)
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
            return gateway_error(400, "Bad Request", "the body must be JSON")
        if (
            not isinstance(body, dict)
            or not body.get("program")
            or not isinstance(body.get("transactions"), list)
        ):
            return gateway_error(400, "Bad Request", "the body needs 'program' and a 'transactions' list")
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
                opts = Options(params, self.m3.default_maxrecs)
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
            opts = Options(dict(request.query_params), self.m3.default_maxrecs)
            records = self.m3.company(opts.cono).execute(
                program, transaction, fields, maxrecs=opts.maxrecs, divi=opts.divi
            )
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
