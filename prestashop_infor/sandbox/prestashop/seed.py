"""A deterministic sandbox shop: catalog, customers, reference data and a month of orders.

``seed_shop(seed=42, orders=2000)`` always builds the same shop for the same seed and ``now``.
Product and combination references are M3-friendly item numbers (upper case, at most 15 characters,
e.g. ``PS-TSH-01-BK-XL``). Seeding is linear in the number of orders: rows are copied from
per-resource templates, so 50,000 orders take seconds, not minutes.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from importlib import resources as package_files

from prestashop_infor.sandbox.prestashop.models import DEFAULT_API_KEY, Shop
from prestashop_infor.sandbox.prestashop.models.checkout import (
    CARRIERS,
    MODULES_16,
    PAYMENTS_17,
    build_order,
)

# ----------------------------------------------------------------------------- reference data

# PrestaShop's install ids for these countries: (id, iso, name, zone, call prefix, zip format, states)
COUNTRIES = [
    (1, "DE", "Germany", 1, "49", "NNNNN", "0"),
    (2, "AT", "Austria", 1, "43", "NNNN", "0"),
    (3, "BE", "Belgium", 1, "32", "NNNN", "0"),
    (6, "ES", "Spain", 1, "34", "NNNNN", "1"),
    (8, "FR", "France", 1, "33", "NNNNN", "0"),
    (10, "IT", "Italy", 1, "39", "NNNNN", "1"),
    (13, "NL", "Netherlands", 1, "31", "NNNN LL", "0"),
    (17, "GB", "United Kingdom", 7, "44", "", "0"),
    (19, "CH", "Switzerland", 7, "41", "NNNN", "0"),
    (21, "US", "United States", 2, "1", "NNNNN", "1"),
]

CURRENCIES = [  # id, iso, numeric, name, symbol, rate against EUR (the default)
    (1, "EUR", "978", "Euro", "€", "1.000000"),
    (2, "USD", "840", "US Dollar", "$", "1.083000"),
    (3, "GBP", "826", "British Pound", "£", "0.856000"),
]

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

# first names, last names, cities (with postcodes) per country; accents on purpose
PEOPLE = {
    "FR": (
        ["Élodie", "François", "Loïc", "Anaïs", "Céline", "Jérôme", "Zoé", "Gaëlle"],
        ["Lefèvre", "Dubois", "Moreau", "Girard", "Bérenger", "Leroy", "Fontaine", "D'Arcy"],
        [("Paris", "75011"), ("Lyon", "69002"), ("Marseille", "13001"), ("Saint-Étienne", "42000")],
    ),
    "DE": (
        ["Jürgen", "Käthe", "Lukas", "Sören", "Anja", "Björn"],
        ["Müller", "Schröder", "Weiß", "Groß", "Becker", "Köhler"],
        [("Berlin", "10115"), ("München", "80331"), ("Köln", "50667"), ("Düsseldorf", "40213")],
    ),
    "GB": (
        ["Oliver", "Amelia", "Siobhan", "Harry", "Niamh", "George"],
        ["O'Connor", "Smith", "Taylor", "Davies", "Evans", "Wright"],
        [("London", "SW1A 1AA"), ("Manchester", "M1 1AE"), ("Edinburgh", "EH1 1YZ")],
    ),
    "US": (
        ["James", "Emily", "Michael", "Olivia", "Daniel", "Sophia"],
        ["Johnson", "Williams", "Brown", "García", "Miller", "Davis"],
        [("New York", "10001"), ("San Francisco", "94114"), ("Austin", "73301"), ("Chicago", "60601")],
    ),
    "ES": (
        ["José", "Begoña", "Íñigo", "María", "Nuria", "Álvaro"],
        ["Núñez", "García", "Fernández", "Martínez", "Muñoz", "Peña"],
        [("Madrid", "28001"), ("Barcelona", "08001"), ("A Coruña", "15001")],
    ),
    "IT": (
        ["Giulia", "Niccolò", "Francesca", "Luca", "Chiara", "Mattia"],
        ["Rossi", "Bianchi", "De Luca", "Esposito", "Ferrari", "Romano"],
        [("Roma", "00118"), ("Milano", "20121"), ("Napoli", "80100")],
    ),
    "NL": (
        ["Bram", "Sanne", "Daan", "Femke", "Joëlle", "Thijs"],
        ["van der Berg", "de Jong", "Jansen", "Bakker", "Visser", "van Dijk"],
        [("Amsterdam", "1012 AB"), ("Rotterdam", "3011 AD"), ("Utrecht", "3511 LX")],
    ),
    "BE": (
        ["Lotte", "Wout", "Amélie"],
        ["Peeters", "Janssens", "Dupont"],
        [("Bruxelles", "1000"), ("Gent", "9000")],
    ),
    "CH": (["Noémie", "Jonas"], ["Meier", "Favre"], [("Zürich", "8001"), ("Genève", "1201")]),
}
STREETS = {
    "FR": "rue",
    "DE": "Straße",
    "GB": "Street",
    "US": "Street",
    "ES": "Calle",
    "IT": "Via",
    "NL": "straat",
    "BE": "rue",
    "CH": "Gasse",
}
COUNTRY_WEIGHTS = [
    ("FR", 30),
    ("DE", 18),
    ("GB", 12),
    ("US", 12),
    ("ES", 9),
    ("IT", 8),
    ("NL", 7),
    ("BE", 2),
    ("CH", 2),
]
CURRENCY_OF_COUNTRY = {"US": "USD", "GB": "GBP"}
US_STATES = [5, 32, 43, 14]  # California, New York, Texas, Illinois in a default install


def _state_data() -> list[dict[str, str]]:
    """The 13 default order states, from PrestaShop's install data (copied into ``data/``)."""
    data = package_files.files("prestashop_infor.sandbox.prestashop") / "data"
    states = ET.fromstring((data / "order_state.xml").read_bytes())
    names = ET.fromstring((data / "order_state_lang_en.xml").read_bytes())
    english = {
        item.get("id"): (item.findtext("name") or "", item.findtext("template") or "") for item in names
    }
    result = []
    for item in states.find("entities") or []:
        record = {key: value for key, value in item.attrib.items() if key != "id"}
        record["module_name"] = item.findtext("module_name") or ""
        record["name"], record["template"] = english[item.get("id")]
        result.append(record)
    return result


# ----------------------------------------------------------------------------- the shop


def seed_shop(
    seed: int = 42,
    orders: int = 2000,
    api_key: str = DEFAULT_API_KEY,
    version: str = "1.7.8.0",
    time_zone: str = "Europe/Paris",
    now: datetime | None = None,
    *,
    languages: tuple[str, ...] = ("en",),
    customers: int | None = None,
) -> Shop:
    """A seeded sandbox shop. Same ``seed`` and ``now`` → same shop, record for record.

    The seeded history ends at the shop clock's now: no record is dated later, on the wall clock,
    than ``shop.clock.local_text()`` at the end of seeding, so a client reading "up to now" sees
    every record (in the autumn fold the history stops at the first pass of the repeated hour).
    """
    if orders < 0:
        raise ValueError(f"orders must be >= 0, got {orders}")
    shop = Shop(version=version, time_zone=time_zone, api_key=api_key, now=now)
    rnd = random.Random(seed)
    shop.rng = random.Random(seed + 1)
    shop.faults.seed = seed
    started = shop.clock.now()
    # Compared as instants: datetimes sharing a tzinfo compare by wall clock, blind to the fold.
    moment = min(started, shop.clock.first_instant_reading(shop.clock.local_text(started)), key=_instant)
    shop.record_events = False
    _seed_reference_data(shop, languages, moment)
    _seed_catalog(shop, rnd, moment)
    customer_count = customers if customers is not None else max(40, min(orders // 6, 20000))
    _seed_customers(shop, rnd, customer_count, moment)
    _seed_orders(shop, rnd, orders, moment)
    shop.record_events = True
    return shop


def _instant(moment: datetime) -> float:
    return moment.timestamp()


def _seed_reference_data(shop: Shop, languages: tuple[str, ...], moment: datetime) -> None:
    install = shop.clock.local_text(moment - timedelta(days=400))
    known = {"en": ("English (English)", "en-US", "en-us"), "fr": ("Français (French)", "fr-FR", "fr")}
    for index, iso in enumerate(languages, start=1):
        name, locale, code = known[iso]
        shop.insert(
            "languages",
            shop.new_row(
                "languages",
                id=index,
                name=name,
                iso_code=iso,
                language_code=code,
                active="1",
                is_rtl="0",
                date_format_lite="m/d/Y" if iso == "en" else "d/m/Y",
                date_format_full="m/d/Y H:i:s" if iso == "en" else "d/m/Y H:i:s",
                **({"locale": locale} if "locale" in shop.definitions["languages"].by_name else {}),
            ),
        )
    shop.insert("shop_groups", shop.new_row("shop_groups", id=1, name="Default", active="1"))
    shop_fields = {"id_theme": "1"} if shop.profile == "1.6" else {"theme_name": "classic"}
    shop.insert(
        "shops",
        shop.new_row(
            "shops", id=1, id_shop_group="1", id_category="2", active="1", name=shop.shop_name, **shop_fields
        ),
    )
    for group_id, name in ((1, "Visitor"), (2, "Guest"), (3, "Customer")):
        shop.insert(
            "groups",
            shop.new_row(
                "groups",
                id=group_id,
                price_display_method="0",
                show_prices="1",
                reduction="0.00",
                date_add=install,
                date_upd=install,
                name=name,
            ),
        )
    for category_id, parent, name in (
        (1, 0, "Root"),
        (2, 1, "Home"),
        (3, 2, "Clothes"),
        (4, 3, "Men and Women"),
        (5, 2, "Accessories"),
        (6, 2, "Art"),
    ):
        shop.insert(
            "categories",
            shop.new_row(
                "categories",
                id=category_id,
                id_parent=str(parent),
                level_depth=str(0 if parent == 0 else category_id // 2),
                active="1",
                id_shop_default="1",
                is_root_category="1" if category_id == 2 else "0",
                position=str(category_id),
                date_add=install,
                date_upd=install,
                name=name,
                link_rewrite=name.lower().replace(" ", "-"),
            ),
        )
    shop.insert(
        "tax_rule_groups",
        shop.new_row(
            "tax_rule_groups",
            id=1,
            name="FR Taux standard (20%)",
            active="1",
            date_add=install,
            date_upd=install,
        ),
    )
    shop.insert("taxes", shop.new_row("taxes", id=1, rate="20.000", active="1", name="TVA FR 20%"))
    for currency_id, iso, numeric, name, symbol, rate in CURRENCIES:
        if shop.profile == "1.6":
            fields = {
                "name": name,
                "iso_code_num": numeric,
                "sign": symbol,
                "blank": "1",
                "format": "2",
                "decimals": "1",
            }
        else:
            fields = {
                "names": name,
                "name": name,
                "symbol": symbol,
                "numeric_iso_code": numeric,
                "precision": "2",
                "pattern": "",
            }
        shop.insert(
            "currencies",
            shop.new_row(
                "currencies", id=currency_id, iso_code=iso, conversion_rate=rate, active="1", **fields
            ),
        )
    for country_id, iso, name, zone, prefix, zip_format, states in COUNTRIES:
        shop.insert(
            "countries",
            shop.new_row(
                "countries",
                id=country_id,
                id_zone=str(zone),
                call_prefix=prefix,
                iso_code=iso,
                active="1",
                contains_states=states,
                need_identification_number="0",
                need_zip_code="1" if zip_format else "0",
                zip_code_format=zip_format,
                display_tax_label="1",
                name=name,
            ),
        )
    for state_id, state in enumerate(_state_data(), start=1):
        module = state["module_name"]
        if shop.profile == "1.6":
            module = MODULES_16.get(module, module)
        flags = {
            k: state.get(k, "0")
            for k in (
                "invoice",
                "send_email",
                "color",
                "unremovable",
                "hidden",
                "logable",
                "delivery",
                "shipped",
                "paid",
                "pdf_delivery",
                "pdf_invoice",
            )
        }
        shop.insert(
            "order_states",
            shop.new_row(
                "order_states",
                id=state_id,
                module_name=module,
                deleted="0",
                name=state["name"],
                template=state["template"],
                **flags,
            ),
        )
    for carrier_id, name, delay, _cost, url in CARRIERS:
        shop.insert(
            "carriers",
            shop.new_row(
                "carriers",
                id=carrier_id,
                id_reference=str(carrier_id),
                name=name,
                active="1",
                is_free="1" if carrier_id == 1 else "0",
                url=url,
                shipping_handling="0" if carrier_id == 1 else "1",
                id_tax_rules_group="1",
                range_behavior="0",
                shipping_method="1" if carrier_id != 1 else "0",
                need_range="1",
                position=str(carrier_id - 1),
                delay=delay,
            ),
        )


def _ean13(rnd: random.Random) -> str:
    digits = [rnd.randrange(10) for _ in range(12)]
    checksum = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(checksum)


def _seed_catalog(shop: Shop, rnd: random.Random, moment: datetime) -> None:
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


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in ".-")


def _seed_customers(shop: Shop, rnd: random.Random, count: int, moment: datetime) -> None:
    countries = [c for c, _ in COUNTRY_WEIGHTS]
    weights = [w for _, w in COUNTRY_WEIGHTS]
    country_ids = {iso: cid for cid, iso, *_ in COUNTRIES}
    now_ts = moment.timestamp()
    zone = shop.clock.zone
    address_id = 0
    for customer_id in range(1, count + 1):
        iso = rnd.choices(countries, weights)[0]
        firsts, lasts, cities = PEOPLE[iso]
        first, last = rnd.choice(firsts), rnd.choice(lasts)
        is_guest = rnd.random() < 0.08
        created_ts = now_ts - rnd.uniform(31, 700) * 86400
        created = datetime.fromtimestamp(created_ts, zone).strftime("%Y-%m-%d %H:%M:%S")
        updated = datetime.fromtimestamp(created_ts + rnd.uniform(0, 20) * 86400, zone).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        email = f"{_ascii(first)}.{_ascii(last)}{customer_id}@example.{'com' if iso in ('US', 'GB') else iso.lower()}"
        if customer_id == 7 and count > 7:
            email = "duplicate.guest@example.fr"  # the same email as a guest and as a registered customer
            is_guest = False
        if customer_id == 8 and count > 8:
            email, is_guest = "duplicate.guest@example.fr", True
        digest = hashlib.md5(f"{customer_id}:{email}".encode()).hexdigest()
        newsletter = rnd.random() < 0.3
        shop.insert(
            "customers",
            shop.new_row(
                "customers",
                id=customer_id,
                id_default_group="2" if is_guest else "3",
                id_lang="1",
                newsletter_date_add=created if newsletter else "0000-00-00 00:00:00",
                last_passwd_gen=created,
                secure_key=digest,
                passwd=f"$2y$10${digest}{digest[:21]}",  # guests get a random password too
                lastname=last,
                firstname=first,
                email=email,
                id_gender=str(rnd.choice((1, 2))),
                birthday="0000-00-00"
                if rnd.random() < 0.6
                else f"{rnd.randint(1950, 2004)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                newsletter="1" if newsletter else "0",
                optin="0",
                active="1",
                is_guest="1" if is_guest else "0",
                id_shop="1",
                id_shop_group="1",
                date_add=created,
                date_upd=updated,
                associations={"groups": [("2",) if is_guest else ("3",)]},
            ),
        )
        city, postcode = rnd.choice(cities)
        for alias in ("My address", "Work")[: 1 + (rnd.random() < 0.15)]:
            address_id += 1
            street_number = rnd.randint(1, 220)
            address1 = (
                f"{street_number} {rnd.choice(lasts)} {STREETS[iso]}"
                if iso not in ("FR", "ES", "IT", "BE")
                else f"{street_number} {STREETS[iso]} {rnd.choice(lasts)}"
            )
            address2 = ""
            if address_id % 37 == 3:  # a long address line, near the 128-character limit
                address1 = (
                    address1 + ", Résidence des Grands Châtaigniers, Bâtiment C, Escalier 4, "
                    "Porte 12, Zone Artisanale du Moulin de la Seigneurie"
                )[:128]
                address2 = "Appartement 1207, code porte 4821B, interphone au nom de l'occupant précédent"
            shop.insert(
                "addresses",
                shop.new_row(
                    "addresses",
                    id=address_id,
                    id_customer=str(customer_id),
                    id_country=str(country_ids[iso]),
                    id_state=str(rnd.choice(US_STATES)) if iso == "US" else "0",
                    alias=alias,
                    company="Acme Trading" if alias == "Work" else "",
                    lastname=last,
                    firstname=first,
                    vat_number="",
                    address1=address1,
                    address2=address2,
                    postcode=postcode,
                    city=city,
                    phone=f"+{dict((c[1], c[4]) for c in COUNTRIES)[iso]} {rnd.randint(100000000, 999999999)}",
                    date_add=created,
                    date_upd=created,
                ),
            )
            shop.customer_addresses.setdefault(customer_id, []).append((address_id, iso))


# ----------------------------------------------------------------------------- orders


def _history_path(
    rnd: random.Random, first_state: int, placed_ts: float, now_ts: float
) -> list[tuple[int, float]]:
    """A plausible life of an order from its first state up to now."""
    path = [(first_state, placed_ts)]
    ts = placed_ts

    def step(state: int, min_hours: float, max_hours: float) -> bool:
        nonlocal ts
        candidate = ts + rnd.uniform(min_hours, max_hours) * 3600
        if candidate >= now_ts:
            return False
        ts = candidate
        path.append((state, ts))
        return True

    if first_state in (1, 10):  # waiting for a cheque or a bank transfer
        roll = rnd.random()
        if roll < 0.08:
            step(6, 72, 200)  # cancelled, never paid
            return path
        if roll < 0.10:
            step(8, 12, 48)  # payment error
            return path
        if not step(2, 6, 60):
            return path
    if first_state == 13:  # cash on delivery: prepared and shipped before any payment
        step(3, 2, 20) and step(4, 4, 30) and step(5, 24, 96)
        return path
    if step(3, 2, 24) and step(4, 4, 36) and step(5, 24, 120) and rnd.random() < 0.02:
        step(7, 48, 200)  # refunded
    return path


def _seed_orders(shop: Shop, rnd: random.Random, count: int, moment: datetime) -> None:
    if count == 0:
        return
    now_ts = moment.timestamp()
    start_ts = now_ts - 30 * 86400
    # Sorted placement times: order ids grow with date_add, as in a real shop.
    times = sorted(rnd.uniform(start_ts, now_ts - 60) for _ in range(count))
    customer_ids = sorted(shop.tables["customers"].rows)
    catalog = shop.catalog
    payments = PAYMENTS_17
    payment_weights = [p[3] for p in payments]
    currency_ids = {iso: shop.currency_id(iso) for _, iso, *_ in CURRENCIES}
    for placed_ts in times:
        customer_id = rnd.choice(customer_ids)
        _address, iso = shop.customer_addresses[customer_id][0]
        currency_iso = CURRENCY_OF_COUNTRY.get(iso, "EUR") if rnd.random() < 0.9 else "EUR"
        lines = []
        for _ in range(rnd.choices((1, 2, 3, 4, 5), (35, 30, 18, 10, 7))[0]):
            product_id, _ref, _name, _price, combos = rnd.choice(catalog)
            combination_id = rnd.choice(combos)[0] if combos else 0
            lines.append((product_id, combination_id, rnd.choices((1, 2, 3), (75, 18, 7))[0]))
        payment = rnd.choices(payments, payment_weights)[0][:3]
        path = _history_path(rnd, payment[2], placed_ts, now_ts)
        build_order(
            shop,
            customer_id,
            lines,
            currency_ids[currency_iso],
            datetime.fromtimestamp(placed_ts, shop.clock.zone),
            path,
            rnd,
            payment,
        )
