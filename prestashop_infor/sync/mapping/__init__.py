"""The mapping configuration: how PrestaShop terms become M3 terms and back (``mapping.yaml``).

``load_mapping(path)`` reads a YAML file (``None``: the commented default shipped in
``prestashop_infor/sync/default_mapping.yaml``), validates it with pydantic and answers a
:class:`Mapping`. Any problem is a :class:`MappingError` whose message starts with the path of the
bad key (``status.prestashop_state.shipped: ...``). One module per section, the loader beside them:

- ``status``: M3 milestones <-> PrestaShop order states, by name or id, resolved against the shop's
  own ``/api/order_states`` (:meth:`StatusMap.resolve`) — never hard-coded ids;
- ``cancellation``: the shop states that cancel an order in M3, and how far M3 may have gone with it;
- ``refunds``: the shop states an order takes when M3 credits it, in full or in part;
- ``returns``: which merchandise returns of the shop go to M3, and how M3 records them;
- ``credit``: the credit gate for business customers (which groups, the shop state while M3 holds an order);
- ``prices``: which M3 price lists become the shop's customer prices, for which customer groups;
- ``currency``: converting order amounts to the ERP currency (the order's ``conversion_rate`` or a
  rates table, a rounding rule), keeping the original amounts next to the converted ones;
- ``address``: ISO country codes, trimmed and cased fields, postcode formats, lines cut to M3's
  36 characters with the overflow flowing into the next line; what does not fit even then follows
  ``address.overflow`` (``text``: the lines that fit, the full address kept for the order text;
  ``error``: a dead letter);
- ``items``: PrestaShop product + combination -> M3 item number (explicit table, combination
  reference, product reference; no match is an error, never a guess);
- ``enrichment``: order type, warehouse, facility, project, cost centre, delivery method... from
  rules on shop, carrier, country, payment module (first match wins) over defaults;
- ``shops``: the shops of a multistore, each with its own stock rules and order-head values;
- ``settings``: ``erp``, ``orders``, ``stock``, ``notifications``, the rest of what the sync units need;
- ``loader``: reading and validating the file, the :class:`Mapping` that gathers the sections;
- ``section``: the base every section is built on, and :class:`MappingError`.

Every name is importable from this package: ``from prestashop_infor.sync.mapping import Mapping``.
"""

from prestashop_infor.sync.mapping.address import (
    ADDRESS_LINE_LENGTH,
    ADDRESS_LINES,
    POSTCODE_LENGTH,
    TEXT_LENGTH,
    TOWN_LENGTH,
    AddressRules,
    Case,
    FittedAddress,
    text_parts,
)
from prestashop_infor.sync.mapping.cancellation import Cancellation
from prestashop_infor.sync.mapping.credit import CreditGate
from prestashop_infor.sync.mapping.currency import CurrencyRules, parse_decimal
from prestashop_infor.sync.mapping.enrichment import Enrichment, OrderContext, OrderFields, Rule, RuleMatch
from prestashop_infor.sync.mapping.items import ITEM_NUMBER_LENGTH, ItemRules
from prestashop_infor.sync.mapping.loader import DEFAULT_MAPPING, Mapping, load_mapping, parse_mapping
from prestashop_infor.sync.mapping.prices import PriceRules
from prestashop_infor.sync.mapping.refunds import Refunds
from prestashop_infor.sync.mapping.returns import Returns
from prestashop_infor.sync.mapping.section import MappingError
from prestashop_infor.sync.mapping.settings import (
    ErpSettings,
    Notifications,
    OrderSettings,
    StockSettings,
    customer_order_number,
)
from prestashop_infor.sync.mapping.shops import ShopRules
from prestashop_infor.sync.mapping.status import (
    ALL_MILESTONES,
    BEFORE_CONFIRMED,
    CANCELLED,
    MILESTONES,
    ResolvedStatusMap,
    StatusMap,
    _flag,
    _state_names,
    find_state,
)

__all__ = [
    "ADDRESS_LINES",
    "ADDRESS_LINE_LENGTH",
    "ALL_MILESTONES",
    "BEFORE_CONFIRMED",
    "CANCELLED",
    "DEFAULT_MAPPING",
    "ITEM_NUMBER_LENGTH",
    "MILESTONES",
    "POSTCODE_LENGTH",
    "TEXT_LENGTH",
    "TOWN_LENGTH",
    "AddressRules",
    "Cancellation",
    "Case",
    "CreditGate",
    "CurrencyRules",
    "Enrichment",
    "ErpSettings",
    "FittedAddress",
    "ItemRules",
    "Mapping",
    "MappingError",
    "Notifications",
    "OrderContext",
    "OrderFields",
    "OrderSettings",
    "PriceRules",
    "Refunds",
    "Returns",
    "ResolvedStatusMap",
    "Rule",
    "RuleMatch",
    "ShopRules",
    "StatusMap",
    "StockSettings",
    "_flag",  # for sync.mapping_suggestions, which reads the shop's states as the status map does
    "_state_names",
    "customer_order_number",
    "find_state",
    "load_mapping",
    "parse_decimal",
    "parse_mapping",
    "text_parts",
]
