"""Resource definitions of the emulated PrestaShop Webservice: fields, flags, links and associations.

Each field is written as one compact line, ``"name:type>linked_resource FLAGS"``, so the tables below
read like contract §10. Flags:

- ``R`` required on create/PUT (code 41) · ``RO`` not writable at all (code 93) · ``ro`` marked
  ``readOnly`` in the synopsis and ignored on write · ``NF`` not filterable (getter, code 34) ·
  ``L`` multilingual · ``N`` nullable (rendered ``null`` in JSON) · ``max=N`` maxSize ·
  ``+17`` / ``+8`` only from that version on · ``-17`` only before 1.7 (the 1.6 profile).

Types decide defaults, validation and comparisons (numbers compare as numbers, text ignoring case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PROFILES = ("1.6", "1.7", "8")


@dataclass(frozen=True)
class FieldType:
    name: str
    default: str
    numeric: str  # "" for text, "int" or "float" for numbers
    format: str
    pattern: re.Pattern[str] | None
    decimals: int | None = None


def _p(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


_PRICE = r"\d{1,10}(\.\d{1,9})?"  # Validate::isPrice; isNegativePrice also allows a leading "-"
_DATE_FORMAT = r"\d{4}-(0?\d|1[0-2])-(0?\d|[12]\d|3[01])( \d{2}:\d{2}:\d{2})?"  # Validate::isDateFormat
TYPES: dict[str, FieldType] = {
    "id": FieldType("id", "0", "int", "isUnsignedId", _p(r"\d+")),
    "int": FieldType("int", "0", "int", "isInt", _p(r"[-+]?\d+")),
    "uint": FieldType("uint", "0", "int", "isUnsignedInt", _p(r"\d+")),
    "bool": FieldType("bool", "0", "int", "isBool", _p(r"[01]|true|false")),
    "price": FieldType("price", "0.000000", "float", "isPrice", _p(r"[-+]?\d*\.?\d+"), 6),
    "float6": FieldType("float6", "0.000000", "float", "isUnsignedFloat", _p(r"[-+]?\d*\.?\d+"), 6),
    "dec3": FieldType("dec3", "0.000", "float", "isFloat", _p(r"[-+]?\d*\.?\d+"), 3),
    "dec2": FieldType("dec2", "0.00", "float", "isPercentage", _p(r"[-+]?\d*\.?\d+"), 2),
    "text": FieldType("text", "", "", "isString", None),
    "name": FieldType("name", "", "", "isName", _p(r"[^0-9!<>,;?=+()@#\"°{}_$%:¤|]*")),
    "email": FieldType("email", "", "", "isEmail", _p(r"[^@\s]+@[^@\s]+\.[^@\s]+")),
    "datetime": FieldType(
        "datetime", "0000-00-00 00:00:00", "", "isDate", _p(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?")
    ),
    "date": FieldType("date", "0000-00-00", "", "isDateFormat", _p(r"\d{4}-\d{2}-\d{2}")),
    "tracking": FieldType(
        "tracking", "", "", "isTrackingNumber", _p(r"[~:#,%&_=\(\)\[\]\.\? \+\-@/a-zA-Z0-9]*")
    ),
    "reference": FieldType("reference", "", "", "isReference", _p(r"[^<>;={}]*")),
    # the validators of SpecificPrice (classes/Validate.php): a DATETIME column checked by isDateFormat
    "negprice": FieldType("negprice", "0.000000", "float", "isNegativePrice", _p("-?" + _PRICE), 6),
    "uprice": FieldType("uprice", "0.000000", "float", "isPrice", _p(_PRICE), 6),
    "reduction": FieldType("reduction", "", "", "isReductionType", _p(r"amount|percentage")),
    "dateformat": FieldType("datetime", "0000-00-00 00:00:00", "", "isDateFormat", _p(_DATE_FORMAT)),
}


@dataclass
class FieldDef:
    name: str
    type: FieldType
    link: str | None = None
    required: bool = False
    not_writable: bool = False  # setter => false: code 93 when present in a body
    read_only: bool = False  # synopsis readOnly; ignored on write
    not_filterable: bool = False  # getter-backed: code 34, not sortable
    i18n: bool = False
    nullable: bool = False
    max_size: int | None = None
    json_number: bool = False  # getter fields PrestaShop renders as JSON numbers
    pos: int = 0

    @property
    def default(self) -> str | None:
        return None if self.nullable else self.type.default

    @property
    def is_date(self) -> bool:
        return self.name in ("date_add", "date_upd")


@dataclass
class AssociationDef:
    name: str
    node_type: str
    api: str | None  # resource the items link to; None for virtual entities (order_rows)
    fields: list[str]
    links: dict[str, str] = field(default_factory=dict)  # sub-field -> linked resource
    virtual: bool = False  # rendered with virtualEntity="true", computed, ignored on write


@dataclass
class ResourceDef:
    name: str  # URL name, e.g. order_discounts
    entity: str  # singular element, e.g. order_cart_rule
    list_root: str  # plural element, e.g. order_cart_rules
    description: str
    fields: list[FieldDef]
    associations: list[AssociationDef]
    refused_methods: frozenset[str] = frozenset()  # 405 code 101
    served: bool = True  # False: kept in the shop's database, but not a resource of this version's Webservice
    by_name: dict[str, FieldDef] = field(default_factory=dict)
    assoc_by_name: dict[str, AssociationDef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index, field_def in enumerate(self.fields):
            field_def.pos = index
        self.by_name = {f.name: f for f in self.fields}
        self.assoc_by_name = {a.name: a for a in self.associations}

    @property
    def class_name(self) -> str:
        """The PHP class behind the resource (``OrderHistory``), as named in messages and hook names."""
        if self.name in _CLASS_NAMES:
            return _CLASS_NAMES[self.name]
        return "".join(part.capitalize() for part in self.name[:-1].split("_"))

    @property
    def assoc_pos(self) -> int:
        """Slot of the associations dict in a stored row (after the fields)."""
        return len(self.fields)


def _parse_field(spec: str, profile: str) -> FieldDef | None:
    head, *flags = spec.split()
    name, _, type_spec = head.partition(":")
    type_name, _, link = (type_spec or "text").partition(">")
    kept = True
    for flag in flags:
        if flag.startswith("+"):
            kept = kept and PROFILES.index(profile) >= PROFILES.index(_version_flag(flag))
        elif flag.startswith("-"):
            kept = kept and PROFILES.index(profile) < PROFILES.index(_version_flag(flag))
    if not kept:
        return None
    max_size = next((int(f[4:]) for f in flags if f.startswith("max=")), None)
    return FieldDef(
        name=name,
        type=TYPES[type_name],
        link=link or None,
        required="R" in flags,
        not_writable="RO" in flags,
        read_only="ro" in flags or "RO" in flags,
        not_filterable="NF" in flags,
        i18n="L" in flags,
        nullable="N" in flags,
        max_size=max_size,
        json_number="JN" in flags,
    )


def _version_flag(flag: str) -> str:
    return {"16": "1.6", "17": "1.7", "8": "8"}[flag[1:]]


def _assoc(name: str, node_type: str, api: str | None, *fields: str, virtual: bool = False, profile: str):
    kept, links = [], {}
    for spec in fields:
        parsed = _parse_field(spec, profile)
        if parsed is not None:
            kept.append(parsed.name)
            if parsed.link:
                links[parsed.name] = parsed.link
    return AssociationDef(name, node_type, api, kept, links, virtual)


_FIELDS: dict[str, list[str]] = {
    "orders": """id_address_delivery:id>addresses R|id_address_invoice:id>addresses R|id_cart:id>carts R
        |id_currency:id>currencies R|id_lang:id>languages R|id_customer:id>customers R|id_carrier:id>carriers R
        |current_state:id>order_states|module:text R|invoice_number:uint|invoice_date:datetime
        |delivery_number:uint|delivery_date:datetime|valid:bool|date_add:datetime|date_upd:datetime
        |shipping_number:tracking NF|note:text +17|id_shop_group:id|id_shop:id|secure_key:text ro max=32
        |payment:text R max=255|recyclable:bool|gift:bool|gift_message:text|mobile_theme:bool
        |total_discounts:price|total_discounts_tax_incl:price|total_discounts_tax_excl:price
        |total_paid:price R|total_paid_tax_incl:price|total_paid_tax_excl:price|total_paid_real:price R
        |total_products:price R|total_products_wt:price R|total_shipping:price|total_shipping_tax_incl:price
        |total_shipping_tax_excl:price|carrier_tax_rate:dec3|total_wrapping:price|total_wrapping_tax_incl:price
        |total_wrapping_tax_excl:price|round_mode:int|round_type:int|conversion_rate:price R
        |reference:reference max=9""",
    "order_details": """id_order:id>orders R|product_id:id>products|product_attribute_id:id>combinations
        |product_quantity_reinjected:uint|group_reduction:dec2|discount_quantity_applied:uint
        |download_hash:text|download_deadline:datetime|id_order_invoice:id|id_warehouse:id R|id_shop:id R
        |id_customization:id +17|product_name:text R|product_quantity:int R|product_quantity_in_stock:int
        |product_quantity_return:uint|product_quantity_refunded:uint|product_price:price R
        |reduction_percent:dec2|reduction_amount:price|reduction_amount_tax_incl:price
        |reduction_amount_tax_excl:price|product_quantity_discount:price|product_ean13:text max=13
        |product_isbn:text +17|product_upc:text max=12|product_mpn:text +17|product_reference:reference
        |product_supplier_reference:text|product_weight:float6|tax_computation_method:uint
        |id_tax_rules_group:id|ecotax:float6|ecotax_tax_rate:dec3|download_nb:uint
        |unit_price_tax_incl:price|unit_price_tax_excl:price|total_price_tax_incl:price
        |total_price_tax_excl:price|total_shipping_price_tax_excl:price|total_shipping_price_tax_incl:price
        |purchase_supplier_price:price|original_product_price:price|original_wholesale_price:price
        |total_refunded_tax_excl:price +17|total_refunded_tax_incl:price +17""",
    "customers": """id_default_group:id>groups|id_lang:id>languages|newsletter_date_add:datetime
        |ip_registration_newsletter:text|last_passwd_gen:datetime ro|secure_key:text ro max=32|deleted:bool
        |passwd:text R max=255|lastname:name R max=255|firstname:name R max=255|email:email R max=255
        |id_gender:id|birthday:date|newsletter:bool|optin:bool|website:text|company:text|siret:text|ape:text
        |outstanding_allow_amount:price|show_public_prices:bool|id_risk:id|max_payment_days:uint|active:bool
        |note:text|is_guest:bool|id_shop:id|id_shop_group:id|date_add:datetime|date_upd:datetime
        |reset_password_token:text +17|reset_password_validity:datetime +17""",
    "addresses": """id_customer:id>customers|id_manufacturer:id>manufacturers|id_supplier:id>suppliers
        |id_warehouse:id>warehouses|id_country:id>countries R|id_state:id>states|alias:text R max=32
        |company:text max=255|lastname:name R max=255|firstname:name R max=255|vat_number:text
        |address1:text R max=128|address2:text max=128|postcode:text max=12|city:text R max=64|other:text
        |phone:text max=32|phone_mobile:text max=32|dni:text max=16|deleted:bool|date_add:datetime
        |date_upd:datetime""",
    "products": """id_manufacturer:id>manufacturers|id_supplier:id>suppliers|id_category_default:id>categories
        |new:bool N|cache_default_attribute:id|id_default_image:id>images NF|id_default_combination:id>combinations NF
        |id_tax_rules_group:id>tax_rule_groups|position_in_category:int NF|manufacturer_name:text RO NF
        |quantity:int RO NF|type:text NF|id_shop_default:id|reference:reference max=64
        |supplier_reference:text max=64|location:text|width:float6|height:float6|depth:float6|weight:float6
        |quantity_discount:bool|ean13:text max=13|isbn:text max=32 +17|upc:text max=12|mpn:text max=40 +17
        |cache_is_pack:bool|cache_has_attachments:bool|is_virtual:bool|state:uint +17
        |additional_delivery_times:uint +17|delivery_in_stock:text L +17|delivery_out_stock:text L +17
        |product_type:text +17|on_sale:bool|online_only:bool|ecotax:float6|minimal_quantity:uint
        |low_stock_threshold:int N +17|low_stock_alert:bool +17|price:price R|wholesale_price:price
        |unity:text|unit_price_ratio:float6|additional_shipping_cost:price|customizable:uint
        |text_fields:uint|uploadable_files:uint|active:bool|redirect_type:text|id_type_redirected:id +17
        |id_product_redirected:id -17|available_for_order:bool|available_date:date|show_condition:bool +17
        |condition:text|show_price:bool|indexed:bool|visibility:text|advanced_stock_management:bool
        |date_add:datetime|date_upd:datetime|pack_stock_type:uint|meta_description:text L
        |meta_keywords:text L|meta_title:text L|link_rewrite:text L|name:text L R max=128|description:text L
        |description_short:text L|available_now:text L|available_later:text L""",
    "combinations": """id_product:id>products R|location:text|ean13:text max=13|isbn:text +17|upc:text max=12
        |mpn:text +17|quantity:int NF JN|reference:reference max=64|supplier_reference:text max=64
        |wholesale_price:price|price:price|ecotax:float6|weight:float6|unit_price_impact:price
        |minimal_quantity:uint R|low_stock_threshold:int N +17|low_stock_alert:bool +17|default_on:bool N
        |available_date:date""",
    "stock_availables": """id_product:id>products R|id_product_attribute:id>combinations R|id_shop:id>shops
        |id_shop_group:id>shop_groups|quantity:int R|depends_on_stock:bool R|out_of_stock:uint R
        |location:text max=255 +17""",
    "order_histories": "id_employee:id>employees|id_order_state:id>order_states R|id_order:id>orders R|date_add:datetime",
    "order_states": """unremovable:bool|delivery:bool|hidden:bool|send_email:bool|module_name:text|invoice:bool
        |color:text|logable:bool|shipped:bool|paid:bool|pdf_delivery:bool|pdf_invoice:bool|deleted:bool
        |name:text L R max=64|template:text L""",
    "order_carriers": """id_order:id>orders R|id_carrier:id>carriers R|id_order_invoice:id|weight:float6
        |shipping_cost_tax_excl:price|shipping_cost_tax_incl:price|tracking_number:tracking max=64
        |date_add:datetime""",
    "order_payments": """order_reference:reference max=9|id_currency:id>currencies R|amount:price R
        |payment_method:text|conversion_rate:price|transaction_id:text max=254|card_number:text max=254
        |card_brand:text max=254|card_expiration:text max=254|card_holder:text max=254|date_add:datetime""",
    "order_discounts": """id_order:id>orders R|id_cart_rule:id>cart_rules R|id_order_invoice:id|name:text R
        |value:price R|value_tax_excl:price R|free_shipping:bool""",
    "carriers": """deleted:bool|is_module:bool|id_tax_rules_group:id>tax_rule_groups NF|id_reference:id
        |name:text R max=64|active:bool R|is_free:bool|url:text|shipping_handling:bool|shipping_external:bool
        |range_behavior:bool|shipping_method:uint|max_width:uint|max_height:uint|max_depth:uint
        |max_weight:float6|grade:uint|external_module_name:text|need_range:bool|position:uint
        |delay:text L R max=512""",
    "currencies": """names:text L +17|name:text R NF +17|name:text R -17|symbol:text L +17|iso_code:text R max=3
        |numeric_iso_code:text +17|iso_code_num:text -17|blank:uint -17|sign:text -17|format:uint -17
        |decimals:bool -17|precision:uint +17|conversion_rate:price R|deleted:bool|active:bool
        |unofficial:bool +17|modified:bool +17|pattern:text L +17""",
    "countries": """id_zone:id>zones R|id_currency:id>currencies|call_prefix:uint|iso_code:text R max=3
        |active:bool|contains_states:bool R|need_identification_number:bool R|need_zip_code:bool
        |zip_code_format:text|display_tax_label:bool R|name:text L R max=64""",
    "languages": """name:text R max=32|iso_code:text R max=2|locale:text +17|language_code:text max=5
        |active:bool|is_rtl:bool|date_format_lite:text R|date_format_full:text R""",
    "shops": """id_shop_group:id>shop_groups R|id_category:id>categories R|id_theme:id -17|active:bool
        |deleted:bool|name:text R max=64|color:text +17|theme_name:text +17""",
    "shop_groups": "name:text R max=64|color:text|share_customer:bool|share_order:bool|share_stock:bool|active:bool|deleted:bool",
    "groups": """reduction:dec2|price_display_method:uint R|show_prices:bool|date_add:datetime
        |date_upd:datetime|name:text L R max=32""",
    "categories": """id_parent:id>categories|level_depth:uint NF|nb_products_recursive:int NF|active:bool R
        |id_shop_default:id|is_root_category:bool|position:uint|date_add:datetime|date_upd:datetime
        |name:text L R max=128|link_rewrite:text L R max=128|description:text L|meta_title:text L
        |meta_description:text L|meta_keywords:text L""",
    "tax_rule_groups": "name:text R max=64|active:bool|deleted:bool|date_add:datetime|date_upd:datetime",
    "taxes": "rate:dec3 R|active:bool|deleted:bool|name:text L R max=32",
    # CustomerThread::$definition (classes/CustomerThread.php): the back office's order page opens a
    # thread with id_contact 0 for an order's first message
    "customer_threads": """id_lang:id>languages R|id_shop:id>shops|id_customer:id>customers|id_order:id>orders
        |id_contact:id|id_product:id>products|email:email max=255|token:text R max=12|status:text
        |date_add:datetime|date_upd:datetime""",
    "customer_messages": """id_employee:id>employees|id_customer_thread:id>customer_threads|ip_address:text
        |message:text R max=65000|file_name:text|user_agent:text|private:bool|date_add:datetime
        |date_upd:datetime|read:bool""",
    # OrderSlip::$definition (classes/order/OrderSlip.php): the credit slip of a refund
    "order_slip": """id_customer:id>customers R|id_order:id>orders R|conversion_rate:price R
        |total_products_tax_excl:price R|total_products_tax_incl:price R|total_shipping_tax_excl:price R
        |total_shipping_tax_incl:price R|amount:price|shipping_cost:int|shipping_cost_amount:price|partial:int
        |date_add:datetime|date_upd:datetime|order_slip_type:int""",
    # OrderReturn::$definition (classes/order/OrderReturn.php): a merchandise return the customer asked
    # for. The class declares no webserviceParameters (no links), and no getter for its lines
    # (order_return_detail): the Webservice never shows them (see models/returns.py).
    "order_returns": "id_customer:id R|id_order:id R|question:text|state:text|date_add:datetime|date_upd:datetime",
    # SpecificPrice (classes/SpecificPrice.php, alike from 1.6 to 9): the linked fields of $webserviceParameters
    # first, then $definition's others; ids 0 mean "all", price -1 "the product's price" (models/prices.py)
    "specific_prices": """id_shop_group:id>shop_groups|id_shop:id>shops R|id_cart:id>carts R|id_product:id>products R
        |id_product_attribute:id>product_attributes|id_currency:id>currencies R|id_country:id>countries R
        |id_group:id>groups R|id_customer:id>customers R|id_specific_price_rule:id|price:negprice R
        |from_quantity:uint R|reduction:uprice R|reduction_tax:bool R|reduction_type:reduction R
        |from:dateformat R|to:dateformat R""",
}

# Resources a shop keeps whatever its version, served by the Webservice only from a major version on:
# 1.7 and 8.x answer code 27 for order_returns (#17753); PR #33675 added it for 9.0.
_SERVED_FROM = {"order_returns": 9}

_ENTITIES = {
    "order_discounts": ("order_cart_rule", "order_cart_rules"),
    "order_histories": ("order_history", "order_histories"),
    "order_details": ("order_detail", "order_details"),
    "order_slip": ("order_slip", "order_slips"),  # the root child is not the URL name (§7.1)
    "addresses": ("address", "addresses"),
    "categories": ("category", "categories"),
    "countries": ("country", "countries"),
    "currencies": ("currency", "currencies"),
    "taxes": ("tax", "taxes"),
}

_CLASS_NAMES = {
    "order_histories": "OrderHistory",
    "order_details": "OrderDetail",
    "addresses": "Address",
    "categories": "Category",
    "countries": "Country",
    "currencies": "Currency",
    "taxes": "Tax",
    "order_discounts": "OrderCartRule",
    "stock_availables": "StockAvailable",
    "order_slip": "OrderSlip",
    "order_returns": "OrderReturn",
}

_DESCRIPTIONS = {
    "orders": "The Customers orders",
    "order_details": "Details of an order",
    "customers": "The e-shop's customers",
    "addresses": "The Customer, Brand and Customer addresses",
    "products": "The products",
    "combinations": "The product combinations",
    "stock_availables": "Available quantities",
    "order_histories": "The Order histories",
    "order_states": "The Order statuses",
    "order_carriers": "The Order carriers",
    "order_payments": "The Order payments",
    "order_discounts": "The Order discounts",
    "carriers": "The Carriers",
    "currencies": "The currencies",
    "countries": "The countries",
    "languages": "Shop languages",
    "shops": "Shops from multi-shop feature",
    "shop_groups": "Shop groups from multi-shop feature",
    "groups": "The customer's groups",
    "categories": "The product categories",
    "tax_rule_groups": "Tax rule groups",
    "taxes": "The tax rate",
    "customer_messages": "Customer services messages",
    "customer_threads": "Customer services threads",
    "order_slip": "The Order slips",
    "order_returns": "The Order returns",
    "specific_prices": "Specific price management",
}


def _associations(resource: str, profile: str) -> list[AssociationDef]:
    a = _assoc
    if resource == "orders":
        return [
            a(
                "order_rows",
                "order_row",
                None,
                "id",
                "product_id",
                "product_attribute_id",
                "product_quantity",
                "product_name",
                "product_reference",
                "product_ean13",
                "product_isbn +17",
                "product_upc",
                "product_price",
                "id_customization +17",
                "unit_price_tax_incl",
                "unit_price_tax_excl",
                virtual=True,
                profile=profile,
            )
        ]
    if resource == "order_details":
        return [a("taxes", "tax", "taxes", "id", profile=profile)]
    if resource == "order_slip":
        # setter false, virtual_entity: computed by getWsOrderSlipDetails, ignored on write; its "id"
        # is the slip's own id on every line (SELECT id_order_slip as id)
        return [
            a(
                "order_slip_details",
                "order_slip_detail",
                None,
                "id",
                "id_order_detail",
                "product_quantity",
                "amount_tax_excl",
                "amount_tax_incl",
                virtual=True,
                profile=profile,
            )
        ]
    if resource == "customers":
        return [a("groups", "group", "groups", "id", profile=profile)]
    if resource == "products":
        return [
            a("categories", "category", "categories", "id", profile=profile),
            a("images", "image", "images", "id", profile=profile),
            a("combinations", "combination", "combinations", "id", profile=profile),
            a(
                "product_option_values",
                "product_option_value",
                "product_option_values",
                "id",
                profile=profile,
            ),
            a(
                "product_features",
                "product_feature",
                "product_features",
                "id",
                "id_feature_value:id>product_feature_values",
                profile=profile,
            ),
            a("tags", "tag", "tags", "id", profile=profile),
            a(
                "stock_availables",
                "stock_available",
                "stock_availables",
                "id",
                "id_product_attribute",
                profile=profile,
            ),
            *(
                [a("attachments", "attachment", "attachments", "id", profile=profile)]
                if profile != "1.6"
                else []
            ),
            a("accessories", "product", "products", "id", profile=profile),
            a(
                "product_bundle",
                "product",
                "products",
                "id",
                "id_product_attribute",
                "quantity",
                profile=profile,
            ),
        ]
    if resource == "combinations":
        return [
            a(
                "product_option_values",
                "product_option_value",
                "product_option_values",
                "id",
                profile=profile,
            ),
            a("images", "image", "images/products", "id", profile=profile),
        ]
    if resource == "categories":
        return [
            a("categories", "category", "categories", "id", profile=profile),
            a("products", "product", "products", "id", profile=profile),
        ]
    return []


def resource_definitions(profile: str, major_version: int | None = None) -> dict[str, ResourceDef]:
    """Every resource the emulator keeps, with the field set of the given version profile; those the
    Webservice of ``major_version`` (by default the profile's) does not serve are marked so."""
    major = major_version if major_version is not None else (8 if profile == "8" else 1)
    definitions = {}
    for name, spec in _FIELDS.items():
        fields = [FieldDef("id", TYPES["id"])]
        for line in spec.split("|"):
            parsed = _parse_field(line.strip(), profile)
            if parsed is not None:
                fields.append(parsed)
        entity, list_root = _ENTITIES.get(name, (name[:-1], name))
        refused = frozenset({"POST", "DELETE"}) if name == "stock_availables" else frozenset()
        served = major >= _SERVED_FROM.get(name, 0)
        definitions[name] = ResourceDef(
            name,
            entity,
            list_root,
            _DESCRIPTIONS[name],
            fields,
            _associations(name, profile),
            refused,
            served,
        )
    return definitions
