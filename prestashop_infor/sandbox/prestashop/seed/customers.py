"""Sandbox customers: people of nine countries (accents, apostrophes and long address lines on
purpose), a few guests, one e-mail shared by a guest and a registered customer, one or two
addresses each."""

from __future__ import annotations

import hashlib
import random
import unicodedata
from datetime import datetime

from prestashop_infor.sandbox.prestashop.models import Shop
from prestashop_infor.sandbox.prestashop.seed.reference import COUNTRIES

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
US_STATES = [5, 32, 43, 14]  # California, New York, Texas, Illinois in a default install


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in ".-")


def seed_customers(shop: Shop, rnd: random.Random, count: int, moment: datetime) -> None:
    """``count`` customers, registered up to two years before ``moment``, with their addresses."""
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
