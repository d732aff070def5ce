"""The ``prices`` section: which M3 price lists become the shop's customer prices.

``groups`` names, per M3 price list (``OIS017MI`` ``PRRF``), the PrestaShop customer groups (ids,
Customers > Groups) that buy by it: the list's prices valid today, in each currency the shop has,
become ``specific_prices`` of those groups, one per item and quantity break. A customer of one of
those groups whose M3 customer (``CRS610MI`` ``PLTB``, ``DIPC``) buys by a mapped list at prices of
their own (lines of the list for that customer, a discount percentage, or another list than their
group's) gets specific prices of their own. Empty (the default): no prices go to the shop; the
order sync sends the shop's price, or none (``orders.price``).
"""

from __future__ import annotations

from pydantic import field_validator

from prestashop_infor.sync.mapping.section import Section


class PriceRules(Section):
    groups: dict[str, tuple[int, ...]] = {}  # M3 price list (PRRF) -> PrestaShop customer group ids

    @field_validator("groups")
    @classmethod
    def _lists_and_groups(cls, groups: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
        owner: dict[int, str] = {}
        for price_list, group_ids in groups.items():
            if not price_list.strip() or len(price_list) > 10:
                raise ValueError(f"{price_list!r}: an M3 price list (PRRF) is 1 to 10 characters")
            for group_id in group_ids:
                if group_id < 1:
                    raise ValueError(f"{price_list}: {group_id} is not a PrestaShop customer group id")
                if group_id in owner:
                    raise ValueError(
                        f"group {group_id} is in both {owner[group_id]} and {price_list}: a group buys by one list"
                    )
                owner[group_id] = price_list
        return groups

    @property
    def pushed(self) -> bool:
        return bool(self.groups)

    def list_of_group(self, group_id: int | None) -> str | None:
        """The price list a customer group buys by (None: the shop's own prices)."""
        for price_list, group_ids in self.groups.items():
            if group_id is not None and int(group_id) in group_ids:
                return price_list
        return None
