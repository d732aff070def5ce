"""The reference data of a sandbox shop, as a fresh PrestaShop install holds it: languages, shop and
customer groups, categories, the tax, currencies, countries, the 13 default order states and the
carriers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from importlib import resources as package_files

from prestashop_infor.sandbox.prestashop.models import Shop
from prestashop_infor.sandbox.prestashop.models.checkout import CARRIERS, MODULES_16

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


def state_data() -> list[dict[str, str]]:
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


def seed_reference_data(shop: Shop, languages: tuple[str, ...], moment: datetime) -> None:
    """The install's reference data in ``languages``, dated 400 days before ``moment``."""
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
    for state_id, state in enumerate(state_data(), start=1):
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
