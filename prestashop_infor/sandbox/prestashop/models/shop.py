"""The ``Shop``: one emulated PrestaShop shop, its state in one place, its rules composed from the
modules of this package (one mixin per seam, as moto composes a big backend).

The state is plain attributes set here: one table per resource, the shop clock, the keys, the
fault injector, the outbox and events, the catalog facts the checkout needs, and the lock every
request holds. Version differences (contract §11) follow ``Shop.profile`` ("1.6", "1.7" or "8").
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from prestashop_infor.sandbox.prestashop.models.auth import DEFAULT_API_KEY, ApiKey, Authentication
from prestashop_infor.sandbox.prestashop.models.checkout import Checkout, OrderContext
from prestashop_infor.sandbox.prestashop.models.clock import ShopClock
from prestashop_infor.sandbox.prestashop.models.events import Email, Event, Notifications
from prestashop_infor.sandbox.prestashop.models.faults import Faults
from prestashop_infor.sandbox.prestashop.models.multistore import Multistore
from prestashop_infor.sandbox.prestashop.models.orders import OrderLifecycle
from prestashop_infor.sandbox.prestashop.models.prices import SpecificPrices
from prestashop_infor.sandbox.prestashop.models.query import Queries
from prestashop_infor.sandbox.prestashop.models.records import RecordStore, Table
from prestashop_infor.sandbox.prestashop.models.returns import Returns
from prestashop_infor.sandbox.prestashop.models.writes import Writes
from prestashop_infor.sandbox.prestashop.resources import resource_definitions


def profile_of(version: str) -> str:
    """The version profile ("1.6", "1.7", "8") of a PrestaShop version string."""
    if version.startswith("1.6"):
        return "1.6"
    if version.startswith("1.7"):
        return "1.7"
    if version.split(".")[0] in ("8", "9"):
        return "8"
    raise ValueError(f"unsupported PrestaShop version {version!r}: use 1.6.x, 1.7.x, 8.x or 9.x")


class Shop(
    RecordStore,
    Authentication,
    Queries,
    Writes,
    OrderLifecycle,
    Returns,
    SpecificPrices,
    Checkout,
    Notifications,
    Multistore,
):
    """One emulated PrestaShop shop.

    ============================  ===============================================================
    records.py (RecordStore)      ``records``, ``record``, ``new_row``, ``insert``, ``value``...
    auth.py (Authentication)      ``authenticate``, ``check_access``, ``check_shop_right``
    query.py (Queries)            ``query``: GET and HEAD (§5)
    writes.py (Writes)            ``write``: POST, PUT, PATCH, DELETE (§6)
    orders.py (OrderLifecycle)    ``place_order``, ``change_order_state``, stock and tracking rules
    returns.py (Returns)          ``request_return``, ``refund``: merchandise returns, credit slips
    prices.py (SpecificPrices)    ``specific_prices`` as the database stores them, its unique key
    checkout.py (Checkout)        what the order builder reads: ``order_context``, ``catalog_line``
    events.py (Notifications)     ``events``, ``subscribe``, the email ``outbox``
    multistore.py (Multistore)    ``shop_ids``, ``customer_shop``, ``stock_id``: the shops (§5.8)
    ============================  ===============================================================
    """

    def __init__(
        self,
        *,
        version: str = "1.7.8.0",
        time_zone: str = "Europe/Paris",
        api_key: str = DEFAULT_API_KEY,
        now: datetime | None = None,
        shop_name: str = "PrestaShop Sandbox",
        empty_list_as_object: bool = False,
    ):
        self.version = version
        self.profile = profile_of(version)
        self.shop_name = shop_name
        self.clock = ShopClock(time_zone, now)
        self.faults = Faults()
        self.keys: dict[str, ApiKey] = {api_key: ApiKey(api_key)}
        self.outbox: list[Email] = []
        self.events: list[Event] = []
        self.subscribers: list[Callable[[Event], None]] = []
        self.webhook_sender: Any = None  # the sandbox's WebhookSender, when one is attached
        self.empty_list_as_object = empty_list_as_object  # JSON {"orders": []} instead of [] (§7.2 switch)
        self.lock = threading.RLock()
        self.definitions = resource_definitions(self.profile, int(version.split(".")[0]))
        self.tables = {name: Table(definition) for name, definition in self.definitions.items()}
        self.default_language = 1
        self.default_currency = 1
        self.record_events = True
        self.counters: dict[str, int] = {}  # last invoice_number / delivery_number issued
        self.rng = random.Random(0)  # choices made by the shop itself (references, keys); seeded by seed_shop
        # catalog facts the order builder needs: (product id, reference, name, price, [(combination id, label, impact)])
        self.catalog: list[tuple[int, str, str, str, list[tuple[int, str, str]]]] = []
        self.combination_labels: dict[int, str] = {}  # "Color : Black, Size : S"
        self.customer_addresses: dict[
            int, list[tuple[int, str]]
        ] = {}  # customer -> [(address id, country iso)]
        self._order_context: tuple[int, OrderContext] | None = None
        # indexes kept in step with writes (records.py)
        self._details_by_order: dict[int, list[int]] = {}
        self._stock_by_product: dict[tuple[int, int], int] = {}  # the default shop's rows
        self._stock_by_shop: dict[tuple[int, int, int], int] = {}  # (id_shop, product, combination)
        # the lines of each merchandise return, which the Webservice never shows (returns.py)
        self.order_return_details: dict[int, list[tuple[int, int]]] = {}
        self._price_keys: tuple[int, dict[tuple, int]] = (-1, {})  # specific prices' unique key (prices.py)
