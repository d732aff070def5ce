"""Currency suggestions: the ERP currency (M3 customers' currency, else the shop's default) and how
an order's amounts are converted to it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from prestashop_infor.sync.mapping import _flag
from prestashop_infor.sync.mapping_suggestions.facts import M3Facts, ShopFacts
from prestashop_infor.sync.mapping_suggestions.suggestion import Suggestion


def _rate(currency: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(currency.get("conversion_rate")))
    except InvalidOperation:
        return None


def currency_suggestions(shop: ShopFacts, m3: M3Facts) -> list[Suggestion]:
    """``erp.currency`` and ``currency.source``."""
    live = [c for c in shop.currencies if not _flag(c.get("deleted"))]
    iso_of = {int(c["id"]): str(c.get("iso_code") or "") for c in shop.currencies}
    defaults = [c for c in live if _rate(c) == 1]
    shop_default = str(defaults[0]["iso_code"]) if defaults else None
    m3_usual, m3_count = m3.customer_currencies.most_common(1)[0] if m3.customer_currencies else (None, 0)
    m3_seen = ", ".join(f"{iso} ({n})" for iso, n in m3.customer_currencies.most_common()) or "none"
    in_m3 = f"M3 customers' currency (CUCD) of the {m3.customers_read} read: {m3_seen}"
    if m3_usual and m3_usual == shop_default:
        erp, confidence = m3_usual, ("high" if len(defaults) == 1 else "medium")
        why = f"{erp} is the shop's default currency (conversion rate 1) and the currency of {m3_count} of {m3.customers_read} M3 customers read"
    elif m3_usual:
        erp, confidence = m3_usual, "medium"
        why = f"{erp} is the currency of {m3_count} of {m3.customers_read} M3 customers read; the shop's default currency is {shop_default or 'unknown'}"
    else:
        erp, confidence = shop_default or "EUR", "low" if not shop_default else "medium"
        why = f"the shop's default currency (conversion rate 1) is {shop_default or 'not found'}; M3 has no customer to read a currency from"
    if len(defaults) > 1:
        why += f"; several shop currencies have rate 1: {', '.join(str(c['iso_code']) for c in defaults)}"
    ordered = (
        ", ".join(f"{iso_of.get(i, f'#{i}')} ({n})" for i, n in shop.order_currencies.most_common()) or "none"
    )
    foreign = sorted({iso_of.get(i, "") for i in shop.order_currencies} - {erp, ""})
    unchecked = (
        "M3 offers no list of currencies through the transactions this integration uses, so whether M3 "
        f"accepts {', '.join(foreign) or 'them'} on an order could not be checked; {in_m3}"
    )
    if erp == shop_default:
        source = Suggestion(
            "currency.source",
            "conversion_rate",
            confidence,
            f"the shop's default currency is the ERP currency, so an order's conversion_rate converts it; "
            f"currencies of the last {shop.orders_read} orders: {ordered} (see erp.currency on what M3 "
            "could not confirm)",
        )
    else:
        source = Suggestion(
            "currency.source",
            "rates",
            "low",
            f"the shop's default currency ({shop_default}) is not the ERP currency ({erp}): conversion_rate "
            f"cannot convert; give currency.rates for {', '.join(foreign) or 'every order currency'}. "
            f"Currencies of the last {shop.orders_read} orders: {ordered}. {unchecked}",
        )
    return [Suggestion("erp.currency", erp, confidence, f"{why}. {unchecked}"), source]
