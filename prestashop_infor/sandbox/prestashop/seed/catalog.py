"""The sandbox catalog: four designs of ten product families, apparel in colours and sizes, caps in
colours, posters in formats, with their stock. References are M3-friendly item numbers."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from prestashop_infor.sandbox.prestashop.models import Shop

# code, noun, category id, base price, variation kind
FAMILIES = [
    ("TSH", "T-shirt", 4, "19.90", "apparel"),
    ("SWT", "Sweater", 4, "35.90", "apparel"),
    ("HOD", "Hoodie", 4, "44.90", "apparel"),
    ("JKT", "Rain Jacket", 4, "89.00", "apparel"),
    ("SCK", "Socks", 4, "9.90", "apparel"),
    ("CAP", "Cap", 5, "14.90", "colour"),
    ("PST", "Poster", 6, "29.00", "format"),
    ("MUG", "Mug", 5, "14.50", ""),
    ("NBK", "Notebook", 6, "12.90", ""),
    ("BAG", "Tote Bag", 5, "16.00", ""),
]
DESIGNS = ["Hummingbird", "Mountain Fox", "Brown Bear", "Ocean Wave"]
COLOURS = [("BK", "Black", 11), ("WH", "White", 8), ("NV", "Navy", 17), ("RD", "Red", 10)]
SIZES = [("S", "S", 1), ("M", "M", 2), ("L", "L", 3), ("XL", "XL", 4)]
FORMATS = [("A4", "21x30cm", 19), ("A3", "30x40cm", 20), ("A2", "40x60cm", 21)]


def _ean13(rnd: random.Random) -> str:
    digits = [rnd.randrange(10) for _ in range(12)]
    checksum = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(checksum)


def seed_catalog(shop: Shop, rnd: random.Random, moment: datetime) -> None:
    """Products, their combinations and the stock of each, created 200 days before ``moment``."""
    created = shop.clock.local_text(moment - timedelta(days=200))
    updated = shop.clock.local_text(moment - timedelta(days=45))
    is_16 = shop.profile == "1.6"
    stock_rows: list[tuple[int, int, int]] = []
    combination_id = 0
    product_id = 0
    for code, noun, category, price, kind in FAMILIES:
        for number, design in enumerate(DESIGNS, start=1):
            product_id += 1
            reference = f"PS-{code}-{number:02d}"
            variants: list[tuple[str, str, list[int]]] = []  # reference suffix, label, option values
            if kind == "apparel":
                colours = COLOURS[: 2 + (number % 3)]
                sizes = SIZES if code != "SCK" else SIZES[:3]
                variants = [
                    (f"{c[0]}-{s[0]}", f"Color : {c[1]}, Size : {s[1]}", [s[2], c[2]])
                    for c in colours
                    for s in sizes
                ]
            elif kind == "colour":
                variants = [(c[0], f"Color : {c[1]}", [c[2]]) for c in COLOURS]
            elif kind == "format":
                variants = [(f[0], f"Dimension : {f[1]}", [f[2]]) for f in FORMATS]
            product_price = f"{float(price) + (number - 1) * 2:.6f}"
            combos = []
            for index, (suffix, label, option_values) in enumerate(variants):
                combination_id += 1
                combo_reference = f"{reference}-{suffix}"
                assert len(combo_reference) <= 15, combo_reference
                impact = "2.000000" if suffix.endswith("XL") or suffix == "A2" else "0.000000"
                values = {
                    "id": combination_id,
                    "id_product": str(product_id),
                    "reference": combo_reference,
                    "ean13": _ean13(rnd),
                    "price": impact,
                    "weight": "0.000000",
                    "minimal_quantity": "1",
                    "default_on": "1" if index == 0 else ("0" if is_16 else None),
                    "associations": {"product_option_values": [(str(v),) for v in option_values]},
                }
                if not is_16:
                    values["low_stock_alert"] = "0"
                shop.insert("combinations", shop.new_row("combinations", **values))
                combos.append((combination_id, label, impact))
                stock_rows.append((product_id, combination_id, rnd.randint(20, 300)))
            name = f"{design} {noun}"
            values = {
                "id": product_id,
                "id_manufacturer": "1",
                "id_supplier": "1",
                "id_category_default": str(category),
                "cache_default_attribute": str(combos[0][0]) if combos else "0",
                "id_tax_rules_group": "1",
                "position_in_category": str(number),
                "manufacturer_name": "Studio Design",
                "type": "simple",
                "id_shop_default": "1",
                "reference": reference,
                "ean13": "" if combos else _ean13(rnd),
                "weight": "0.300000",
                "minimal_quantity": "1",
                "price": product_price,
                "wholesale_price": f"{float(product_price) * 0.4:.6f}",
                "active": "1",
                "redirect_type": "404" if is_16 else "301-category",
                "available_for_order": "1",
                "condition": "new",
                "show_price": "1",
                "indexed": "1",
                "visibility": "both",
                "date_add": created,
                "date_upd": updated,
                "pack_stock_type": "3",
                "name": name,
                "link_rewrite": name.lower().replace(" ", "-"),
                "description": f"<p>{name} from the {design} collection.</p>",
                "description_short": f"<p>{noun} with the {design} print.</p>",
                "available_now": "In stock",
                "associations": {
                    "categories": [("2",), (str(category),)],
                    "combinations": [(str(c[0]),) for c in combos],
                    "product_option_values": sorted(
                        {(str(v),) for _, _, values_ in variants for v in values_}
                    ),
                },
            }
            if not is_16:
                values.update(
                    state="1",
                    product_type="combinations" if combos else "standard",
                    low_stock_alert="0",
                    show_condition="0",
                    additional_delivery_times="1",
                )
            shop.insert("products", shop.new_row("products", **values))
            total = sum(q for p, _c, q in stock_rows if p == product_id) if combos else rnd.randint(20, 500)
            stock_rows.append((product_id, 0, total))
            shop.catalog.append((product_id, reference, name, product_price, combos))
            for combo_id, label, _impact in combos:
                shop.combination_labels[combo_id] = label
    # PrestaShop groups stock rows by product: product total rows first, then combinations.
    ordered = sorted(stock_rows, key=lambda item: (item[1] != 0, item[0], item[1]))
    for product_id_, combination_id_, quantity in ordered:
        values = {
            "id_product": str(product_id_),
            "id_product_attribute": str(combination_id_),
            "id_shop": "1",
            "id_shop_group": "0",
            "quantity": str(quantity),
            "depends_on_stock": "0",
            "out_of_stock": "2",
        }
        shop.insert("stock_availables", shop.new_row("stock_availables", **values))
