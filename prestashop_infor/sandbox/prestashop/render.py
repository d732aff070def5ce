"""Answers rendered byte for byte like PrestaShop: XML documents (contract §7.1), JSON (§7.2), error
documents (§8) and the API index (§1). The renderers only format what a ``QueryResult`` holds; which
records and fields to answer with is decided by the backend (``models/query.py``)."""

from __future__ import annotations

import json
from typing import Any

from prestashop_infor.sandbox.prestashop.models import ApiKey, QueryResult, Shop
from prestashop_infor.sandbox.prestashop.resources import AssociationDef, FieldDef, ResourceDef

XML_TYPE = "text/xml;charset=utf-8"
JSON_TYPE = "application/json"
PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
EPILOG = "</prestashop>\n"


# ----------------------------------------------------------------------------- XML


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _href(base: str, link: str, value: str, row_id: int) -> str:
    if link == "images":
        return f"{base}/api/images/products/{row_id}/{value}"
    return f"{base}/api/{link}/{value}"


def _xml_field(
    f: FieldDef, value: Any, base: str, languages: list[int], row_id: int, lang_hrefs: dict[int, str]
) -> str:
    name = f.name
    if f.i18n:
        texts = value or {}
        inner = "".join(
            f'<language id="{lang}" xlink:href="{lang_hrefs[lang]}">{_cdata(texts.get(lang, ""))}</language>'
            for lang in languages
        )
        return f"\t<{name}>{inner}</{name}>\n"
    text = "" if value is None else str(value)
    attrs = ""
    if f.link and text not in ("", "0"):
        attrs = f' xlink:href="{_href(base, f.link, text, row_id)}"'
    if f.not_filterable:
        attrs += ' notFilterable="true"'
    content = _cdata(text) if text else ""
    return f"\t<{name}{attrs}>{content}</{name}>\n"


def _xml_associations(
    shop: Shop,
    definition: ResourceDef,
    row: list,
    selected: list[tuple[AssociationDef, list[str]]],
    base: str,
) -> str:
    parts = ["<associations>\n"]
    for association, subfields in selected:
        items = shop.association_items(definition, row, association)
        if association.virtual:
            opening = f'<{association.name} nodeType="{association.node_type}" virtualEntity="true"'
        else:
            opening = f'<{association.name} nodeType="{association.node_type}" api="{association.api}"'
        if not items:
            parts.append(opening + "/>\n")
            continue
        parts.append(opening + ">\n")
        indexes = [association.fields.index(s) for s in subfields]
        node = association.node_type
        for item in items:
            if association.virtual or association.api is None:
                parts.append(f"\t<{node}>\n")
            else:
                href = f"{base}/api/{association.api}/{item[0]}"
                if association.api == "images":
                    href = f"{base}/api/images/products/{row[0]}/{item[0]}"
                parts.append(f'\t<{node} xlink:href="{href}">\n')
            for index in indexes:
                sub = association.fields[index]
                text = "" if item[index] is None else str(item[index])
                link = association.links.get(sub)
                attrs = f' xlink:href="{base}/api/{link}/{text}"' if link and text not in ("", "0") else ""
                parts.append(f"\t<{sub}{attrs}>{_cdata(text) if text else ''}</{sub}>\n")
            parts.append(f"\t</{node}>\n")
        parts.append(f"</{association.name}>\n")
    parts.append("</associations>\n")
    return "".join(parts)


def _xml_record(shop: Shop, result: QueryResult, row: list, base: str, lang_hrefs: dict[int, str]) -> str:
    definition = result.definition
    selection = result.selection
    entity = definition.entity
    parts = [f"<{entity}>\n"]
    value = shop.value
    for f in selection.fields:
        parts.append(_xml_field(f, value(definition, row, f), base, result.languages, row[0], lang_hrefs))
    if selection.associations:
        parts.append(_xml_associations(shop, definition, row, selection.associations, base))
    parts.append(f"</{entity}>\n")
    return "".join(parts)


def render_xml(shop: Shop, result: QueryResult, base: str) -> bytes:
    """A list, record or schema document exactly as §7.1."""
    definition = result.definition
    if result.kind.startswith("schema_"):
        return _render_schema_xml(shop, result, base).encode()
    lang_hrefs = {lang: f"{base}/api/languages/{lang}" for lang in result.languages}
    if result.kind == "record":
        return (PROLOG + _xml_record(shop, result, result.rows[0], base, lang_hrefs) + EPILOG).encode()
    root, entity = definition.list_root, definition.entity
    parts = [PROLOG, f"<{root}>\n"]
    if result.selection.ids_only:
        href = f"{base}/api/{definition.name}/"
        parts.extend(f'<{entity} id="{row[0]}" xlink:href="{href}{row[0]}"/>\n' for row in result.rows)
    else:
        parts.extend(_xml_record(shop, result, row, base, lang_hrefs) for row in result.rows)
    parts.append(f"</{root}>\n")
    parts.append(EPILOG)
    return "".join(parts).encode()


def _render_schema_xml(shop: Shop, result: QueryResult, base: str) -> str:
    definition = result.definition
    synopsis = result.kind == "schema_synopsis"
    parts = [PROLOG, f"<{definition.entity}>\n"]
    for f in definition.fields:
        if not synopsis and f.not_writable:
            continue
        attrs = ""
        if synopsis:
            if f.required:
                attrs += ' required="true"'
            if f.max_size:
                attrs += f' maxSize="{f.max_size}"'
            if f.name != "id":
                attrs += f' format="{f.type.format}"'
            if f.read_only:
                attrs += ' readOnly="true"'
        if f.i18n:
            inner = "".join(
                f'<language id="{lang}" xlink:href="{base}/api/languages/{lang}"></language>'
                for lang in result.languages
            )
            parts.append(f"\t<{f.name}{attrs}>{inner}</{f.name}>\n")
        else:
            parts.append(f"\t<{f.name}{attrs}></{f.name}>\n")
    if definition.associations:
        parts.append("<associations>\n")
        for association in definition.associations:
            kind = 'virtualEntity="true"' if association.virtual else f'api="{association.api}"'
            parts.append(f'<{association.name} nodeType="{association.node_type}" {kind}>\n')
            parts.append(f"\t<{association.node_type}>\n")
            parts.extend(f"\t<{sub}></{sub}>\n" for sub in association.fields)
            parts.append(f"\t</{association.node_type}>\n</{association.name}>\n")
        parts.append("</associations>\n")
    parts.append(f"</{definition.entity}>\n")
    parts.append(EPILOG)
    return "".join(parts)


def render_errors_xml(errors: list[tuple[int, str]]) -> bytes:
    items = "".join(
        f"<error>\n<code>{_cdata(str(code))}</code>\n<message>{_cdata(message)}</message>\n</error>\n"
        for code, message in errors
    )
    return f"{PROLOG}<errors>\n{items}</errors>\n{EPILOG}".encode()


def _index_flags(shop: Shop, api_key: ApiKey, definition: ResourceDef) -> str:
    methods = ["get", "put", "post"] + (["patch"] if shop.profile == "8" else []) + ["delete", "head"]
    allowed = None if api_key.permissions is None else api_key.permissions.get(definition.name, set())
    flags = []
    for method in methods:
        upper = method.upper()
        ok = upper not in definition.refused_methods and (
            allowed is None or upper in allowed or (upper == "HEAD" and "GET" in allowed)
        )
        flags.append(f'{method}="{"true" if ok else "false"}"')
    return " ".join(flags)


def _visible_resources(shop: Shop, api_key: ApiKey) -> list[ResourceDef]:
    return [
        definition
        for name, definition in sorted(shop.definitions.items())
        if definition.served and (api_key.permissions is None or name in api_key.permissions)
    ]


def render_index_xml(shop: Shop, api_key: ApiKey, base: str) -> bytes:
    parts = [PROLOG, f'<api shopName="{_escape_attr(shop.shop_name)}">\n']
    for definition in _visible_resources(shop, api_key):
        href = f"{base}/api/{definition.name}"
        flags = _index_flags(shop, api_key, definition)
        parts.append(f'<{definition.name} xlink:href="{href}" {flags}>\n')
        parts.append(f'<description xlink:href="{href}" {flags}>{definition.description}</description>\n')
        parts.append(f'<schema xlink:href="{href}?schema=blank" type="blank"/>\n')
        parts.append(f'<schema xlink:href="{href}?schema=synopsis" type="synopsis"/>\n')
        parts.append(f"</{definition.name}>\n")
    parts.append("</api>\n")
    parts.append(EPILOG)
    return "".join(parts).encode()


def render_index_json(shop: Shop, api_key: ApiKey) -> bytes:
    api: dict[str, Any] = {}
    for definition in _visible_resources(shop, api_key):
        flags = dict(pair.split("=") for pair in _index_flags(shop, api_key, definition).split())
        api[definition.name] = {
            "description": definition.description,
            **{k: v.strip('"') for k, v in flags.items()},
        }
    return json.dumps({"api": api}, ensure_ascii=False, separators=(",", ":")).encode()


def _escape_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# ----------------------------------------------------------------------------- JSON


def _json_record(shop: Shop, result: QueryResult, row: list) -> dict[str, Any]:
    definition = result.definition
    languages = result.languages
    one_language = languages[0] if len(languages) == 1 else None
    record: dict[str, Any] = {}
    value_of = shop.value
    for f in result.selection.fields:
        value = value_of(definition, row, f)
        if f.name == "id":
            record["id"] = value
        elif f.i18n:
            texts = value or {}
            if one_language is not None:
                record[f.name] = texts.get(one_language, "")
            else:
                record[f.name] = [{"id": str(lang), "value": texts.get(lang, "")} for lang in languages]
        elif f.json_number and value is not None:
            record[f.name] = int(value)
        else:
            record[f.name] = value
    if result.selection.associations:
        associations = {}
        for association, subfields in result.selection.associations:
            items = shop.association_items(definition, row, association)
            if not items:
                continue
            indexes = [(sub, association.fields.index(sub)) for sub in subfields]
            associations[association.name] = [
                {sub: ("" if item[i] is None else str(item[i])) for sub, i in indexes} for item in items
            ]
        if associations:
            record["associations"] = associations
    return record


def render_json(shop: Shop, result: QueryResult) -> bytes:
    """§7.2: ids as numbers, other values strings, null for NULL, ``[]`` for an empty list."""
    definition = result.definition
    if result.kind.startswith("schema_"):
        template = {
            f.name: "" for f in definition.fields if result.kind == "schema_synopsis" or not f.not_writable
        }
        payload: Any = {definition.entity: template}
    elif result.kind == "record":
        record = _json_record(shop, result, result.rows[0])
        if shop.profile == "8":  # 8.x drops falsy top-level fields of single records (PR #39918)
            record = {k: v for k, v in record.items() if v not in ("", "0", 0, None, False, [], {})}
        payload = {definition.entity: record}
    elif result.kind == "ids_record":
        payload = {definition.name: [{"id": row[0]} for row in result.rows]}
    elif not result.rows:
        payload = {definition.list_root: []} if shop.empty_list_as_object else []
    elif result.selection.ids_only:
        payload = {definition.list_root: [{"id": row[0]} for row in result.rows]}
    else:
        payload = {definition.list_root: [_json_record(shop, result, row) for row in result.rows]}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def render_errors_json(errors: list[tuple[int, str]]) -> bytes:
    return json.dumps(
        {"errors": [{"code": code, "message": message} for code, message in errors]}, ensure_ascii=False
    ).encode()
