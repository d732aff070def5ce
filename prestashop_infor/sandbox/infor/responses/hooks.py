"""The sandbox-only hooks under ``/_sandbox/``: read a summary, advance the clock, ship (some lines
of) an order, invoice, pay or cancel it, release a batch order held for credit, set a customer's
credit limit and stop, adjust stock, inject faults, expire tokens, set a quota, change settings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from prestashop_infor.sandbox.infor.models import Fault, M3Failure, M3Tenant
from prestashop_infor.sandbox.infor.models.values import MSG_NOT_FOUND, dec
from prestashop_infor.sandbox.infor.responses.wire import flag, gateway_error, in_company


class SandboxHooks:
    """The ``/_sandbox/...`` routes of one tenant."""

    def __init__(self, tenant: M3Tenant):
        self.m3 = tenant

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

    @in_company
    async def sandbox_state(self, request: Request, m3: M3Tenant) -> Response:
        summary = m3.summary()
        if flag(request.query_params.get("paid"), False):  # ?paid=1: which orders are paid, by CUOR
            with m3.lock():
                summary["paid_orders"] = sorted(
                    order.cuor
                    for order in m3.orders.values()
                    if order.invoice is not None and m3.invoices[order.invoice].reco == "9"
                )
        if flag(request.query_params.get("orders"), False):  # ?orders=1: each order's phase, by CUOR
            with m3.lock():
                summary["order_phases"] = {o.cuor: o.phase for o in m3.orders.values() if o.cuor}
        if flag(request.query_params.get("balances"), False):  # ?balances=1: AV01 per warehouse and item
            with m3.lock():
                summary["balances"] = [
                    {"WHLO": b.whlo, "ITNO": b.itno, "AV01": str(b.allocatable)} for b in m3.balances.values()
                ]
        return JSONResponse(summary)

    async def sandbox_advance(self, request: Request) -> Response:
        try:
            body = await self._json(request)
            seconds = float(body.get("seconds", 0))
        except (M3Failure, TypeError, ValueError):
            return gateway_error(400, "Bad Request", 'expected {"seconds": <number>}')
        if seconds < 0:
            return gateway_error(400, "Bad Request", "seconds must not be negative")
        now = self.m3.clock.advance(timedelta(seconds=seconds))
        return JSONResponse({"now": now.isoformat(), **self.m3.summary()})

    @in_company
    async def sandbox_order(self, request: Request, m3: M3Tenant) -> Response:
        orno, action = request.path_params["orno"], request.path_params["action"]
        try:
            body = await self._json(request)
            with m3.lock():
                m3.tick()
                if action == "ship":
                    lines = body.get("lines")
                    if lines is not None and not (
                        isinstance(lines, list) and lines and all(type(ponr) is int for ponr in lines)
                    ):
                        return gateway_error(
                            400, "Bad Request", 'expected {"lines": [1, 2], "tracking_number": "..."}'
                        )
                    delivery = m3.ship_now(orno, body.get("tracking_number"), lines=lines)
                    return JSONResponse(
                        {"ORNO": orno, "DLIX": delivery.dlix, "CONN": delivery.conn, "ETRN": delivery.etrn}
                    )
                order = m3._order(orno)
                if action == "invoice":
                    invoice = m3.invoice_order(order)
                    return JSONResponse(
                        {"ORNO": orno, "IVNO": invoice.ivno, "YEA4": invoice.yea4, "AMT1": str(invoice.gross)}
                    )
                if action == "pay":
                    if order.invoice is None:
                        raise M3Failure("EMI0203", f"Order {orno} is not invoiced", "ORNO")
                    invoice = m3.invoices[order.invoice]
                    m3.pay_invoice(invoice, invoice.remaining, m3.today())
                    return JSONResponse({"ORNO": orno, "CINO": invoice.cino, "RECO": invoice.reco})
                if action == "cancel":
                    m3.cancel_order(order)
                    return JSONResponse({"ORNO": orno, "STAT": order.stat})
        except M3Failure as failure:
            return self._hook_error(failure)
        return gateway_error(404, "Not Found", f"unknown order action {action!r}")

    @in_company
    async def sandbox_release_batch(self, request: Request, m3: M3Tenant) -> Response:
        """A person in M3 releases a batch order held for credit (status 30): it becomes a customer
        order as ``Confirm`` makes one, whatever the limit. 404 for an unknown batch order, 400 for
        one not held."""
        try:
            batch = m3.release_credit_hold(request.path_params["orno"])
        except M3Failure as failure:
            return JSONResponse(
                {"error": failure.code, "field": failure.field, "message": failure.message},
                status_code=404 if failure.code == MSG_NOT_FOUND else 400,
            )
        return JSONResponse({"ORNO": batch.orno, "STAT": batch.stat, "ORNR": batch.ornr})

    @in_company
    async def sandbox_customer_credit(self, request: Request, m3: M3Tenant) -> Response:
        """Set a customer's credit limit (CRL3, ``"limit"``: a number of at least 0, 0 = no limit)
        and/or customer stop (BLCD, ``"stop"``: true or false), as a person would in CRS610.
        Answers the customer's credit data and exposure; 404 for an unknown customer."""
        usage = 'expected {"limit": "500.00"} and/or {"stop": true|false}'
        try:
            body = await self._json(request)
        except M3Failure as failure:
            return gateway_error(400, "Bad Request", f"{failure.message}: {usage}")
        unknown = sorted(set(body) - {"limit", "stop"})
        if unknown or not body:
            problem = f"unknown key(s) {', '.join(unknown)}" if unknown else "nothing to set"
            return gateway_error(400, "Bad Request", f"{problem}: {usage}")
        limit = None
        if "limit" in body:
            raw = body["limit"]
            try:
                if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                    raise InvalidOperation
                limit = Decimal(str(raw).strip())
                if not limit.is_finite() or limit < 0 or len(dec(limit.quantize(Decimal("0.01")))) > 15:
                    raise InvalidOperation
            except InvalidOperation:
                message = f"limit must be an amount from 0 (no limit) to 15 digits, got {raw!r}: {usage}"
                return gateway_error(400, "Bad Request", message)
        stop = body.get("stop")
        if "stop" in body and not isinstance(stop, bool):
            return gateway_error(400, "Bad Request", f"stop must be true or false, got {stop!r}: {usage}")
        cuno = request.path_params["cuno"]
        with m3.lock():
            m3.tick()
            customer = m3.customers.get(cuno)
            if customer is None:
                return gateway_error(404, "Not Found", f"Customer number {cuno} does not exist")
            m3.set_credit(customer, limit=limit, stop=stop)
            receivables = m3.open_receivables(cuno)
            orders = m3.order_value_not_invoiced(cuno)
            return JSONResponse({"CUNO": cuno, "CRL3": dec(customer.credit_limit), "BLCD": "1" if customer.credit_stop else "0",
                                 "TOIN": dec(receivables), "TBLG": dec(orders), "exposure": dec(receivables + orders)})  # fmt: skip

    @in_company
    async def sandbox_stock(self, request: Request, m3: M3Tenant) -> Response:
        try:
            body = await self._json(request)
            quantity = Decimal(str(body["quantity"]))
            balance = m3.adjust_stock(
                str(body.get("warehouse", m3.default_warehouse)), str(body["item"]), quantity
            )
        except M3Failure as failure:
            return self._hook_error(failure)
        except (KeyError, InvalidOperation):
            return gateway_error(
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
            return gateway_error(
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
            return gateway_error(400, "Bad Request", 'expected {"allow": 100, "period_seconds": 60}')
        return JSONResponse({"allow": allow})

    async def sandbox_settings(self, request: Request) -> Response:
        try:
            body = await self._json(request)
        except M3Failure:
            return gateway_error(400, "Bad Request", "the body must be a JSON object")
        if "error_style" in body:
            if body["error_style"] not in ("results", "top"):
                return gateway_error(400, "Bad Request", "error_style is 'results' or 'top'")
            self.m3.error_style = body["error_style"]
        if "token_lifetime_seconds" in body:
            self.m3.gateway.token_lifetime = timedelta(seconds=float(body["token_lifetime_seconds"]))
        return JSONResponse({"error_style": self.m3.error_style,
                             "token_lifetime_seconds": self.m3.gateway.token_lifetime.total_seconds()})  # fmt: skip
