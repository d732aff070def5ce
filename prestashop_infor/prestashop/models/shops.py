"""Models of the shop's setup: shops and shop groups, languages, currencies and countries."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from prestashop_infor.prestashop.models.base import Flag, Int, Money, Multilingual, Record, Text


class Currency(Record):
    """1.7.6+ fields (``names``, ``symbol``, ``precision``…) and 1.6 fields (``sign``, ``decimals``…)
    both optional: match currencies on ``iso_code`` only (§10)."""

    name: Multilingual = Field(default_factory=dict)
    names: Multilingual = Field(default_factory=dict)
    symbol: Multilingual = Field(default_factory=dict)
    iso_code: Text = ""
    numeric_iso_code: Text = ""
    iso_code_num: Text = ""
    precision: Int = 0
    conversion_rate: Money = Decimal(1)
    deleted: Flag = False
    active: Flag = False
    unofficial: Flag = False
    modified: Flag = False
    pattern: Multilingual = Field(default_factory=dict)
    sign: Text = ""
    format: Text = ""
    decimals: Flag = False
    blank: Flag = False


class Country(Record):
    id_zone: Int = 0
    id_currency: Int = 0
    call_prefix: Int = 0
    iso_code: Text = ""
    active: Flag = False
    contains_states: Flag = False
    need_identification_number: Flag = False
    need_zip_code: Flag = False
    zip_code_format: Text = ""
    display_tax_label: Flag = False
    name: Multilingual = Field(default_factory=dict)


class Language(Record):
    name: Text = ""
    iso_code: Text = ""
    locale: Text = ""
    language_code: Text = ""
    active: Flag = False
    is_rtl: Flag = False
    date_format_lite: Text = ""
    date_format_full: Text = ""


class Shop(Record):
    id_shop_group: Int = 0
    id_category: Int = 0
    active: Flag = False
    deleted: Flag = False
    name: Text = ""
    color: Text = ""
    theme_name: Text = ""
    id_theme: Int = 0


class ShopGroup(Record):
    name: Text = ""
    color: Text = ""
    share_customer: Flag = False
    share_order: Flag = False
    share_stock: Flag = False
    active: Flag = False
    deleted: Flag = False
