"""The ``shops`` section: the shops of a PrestaShop multistore (several ``id_shop`` in one
Webservice), each with what differs from the rest of the mapping.

Per shop id: ``currency``, the ERP currency of that shop's orders (``CUCD``, what their amounts
are converted to: the shop's default currency; none: ``erp.currency``); ``stock``, the M3
warehouses that stock that shop and how (a whole ``stock`` section: each key left out takes its
default; none: the mapping's ``stock``); and ``order``, the order-head values of that shop's orders
(M3 order type, warehouse, facility...: the enrichment defaults for that shop, which the enrichment
rules still override). ``Mapping.for_shop`` is the mapping as one shop sees it. A shop not listed
follows the mapping as a single shop does.

``division``: the M3 division of that shop's orders (none: ``erp.division``). M3 keeps invoices,
receivables and a customer's financial data per division, so the lanes that read or write them work
per division: the credit notes (read in each division, a cursor each), the payments (receivables read
in the order's division), the credit gate (``GetFinancial`` in the order's division), the returns and
refunds (``OIS390MI/AddHead`` in the division of the invoice) and the customers it creates
(``CRS610MI/Add``'s ``DIVI``). An order's division in M3 is its facility's: the shop's ``order``
values should name a facility (or a warehouse of one) of that division.

Every shop of one installation works in the M3 company of ``erp``: a shop's own ``company`` is
refused by name (not as a misspelt key), with the way to have it: M3 keeps customers, items,
warehouses and order numbers per company, so a shop in another company is an installation of its
own on the same Webservice (``PRESTASHOP_INFOR_SOURCES``, each installation naming its shops in
``PRESTASHOP_SHOPS``, its mapping its ``erp.company``), with a store and an id map of its own.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from prestashop_infor.sync.mapping.enrichment import OrderFields
from prestashop_infor.sync.mapping.section import Section
from prestashop_infor.sync.mapping.settings import StockSettings

NOT_YET = ("company",)  # keys a user may expect per shop, refused with their reason


class ShopRules(Section):
    name: str | None = None  # for people: shown in findings and metadata
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")  # the ERP currency of its orders
    division: str | None = Field(default=None, min_length=1, max_length=3)  # the M3 division of its orders
    stock: StockSettings | None = None
    order: OrderFields = Field(default_factory=OrderFields)

    @model_validator(mode="before")
    @classmethod
    def _one_company(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in NOT_YET:
                if key in data:
                    raise ValueError(
                        f"a shop's own {key} is not a mapping key: every shop of an installation works in "
                        f"the M3 {key} of erp.{key}; a shop in another {key} is an installation of its own on "
                        f"the same Webservice, named in PRESTASHOP_INFOR_SOURCES, with its shops in "
                        f"<NAME>_PRESTASHOP_SHOPS and erp.{key} in its mapping (docs/configuration.md)"
                    )
        return data


def check_shop_ids(shops: dict[int, ShopRules]) -> dict[int, ShopRules]:
    for shop_id in shops:
        if shop_id < 1:
            raise ValueError(f"{shop_id} is not a PrestaShop shop id (Advanced Parameters > Multistore)")
    return shops


__all__ = ["ShopRules", "check_shop_ids"]
