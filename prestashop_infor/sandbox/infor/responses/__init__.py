"""HTTP face of the M3 emulator: the ION API gateway routes, M3 MI REST v2 (single, matrix, bulk), v1,
and the sandbox-only hooks under ``/_sandbox/``. Only translation lives here; rules are in ``models/``.

Routes (``{ti}`` is the tenant):

- ``POST /{ti}/as/token.oauth2`` — password, client_credentials and refresh_token grants; client
  authentication by HTTP Basic or form fields. ``POST|GET /{ti}/as/revoke_token.oauth2``.
- ``GET /{ti}/M3/m3api-rest/v2/execute/{PROGRAM}/{TRANSACTION}[;matrix=params]?FIELD=value&...``
- ``POST /{ti}/M3/m3api-rest/v2/execute`` — bulk, one program per request.
- ``GET /{ti}/M3/m3api-rest/execute/{PROGRAM}/{TRANSACTION}`` — v1 (``MIRecord``/``NameValue``).
- ``/_sandbox/...`` — advance the clock, ship/invoice/pay/cancel an order, receive a customer return,
  release a batch order held for credit, set a customer's credit limit and stop, set a sales price,
  adjust stock, inject faults, expire tokens, set a quota, read a summary.

The routes of each part live in their own module: ``oauth`` (the gateway's token endpoints), ``mi``
(M3 transactions), ``hooks``, ``return_hooks`` and ``price_hooks`` (the sandbox hooks); ``wire``
holds what they answer alike.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from prestashop_infor.sandbox.infor.models import M3Tenant
from prestashop_infor.sandbox.infor.responses.hooks import SandboxHooks
from prestashop_infor.sandbox.infor.responses.mi import MiRoutes
from prestashop_infor.sandbox.infor.responses.oauth import OAuthRoutes
from prestashop_infor.sandbox.infor.responses.price_hooks import PriceHooks
from prestashop_infor.sandbox.infor.responses.return_hooks import ReturnHooks


def create_app(tenant: M3Tenant) -> Starlette:
    """The ASGI app serving one tenant."""
    oauth, mi, hooks = OAuthRoutes(tenant), MiRoutes(tenant), SandboxHooks(tenant)
    returns, prices = ReturnHooks(tenant), PriceHooks(tenant)
    ti = "{tenant}"
    routes = [
        Route(f"/{ti}/as/token.oauth2", oauth.token, methods=["POST"]),
        Route(f"/{ti}/as/revoke_token.oauth2", oauth.revoke, methods=["POST", "GET"]),
        Route(f"/{ti}/M3/m3api-rest/v2/execute", mi.bulk, methods=["POST"]),
        Route(f"/{ti}/M3/m3api-rest/v2/execute/{{program}}/{{transaction}}", mi.single, methods=["GET"]),
        Route(f"/{ti}/M3/m3api-rest/execute/{{program}}/{{transaction}}", mi.single_v1, methods=["GET"]),
        Route("/_sandbox/state", hooks.sandbox_state, methods=["GET"]),
        Route("/_sandbox/advance", hooks.sandbox_advance, methods=["POST"]),
        Route("/_sandbox/orders/{orno}/{action}", hooks.sandbox_order, methods=["POST"]),
        Route("/_sandbox/returns/{repn}/receive", returns.receive, methods=["POST"]),
        Route("/_sandbox/batch_orders/{orno}/release", hooks.sandbox_release_batch, methods=["POST"]),
        Route("/_sandbox/customers/{cuno}/credit", hooks.sandbox_customer_credit, methods=["POST"]),
        Route("/_sandbox/prices", prices.set_price, methods=["POST"]),
        Route("/_sandbox/stock", hooks.sandbox_stock, methods=["POST"]),
        Route("/_sandbox/faults", hooks.sandbox_faults, methods=["POST", "DELETE"]),
        Route("/_sandbox/tokens/expire", hooks.sandbox_expire_tokens, methods=["POST"]),
        Route("/_sandbox/quota", hooks.sandbox_quota, methods=["POST"]),
        Route("/_sandbox/settings", hooks.sandbox_settings, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.tenant = tenant
    return app
