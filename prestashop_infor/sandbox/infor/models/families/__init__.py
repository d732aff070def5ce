"""The tenant's records seen as M3 fields: one *family* per kind of record the read engine serves.

A family is what an M3 table is to the MI programs: a set of rows, each a map *M3 field name ->
value*, with an identity key in its natural order (``ORNO, PONR, POSX`` for order lines). The read
engine (``reads.py``) filters, positions and projects these rows onto the output fields of whichever
``Get``/``Lst``/``Sel`` transaction reads the family; a program module only says which family each of
its read transactions reads. Values are Python values (``str``, ``int``, ``Decimal``, ``date``);
rendering them as M3 strings within each transaction's lengths happens once, in the tenant.

Families that keep what a write transaction was given (batch order heads, lines, addresses, texts,
customer addresses) *echo* that transaction's inputs: every input field of the write, as stored,
is a field of the family, so a read answers with what was written wherever the two specs share a
field name. Computed fields win over echoed ones.

One module per kind of record, as ``records.py`` groups them: ``stock`` (items, warehouses,
balances), ``customers``, ``batch_orders`` (orders being entered, their texts and errors), ``orders``
(customer orders and lines), ``deliveries`` (with picking lists and shipments), ``invoices`` (with
receivables and credit notes), ``returns`` (customer returns), ``prices`` (sales price lists, their
lines and quantity breaks) and ``messages`` (interface messages); ``family`` holds the ``Family``
type and the helpers their rows share. ``FAMILIES`` is every family by name, as program modules name them.
"""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.families.batch_orders import (
    BATCH_ADDRESS,
    BATCH_ERROR,
    BATCH_LINE,
    BATCH_ORDER,
    ORDER_ADDRESS,
    ORDER_HEAD_TEXT,
    ORDER_LINE_TEXT,
)
from prestashop_infor.sandbox.infor.models.families.customers import (
    CUSTOMER,
    CUSTOMER_ADDRESS,
    CUSTOMER_FINANCIAL,
)
from prestashop_infor.sandbox.infor.models.families.deliveries import (
    DELIVERY,
    DELIVERY_ADDRESS,
    DELIVERY_LINE,
    PICKING_LIST,
    SHIPMENT,
)
from prestashop_infor.sandbox.infor.models.families.family import NOT_KEPT, NOTHING, Family, Row
from prestashop_infor.sandbox.infor.models.families.invoices import INVOICE, INVOICE_LINE, RECEIVABLE
from prestashop_infor.sandbox.infor.models.families.messages import STOCK_MESSAGE, WAREHOUSE_MESSAGE
from prestashop_infor.sandbox.infor.models.families.orders import ORDER, ORDER_LINE
from prestashop_infor.sandbox.infor.models.families.prices import BASE_PRICE, GRADUATED_PRICE, PRICE_LIST
from prestashop_infor.sandbox.infor.models.families.returns import (
    CUSTOMER_RETURN,
    OPEN_RETURN_LINE,
    RETURN_LINE,
)
from prestashop_infor.sandbox.infor.models.families.stock import BALANCE, ITEM, WAREHOUSE

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        ITEM, WAREHOUSE, BALANCE, CUSTOMER, CUSTOMER_FINANCIAL, CUSTOMER_ADDRESS, BATCH_ORDER, BATCH_LINE, BATCH_ADDRESS,
        ORDER_ADDRESS, BATCH_ERROR, ORDER_HEAD_TEXT, ORDER_LINE_TEXT, ORDER, ORDER_LINE, DELIVERY,
        DELIVERY_ADDRESS, DELIVERY_LINE, PICKING_LIST, SHIPMENT, INVOICE, INVOICE_LINE, RECEIVABLE,
        STOCK_MESSAGE, WAREHOUSE_MESSAGE, CUSTOMER_RETURN, RETURN_LINE, OPEN_RETURN_LINE, PRICE_LIST, BASE_PRICE,
        GRADUATED_PRICE, NOTHING,
    )
}  # fmt: skip

__all__ = ["FAMILIES", "NOT_KEPT", "Family", "Row"]
