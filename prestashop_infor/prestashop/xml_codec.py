"""The PrestaShop Webservice XML format: documents to Python values and back.

One codec serves both sides of the wire: the client parses the shop's answers and renders its write
bodies; the emulator parses write bodies and renders its answers. Parsed records have the same
shape as the Webservice's JSON output (contract §7.2), so everything above this module sees one
format whichever the shop spoke:

- a record is a ``dict``; ``id`` is an ``int``, every other scalar a ``str`` (``""`` when empty);
- a multilingual field is a list of ``{"id": "1", "value": "..."}``;
- ``associations`` maps each association name to a list of dicts (absent when all are empty);
- an ids-only list entry (``<order id="5" xlink:href="..."/>``) is ``{"id": 5}``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree as SafeET

XLINK_NS = "http://www.w3.org/1999/xlink"
XLINK_HREF = f"{{{XLINK_NS}}}href"
PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n'


class MalformedDocument(ValueError):
    """The body is not a PrestaShop XML document (truncated, HTML, PHP warning before the XML...)."""


def _root(body: bytes | str) -> ET.Element:
    try:
        prestashop = SafeET.fromstring(body)
    except ET.ParseError as exc:
        raise MalformedDocument(f"not well-formed XML: {exc}") from None
    except Exception as exc:  # defusedxml refuses entities and DTDs with its own errors
        raise MalformedDocument(f"refused XML: {exc}") from None
    if prestashop.tag != "prestashop":
        raise MalformedDocument(f"root element is <{prestashop.tag}>, expected <prestashop>")
    return prestashop


def _child(prestashop: ET.Element) -> ET.Element:
    children = list(prestashop)
    if len(children) != 1:
        raise MalformedDocument(f"<prestashop> holds {len(children)} elements, expected exactly one")
    return children[0]


def _scalar(element: ET.Element) -> str:
    return element.text or ""


def _field(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return _scalar(element)
    if all(child.tag == "language" for child in children):
        return [{"id": child.get("id", ""), "value": _scalar(child)} for child in children]
    # A nested structure that is not multilingual (rare; e.g. an association inside an entity).
    return [_record(child) for child in children]


def _record(element: ET.Element) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if "id" in element.attrib and not len(element):
        return {"id": _as_id(element.attrib["id"])}
    for child in element:
        if child.tag == "associations":
            associations = {association.tag: [_record(item) for item in association] for association in child}
            associations = {name: rows for name, rows in associations.items() if rows}
            if associations:
                record["associations"] = associations
        else:
            record[child.tag] = _field(child)
    if "id" in record:
        record["id"] = _as_id(record["id"])
    return record


def _as_id(value: Any) -> Any:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def root_name(body: bytes | str) -> str:
    """Name of the single child of ``<prestashop>`` (not always the URL's resource name, §7.1)."""
    return _child(_root(body)).tag


def parse_list(body: bytes | str) -> tuple[str, list[dict[str, Any]]]:
    """A list document: its root child's name and its records (``[]`` for ``<orders>\\n</orders>``)."""
    container = _child(_root(body))
    if container.tag == "errors":
        raise MalformedDocument("an error document where a list was expected")
    return container.tag, [_record(item) for item in container]


def parse_record(body: bytes | str) -> tuple[str, dict[str, Any]]:
    """A single-record document: the entity name and the record."""
    entity = _child(_root(body))
    if entity.tag == "errors":
        raise MalformedDocument("an error document where a record was expected")
    return entity.tag, _record(entity)


def parse_entities(body: bytes | str) -> list[tuple[str, dict[str, Any]]]:
    """A write body: every entity under ``<prestashop>`` in order (several are allowed, §6.1)."""
    return [(entity.tag, _record(entity)) for entity in _root(body)]


def parse_errors(body: bytes | str) -> list[tuple[int | None, str]]:
    """An error document's ``(code, message)`` pairs; ``[]`` when the body is not one."""
    try:
        errors = _child(_root(body))
    except MalformedDocument:
        return []
    if errors.tag != "errors":
        return []
    result = []
    for error in errors:
        code = (error.findtext("code") or "").strip()
        result.append((int(code) if code.isdigit() else None, error.findtext("message") or ""))
    return result


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return escape(str(value))


def _render_field(name: str, value: Any) -> str:
    if isinstance(value, list):
        languages = "".join(
            f"<language id={quoteattr(str(item['id']))}>{_text(item['value'])}</language>" for item in value
        )
        return f"<{name}>{languages}</{name}>"
    return f"<{name}>{_text(value)}</{name}>"


def _render_associations(associations: Mapping[str, Iterable[Mapping[str, Any]]]) -> str:
    parts = []
    for name, rows in associations.items():
        singular = singular_of(name)
        items = "".join(
            f"<{singular}>{''.join(_render_field(k, v) for k, v in row.items())}</{singular}>" for row in rows
        )
        parts.append(f"<{name}>{items}</{name}>")
    return f"<associations>{''.join(parts)}</associations>"


def render_entity(entity: str, record: Mapping[str, Any]) -> bytes:
    """A write body for one entity. Values are written without surrounding whitespace (§6.1)."""
    fields = []
    for name, value in record.items():
        if name == "associations":
            fields.append(_render_associations(value))
        else:
            fields.append(_render_field(name, value))
    return (
        f'{PROLOG}<prestashop xmlns:xlink="{XLINK_NS}"><{entity}>{"".join(fields)}</{entity}></prestashop>'
    ).encode()


def render_errors(errors: Iterable[tuple[int, str]]) -> bytes:
    """An error document as the Webservice writes it (§8)."""
    items = "".join(
        f"<error>\n<code><![CDATA[{code}]]></code>\n<message>{cdata(message)}</message>\n</error>\n"
        for code, message in errors
    )
    return (
        f'{PROLOG}<prestashop xmlns:xlink="{XLINK_NS}">\n<errors>\n{items}</errors>\n</prestashop>\n'.encode()
    )


def cdata(value: str) -> str:
    """Wrap text in CDATA the way PrestaShop does, splitting any ``]]>`` inside the value."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


_IRREGULAR_SINGULARS = {
    "order_histories": "order_history",
    "categories": "category",
    "countries": "country",
    "currencies": "currency",
    "order_rows": "order_row",
    "addresses": "address",
    "taxes": "tax",
    "accessories": "product",
    "product_bundle": "product",
    "stock_availables": "stock_available",
}


def singular_of(plural: str) -> str:
    """The entity element name for a resource or association name (``order_histories`` → ``order_history``)."""
    if plural in _IRREGULAR_SINGULARS:
        return _IRREGULAR_SINGULARS[plural]
    if plural.endswith("ies"):
        return plural[:-3] + "y"
    if plural.endswith("ses"):
        return plural[:-2]
    if plural.endswith("s"):
        return plural[:-1]
    return plural
