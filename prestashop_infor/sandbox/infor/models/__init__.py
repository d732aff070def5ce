"""State and business rules of the M3 emulator: one tenant's ION API gateway and M3 company.

moto style: everything M3 *does* lives in this package, cut along its seams, and ``responses.py``
only translates HTTP:

- ``tenant.py`` — ``M3Tenant``, the composed backend: records, programs, validation and rendering;
- ``gateway.py`` — the ION API gateway: authorized app, OAuth grants and tokens, quota, faults;
- ``records.py`` — the records a tenant keeps (items, balances, customers, orders, deliveries, ...);
- ``lifecycle.py`` — the customer-order lifecycle on the tenant clock (``clock.py``), over the orders
  ``order_index.py`` keeps;
- ``returns.py`` — customer returns: received back into stock and credited (a credit note);
- ``credit.py`` — credit control: a customer's credit limit and exposure, orders held for credit;
- ``programs/`` — one module per MI program: its write rules and which records its reads read;
- ``families/`` and ``reads.py`` — the records seen as M3 fields, and the generic read engine
  that serves every ``Get``/``Lst``/``Sel`` transaction from them, driven by the spec facts
  (``prestashop_infor.sandbox.infor.specs``);
- ``values.py`` — M3 business errors and how values look on the wire.
"""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.clock import SimClock
from prestashop_infor.sandbox.infor.models.gateway import Fault, Gateway, OAuthError
from prestashop_infor.sandbox.infor.models.lifecycle import LifecycleSettings
from prestashop_infor.sandbox.infor.models.records import (
    Balance,
    BatchLine,
    BatchOrder,
    Customer,
    CustomerAddress,
    CustomerOrder,
    Delivery,
    Invoice,
    Item,
    OrderLine,
    PaymentBatch,
    Shipment,
    StockMessage,
    Warehouse,
    WarehouseMessage,
)
from prestashop_infor.sandbox.infor.models.tenant import M3Tenant
from prestashop_infor.sandbox.infor.models.values import M3Failure
from prestashop_infor.sandbox.infor.specs import (
    COMMON_PARAMETERS,
    GENERIC_TRANSACTIONS,
    FieldSpec,
    TransactionSpec,
    load_specs,
)

__all__ = [
    "COMMON_PARAMETERS",
    "GENERIC_TRANSACTIONS",
    "Balance",
    "BatchLine",
    "BatchOrder",
    "Customer",
    "CustomerAddress",
    "CustomerOrder",
    "Delivery",
    "Fault",
    "FieldSpec",
    "Gateway",
    "Invoice",
    "Item",
    "LifecycleSettings",
    "M3Failure",
    "M3Tenant",
    "OAuthError",
    "OrderLine",
    "PaymentBatch",
    "Shipment",
    "SimClock",
    "StockMessage",
    "TransactionSpec",
    "Warehouse",
    "WarehouseMessage",
    "load_specs",
]
