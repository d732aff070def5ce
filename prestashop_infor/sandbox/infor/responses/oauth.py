"""The ION API gateway's OAuth routes: the token endpoint (password, client_credentials and
refresh_token grants) and token revocation, client authentication by HTTP Basic or form fields."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from prestashop_infor.sandbox.infor.models import M3Tenant, OAuthError
from prestashop_infor.sandbox.infor.responses.wire import gateway_error, read_form


class OAuthRoutes:
    """``/{ti}/as/token.oauth2`` and ``/{ti}/as/revoke_token.oauth2`` of one tenant."""

    def __init__(self, tenant: M3Tenant):
        self.m3 = tenant

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
            return gateway_error(404, "Not Found", "unknown tenant")
        form = await read_form(request)
        if not await self._client_auth(request, form):
            return gateway_error(401, "invalid_client", "Client authentication failed")
        try:
            return JSONResponse(self.m3.gateway.token(form), headers={"Cache-Control": "no-store"})
        except OAuthError as exc:
            return gateway_error(exc.status, exc.error, exc.description)

    async def revoke(self, request: Request) -> Response:
        if request.path_params["tenant"] != self.m3.tenant:
            return gateway_error(404, "Not Found", "unknown tenant")
        if request.method == "GET":
            form = dict(request.query_params)
        else:
            form = await read_form(request)
        if not await self._client_auth(request, form):
            return gateway_error(401, "invalid_client", "Client authentication failed")
        if not form.get("token"):
            return gateway_error(400, "invalid_request", "token is required")
        self.m3.gateway.revoke(form["token"])
        return Response(status_code=200)
