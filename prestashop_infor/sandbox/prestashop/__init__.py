"""PrestaShop Webservice emulator: a seeded sandbox shop served over real HTTP.

    shop = seed_shop(seed=42, orders=2000)
    app = create_app(shop)          # Starlette ASGI app: /api/, /api/{resource}, /api/{resource}/{id}

Laid out as moto lays out a service: the backend's state and rules in the ``models`` package (the
``Shop``, composed from one module per seam: records, auth, query, bodies, writes, orders, events,
faults, clock), HTTP translation in ``responses``, the resource definitions in ``resources``, the
seeded shop in ``seed``. The emulator shares no code with the product client: it reads write bodies
with its own parser, so the client is checked against something it did not write. The wire
behaviour follows ``contracts/prestashop-webservice.md``.
"""

from prestashop_infor.sandbox.prestashop.models import (
    DEFAULT_API_KEY,
    ApiKey,
    Faults,
    Shop,
    ShopClock,
    WebserviceError,
)
from prestashop_infor.sandbox.prestashop.responses import create_app
from prestashop_infor.sandbox.prestashop.seed import seed_shop

__all__ = [
    "DEFAULT_API_KEY",
    "ApiKey",
    "Faults",
    "Shop",
    "ShopClock",
    "WebserviceError",
    "create_app",
    "seed_shop",
]
