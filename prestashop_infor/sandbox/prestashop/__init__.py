"""PrestaShop Webservice emulator: a seeded sandbox shop served over real HTTP.

    shop = seed_shop(seed=42, orders=2000)
    app = create_app(shop)          # Starlette ASGI app: /api/, /api/{resource}, /api/{resource}/{id}

Business rules live in ``models`` (the ``Shop``), HTTP translation in ``responses``, the seeded shop in
``seed``. The wire behaviour follows ``contracts/prestashop-webservice.md``.
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
