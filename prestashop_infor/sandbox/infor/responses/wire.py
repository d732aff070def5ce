"""What every route of the emulator answers or reads alike: gateway errors, form bodies, flags."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from prestashop_infor.sandbox.infor.models.values import M3Failure


def gateway_error(status: int, error: str, description: str = "", headers: dict[str, str] | None = None):
    """A gateway error body, ``{"error": ..., "error_description": ...}``, with its status."""
    body = {"error": error}
    if description:
        body["error_description"] = description
    return JSONResponse(body, status_code=status, headers=headers)


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (parsed here: no multipart dependency needed)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def flag(value: str | None, default: bool) -> bool:
    """A true/false query parameter (``true``, ``1``, ``yes``); ``default`` when absent or empty."""
    if value is None or value == "":
        return default
    return value.strip().lower() in ("true", "1", "yes")


def in_company(
    hook: Callable[[Any, Request, Any], Awaitable[Response]],
) -> Callable[[Any, Request], Awaitable[Response]]:
    """A hook of the records of one company: the one ``?cono=`` names (none: the tenant's default,
    ``self.m3``), passed to the hook as ``m3``; a company the tenant does not have is a 404."""

    @functools.wraps(hook)
    async def run(self: Any, request: Request) -> Response:
        cono = request.query_params.get("cono")
        try:
            company = self.m3.company(cono)  # what an MI call with this cono runs in
        except M3Failure:
            return gateway_error(
                404, "Not Found", f"no company {cono} in this tenant ({', '.join(self.m3.companies)})"
            )
        return await hook(self, request, company)

    return run
