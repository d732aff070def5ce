"""The ``address`` section: ISO country codes, trimmed and cased fields, postcode formats, lines cut
to M3's 36 characters with the overflow flowing into the next line; what does not fit even then
follows ``address.overflow`` (``text``: the lines that fit, the full address kept for the order text;
``error``: a dead letter). And the order texts (``text_parts``) such an address is carried in."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

from prestashop_infor.sync.errors import MappingFailure
from prestashop_infor.sync.mapping.section import Section

# M3 field lengths this module cuts to (contract §11)
ADDRESS_LINE_LENGTH = 36  # CUA1-CUA4, CUNM
ADDRESS_LINES = ("CUA1", "CUA2", "CUA3", "CUA4")
TOWN_LENGTH = 20
POSTCODE_LENGTH = 10
TEXT_LENGTH = 240  # PARM of OIS100MI/AddBatchText: one order text


Case = Literal["keep", "upper", "lower", "title"]


class AddressRules(Section):
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
