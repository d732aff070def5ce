"""Models of the catalogue: products, their combinations, stock rows and stock movements."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from prestashop_infor.prestashop.models.base import (
    Flag,
    Int,
    LocalDate,
    LocalDateTime,
    Money,
    Multilingual,
    OptionalInt,
    Record,
    Text,
)


class Product(Record):
    id_manufacturer: Int = 0
    id_supplier: Int = 0
    id_category_default: Int = 0
    new: OptionalInt = None
    cache_default_attribute: Int = 0
    id_default_image: Int = 0
    id_default_combination: Int = 0
    id_tax_rules_group: Int = 0
    position_in_category: Int = 0
    manufacturer_name: Text = ""
    quantity: Int = 0
    type: Text = ""
    id_shop_default: Int = 0
    reference: Text = ""
    supplier_reference: Text = ""
    location: Text = ""
    width: Money = Decimal(0)
    height: Money = Decimal(0)
    depth: Money = Decimal(0)
    weight: Money = Decimal(0)
    quantity_discount: Flag = False
    ean13: Text = ""
    isbn: Text = ""
    upc: Text = ""
    mpn: Text = ""
    cache_is_pack: Flag = False
    cache_has_attachments: Flag = False
    is_virtual: Flag = False
    state: OptionalInt = None
    product_type: Text = ""
    on_sale: Flag = False
    online_only: Flag = False
    ecotax: Money = Decimal(0)
    minimal_quantity: Int = 0
    low_stock_threshold: OptionalInt = None
    low_stock_alert: Flag = False
    price: Money = Decimal(0)
    wholesale_price: Money = Decimal(0)
    unity: Text = ""
    unit_price_ratio: Money = Decimal(0)
    additional_shipping_cost: Money = Decimal(0)
    customizable: Int = 0
    text_fields: Int = 0
    uploadable_files: Int = 0
    active: Flag = False
    redirect_type: Text = ""
    available_for_order: Flag = False
    available_date: LocalDate = None
    show_condition: Flag = False
    condition: Text = ""
    show_price: Flag = False
    indexed: Flag = False
    visibility: Text = ""
    advanced_stock_management: Flag = False
    date_add: LocalDateTime = None
    date_upd: LocalDateTime = None
    pack_stock_type: Int = 0
    name: Multilingual = Field(default_factory=dict)
    description: Multilingual = Field(default_factory=dict)
    description_short: Multilingual = Field(default_factory=dict)
    link_rewrite: Multilingual = Field(default_factory=dict)
    meta_title: Multilingual = Field(default_factory=dict)
    meta_description: Multilingual = Field(default_factory=dict)
    meta_keywords: Multilingual = Field(default_factory=dict)
    available_now: Multilingual = Field(default_factory=dict)
    available_later: Multilingual = Field(default_factory=dict)
    delivery_in_stock: Multilingual = Field(default_factory=dict)
    delivery_out_stock: Multilingual = Field(default_factory=dict)
    associations: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)


class Combination(Record):
    id_product: Int = 0
    location: Text = ""
    ean13: Text = ""
    isbn: Text = ""
    upc: Text = ""
    mpn: Text = ""
    quantity: Int = 0  # a getter: a number in some versions, a string in others (§7.2)
    reference: Text = ""
    supplier_reference: Text = ""
    wholesale_price: Money = Decimal(0)
    price: Money = Decimal(0)
    ecotax: Money = Decimal(0)
    weight: Money = Decimal(0)
    unit_price_impact: Money = Decimal(0)
    minimal_quantity: Int = 0
    low_stock_threshold: OptionalInt = None
    low_stock_alert: Flag = False
    default_on: Flag = False
    available_date: LocalDate = None
    associations: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)


class StockAvailable(Record):
    id_product: Int = 0
    id_product_attribute: Int = 0
    id_shop: Int = 0
    id_shop_group: Int = 0
    quantity: Int = 0
    depends_on_stock: Flag = False
    out_of_stock: Int = 0
    location: Text = ""


class StockMovement(Record):
    id_product: Int = 0
    id_product_attribute: Int = 0
    id_warehouse: Int = 0
    id_currency: Int = 0
    management_type: Text = ""
    id_employee: Int = 0
    id_stock: Int = 0
    id_stock_mvt_reason: Int = 0
    id_order: Int = 0
    id_supply_order: Int = 0
    product_name: Multilingual = Field(default_factory=dict)  # can be false (§7.2)
    ean13: Text = ""
    upc: Text = ""
    reference: Text = ""
    mpn: Text = ""
    physical_quantity: Int = 0
    sign: Int = 0
    last_wa: Money = Decimal(0)
    current_wa: Money = Decimal(0)
    price_te: Money = Decimal(0)
    date_add: LocalDateTime = None
