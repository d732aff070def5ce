"""The sandbox-only hook of sales prices: ``POST /_sandbox/prices`` sets one price of a price list, as
a person would in OIS017, so tests can see a price changed in M3 reach the shop.

Body: ``{"price_list": "B2B", "currency": "EUR", "item": "SKU-1", "price": "8.50"}`` and optionally
``"valid_from": "20250101"`` (default: the list valid today), ``"customer": "..."`` (default: the list
for any customer) and ``"quantity": 10`` (the quantity break from 10 units instead of the line's price).
The line (or break) is changed, or added when missing; its change stamps move. Answers the line: its
list's keys, item, break quantity (0: none), price, change number and ``LMTS``; 400 for a body that
does not fit, 404 for an unknown list, item or line, 409 for a price M3 refuses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from prestashop_infor.sandbox.infor.models import M3Failure, M3Tenant
from prestashop_infor.sandbox.infor.models.values import MSG_NOT_FOUND, MSG_UNKNOWN_ITEM, dec
from prestashop_infor.sandbox.infor.responses.wire import gateway_error, in_company

USAGE = (
    'expected {"price_list": "B2B", "currency": "EUR", "item": "SKU-1", "price": "8.50"} and optionally '
    '"valid_from": "YYYYMMDD", "customer": "...", "quantity": 10'
)
KEYS = {"price_list", "currency", "item", "price", "valid_from", "customer", "quantity"}


def _number(body: dict[str, Any], name: str) -> Decimal | None:
    raw = body.get(name)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError(f"{name} must be a number, got {raw!r}")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a number of at least 0, got {raw!r}")
    return value


def _text(body: dict[str, Any], name: str, required: bool = True) -> str:
    raw = body.get(name, None if required else "")
    if not isinstance(raw, str) or (required and not raw.strip()):
        raise ValueError(f"{name} must be a non-empty text, got {raw!r}")
    return raw.strip()


class PriceHooks:
    """The ``/_sandbox/prices`` route of one tenant."""

    def __init__(self, tenant: M3Tenant):
        self.m3 = tenant

    @in_company
    async def set_price(self, request: Request, m3: M3Tenant) -> Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            unknown = sorted(set(body) - KEYS)
            if unknown:
                raise ValueError(f"unknown key(s) {', '.join(unknown)}")
            prrf, cucd, itno = _text(body, "price_list"), _text(body, "currency"), _text(body, "item")
            cuno = _text(body, "customer", required=False)
            price, quantity = _number(body, "price"), _number(body, "quantity")
            if price is None:
                raise ValueError("price is missing")
            if quantity is not None and quantity <= 0:
                raise ValueError("quantity must be above 0")
            valid_from = body.get("valid_from")
            fvdt = None if valid_from is None else datetime.strptime(str(valid_from), "%Y%m%d").date()
        except ValueError as problem:  # a JSON error is a ValueError too
            return gateway_error(400, "Bad Request", f"{problem}: {USAGE}")
        return self._set(m3, prrf, cucd, itno, price, cuno, fvdt, quantity)

    @staticmethod
    def _set(
        m3: M3Tenant,
        prrf: str,
        cucd: str,
        itno: str,
        price: Decimal,
        cuno: str,
        fvdt: date | None,
        quantity: Decimal | None,
    ) -> Response:
        with m3.lock():
            m3.tick()
            try:
                plist, line = m3.set_price(prrf, cucd, itno, price, cuno=cuno, fvdt=fvdt, qtyl=quantity)
            except M3Failure as failure:
                status = 404 if failure.code in (MSG_NOT_FOUND, MSG_UNKNOWN_ITEM) else 409
                return JSONResponse(
                    {"error": failure.code, "field": failure.field, "message": failure.message},
                    status_code=status,
                )
            sapr = line.sapr if quantity is None else line.breaks[quantity].sapr
            return JSONResponse({"PRRF": plist.prrf, "CUCD": plist.cucd, "CUNO": plist.cuno,
                                 "FVDT": plist.fvdt.strftime("%Y%m%d"), "ITNO": line.itno,
                                 "QTYL": dec(quantity or 0), "SAPR": dec(sapr), "CHNO": str(line.chno),
                                 "LMTS": str(line.lmts)})  # fmt: skip
