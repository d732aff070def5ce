"""Several PrestaShop installations sending orders to one M3: M3 must tell their orders apart.

An order is found in M3 by its customer order number (``CUOR`` = ``orders.customer_order_prefix`` +
the shop's order id): the lookup that makes a repeated send harmless. Two installations whose orders
go to the same M3 company with the same prefix would each take the other's order 42 for their own,
and so would ``PS`` and ``PS1`` (``PS`` + 12 is ``PS1`` + 2). So, per company, no installation's
prefix may begin with another's. A company left to the API user's default (``erp.company`` unset)
may be any company, and is checked against every other.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingOf
from itertools import combinations

from prestashop_infor.sync.mapping.loader import Mapping


class SourcesNotApart(ValueError):
    """Two installations' orders could not be told apart in M3."""


def check_apart(mappings: MappingOf[str | None, Mapping]) -> None:
    """Raise :class:`SourcesNotApart` naming the installations (None: the main one) and what to
    change, when two of them could send M3 the same customer order number."""
    for (a, first), (b, second) in combinations(mappings.items(), 2):
        same_company = first.erp.company is None or second.erp.company is None
        same_company = same_company or first.erp.company == second.erp.company
        prefixes = first.orders.customer_order_prefix, second.orders.customer_order_prefix
        if same_company and (prefixes[0].startswith(prefixes[1]) or prefixes[1].startswith(prefixes[0])):
            company = first.erp.company or second.erp.company
            where = f"M3 company {company}" if company is not None else "the same M3 company"
            raise SourcesNotApart(
                f"the installations {a or 'main'} and {b or 'main'} send their orders to {where} with the "
                f"customer order prefixes {prefixes[0]!r} and {prefixes[1]!r}: M3 could not tell their orders "
                "apart (one begins with the other); give each installation's mapping its own "
                "orders.customer_order_prefix, or a company of its own"
            )
