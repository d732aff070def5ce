"""Models of the shop's customers and their addresses."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from prestashop_infor.prestashop.models.base import (
    Flag,
    IdRef,
    Int,
    LocalDate,
    LocalDateTime,
    Money,
    Record,
    Text,
)


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
