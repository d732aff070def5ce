"""A multistore (contract §5.8): the shops after the first, in the default shop group, each with its
own stock of every product and combination and its own customers, whose orders are placed there.

The group shares neither customers nor stock (as a fresh multistore is set up): each further shop
gets a ``stock_availables`` row per product and combination (``id_shop`` N, ``id_shop_group`` 0)
with its own quantity, and about a third of the customers belong to a further shop
(``customers.id_shop``), so their orders, seeded or placed later, are that shop's. Its own random
stream, drawn after the catalog and the customers: the first shop's catalog, customers and orders
are those of a one-shop seed, but for the ``id_shop`` of the customers moved and of their orders.
"""

from __future__ import annotations

import random

from prestashop_infor.sandbox.prestashop.models import Shop

SHOP_SUFFIXES = ("CH", "BE", "UK")  # the names of the shops after the first: "<shop name> CH"...
MAX_SHOPS = 1 + len(SHOP_SUFFIXES)
OTHER_SHOPS_SHARE = 1 / 3  # of the customers, who belong to a further shop


def shop_stream(seed: int) -> random.Random:
    """The random stream of the multistore's choices, apart from the one-shop seed's."""
    return random.Random(seed * 7907 + 2)


def seed_shops(shop: Shop, rnd: random.Random, shops: int) -> None:
    """Shops 2 to ``shops``: their ``shops`` rows, their stock rows and their share of the customers."""
    if not 1 <= shops <= MAX_SHOPS:
        raise ValueError(f"shops must be 1 to {MAX_SHOPS}, got {shops}")
    if shops == 1:
        return
    first = shop.tables["shops"].rows[1]
    fields = shop.definitions["shops"].by_name
    for shop_id, suffix in zip(range(2, shops + 1), SHOP_SUFFIXES, strict=False):
        row = list(first)
        row[0] = shop_id
        row[fields["name"].pos] = f"{shop.shop_name} {suffix}"[: fields["name"].max_size or 64]
        shop.insert("shops", row)
        _seed_stock(shop, rnd, shop_id)
    _spread_customers(shop, rnd, shops)


def _seed_stock(shop: Shop, rnd: random.Random, shop_id: int) -> None:
    """A stock row per product and combination in ``shop_id``, product totals first (as catalog.py)."""
    rows: list[tuple[int, int, int]] = []
    for product_id, _reference, _name, _price, combos in shop.catalog:
        quantities = [rnd.randint(0, 150) for _ in combos]
        rows += [(product_id, combo[0], quantity) for combo, quantity in zip(combos, quantities, strict=True)]
        rows.append((product_id, 0, sum(quantities) if combos else rnd.randint(0, 250)))
    for product_id, combination_id, quantity in sorted(rows, key=lambda item: (item[1] != 0, *item[:2])):
        values = {
            "id_product": str(product_id),
            "id_product_attribute": str(combination_id),
            "id_shop": str(shop_id),
            "id_shop_group": "0",  # the group does not share its stock
            "quantity": str(quantity),
            "depends_on_stock": "0",
            "out_of_stock": "2",
        }
        shop.insert("stock_availables", shop.new_row("stock_availables", **values))


def _spread_customers(shop: Shop, rnd: random.Random, shops: int) -> None:
    """About ``OTHER_SHOPS_SHARE`` of the customers move to a further shop (their ``id_shop``)."""
    table = shop.tables["customers"]
    pos = shop.definitions["customers"].by_name["id_shop"].pos
    for customer_id in sorted(table.rows):
        if rnd.random() < OTHER_SHOPS_SHARE:
            table.rows[customer_id][pos] = str(rnd.randint(2, shops))
    table.touch()
