"""The mapping configuration: how PrestaShop terms become M3 terms and back (``mapping.yaml``).

``load_mapping(path)`` reads a YAML file (``None``: the commented default shipped next to this
module), validates it with pydantic and answers a :class:`Mapping`. Any problem is a
:class:`MappingError` whose message starts with the path of the bad key
(``status.prestashop_state.shipped: ...``). The sections:

- ``status``: M3 milestones <-> PrestaShop order states, by name or id, resolved against the shop's
  own ``/api/order_states`` (:meth:`StatusMap.resolve`) — never hard-coded ids;
- ``currency``: converting order amounts to the ERP currency (the order's ``conversion_rate`` or a
  rates table, a rounding rule), keeping the original amounts next to the converted ones;
- ``address``: ISO country codes, trimmed and cased fields, postcode formats, lines cut to M3's
  36 characters with the overflow flowing into the next line; what does not fit even then follows
  ``address.overflow`` (``text``: the lines that fit, the full address kept for the order text;
  ``error``: a dead letter);
- ``items``: PrestaShop product + combination -> M3 item number (explicit table, combination
  reference, product reference; no match is an error, never a guess);
- ``enrichment``: order type, warehouse, facility, project, cost centre, delivery method... from
  rules on shop, carrier, country, payment module (first match wins) over defaults;
- ``erp``, ``orders``, ``stock``, ``notifications``: the rest of what the sync units need.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prestashop_infor.sync.errors import MappingFailure, ValidationError

DEFAULT_MAPPING = Path(__file__).with_name("default_mapping.yaml")

MILESTONES = ("confirmed", "allocated", "picking", "shipped", "invoiced", "paid")
CANCELLED = "cancelled"
ALL_MILESTONES = (*MILESTONES, CANCELLED)
BEFORE_CONFIRMED = -1  # the rank of shop states that come before the ERP confirms (awaiting payment...)

# M3 field lengths this module cuts to (contract §11)
ADDRESS_LINE_LENGTH = 36  # CUA1-CUA4, CUNM
ADDRESS_LINES = ("CUA1", "CUA2", "CUA3", "CUA4")
TOWN_LENGTH = 20
POSTCODE_LENGTH = 10
ITEM_NUMBER_LENGTH = 15
TEXT_LENGTH = 240  # PARM of OIS100MI/AddBatchText: one order text


class MappingError(ValueError):
    """The mapping configuration is wrong; the message starts with the path of the bad key."""

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _status_code(value: Any) -> str:
    text = str(value).strip()
    if not (len(text) == 2 and text.isdigit()):
        raise ValueError(f"an M3 status is two digits, got {value!r}")
    return text


# --------------------------------------------------------------------------------------------- status


class StatusMap(_Section):
    """Both directions of the status map.

    M3 -> shop: ``milestone_of_m3`` places an order head on the ladder ``confirmed < allocated <
    picking < shipped < invoiced < paid`` (``cancelled`` is terminal, off the ladder) from the
    status field named by ``m3_field`` (``ORSL``, the least-progressed line, by default: an order is
    "shipped" when every line is) and the ``m3_ranges``; ``prestashop_state`` says which shop state
    each milestone sets (a name or an id; null: the milestone changes nothing in the shop).
    Shop -> M3: ``not_exported`` lists the shop states whose orders are not sent to M3.
    """

    milestones: tuple[str, ...] = MILESTONES
    m3_field: Literal["ORSL", "ORST"] = "ORSL"
    m3_ranges: dict[str, tuple[str, str]] = Field(
        default_factory=lambda: {
            "confirmed": ("20", "22"),
            "allocated": ("23", "33"),
            "picking": ("34", "59"),
            "shipped": ("60", "69"),
            "invoiced": ("70", "79"),
        }
    )
    prestashop_state: dict[str, str | int | None] = Field(
        default_factory=lambda: {
            "confirmed": "Processing in progress",
            "shipped": "Shipped",
            "paid": "Payment accepted",
            "cancelled": "Canceled",
        }
    )
    not_exported: tuple[str | int, ...] = ("Canceled", "Refunded", "Payment error")

    @field_validator("milestones")
    @classmethod
    def _fixed_ladder(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if tuple(value) != MILESTONES:
            raise ValueError(f"the milestone ladder is fixed: {list(MILESTONES)}")
        return value

    @field_validator("m3_ranges")
    @classmethod
    def _ranges(cls, value: dict[str, Any]) -> dict[str, tuple[str, str]]:
        checked: dict[str, tuple[str, str]] = {}
        for milestone, bounds in value.items():
            if milestone not in MILESTONES or milestone == "paid":
                raise ValueError(
                    f"{milestone!r}: ranges are given for {list(MILESTONES[:-1])} "
                    "(paid comes from the receivable, cancelled from STAT 90)"
                )
            low, high = (_status_code(b) for b in bounds)
            if low > high:
                raise ValueError(f"{milestone}: low {low} is above high {high}")
            checked[milestone] = (low, high)
        return checked

    @field_validator("prestashop_state")
    @classmethod
    def _known_milestones(cls, value: dict[str, Any]) -> dict[str, Any]:
        for milestone in value:
            if milestone not in ALL_MILESTONES:
                raise ValueError(f"unknown milestone {milestone!r}; use one of {list(ALL_MILESTONES)}")
        return value

    def milestone_of_m3(self, head: MappingABC[str, str]) -> str | None:
        """The milestone an M3 order head (``GetHead``/``LstHead`` record: ``STAT``, ``ORSL``,
        ``ORST``; ``RECO`` if the caller merged the receivable's) has reached, None before
        confirmation (header 05/10, or a status outside every range)."""
        stat = (head.get("STAT") or "").strip()
        orsl, orst = (head.get("ORSL") or "").strip(), (head.get("ORST") or "").strip()
        if stat == "90" or (orsl == "99" and orst == "99"):
            return CANCELLED
        if stat in ("05", "10"):
            return None
        value = orsl if self.m3_field == "ORSL" else orst
        found: str | None = None
        for milestone in MILESTONES:
            bounds = self.m3_ranges.get(milestone)
            if bounds and bounds[0] <= value <= bounds[1]:
                found = milestone
        if found == "invoiced" and (head.get("RECO") or "").strip() == "9":
            return "paid"
        return found

    def resolve(self, states: Sequence[MappingABC[str, Any]]) -> ResolvedStatusMap:
        """Bind the configured names/ids to the shop's states (records of ``/api/order_states``).
        Raises MappingError naming the key when a state does not exist or lacks the flag its
        milestone needs (shipped must be flagged shipped, paid flagged paid)."""
        by_id: dict[int, MappingABC[str, Any]] = {}
        by_name: dict[str, list[int]] = {}
        for state in states:
            state_id = int(state["id"])
            by_id[state_id] = state
            for name in _state_names(state):
                by_name.setdefault(name.casefold(), []).append(state_id)

        def find(path: str, ref: str | int) -> int:
            if isinstance(ref, int) or str(ref).strip().isdigit():
                state_id = int(ref)
                if state_id not in by_id:
                    raise MappingError(path, f"the shop has no order state with id {state_id}")
                return state_id
            ids = by_name.get(str(ref).strip().casefold(), [])
            if not ids:
                known = sorted({n for s in states for n in _state_names(s)})
                raise MappingError(path, f"unknown order state {ref!r}; the shop has {known}")
            if len(set(ids)) > 1:
                raise MappingError(path, f"order state name {ref!r} is ambiguous (ids {sorted(set(ids))})")
            return ids[0]

        targets: dict[str, int] = {}
        for milestone, ref in self.prestashop_state.items():
            if ref is None:
                continue
            path = f"status.prestashop_state.{milestone}"
            state_id = find(path, ref)
            flags = by_id[state_id]
            if milestone == "shipped" and not _flag(flags.get("shipped")):
                raise MappingError(path, f"order state {ref!r} is not flagged shipped in the shop")
            if milestone == "paid" and not _flag(flags.get("paid")):
                raise MappingError(path, f"order state {ref!r} is not flagged paid in the shop")
            targets[milestone] = state_id
        excluded = {find(f"status.not_exported[{i}]", ref) for i, ref in enumerate(self.not_exported)}
        flags_by_id = {
            sid: {k: _flag(s.get(k)) for k in ("paid", "shipped", "delivery", "logable")}
            for sid, s in by_id.items()
        }
        return ResolvedStatusMap(targets, excluded, flags_by_id)


def _state_names(state: MappingABC[str, Any]) -> list[str]:
    name = state.get("name")
    if isinstance(name, str):
        return [name]
    if isinstance(name, dict):
        return [str(v) for v in name.values() if v]
    if isinstance(name, list):
        return [str(n.get("value")) for n in name if isinstance(n, dict) and n.get("value")]
    return []


def _flag(value: Any) -> bool:
    return value in (True, 1, "1")


@dataclass(frozen=True)
class ResolvedStatusMap:
    """The status map bound to one shop's order-state ids."""

    targets: dict[str, int]  # milestone -> state id to set
    not_exported: frozenset[int] | set[int]
    flags: dict[int, dict[str, bool]]  # state id -> paid/shipped/delivery/logable

    def state_for(self, milestone: str) -> int | None:
        """The shop state to set when an order reaches ``milestone`` (None: nothing to set)."""
        if milestone not in ALL_MILESTONES:
            raise ValueError(f"unknown milestone {milestone!r}")
        return self.targets.get(milestone)

    def milestone_of_state(self, state_id: int) -> str | None:
        """The milestone whose configured target is this shop state, if any."""
        for milestone, target in self.targets.items():
            if target == state_id:
                return milestone
        return None

    def rank_of_state(self, state_id: int) -> int | None:
        """Where a shop state sits on the fulfilment ladder (index into MILESTONES), so a status
        update never moves an order backwards. None for cancelled/unknown states (off the ladder).

        A state that is the target of a fulfilment milestone ranks as that milestone. The target of
        ``paid`` (e.g. "Payment accepted") is also the state card payments start in, before any
        fulfilment, so it ranks by its flags like every other state: shipped -> the shipped rank;
        in delivery -> confirmed; otherwise BEFORE_CONFIRMED (-1). Whether the order is already
        paid is :meth:`is_paid`, a separate question.
        """
        if state_id not in self.flags:
            return None
        milestone = self.milestone_of_state(state_id)
        if milestone == CANCELLED or state_id in self.not_exported:
            return None
        if milestone is not None and milestone != "paid":
            return MILESTONES.index(milestone)
        flags = self.flags[state_id]
        if flags["shipped"]:
            return MILESTONES.index("shipped")
        if flags["delivery"]:
            return MILESTONES.index("confirmed")
        return BEFORE_CONFIRMED

    def is_paid(self, state_id: int) -> bool:
        return self.flags.get(state_id, {}).get("paid", False)

    def is_shipped(self, state_id: int) -> bool:
        return self.flags.get(state_id, {}).get("shipped", False)

    def exportable(self, state_id: int) -> bool:
        """Whether an order in this shop state is sent to M3 (all but the ``not_exported`` ones)."""
        return state_id not in self.not_exported


# ------------------------------------------------------------------------------------------- currency


class CurrencyRules(_Section):
    """Order amounts go to M3 in the ERP currency.

    ``source: conversion_rate`` divides by the order's ``conversion_rate`` (PrestaShop's rate of the
    order currency against the shop's default currency, which must then be the ERP currency);
    ``source: rates`` multiplies by ``rates[ISO]`` = ERP currency units per unit of that currency.
    Results are rounded to ``decimals`` with ``rounding``. The original currency and amounts stay in
    the id map's data next to what was sent.
    """

    source: Literal["conversion_rate", "rates"] = "conversion_rate"
    rates: dict[str, Decimal] = Field(default_factory=dict)
    decimals: int = Field(default=2, ge=0, le=6)
    rounding: Literal["half_up", "half_even"] = "half_up"

    @field_validator("rates")
    @classmethod
    def _positive(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for iso, rate in value.items():
            if len(iso) != 3 or not iso.isalpha() or not iso.isupper():
                raise ValueError(f"{iso!r}: currencies are ISO 4217 codes such as 'USD'")
            if rate <= 0:
                raise ValueError(f"{iso}: a rate must be positive, got {rate}")
        return value

    def to_erp(
        self, amount: Decimal, currency: str, erp_currency: str, conversion_rate: Decimal | None
    ) -> Decimal:
        """``amount`` in ``currency`` expressed in the ERP currency, rounded."""
        if currency == erp_currency:
            converted = amount
        elif self.source == "rates":
            rate = self.rates.get(currency)
            if rate is None:
                raise MappingFailure(
                    "unknown_currency_rate",
                    "id_currency",
                    f"no rate for {currency} in currency.rates (mapping.yaml)",
                )
            converted = amount * rate
        else:
            if conversion_rate is None or conversion_rate <= 0:
                raise MappingFailure(
                    "invalid_conversion_rate",
                    "conversion_rate",
                    f"the order's conversion_rate {conversion_rate} cannot convert {currency} to {erp_currency}",
                )
            converted = amount / conversion_rate
        mode = ROUND_HALF_UP if self.rounding == "half_up" else ROUND_HALF_EVEN
        return converted.quantize(Decimal(1).scaleb(-self.decimals), rounding=mode)


# -------------------------------------------------------------------------------------------- address


Case = Literal["keep", "upper", "lower", "title"]


class AddressRules(_Section):
    """How a PrestaShop address becomes M3 address fields (``CUNM``, ``CUA1``-``CUA4``, ``PONO``,
    ``TOWN``, ``CSCD``, ``PHNO``).

    Every field is trimmed and inner whitespace collapsed; ``*_case`` recases names, lines and towns;
    ``ascii: true`` folds accents (for tenants whose M3 code page has none). Postcodes are upper-cased
    and reshaped to the country's format (``postcode_formats`` here, else the shop's own
    ``zip_code_format``: ``N`` digit, ``L`` letter, ``C`` the country code, other characters as is);
    a postcode that does not fit its format is an error if ``postcode_mismatch: error``, else sent as
    given. The lines are company (if any), address1, address2 (after the part of the name that does
    not fit ``CUNM``): each starts on a new line and wraps at word boundaries into the next one (a
    word longer than a line is cut inside it); when four lines are not enough they are packed
    together (joined with ", ", then wrapped).

    When even packed they take more than four lines, ``overflow`` decides:

    - ``text`` (the default): ``CUA1``-``CUA4`` are the first four packed lines, that is the address
      from its beginning (name overflow, company, address1, address2, in that order) up to the last
      word that fits in four lines of 36; everything after it is left out of the lines. :meth:`fit`
      says so (``overflow``) and keeps the whole address uncut (``full``) for the caller to carry
      elsewhere: the order sync writes it into the batch order's text (``OIS100MI/AddBatchText``),
      a customer (``CRS610MI``) has no such text and keeps only the lines;
    - ``error``: a ``MappingFailure("address_too_long")``, nothing is cut.
    """

    name_case: Case = "keep"
    line_case: Case = "keep"
    town_case: Case = "keep"
    ascii: bool = False
    company_line: bool = True
    postcode_formats: dict[str, str] = Field(default_factory=dict)
    postcode_mismatch: Literal["error", "keep"] = "keep"
    phone_length: int = Field(default=16, ge=0, le=16)
    countries: dict[int, str] = Field(
        default_factory=dict
    )  # shop country id -> ISO, overrides /api/countries
    overflow: Literal["text", "error"] = "text"  # lines that do not fit CUA1-CUA4 even packed

    @field_validator("countries")
    @classmethod
    def _iso(cls, value: dict[int, str]) -> dict[int, str]:
        for country_id, iso in value.items():
            if not (len(iso) == 2 and iso.isalpha() and iso.isupper()):
                raise ValueError(f"{country_id}: {iso!r} is not an ISO 3166 alpha-2 code")
        return value

    def standardize(
        self,
        address: MappingABC[str, Any],
        country_iso: str,
        shop_postcode_format: str = "",
        *,
        phone_length: int | None = None,
    ) -> dict[str, str]:
        """M3 address fields for one PrestaShop address record: the ``fields`` of :meth:`fit`
        (with ``overflow: text``, lines cut as the class docstring says). Raises MappingFailure
        naming the PrestaShop field when something cannot be represented."""
        return self.fit(address, country_iso, shop_postcode_format, phone_length=phone_length).fields

    def fit(
        self,
        address: MappingABC[str, Any],
        country_iso: str,
        shop_postcode_format: str = "",
        *,
        phone_length: int | None = None,
    ) -> FittedAddress:
        """M3 address fields for one PrestaShop address record, the whole address uncut, and whether
        the lines had to be cut to fit ``CUA1``-``CUA4`` (``overflow: text``). Raises MappingFailure
        naming the PrestaShop field when something cannot be represented (with ``overflow: error``,
        lines that do not fit)."""
        clean = {key: _clean(address.get(key), self.ascii) for key in _ADDRESS_KEYS}
        name = _case(" ".join(p for p in (clean["firstname"], clean["lastname"]) if p), self.name_case)
        if not name:
            name = _case(clean["company"], self.name_case)
        if not name:
            raise MappingFailure("missing_field", "lastname", "the address has no name and no company")
        name_lines = _wrap(name, ADDRESS_LINE_LENGTH)
        cunm, name_overflow = name_lines[0], " ".join(name_lines[1:])
        street: list[str] = []
        if self.company_line and clean["company"] and clean["company"] != name:
            street.append(clean["company"])
        street += [clean["address1"], clean["address2"]]
        street = [_case(line, self.line_case) for line in street if line]
        lines = [_case(name_overflow, self.line_case), *street] if name_overflow else street
        if not lines:
            raise MappingFailure("missing_field", "address1", "the address has no street line")
        total = sum(len(line) for line in lines)
        cua = _flow(lines, ADDRESS_LINE_LENGTH, len(ADDRESS_LINES))
        overflow = cua is None
        if cua is None:
            if self.overflow == "error":
                raise MappingFailure(
                    "address_too_long",
                    "address1",
                    f"the address lines ({total} characters) do not fit in M3's {len(ADDRESS_LINES)} "
                    f"lines of {ADDRESS_LINE_LENGTH} characters (CUA1-CUA4)",
                )
            cua = _wrap(", ".join(lines), ADDRESS_LINE_LENGTH)[: len(ADDRESS_LINES)]
        town = _case(clean["city"], self.town_case)
        if len(town) > TOWN_LENGTH:
            raise MappingFailure(
                "field_too_long", "city", f"the city {town!r} is longer than M3's {TOWN_LENGTH} (TOWN)"
            )
        pono = self.postcode(clean["postcode"], country_iso, shop_postcode_format)
        fields = {"CUNM": cunm, "TOWN": town, "PONO": pono, "CSCD": country_iso}
        fields.update(dict(zip(ADDRESS_LINES, cua, strict=False)))
        phone = clean["phone"] or clean["phone_mobile"]
        limit = self.phone_length if phone_length is None else phone_length
        phone = re.sub(r"[^\d+]", "", phone)
        if phone and limit and len(phone) <= limit:
            fields["PHNO"] = (
                phone  # a number that does not fit is left out: M3 keeps the order, not the phone
            )
        place = " ".join(p for p in (pono, town) if p)
        full = tuple(p for p in (name, *street, place, country_iso) if p)
        return FittedAddress({k: v for k, v in fields.items() if v}, full, overflow, total)

    def postcode(self, raw: str, country_iso: str, shop_format: str = "") -> str:
        value = raw.strip().upper()
        fmt = self.postcode_formats.get(country_iso, shop_format or "")
        if value and fmt:
            shaped = _shape_postcode(value, fmt, country_iso)
            if shaped is not None:
                value = shaped
            elif self.postcode_mismatch == "error":
                raise MappingFailure(
                    "invalid_postcode", "postcode", f"{raw!r} does not match the {country_iso} format {fmt!r}"
                )
        if len(value) > POSTCODE_LENGTH:
            raise MappingFailure(
                "field_too_long", "postcode", f"the postcode {raw!r} is longer than M3's {POSTCODE_LENGTH}"
            )
        return value


@dataclass(frozen=True)
class FittedAddress:
    """What :meth:`AddressRules.fit` made of one address."""

    fields: dict[str, str]  # M3 fields: CUNM, CUA1-CUA4 (cut when ``overflow``), PONO, TOWN, CSCD, PHNO
    # the whole address, nothing cut: name, company, address1, address2, "postcode town", country code
    full: tuple[str, ...]
    overflow: bool = False  # the lines did not fit CUA1-CUA4 and were cut (``overflow: text``)
    length: int = 0  # characters of the address lines before fitting (name overflow, company, street)

    def text(self, label: str = "Address") -> str:
        """The whole address on one line, for an order text: ``"<label>: name, street..., place, CC"``."""
        return f"{label}: " + ", ".join(self.full)


def text_parts(text: str, width: int = TEXT_LENGTH) -> list[str]:
    """``text`` as order texts (``OIS100MI/AddBatchText`` ``PARM``) of at most ``width`` characters,
    cut at word boundaries (a longer word inside). When it takes several, each starts with its place
    (``"(1/2) "``), so they read in order however they reach M3 (bulk requests run concurrently)."""
    text = " ".join(text.split())
    parts = _wrap(text, width)
    count = len(parts)
    while count > 1:
        parts = _wrap(text, width - len(f"({count}/{count}) "))
        if len(parts) <= count:
            return [f"({index}/{len(parts)}) {part}" for index, part in enumerate(parts, start=1)]
        count = len(parts)
    return parts


_ADDRESS_KEYS = ("firstname", "lastname", "company", "address1", "address2", "postcode", "city", "phone",
                 "phone_mobile")  # fmt: skip


def _clean(value: Any, fold: bool) -> str:
    text = " ".join(str(value or "").split())
    if fold:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text


def _case(text: str, case: Case) -> str:
    if case == "upper":
        return text.upper()
    if case == "lower":
        return text.lower()
    if case == "title":
        return " ".join(word[:1].upper() + word[1:].lower() for word in text.split(" "))
    return text


def _wrap(text: str, width: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``width`` characters at word boundaries (a word longer
    than ``width`` is cut inside). Joining the pieces with one blank gives the text back."""
    pieces: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > width:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current = f"{current} {word}"
        else:
            pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces


def _flow(lines: list[str], width: int, slots: int) -> list[str] | None:
    """Place ``lines`` into at most ``slots`` lines of ``width``: each line on its own, wrapped; if
    that takes too many, everything packed together (separated by ", "); None if nothing fits."""
    separate = [piece for line in lines for piece in _wrap(line, width)]
    if len(separate) <= slots:
        return separate
    packed = _wrap(", ".join(lines), width)
    return packed if len(packed) <= slots else None


def _shape_postcode(value: str, fmt: str, iso: str) -> str | None:
    """Reshape ``value`` to the PrestaShop-style format ``fmt`` (N digit, L letter, C country code,
    anything else literal), ignoring the blanks and dashes the customer typed; None if it cannot."""
    chars = [c for c in value if c not in " -"]
    if fmt.startswith("C") and value.startswith(iso):
        chars = chars[len(iso) :]
        fmt = fmt[1:]
        prefix = iso
    else:
        prefix = ""
    out: list[str] = []
    position = 0
    for symbol in fmt:
        if symbol in "NL":
            if position >= len(chars):
                return None
            char = chars[position]
            if (symbol == "N" and not char.isdigit()) or (symbol == "L" and not char.isalpha()):
                return None
            out.append(char)
            position += 1
        elif symbol == "C":
            out.append(iso)
        else:
            out.append(symbol)
    if position != len(chars):
        return None
    return prefix + "".join(out)


# ---------------------------------------------------------------------------------------------- items


class ItemRules(_Section):
    """PrestaShop product + combination -> M3 item number (``ITNO``, 15 characters).

    ``strategies`` are tried in order: ``table`` (explicit ``"<product_id>:<combination_id>"`` or
    ``"<product_id>"`` keys), ``combination_reference`` (lines with a combination only),
    ``product_reference`` (lines without a combination, unless
    ``product_reference_for_combinations``: the style item stands for every variant). No answer is
    an error naming the field — never a guess.

    ``description_language``: the shop language (id) whose product name and short description
    describe the M3 item (``ITDS``, ``FUDS``, see ``sync.master_data``); null: the shop's default
    language, read as PrestaShop gives it (the one language of a single-language shop, else the
    lowest language id, the installation language).
    """

    strategies: tuple[Literal["table", "combination_reference", "product_reference"], ...] = (
        "table",
        "combination_reference",
        "product_reference",
    )
    table: dict[str, str] = Field(default_factory=dict)
    uppercase: bool = False
    product_reference_for_combinations: bool = False
    description_language: int | None = Field(default=None, ge=1)

    @field_validator("table")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key, itno in value.items():
            if not re.fullmatch(r"\d+(:\d+)?", str(key)):
                raise ValueError(f"{key!r}: keys are '<product_id>' or '<product_id>:<combination_id>'")
            if not itno or len(itno) > ITEM_NUMBER_LENGTH:
                raise ValueError(
                    f"{key}: {itno!r} is not an M3 item number (1-{ITEM_NUMBER_LENGTH} characters)"
                )
        return {str(k): v for k, v in value.items()}

    def resolve(
        self,
        product_id: int,
        combination_id: int,
        product_reference: str | None,
        combination_reference: str | None,
    ) -> str:
        """The M3 item number of a product (``combination_id`` 0) or one of its combinations."""
        for strategy in self.strategies:
            candidate: str | None = None
            field = strategy
            if strategy == "table":
                key = f"{product_id}:{combination_id}" if combination_id else str(product_id)
                candidate = self.table.get(key)
                if candidate is None and combination_id:
                    candidate = self.table.get(str(product_id))
                field = f"items.table[{key}]"
            elif strategy == "combination_reference" and combination_id:
                candidate = (combination_reference or "").strip()
            elif strategy == "product_reference" and (
                not combination_id or self.product_reference_for_combinations
            ):
                candidate = (product_reference or "").strip()
            if not candidate:
                continue
            if self.uppercase:
                candidate = candidate.upper()
            if len(candidate) > ITEM_NUMBER_LENGTH:
                raise MappingFailure(
                    "item_number_too_long",
                    field,
                    f"{candidate!r} (product {product_id}, combination {combination_id}) is longer "
                    f"than M3's {ITEM_NUMBER_LENGTH} characters",
                )
            return candidate
        field = "combination_reference" if combination_id else "product_reference"
        raise MappingFailure(
            "unresolved_item",
            field,
            f"no M3 item for product {product_id}"
            + (f" combination {combination_id}" if combination_id else "")
            + f": empty {field} and no items.table entry",
        )


# ----------------------------------------------------------------------------------------- enrichment


class OrderFields(_Section):
    """M3 order-head values; null means "not sent" (M3 takes the customer's or the template's)."""

    order_type: str | None = Field(default=None, max_length=3)  # ORTP
    warehouse: str | None = Field(default=None, max_length=3)  # WHLO
    facility: str | None = Field(default=None, max_length=3)  # FACI
    project: str | None = Field(default=None, max_length=7)  # PROJ
    project_element: str | None = Field(default=None, max_length=8)  # ELNO
    delivery_method: str | None = Field(default=None, max_length=3)  # MODL
    delivery_terms: str | None = Field(default=None, max_length=3)  # TEDL
    payment_terms: str | None = Field(default=None, max_length=3)  # TEPY
    payment_method: str | None = Field(default=None, max_length=3)  # PYCD
    cost_center: str | None = Field(default=None, max_length=10)  # an AIT dimension value
    cost_center_dimension: Literal["AIT1", "AIT2", "AIT3", "AIT4", "AIT5", "AIT6", "AIT7"] | None = None

    def head_fields(self) -> dict[str, str]:
        """The fields sent on ``AddBatchHead``. The cost centre is not among them: M3 order
        transactions take no accounting dimension (contract §12); it is kept in the id map."""
        names = {"order_type": "ORTP", "warehouse": "WHLO", "facility": "FACI", "project": "PROJ",
                 "project_element": "ELNO", "delivery_method": "MODL", "delivery_terms": "TEDL",
                 "payment_terms": "TEPY", "payment_method": "PYCD"}  # fmt: skip
        return {m3: getattr(self, name) for name, m3 in names.items() if getattr(self, name)}


class RuleMatch(_Section):
    """Conditions of a rule; every given condition must hold (lists: any of the values)."""

    shop: tuple[int, ...] | None = None
    carrier: tuple[int, ...] | None = None
    country: tuple[str, ...] | None = None
    payment_module: tuple[str, ...] | None = None
    currency: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> RuleMatch:
        if all(
            v is None for v in (self.shop, self.carrier, self.country, self.payment_module, self.currency)
        ):
            raise ValueError(
                "a rule needs at least one condition (shop, carrier, country, payment_module, currency)"
            )
        return self

    def matches(self, context: OrderContext) -> bool:
        checks = (
            (self.shop, context.shop_id),
            (self.carrier, context.carrier_id),
            (self.country, context.country_iso),
            (self.payment_module, context.payment_module),
            (self.currency, context.currency),
        )
        return all(allowed is None or value in allowed for allowed, value in checks)


class Rule(_Section):
    when: RuleMatch
    set: OrderFields


@dataclass(frozen=True)
class OrderContext:
    """What enrichment rules can look at."""

    shop_id: int
    carrier_id: int
    country_iso: str
    payment_module: str
    currency: str


class Enrichment(_Section):
    """Order-head values: ``defaults``, overridden field by field by the first matching rule."""

    defaults: OrderFields = Field(default_factory=OrderFields)
    rules: tuple[Rule, ...] = ()

    def for_order(self, context: OrderContext) -> OrderFields:
        for rule in self.rules:
            if rule.when.matches(context):
                chosen = rule.set.model_dump(exclude_none=True)
                return self.defaults.model_copy(update=chosen)
        return self.defaults


# ----------------------------------------------------------------------------------------- the rest


class ErpSettings(_Section):
    company: int | None = None  # cono; None: the API user's default
    division: str | None = Field(default=None, max_length=3)  # divi
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    customer_template: str = Field(default="WEBTMPL", min_length=1, max_length=10)  # CUTM
    customer_number_prefix: str = Field(default="PS", pattern=r"^[A-Z0-9]{0,4}$")
    customer_language: str | None = Field(default=None, max_length=2)  # LNCD


class OrderSettings(_Section):
    customer_order_prefix: str = Field(default="PS", max_length=10)  # CUOR = prefix + order id
    address_type: int = Field(default=1, ge=1, le=4)  # ADRT of the delivery address
    price: Literal["unit_price_tax_excl", "unit_price_tax_incl", "none"] = "unit_price_tax_excl"
    bulk_size: int = Field(default=100, ge=1, le=500)  # transactions per M3 bulk request


class StockSettings(_Section):
    warehouses: tuple[str, ...] = ("100",)
    quantity_field: Literal["AV01", "AV02", "STQT"] = "AV01"

    @field_validator("warehouses")
    @classmethod
    def _some(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(not w or len(w) > 3 for w in value):
            raise ValueError("list one or more M3 warehouses (WHLO, at most 3 characters)")
        return value


class Notifications(_Section):
    status_email: bool = True  # sendemail=1 on order_histories
    tracking_email: bool = False  # sendemail=1 on order_carriers (the "Shipped" state mail has the link)


class Mapping(_Section):
    """The whole mapping configuration."""

    # False in a draft from `prestashop-infor mapping suggest`: suggestions nobody has checked yet,
    # which load_mapping refuses. Files written by hand leave it out.
    reviewed: bool = True
    erp: ErpSettings = Field(default_factory=ErpSettings)
    orders: OrderSettings = Field(default_factory=OrderSettings)
    status: StatusMap = Field(default_factory=StatusMap)
    currency: CurrencyRules = Field(default_factory=CurrencyRules)
    address: AddressRules = Field(default_factory=AddressRules)
    items: ItemRules = Field(default_factory=ItemRules)
    enrichment: Enrichment = Field(default_factory=Enrichment)
    stock: StockSettings = Field(default_factory=StockSettings)
    notifications: Notifications = Field(default_factory=Notifications)


def customer_order_number(order_id: int, prefix: str = "PS") -> str:
    """The M3 customer order number (``CUOR``, 20 characters) of a PrestaShop order: the
    idempotency key looked up before an order is created."""
    if int(order_id) <= 0:
        raise ValueError(f"a PrestaShop order id is positive, got {order_id!r}")
    cuor = f"{prefix}{int(order_id)}"
    if len(cuor) > 20:
        raise ValueError(f"customer order number {cuor!r} is longer than M3's 20 characters")
    return cuor


def load_mapping(path: str | Path | None = None) -> Mapping:
    """Read and validate a mapping file (None: the packaged default)."""
    source = Path(path) if path is not None else DEFAULT_MAPPING
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError("", f"cannot read mapping file {source}: {exc.strerror or exc}") from None
    try:
        raw = yaml.safe_load(text)
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
        first = exc.errors()[0]
        path = ""
        for part in first["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        message = first["msg"].removeprefix("Value error, ")
        raise MappingError(path, f"{message}{more}") from None
    if not mapping.reviewed:
        raise MappingError(
            "reviewed",
            f"{source}: this is a draft from `prestashop-infor mapping suggest`; review every suggestion "
            "and set reviewed: true",
        )
    return mapping


def erp_amounts(
    mapping: Mapping, amounts: Iterable[Decimal], currency: str, conversion_rate: Decimal | None
) -> list[Decimal]:
    """Several amounts of one order converted at once (same currency, same rate)."""
    return [mapping.currency.to_erp(a, currency, mapping.erp.currency, conversion_rate) for a in amounts]


def parse_decimal(value: Any, field: str) -> Decimal:
    """A number from a PrestaShop record; text where a number belongs is a validation error that
    names the field (the type-mismatch case of issue §3)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise ValidationError("not_a_number", field, f"expected a number, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError("not_a_number", field, f"expected a number, got {value!r}") from None
    if not number.is_finite():
        raise ValidationError("not_a_number", field, f"expected a finite number, got {value!r}")
    return number
