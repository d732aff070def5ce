"""Typed views of PrestaShop Webservice records (pydantic v2).

The client returns plain dicts in the Webservice's JSON shape (contract §7.2) whatever format the
shop spoke: ``id`` an int, every other scalar a string, multilingual fields a string or a list of
``{"id", "value"}``, associations a dict of lists. These models turn such a dict into Python values:

- ids, quantities and counters → ``int`` (``""`` → 0, pitfall 15; numbers accepted as well as strings);
- money, rates, weights → ``Decimal`` (never float);
- flags ``"0"``/``"1"`` → ``bool``;
- dates stay **shop-local naive** ``datetime``/``date``; unset dates (``0000-00-00 00:00:00``,
  ``0000-00-00``, ``""``, ``null``) → ``None``. :func:`to_utc` turns a local value into UTC given the
  shop's IANA time zone (the client knows it, the record does not, §7.3);
- multilingual fields, either shape → ``dict[int, str]`` keyed by language id (a plain string, i.e.
  one language in play, is stored under key ``0``); :func:`pick_language` reads one.

Unknown fields are kept (``extra="allow"``): versions differ (§11) and nothing accepted is lost.
Values that cannot be read (``"abc"`` for a quantity, ``"2019-13-45"`` for a date) fail validation
with pydantic's message naming the field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

SINGLE_LANGUAGE = 0
"""Key under which a multilingual field rendered as a plain string (one language in play) is stored."""

ZERO_DATES = {"", "0000-00-00", "0000-00-00 00:00:00"}


# --- value converters -------------------------------------------------------------------------------


def _to_int(value: Any) -> Any:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _to_optional_int(value: Any) -> Any:
    return None if value is None else _to_int(value)


def _to_decimal(value: Any) -> Any:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise ValueError(f"expected a decimal number, got {value!r}")
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, int | str):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"expected a decimal number, got {value!r}") from None
    return value


def _to_bool(value: Any) -> Any:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1"):
        return bool(int(value))
    raise ValueError(f"expected a flag 0/1, got {value!r}")


def _to_text(value: Any) -> Any:
    # Getter fields break the "everything is a string" rule: manufacturer_name can be false (§7.2).
    if value is None or value is False:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return value


def _to_datetime(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() in ZERO_DATES):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.strptime(text, "%Y-%m-%d")
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise ValueError(f"expected 'YYYY-MM-DD HH:MM:SS' shop-local time, got {value!r}") from None
    return value


def _to_date(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() in ZERO_DATES):
        return None
    if isinstance(value, str):
        text = value.strip()[:10]
        try:
            return datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            raise ValueError(f"expected 'YYYY-MM-DD', got {value!r}") from None
    return value


def _to_translations(value: Any) -> Any:
    if value is None or value is False:
        return {}
    if isinstance(value, str):
        return {SINGLE_LANGUAGE: value}
    if isinstance(value, dict):
        return {int(k): ("" if v is None else str(v)) for k, v in value.items()}
    if isinstance(value, list):
        translations = {}
        for item in value:
            if not isinstance(item, dict) or "id" not in item:
                raise ValueError(f"expected multilingual items {{'id', 'value'}}, got {item!r}")
            translations[int(item["id"])] = "" if item.get("value") is None else str(item["value"])
        return translations
    raise ValueError(f"expected a string or a list of languages, got {value!r}")


Int = Annotated[int, BeforeValidator(_to_int)]
OptionalInt = Annotated[int | None, BeforeValidator(_to_optional_int)]
Money = Annotated[Decimal, BeforeValidator(_to_decimal)]
Flag = Annotated[bool, BeforeValidator(_to_bool)]
Text = Annotated[str, BeforeValidator(_to_text)]
LocalDateTime = Annotated[datetime | None, BeforeValidator(_to_datetime)]
LocalDate = Annotated[date | None, BeforeValidator(_to_date)]
Multilingual = Annotated[dict[int, str], BeforeValidator(_to_translations)]


# --- helpers ----------------------------------------------------------------------------------------


def pick_language(translations: dict[int, str], language_id: int | None = None) -> str:
    """One language of a multilingual field: ``language_id`` if present, else the single-language
    value, else the lowest language id; ``""`` when there is nothing."""
    if language_id is not None and language_id in translations:
        return translations[language_id]
    if SINGLE_LANGUAGE in translations:
        return translations[SINGLE_LANGUAGE]
    if translations:
        return translations[min(translations)]
    return ""


def _zone(time_zone: str | tzinfo) -> tzinfo:
    return ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone


def to_utc(local: datetime | None, time_zone: str | tzinfo) -> datetime | None:
    """A shop-local wall-clock time as an aware UTC datetime.

    In the autumn fold (a local hour that happens twice) the *earlier* instant is chosen, so a
    watermark built from it never runs ahead of the data. In the spring gap (a local time that never
    happened, only written by a skewed clock) the offset before the jump is used, which maps it
    onto the real instant right after the jump.
    """
    if local is None:
        return None
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=_zone(time_zone), fold=0).astimezone(UTC)


def to_shop_local(moment: datetime, time_zone: str | tzinfo) -> datetime:
    """An aware datetime as the shop's naive wall-clock time (for filter values). Naive input is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone(time_zone)).replace(tzinfo=None, microsecond=0)


def earliest_local_since(moment: datetime, time_zone: str | tzinfo) -> datetime:
    """The earliest shop-local wall-clock time stamped on any record written at or after ``moment``.

    Normally ``moment`` in local time. When an autumn fold follows within a few hours, records of
    the repeated hour's second pass carry *earlier* local times than ``moment``'s, so the value is
    moved back by the offset change (a lower bound for a ``date_upd`` filter).
    """
    zone = _zone(time_zone)
    moment = _as_aware(moment)
    offset = moment.astimezone(zone).utcoffset()
    later = min((moment + timedelta(hours=h)).astimezone(zone).utcoffset() for h in (1, 2, 3))
    return to_shop_local(moment, zone) - max(timedelta(0), offset - later)


def latest_local_until(moment: datetime, time_zone: str | tzinfo) -> datetime:
    """The latest shop-local wall-clock time stamped on any record written at or before ``moment``.

    Normally ``moment`` in local time. Inside the second pass of an autumn fold, records of the first
    pass carry *later* local times, so the value is moved forward by the offset change (an upper
    bound for a ``date_upd`` filter).
    """
    zone = _zone(time_zone)
    moment = _as_aware(moment)
    offset = moment.astimezone(zone).utcoffset()
    earlier = max((moment - timedelta(hours=h)).astimezone(zone).utcoffset() for h in (1, 2, 3))
    return to_shop_local(moment, zone) + max(timedelta(0), earlier - offset)


def _as_aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- models -----------------------------------------------------------------------------------------


class Record(BaseModel):
    """Common base: an ``id`` and tolerance for fields this model does not list."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: Int

    def local_time(self, field: str) -> datetime | None:
        value = getattr(self, field)
        return value if isinstance(value, datetime) or value is None else None

    def utc(self, field: str, time_zone: str | tzinfo) -> datetime | None:
        """A date field of this record converted from shop-local time to UTC."""
        value = getattr(self, field)
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        return to_utc(value, time_zone)


class IdRef(BaseModel):
    """An association entry that only carries an id (``{"id": "2"}``)."""

    model_config = ConfigDict(extra="allow")
    id: Int


class OrderRow(BaseModel):
    """One line of ``orders.associations.order_rows`` (= an ``order_details`` row, fewer fields)."""

    model_config = ConfigDict(extra="allow")

    id: Int
    product_id: Int = 0
    product_attribute_id: Int = 0
    product_quantity: Int = 0
    product_name: Text = ""
    product_reference: Text = ""
    product_ean13: Text = ""
    product_isbn: Text = ""
    product_upc: Text = ""
    product_price: Money = Decimal(0)
    id_customization: Int = 0
    unit_price_tax_incl: Money = Decimal(0)
    unit_price_tax_excl: Money = Decimal(0)


class OrderAssociations(BaseModel):
    model_config = ConfigDict(extra="allow")
    order_rows: list[OrderRow] = Field(default_factory=list)


class Order(Record):
    id_address_delivery: Int = 0
    id_address_invoice: Int = 0
    id_cart: Int = 0
    id_currency: Int = 0
    id_lang: Int = 0
    id_customer: Int = 0
    id_carrier: Int = 0
    current_state: Int = 0
    module: Text = ""
    invoice_number: Int = 0
    invoice_date: LocalDateTime = None
    delivery_number: Int = 0
    delivery_date: LocalDateTime = None
    valid: Flag = False
    date_add: LocalDateTime = None
    date_upd: LocalDateTime = None
    shipping_number: Text = ""
    note: Text = ""
    id_shop_group: Int = 0
    id_shop: Int = 0
    secure_key: Text = ""
    payment: Text = ""
    recyclable: Flag = False
    gift: Flag = False
    gift_message: Text = ""
    mobile_theme: Flag = False
    total_discounts: Money = Decimal(0)
    total_discounts_tax_incl: Money = Decimal(0)
    total_discounts_tax_excl: Money = Decimal(0)
    total_paid: Money = Decimal(0)
    total_paid_tax_incl: Money = Decimal(0)
    total_paid_tax_excl: Money = Decimal(0)
    total_paid_real: Money = Decimal(0)
    total_products: Money = Decimal(0)
    total_products_wt: Money = Decimal(0)
    total_shipping: Money = Decimal(0)
    total_shipping_tax_incl: Money = Decimal(0)
    total_shipping_tax_excl: Money = Decimal(0)
    carrier_tax_rate: Money = Decimal(0)
    total_wrapping: Money = Decimal(0)
    total_wrapping_tax_incl: Money = Decimal(0)
    total_wrapping_tax_excl: Money = Decimal(0)
    round_mode: Int = 0
    round_type: Int = 0
    conversion_rate: Money = Decimal(1)
    reference: Text = ""
    associations: OrderAssociations = Field(default_factory=OrderAssociations)

    @property
    def order_rows(self) -> list[OrderRow]:
        return self.associations.order_rows


class OrderDetail(Record):
    id_order: Int = 0
    product_id: Int = 0
    product_attribute_id: Int = 0
    product_quantity_reinjected: Int = 0
    group_reduction: Money = Decimal(0)
    discount_quantity_applied: Int = 0
    download_hash: Text = ""
    download_deadline: LocalDateTime = None
    id_order_invoice: Int = 0
    id_warehouse: Int = 0
    id_shop: Int = 0
    id_customization: Int = 0
    product_name: Text = ""
    product_quantity: Int = 0
    product_quantity_in_stock: Int = 0
    product_quantity_return: Int = 0
    product_quantity_refunded: Int = 0
    product_price: Money = Decimal(0)
    reduction_percent: Money = Decimal(0)
    reduction_amount: Money = Decimal(0)
    reduction_amount_tax_incl: Money = Decimal(0)
    reduction_amount_tax_excl: Money = Decimal(0)
    product_quantity_discount: Money = Decimal(0)
    product_ean13: Text = ""
    product_isbn: Text = ""
    product_upc: Text = ""
    product_mpn: Text = ""
    product_reference: Text = ""
    product_supplier_reference: Text = ""
    product_weight: Money = Decimal(0)
    tax_computation_method: Int = 0
    id_tax_rules_group: Int = 0
    ecotax: Money = Decimal(0)
    ecotax_tax_rate: Money = Decimal(0)
    download_nb: Int = 0
    unit_price_tax_incl: Money = Decimal(0)
    unit_price_tax_excl: Money = Decimal(0)
    total_price_tax_incl: Money = Decimal(0)
    total_price_tax_excl: Money = Decimal(0)
    total_shipping_price_tax_excl: Money = Decimal(0)
    total_shipping_price_tax_incl: Money = Decimal(0)
    purchase_supplier_price: Money = Decimal(0)
    original_product_price: Money = Decimal(0)
    original_wholesale_price: Money = Decimal(0)
    total_refunded_tax_excl: Money = Decimal(0)
    total_refunded_tax_incl: Money = Decimal(0)
    associations: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)


class CustomerAssociations(BaseModel):
    model_config = ConfigDict(extra="allow")
    groups: list[IdRef] = Field(default_factory=list)


class Customer(Record):
    id_default_group: Int = 0
    id_lang: Int = 0
    newsletter_date_add: LocalDateTime = None
    ip_registration_newsletter: Text = ""
    last_passwd_gen: LocalDateTime = None
    secure_key: Text = ""
    deleted: Flag = False
    passwd: Text = Field(default="", repr=False)
    lastname: Text = ""
    firstname: Text = ""
    email: Text = ""
    id_gender: Int = 0
    birthday: LocalDate = None
    newsletter: Flag = False
    optin: Flag = False
    website: Text = ""
    company: Text = ""
    siret: Text = ""
    ape: Text = ""
    outstanding_allow_amount: Money = Decimal(0)
    show_public_prices: Flag = False
    id_risk: Int = 0
    max_payment_days: Int = 0
    active: Flag = False
    note: Text = ""
    is_guest: Flag = False
    id_shop: Int = 0
    id_shop_group: Int = 0
    date_add: LocalDateTime = None
    date_upd: LocalDateTime = None
    reset_password_token: Text = ""
    reset_password_validity: LocalDateTime = None
    associations: CustomerAssociations = Field(default_factory=CustomerAssociations)


class Address(Record):
    id_customer: Int = 0
    id_manufacturer: Int = 0
    id_supplier: Int = 0
    id_warehouse: Int = 0
    id_country: Int = 0
    id_state: Int = 0
    alias: Text = ""
    company: Text = ""
    lastname: Text = ""
    firstname: Text = ""
    vat_number: Text = ""
    address1: Text = ""
    address2: Text = ""
    postcode: Text = ""
    city: Text = ""
    other: Text = ""
    phone: Text = ""
    phone_mobile: Text = ""
    dni: Text = ""
    deleted: Flag = False
    date_add: LocalDateTime = None
    date_upd: LocalDateTime = None


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


class OrderHistory(Record):
    id_employee: Int = 0
    id_order_state: Int = 0
    id_order: Int = 0
    date_add: LocalDateTime = None


class OrderState(Record):
    unremovable: Flag = False
    delivery: Flag = False
    hidden: Flag = False
    send_email: Flag = False
    module_name: Text = ""
    invoice: Flag = False
    color: Text = ""
    logable: Flag = False
    shipped: Flag = False
    paid: Flag = False
    pdf_delivery: Flag = False
    pdf_invoice: Flag = False
    deleted: Flag = False
    name: Multilingual = Field(default_factory=dict)
    template: Multilingual = Field(default_factory=dict)


class OrderCarrier(Record):
    id_order: Int = 0
    id_carrier: Int = 0
    id_order_invoice: Int = 0
    weight: Money = Decimal(0)
    shipping_cost_tax_excl: Money = Decimal(0)
    shipping_cost_tax_incl: Money = Decimal(0)
    tracking_number: Text = ""
    date_add: LocalDateTime = None


class OrderPayment(Record):
    order_reference: Text = ""
    id_currency: Int = 0
    amount: Money = Decimal(0)
    payment_method: Text = ""
    conversion_rate: Money = Decimal(1)
    transaction_id: Text = ""
    card_number: Text = ""
    card_brand: Text = ""
    card_expiration: Text = ""
    card_holder: Text = ""
    date_add: LocalDateTime = None


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


class OrderInvoice(Record):
    id_order: Int = 0
    number: Int = 0
    delivery_number: Int = 0
    delivery_date: LocalDateTime = None
    total_discount_tax_excl: Money = Decimal(0)
    total_discount_tax_incl: Money = Decimal(0)
    total_paid_tax_excl: Money = Decimal(0)
    total_paid_tax_incl: Money = Decimal(0)
    total_products: Money = Decimal(0)
    total_products_wt: Money = Decimal(0)
    total_shipping_tax_excl: Money = Decimal(0)
    total_shipping_tax_incl: Money = Decimal(0)
    shipping_tax_computation_method: Int = 0
    total_wrapping_tax_excl: Money = Decimal(0)
    total_wrapping_tax_incl: Money = Decimal(0)
    shop_address: Text = ""
    note: Text = ""
    date_add: LocalDateTime = None


class CartRow(BaseModel):
    model_config = ConfigDict(extra="allow")
    id_product: Int = 0
    id_product_attribute: Int = 0
    id_address_delivery: Int = 0
    id_customization: Int = 0
    quantity: Int = 0


class CartAssociations(BaseModel):
    model_config = ConfigDict(extra="allow")
    cart_rows: list[CartRow] = Field(default_factory=list)


class Cart(Record):
    id_address_delivery: Int = 0
    id_address_invoice: Int = 0
    id_currency: Int = 0
    id_customer: Int = 0
    id_guest: Int = 0
    id_lang: Int = 0
    id_shop_group: Int = 0
    id_shop: Int = 0
    id_carrier: Int = 0
    recyclable: Flag = False
    gift: Flag = False
    gift_message: Text = ""
    mobile_theme: Flag = False
    delivery_option: Text = ""
    secure_key: Text = ""
    allow_seperated_package: Flag = False  # PrestaShop's spelling
    date_add: LocalDateTime = None
    date_upd: LocalDateTime = None
    associations: CartAssociations = Field(default_factory=CartAssociations)


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


MODELS: dict[str, type[Record]] = {
    "orders": Order,
    "order_details": OrderDetail,
    "customers": Customer,
    "addresses": Address,
    "products": Product,
    "combinations": Combination,
    "stock_availables": StockAvailable,
    "order_histories": OrderHistory,
    "order_states": OrderState,
    "order_carriers": OrderCarrier,
    "order_payments": OrderPayment,
    "currencies": Currency,
    "countries": Country,
    "languages": Language,
    "shops": Shop,
    "shop_groups": ShopGroup,
    "order_invoices": OrderInvoice,
    "carts": Cart,
    "stock_movements": StockMovement,
}
"""The model for each resource name (URL name), for code that handles several resources alike."""


def model_for(resource: str) -> type[Record]:
    """The model of a resource; ``KeyError`` naming the known ones when there is none."""
    try:
        return MODELS[resource]
    except KeyError:
        raise KeyError(f"no model for resource {resource!r}; known: {', '.join(sorted(MODELS))}") from None
