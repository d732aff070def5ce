"""Seed an M3 tenant for the sandbox: warehouses, items, balances, web customers and price lists.

Items come from the PrestaShop sandbox catalog (product and combination references become M3 item
numbers) so that both halves of the sandbox agree, or from a plain list of
``(item_number, description, price)``. Balances are random but reproducible from ``seed``.

Price lists (``seed_price_lists``): the business-to-business list ``B2B`` three times, as M3 keeps a
price list name in several currencies and from dates: in EUR from January 1st to the end of the
current month, each item 8 to 12 % below its price (reproducible from ``seed``) and 5 % less again
from 10 units; in EUR from the first of next month, 3 % above that, with the same break; in CHF for the
year. Customers from the second on buy by it (``PLTB``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from prestashop_infor.sandbox.infor.models import LifecycleSettings, M3Tenant, SimClock
from prestashop_infor.sandbox.infor.models.records import PriceList
from prestashop_infor.sandbox.infor.models.values import money

#: Warehouses of the sandbox company: a main one and a second one so balances are per warehouse.
WAREHOUSES = (
    ("100", "Main warehouse Lyon", "100", "FR", "Lyon"),
    ("200", "Outlet warehouse Lille", "100", "FR", "Lille"),
)
MAX_ITEM_NUMBER = 15
#: The sandbox's price list for business customers, its quantity break, and what it costs in CHF.
B2B = "B2B"
B2B_BREAK = Decimal(10)
B2B_BREAK_FACTOR = Decimal("0.95")
NEXT_PRICES_FACTOR = Decimal("1.03")
CHF_PER_EUR = Decimal("0.94")


def seed_tenant(
    items: Iterable[tuple[str, str, Decimal | str | float]] = (),
    *,
    seed: int = 42,
    tenant: str = "SANDBOX_TST",
    clock: SimClock | None = None,
    lifecycle: LifecycleSettings | None = None,
    token_lifetime: timedelta = timedelta(hours=2),
    customers: int = 3,
    stock_range: tuple[int, int] = (0, 60),
    price_lists: bool = True,
) -> M3Tenant:
    """A tenant with the sandbox warehouses, the given items, random balances, a few customers and
    (``price_lists``) the B2B price lists, customers from the second on buying by them.

    Every item gets a balance in every warehouse; about one in ten starts at zero in the main
    warehouse so that allocation shortages (line status 22/23) happen in the demo too.
    """
    rng = random.Random(seed)
    m3 = M3Tenant(tenant, clock=clock, lifecycle=lifecycle, token_lifetime=token_lifetime, seed=seed)
    for whlo, whnm, faci, cscd, town in WAREHOUSES:
        m3.add_warehouse(whlo, whnm, faci, cscd, town)
    for item_number, description, price in items:
        m3.add_item(item_number, description, price)
        for whlo, *_ in WAREHOUSES:
            low, high = stock_range
            quantity = 0 if (whlo == "100" and rng.random() < 0.1) else rng.randint(low, high)
            m3.set_balance(whlo, item_number, quantity)
    for n in range(1, customers + 1):
        m3.add_customer(f"WEB{n:07d}", f"Web customer {n}", cscd="FR", cucd="EUR", town="Paris")
    if price_lists:
        seed_price_lists(m3, seed=seed)
        for customer in list(m3.customers.values())[1:]:
            customer.pltb = B2B
    return m3


def seed_price_lists(m3: M3Tenant, *, seed: int = 42) -> list[PriceList]:
    """The B2B price lists (module docstring) of every item with a price, reproducible from ``seed``
    (its own random stream: the balances' stay as they were)."""
    rng = random.Random(f"price lists {seed}")
    today = m3.today()
    year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    current = m3.add_price_list(B2B, "EUR", year_start, next_month - timedelta(days=1), "Business customers",
                                tx15="B2B")  # fmt: skip
    later = m3.add_price_list(B2B, "EUR", next_month, date(next_month.year, 12, 31), "Business customers, new prices",
                              tx15="B2B new")  # fmt: skip
    swiss = m3.add_price_list(B2B, "CHF", year_start, year_end, "Business customers CHF", tx15="B2B CHF")
    for item in sorted(m3.items.values(), key=lambda i: i.itno):
        if item.price <= 0:
            continue
        price = money(item.price * Decimal(rng.randint(88, 92)) / 100)
        for plist, amount in ((current, price), (later, money(price * NEXT_PRICES_FACTOR))):
            line = m3.add_base_price(plist, item.itno, amount)
            m3.set_price_break(line, B2B_BREAK, money(amount * B2B_BREAK_FACTOR), None, new=True)
        m3.add_base_price(swiss, item.itno, money(price * CHF_PER_EUR))
    return [current, later, swiss]


def items_from_shop(shop: Any) -> list[tuple[str, str, Decimal]]:
    """(item number, description, price) for every product and combination of a PrestaShop shop.

    A product without combinations is one item (its ``reference``); a product with combinations is
    stocked per combination, so each combination ``reference`` is an item too (the product's own
    reference is kept as well, as M3 would keep the style item). References that are empty or longer
    than M3's 15 characters cannot be item numbers and are left out (see ``skipped_references``).
    """
    products = {str(p.get("id")): p for p in shop.records("products")}
    items: dict[str, tuple[str, str, Decimal]] = {}
    for product in products.values():
        reference = _text(product.get("reference"))
        if _valid(reference):
            items.setdefault(reference, (reference, _name(product), _price(product.get("price"))))
    for combination in shop.records("combinations"):
        reference = _text(combination.get("reference"))
        if not _valid(reference):
            continue
        product = products.get(str(combination.get("id_product")), {})
        price = _price(product.get("price")) + _price(combination.get("price"))
        items.setdefault(reference, (reference, f"{_name(product)} {reference}".strip(), price))
    return list(items.values())


def skipped_references(shop: Any) -> list[str]:
    """Product/combination references that cannot be M3 item numbers (empty or too long)."""
    skipped = []
    for resource in ("products", "combinations"):
        for record in shop.records(resource):
            reference = _text(record.get("reference"))
            if not _valid(reference):
                skipped.append(f"{resource}/{record.get('id')}: {reference!r}")
    return skipped


def seed_tenant_from_shop(shop: Any, **options: Any) -> M3Tenant:
    """``seed_tenant`` with the items of the PrestaShop sandbox ``shop``."""
    return seed_tenant(items_from_shop(shop), **options)


def _valid(reference: str) -> bool:
    return 0 < len(reference) <= MAX_ITEM_NUMBER


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _name(record: dict[str, Any]) -> str:
    """PrestaShop names are multilingual: a string, ``{language id: text}``, a list of
    ``{id, value}``, or ``{"language": [...]}``; the first language wins."""
    name: Any = record.get("name", "")
    if isinstance(name, dict) and "language" in name:
        name = name["language"]
    if isinstance(name, list):
        name = next((entry.get("value", "") for entry in name if isinstance(entry, dict)), "")
    if isinstance(name, dict):
        name = name.get("value", next(iter(name.values()), "")) if name else ""
    return _text(name)[:60] or "Item"


def _price(value: Any) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01")) if value not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)
