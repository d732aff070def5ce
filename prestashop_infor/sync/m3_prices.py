"""M3's price for a shop customer on a day, from what ``infor_price_lists`` stored: one rule for the
price push (today) and the price reconciliation (the day an order was placed).

A customer buys by the list their M3 customer names (``PLTB``) when that list is mapped
(``mapping.prices.groups``), else by their shop group's list; within the list their own lines (the
list's lines for their customer number) replace the list's lines for any customer, item by item; the
price of a quantity is the line's price at the highest from-quantity not above it; the customer's
discount percentage (``DIPC``) comes off that price.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from prestashop_infor.store import Store
from prestashop_infor.store.prices import m3_prices_between, m3_prices_on, stored_customer_prices
from prestashop_infor.sync.mapping import PriceRules

PRICE_PLACES = Decimal("0.000001")  # PrestaShop's specific_price.price is DECIMAL(20,6)


def discounted(price: Decimal, discount: Decimal) -> Decimal:
    """``price`` less ``discount`` percent, to PrestaShop's six places."""
    return (price * (Decimal(100) - discount) / Decimal(100)).quantize(PRICE_PLACES)


@dataclass(frozen=True)
class CustomerTerms:
    price_list: str | None  # None: no mapped list, the shop's own prices
    discount: Decimal
    own_list: bool  # the list comes from the M3 customer, not from the shop group


class PriceBook:
    """The stored M3 prices valid on one day, by list, currency, customer and item."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], terms: Mapping[str, tuple[str, Any]]):
        # (PRRF, CUCD) -> CUNO ("" any customer) -> ITNO -> [(from-quantity, price)], sorted
        self._lists: dict[tuple[str, str], dict[str, dict[str, list[tuple[Decimal, Decimal]]]]] = {}
        for row in rows:
            owners = self._lists.setdefault((row["prrf"], row["cucd"]), {})
            breaks = owners.setdefault(row["cuno"], {}).setdefault(row["itno"], [])
            breaks.append((Decimal(row["from_quantity"]), Decimal(row["price"])))
        for owners in self._lists.values():
            for items in owners.values():
                for breaks in items.values():
                    breaks.sort()
        self._customers_with_lines = {
            (prrf, cuno) for (prrf, _), owners in self._lists.items() for cuno in owners if cuno
        }
        self._terms = {cuno: (pltb, Decimal(dipc)) for cuno, (pltb, dipc) in terms.items()}

    @classmethod
    def on(cls, store: Store, day: date) -> PriceBook:
        return cls(m3_prices_on(store, day), stored_customer_prices(store))

    def currencies(self, price_list: str) -> list[str]:
        return sorted(cucd for prrf, cucd in self._lists if prrf == price_list)

    def items(self, price_list: str, currency: str, cuno: str = "") -> list[str]:
        """The items the list prices in this currency, for any customer and for ``cuno``."""
        owners = self._lists.get((price_list, currency), {})
        return sorted(set(owners.get("", {})) | (set(owners.get(cuno, {})) if cuno else set()))

    def breaks(
        self, price_list: str, currency: str, itno: str, cuno: str = ""
    ) -> list[tuple[Decimal, Decimal]]:
        """(from-quantity, price) of an item: the customer's own lines, else the list's for any customer."""
        owners = self._lists.get((price_list, currency), {})
        own = owners.get(cuno, {}).get(itno) if cuno else None
        return own or owners.get("", {}).get(itno, [])

    def has_own_lines(self, price_list: str, cuno: str) -> bool:
        return (price_list, cuno) in self._customers_with_lines

    def terms(self, rules: PriceRules, cuno: str | None, group_id: int | None) -> CustomerTerms:
        """The list and discount a customer buys by (module docstring)."""
        pltb, discount = self._terms.get(cuno or "", ("", Decimal(0)))
        if pltb and pltb in rules.groups:
            return CustomerTerms(pltb, discount, pltb != rules.list_of_group(group_id))
        return CustomerTerms(rules.list_of_group(group_id), discount, False)

    def price(
        self, terms: CustomerTerms, cuno: str | None, currency: str, itno: str, quantity: Decimal
    ) -> Decimal | None:
        """M3's unit price of ``quantity`` of ``itno`` for this customer (None: the list has no price)."""
        if terms.price_list is None:
            return None
        found = None
        for from_quantity, price in self.breaks(terms.price_list, currency, itno, cuno or ""):
            if from_quantity <= quantity:
                found = price
        return None if found is None else discounted(found, terms.discount)


class PriceHistory:
    """The stored prices of a range of days: the :class:`PriceBook` of any day in it, built once per
    set of lists that ran that day (a year has a few)."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], terms: Mapping[str, tuple[str, Any]]):
        self._rows = list(rows)
        self._terms = terms
        self._periods = {(r["valid_from"], r["valid_to"]) for r in self._rows}
        self._books: dict[frozenset[tuple[date, date | None]], PriceBook] = {}

    @classmethod
    def between(cls, store: Store, first: date, last: date) -> PriceHistory:
        return cls(m3_prices_between(store, first, last), stored_customer_prices(store))

    def on(self, day: date) -> PriceBook:
        ran = frozenset(p for p in self._periods if p[0] <= day and (p[1] is None or day <= p[1]))
        book = self._books.get(ran)
        if book is None:
            book = PriceBook((r for r in self._rows if (r["valid_from"], r["valid_to"]) in ran), self._terms)
            self._books[ran] = book
        return book


__all__ = ["PRICE_PLACES", "CustomerTerms", "PriceBook", "PriceHistory", "discounted"]
