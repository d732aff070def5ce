"""Write bodies read the way PrestaShop reads them (contract §3, §6.1), with the emulator's own reader.

PrestaShop loads a POST/PUT/PATCH body with ``new SimpleXMLElement($body)`` and walks it with
SimpleXML (``WebserviceRequest::saveEntityFromXml``). This module does the same walk, over
defusedxml and nothing of the product client's XML codec, so the client's writer is checked against
a reader it did not write:

- a leading ``xml=`` is stripped (the dispatcher does it), without URL-decoding;
- a body that is not XML, a JSON body included, fails with 500 code 127, quoting the body;
- every child element of the root is one entity, in order; neither the root's name nor the
  entity's is checked (``<prestashop><order_history>`` is the shape clients send);
- a field is the first child element of its name; its value is the element's own text, CDATA and
  plain text alike, whitespace kept (``<id>\\n 5\\n</id>`` is not ``5`` for a validator);
- a multilingual value is the ``<language id="N">`` children of the field;
- ``<associations>`` holds one element per association, whose items are flat lists of fields;
- elements with a namespace prefix are invisible, as to SimpleXML's ``children()``.

Entity declarations and external references are refused (defusedxml), also with code 127.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.dom import Node
from xml.dom.minidom import Element
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.minidom import parseString

from prestashop_infor.sandbox.prestashop.models.casts import php_int
from prestashop_infor.sandbox.prestashop.models.errors import WebserviceError

_TEXT_NODES = (Node.TEXT_NODE, Node.CDATA_SECTION_NODE)


@dataclass(frozen=True)
class Value:
    """One field element of a write body."""

    text: str  # the element's own text, as PHP's (string) cast reads it
    languages: dict[int, str] | None = None  # <language id="N"> children: language id → text
    nested: bool = False  # the element holds child elements (no plain value for a plain field)


@dataclass(frozen=True)
class Entity:
    """One entity of a write body: its fields and, when the body has them, its associations."""

    tag: str
    fields: dict[str, Value]
    associations: dict[str, list[dict[str, str]]] | None = None  # None: no <associations> element

    @property
    def id_text(self) -> str:
        """``(string) $entity->id``: empty when there is no ``<id>`` or it is empty."""
        value = self.fields.get("id")
        return "" if value is None else value.text


def read_entities(body: bytes) -> list[Entity]:
    """The entities of a POST/PUT/PATCH body; 500 code 127 when it is not XML."""
    raw = body[4:] if body.startswith(b"xml=") else body
    try:
        document = parseString(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (ExpatError, DefusedXmlException, ValueError) as error:
        raise WebserviceError(500, 127, _xml_error(raw, error)) from None
    return [_entity(element) for element in _children(document.documentElement)]


def _xml_error(raw: bytes, error: Exception) -> str:
    # PrestaShop's message, with the parser's reason added in brackets.
    return (
        f"XML error : String could not be parsed as XML ({error})\n"
        f"XML length : {len(raw)}\n"
        f"Original XML : {raw.decode('utf-8', errors='replace')}"
    )


def _children(element: Element) -> list[Element]:
    """Child elements as SimpleXML's ``children()`` lists them: no namespace or the default one."""
    return [node for node in element.childNodes if node.nodeType == Node.ELEMENT_NODE and node.prefix is None]


def _text(element: Element) -> str:
    """The element's own text (its text and CDATA children), not that of nested elements."""
    return "".join(node.data for node in element.childNodes if node.nodeType in _TEXT_NODES)


def _value(element: Element) -> Value:
    nested = _children(element)
    languages = [child for child in nested if child.localName == "language"]
    return Value(
        _text(element),
        {php_int(child.getAttribute("id")): _text(child) for child in languages} if languages else None,
        bool(nested),
    )


def _entity(element: Element) -> Entity:
    fields: dict[str, Value] = {}
    associations: dict[str, list[dict[str, str]]] | None = None
    for child in _children(element):
        name = child.localName
        if name == "associations":
            if associations is None:
                associations = _associations(child)
        elif name not in fields:  # $attributes->name is the first element of that name
            fields[name] = _value(child)
    return Entity(element.localName, fields, associations)


def _associations(element: Element) -> dict[str, list[dict[str, str]]]:
    """Association name → its items, each a dict of sub-field texts (a later duplicate wins)."""
    result: dict[str, list[dict[str, str]]] = {}
    for association in _children(element):
        result[association.localName] = [
            {field.localName: _text(field) for field in _children(item)} for item in _children(association)
        ]
    return result
