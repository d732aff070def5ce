"""Reading a mapping file: ``load_mapping(path)`` reads the YAML (``None``: the commented default
shipped in ``prestashop_infor/sync/default_mapping.yaml``), ``parse_mapping`` validates it with
pydantic into a :class:`Mapping`, the model that gathers every section. Any problem is a
:class:`MappingError` whose message starts with the path of the bad key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import yaml
from pydantic import Field, PrivateAttr, field_validator

from prestashop_infor.sync.errors import first_problem
from prestashop_infor.sync.mapping.address import AddressRules
from prestashop_infor.sync.mapping.cancellation import Cancellation
from prestashop_infor.sync.mapping.credit import CreditGate
from prestashop_infor.sync.mapping.currency import CurrencyRules
from prestashop_infor.sync.mapping.enrichment import Enrichment
from prestashop_infor.sync.mapping.items import ItemRules
from prestashop_infor.sync.mapping.prices import PriceRules
from prestashop_infor.sync.mapping.refunds import Refunds
from prestashop_infor.sync.mapping.returns import Returns
from prestashop_infor.sync.mapping.section import MappingError, Section
from prestashop_infor.sync.mapping.settings import ErpSettings, Notifications, OrderSettings, StockSettings
from prestashop_infor.sync.mapping.shops import ShopRules, check_shop_ids
from prestashop_infor.sync.mapping.status import StatusMap

DEFAULT_MAPPING = Path(__file__).parents[1] / "default_mapping.yaml"
#: libyaml's safe loader where PyYAML was built with it (its wheels are): a run reads the mapping in
#: each step that needs it, and the pure-Python loader takes 22 ms for the default mapping, libyaml 2.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: How far apart the two derived series of M3 return numbers must start (slip ids, return ids below it).
RETURN_SERIES = 1_000_000_000


class Mapping(Section):
    """The whole mapping configuration."""

    # False in a draft from `prestashop-infor mapping suggest`: suggestions nobody has checked yet,
    # which load_mapping refuses. Files written by hand leave it out.
    reviewed: bool = True
    erp: ErpSettings = Field(default_factory=ErpSettings)
    orders: OrderSettings = Field(default_factory=OrderSettings)
    status: StatusMap = Field(default_factory=StatusMap)
    cancellation: Cancellation = Field(default_factory=Cancellation)
    refunds: Refunds = Field(default_factory=Refunds)
    returns: Returns = Field(default_factory=Returns)
    credit: CreditGate = Field(default_factory=CreditGate)
    prices: PriceRules = Field(default_factory=PriceRules)
    currency: CurrencyRules = Field(default_factory=CurrencyRules)
    address: AddressRules = Field(default_factory=AddressRules)
    items: ItemRules = Field(default_factory=ItemRules)
    enrichment: Enrichment = Field(default_factory=Enrichment)
    stock: StockSettings = Field(default_factory=StockSettings)
    shops: dict[int, ShopRules] = Field(default_factory=dict)
    notifications: Notifications = Field(default_factory=Notifications)
    _per_shop: dict[int, Mapping] = PrivateAttr(default_factory=dict)  # for_shop's, made once each

    @field_validator("shops")
    @classmethod
    def _shop_ids(cls, shops: dict[int, ShopRules]) -> dict[int, ShopRules]:
        return check_shop_ids(shops)

    def for_shop(self, shop_id: int | None) -> Mapping:
        """The mapping as one shop of a multistore sees it: its ERP currency and division, its stock
        rules, its order-head values under the enrichment defaults (``shops``); itself for a shop not
        listed.
        Made once per shop (the mapping is frozen): a year's reconciliation asks once per order."""
        key = int(shop_id or 0)
        shop = self.shops.get(key)
        if shop is None:
            return self
        made = self._per_shop.get(key)
        if made is None:
            defaults = self.enrichment.defaults.model_copy(update=shop.order.model_dump(exclude_none=True))
            made = self.model_copy(update={
                "erp": self.erp.model_copy(update={
                    "currency": shop.currency or self.erp.currency,
                    "division": shop.division or self.erp.division,
                }),
                "stock": shop.stock or self.stock,
                "enrichment": self.enrichment.model_copy(update={"defaults": defaults}),
            })  # fmt: skip
            self._per_shop[key] = made
        return made

    def divisions(self) -> list[str | None]:
        """The M3 divisions the shops' orders go to: ``erp.division`` (None: the API user's), then
        each shop's own, once each."""
        found: list[str | None] = [self.erp.division]
        for shop in self.shops.values():
            if shop.division is not None and shop.division not in found:
                found.append(shop.division)
        return found

    def stock_of(self, shop_id: int | None) -> StockSettings:
        """The stock rules of a shop: its own (``shops``), else the mapping's."""
        return self.for_shop(shop_id).stock

    def all_stock_rules(self) -> list[StockSettings]:
        """The mapping's stock rules and every shop's own."""
        return [self.stock, *(s.stock for s in self.shops.values() if s.stock is not None)]

    def shop_name(self, shop_id: int | None) -> str:
        shop = self.shops.get(int(shop_id or 0))
        return (shop.name if shop is not None and shop.name else None) or f"shop {shop_id}"


def load_mapping(path: str | Path | None = None) -> Mapping:
    """Read and validate a mapping file (None: the packaged default)."""
    source = Path(path) if path is not None else DEFAULT_MAPPING
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError("", f"cannot read mapping file {source}: {exc.strerror or exc}") from None
    try:
        raw = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise MappingError("", f"{source} is not valid YAML: {exc}") from None
    return parse_mapping(raw if raw is not None else {}, source=str(source))


def parse_mapping(raw: Any, *, source: str = "mapping") -> Mapping:
    """Validate an already-parsed mapping document."""
    if not isinstance(raw, dict):
        raise MappingError(
            "", f"{source}: the mapping must be a YAML mapping of sections, got {type(raw).__name__}"
        )
    try:
        mapping = Mapping.model_validate(raw)
    except pydantic.ValidationError as exc:
        problem, more = first_problem(exc)
        also = f" (and {more} more problem(s))" if more else ""
        raise MappingError(problem.path, f"{problem.reason}{also}") from None
    series = sorted([("refunds.m3_return_number_base", mapping.refunds.m3_return_number_base),
                     ("returns.m3_return_number_base", mapping.returns.m3_return_number_base)], key=lambda s: s[1])  # fmt: skip
    if series[1][1] - series[0][1] < RETURN_SERIES:
        raise MappingError(
            series[1][0],
            f"must be at least {RETURN_SERIES:,} from {series[0][0]} ({series[0][1]}): the two number "
            "series of M3 returns (base + the shop record's id) would meet",
        )
    if not mapping.reviewed:
        raise MappingError(
            "reviewed",
            f"{source}: this is a draft from `prestashop-infor mapping suggest`; review every suggestion "
            "and set reviewed: true",
        )
    return mapping
