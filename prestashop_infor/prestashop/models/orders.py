"""Models of orders and what hangs on them: order rows and details, histories and states, carriers,
payments, invoices, and carts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from prestashop_infor.prestashop.models.base import (
    Flag,
    Int,
    LocalDateTime,
    Money,
    Multilingual,
    Record,
    Text,
)


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
