"""The sandbox-only hook of customer returns: ``POST /_sandbox/returns/{REPN}/receive`` receives a
return now and credits the customer (what ``LifecycleSettings.credit_after`` does by itself)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from prestashop_infor.sandbox.infor.models import M3Failure, M3Tenant
from prestashop_infor.sandbox.infor.responses.wire import in_company


class ReturnHooks:
    """The ``/_sandbox/returns/...`` routes of one tenant."""

    def __init__(self, tenant: M3Tenant):
        self.m3 = tenant

    @in_company
    async def receive(self, request: Request, m3: M3Tenant) -> Response:
        """The goods come back (stock up, lines 22; nothing for a credit-only return) and a credit
        note is made: answers its number and amounts, 409 with M3's error when it cannot be."""
        repn = request.path_params["repn"]
        try:
            credit = m3.receive_return_now(repn)
        except M3Failure as failure:
            return JSONResponse(
                {"error": failure.code, "field": failure.field, "message": failure.message}, status_code=409
            )
        return JSONResponse(
            {
                "REPN": credit.repn,
                "ORNO": credit.orno,
                "IVNO": credit.ivno,
                "YEA4": credit.yea4,
                "AMT1": str(credit.gross),
                "AMT2": str(credit.net),
                "CINO": credit.cino,
            }  # fmt: skip
        )
