"""The emulated shop's backend: its state and every Webservice rule, apart from HTTP (moto style:
``responses.py`` only translates HTTP in and out). One module per seam, composed into ``Shop``:

- ``shop.py`` — the ``Shop`` itself: the state, and the mixins below composed into one backend
- ``records.py`` — tables of rows, stored and computed values, associations
- ``auth.py`` — Webservice keys, permissions and the shop context (§2, §4)
- ``query.py`` — reads: display, filter, sort, limit, language, schema (§5); ``filters.py`` the
  filter grammar and predicates; ``casts.py`` PHP's and MySQL's casts of text to numbers
- ``bodies.py`` — write bodies read as PrestaShop reads them, with the emulator's own reader (§3, §6.1)
- ``writes.py`` — create, update, delete and the validation of written values (§6)
- ``orders.py`` — the order lifecycle: checkout, state changes, tracking, stock (§6.6);
  ``checkout.py`` how an order is built; ``returns.py`` merchandise returns and credit slips
- ``prices.py`` — specific prices as the database stores them, and their unique key
- ``events.py`` — the events recorded for webhooks and the customer email outbox
- ``multistore.py`` — the shops of a multistore and which shop a record belongs to (§5.8)
- ``faults.py`` — faults injected on demand; ``clock.py`` — the shop clock; ``errors.py`` — error answers
"""

from prestashop_infor.sandbox.prestashop.models.auth import DEFAULT_API_KEY, ApiKey
from prestashop_infor.sandbox.prestashop.models.checkout import OrderContext, build_order
from prestashop_infor.sandbox.prestashop.models.clock import ShopClock
from prestashop_infor.sandbox.prestashop.models.errors import RecordNotFound, WebserviceError
from prestashop_infor.sandbox.prestashop.models.events import Email
from prestashop_infor.sandbox.prestashop.models.faults import FAULT_SETTINGS, FaultDecision, Faults
from prestashop_infor.sandbox.prestashop.models.filters import Condition, parse_filter
from prestashop_infor.sandbox.prestashop.models.query import QueryResult, Selection
from prestashop_infor.sandbox.prestashop.models.records import Row, Table
from prestashop_infor.sandbox.prestashop.models.shop import Shop, profile_of

__all__ = [
    "DEFAULT_API_KEY",
    "FAULT_SETTINGS",
    "ApiKey",
    "Condition",
    "Email",
    "FaultDecision",
    "Faults",
    "OrderContext",
    "QueryResult",
    "RecordNotFound",
    "Row",
    "Selection",
    "Shop",
    "ShopClock",
    "Table",
    "WebserviceError",
    "build_order",
    "parse_filter",
    "profile_of",
]
