"""Writes (contract §6): create, update and delete of records, and the validation of written values.

The rules follow ``WebserviceRequest::saveEntityFromXml`` and ``ObjectModel`` in their order, so a
body with several faults fails on the one PrestaShop reports first:

1. the body is read (bodies.py; 127 when it is not XML);
2. ids across the whole body: POST with an id → 91; PUT/PATCH with a repeated id → 89, with an
   entity lacking one → 90;
3. then each entity in turn: PUT/PATCH of an unknown id → 404 code 92; the fields in definition
   order, where a non-writable field → 93 and a missing required field → 41 (PATCH skips absent
   fields, PUT resets them); multilingual values are validated (84), then the others (85); an
   unknown association → 86 (PrestaShop notices it after saving the record, the emulator before);
   then the resource's own rules (orders.py) run around the save.

A POST stamps ``date_add`` and ``date_upd`` with the shop clock, whatever the body says; an update
moves ``date_upd`` and stamps a ``date_add`` the PUT left out. A supplied association replaces the
stored list, an omitted one is left alone; ``order_rows`` has no setter and is ignored (§6.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from prestashop_infor.sandbox.prestashop.models.bodies import Entity, Value, read_entities
from prestashop_infor.sandbox.prestashop.models.casts import php_int
from prestashop_infor.sandbox.prestashop.models.clock import ShopClock
from prestashop_infor.sandbox.prestashop.models.errors import WebserviceError
from prestashop_infor.sandbox.prestashop.models.query import QueryResult, full_selection
from prestashop_infor.sandbox.prestashop.models.records import Row, Table
from prestashop_infor.sandbox.prestashop.resources import FieldDef, ResourceDef

_DATES = ("date_add", "date_upd")


class Writes:
    """The write rules of the ``Shop`` (a mixin; the state lives on the shop)."""

    definitions: dict[str, ResourceDef]
    tables: dict[str, Table]
    clock: ShopClock
    default_language: int

    def write(
        self, method: str, resource: str, url_id: str | None, body: bytes, params: Sequence[tuple[str, str]]
    ) -> tuple[int, QueryResult | None]:
        """A POST/PUT/PATCH/DELETE (§6). Returns the HTTP status and the record to render (None: empty)."""
        definition = self.definitions[resource]
        single = {k: v for k, v in params}
        self._check_shop(single)
        if method == "DELETE":
            return self._delete(definition, url_id, single.get("id")), None
        entities = read_entities(body)
        if not entities:
            raise WebserviceError(400, 40, "Invalid XML: the body holds no entity")
        _check_ids(method, entities)
        send_email = single.get("sendemail") == "1"
        if method == "POST":
            status, rows = 201, [self._create(definition, entity, send_email) for entity in entities]
        else:
            partial = method == "PATCH"
            status, rows = 200, [self._update(definition, entity, partial, send_email) for entity in entities]
        return status, QueryResult(
            "record", definition, rows[-1:], full_selection(definition), self.language_ids()
        )

    # ------------------------------------------------------------------ create, update, delete

    def _create(self, definition: ResourceDef, entity: Entity, send_email: bool) -> Row:
        row = self.new_row(definition.name)
        self._assign(definition, row, entity, partial=False, updating=False)
        now = self.clock.local_text()
        for name in _DATES:  # ObjectModel::add stamps both dates, whatever the body said
            if name in definition.by_name:
                self._set(definition.name, row, name, now)
        before = getattr(self, f"_before_create_{definition.name}", None)
        if before is not None:
            before(row)
        self.insert(definition.name, row)
        after = getattr(self, f"_after_create_{definition.name}", None)
        if after is not None:
            after(row, send_email)
        else:
            self._emit_object_event(definition.name, "created", row[0], row)
        return row

    def _update(self, definition: ResourceDef, entity: Entity, partial: bool, send_email: bool) -> Row:
        table = self.tables[definition.name]
        record_id = php_int(entity.id_text)
        old = table.rows.get(record_id)
        if old is None:
            raise WebserviceError(404, 92, "Invalid ID")
        row = list(old)
        if definition.associations:
            row[definition.assoc_pos] = dict(old[definition.assoc_pos] or {})
        self._assign(definition, row, entity, partial, updating=True)
        now = self.clock.local_text()
        if "date_upd" in definition.by_name:
            self._set(definition.name, row, "date_upd", now)
        if "date_add" in definition.by_name and "date_add" not in entity.fields and not partial:
            self._set(definition.name, row, "date_add", now)  # reset by the PUT, refilled by update()
        before = getattr(self, f"_before_update_{definition.name}", None)
        if before is not None:
            before(old, row)
        table.rows[row[0]] = row
        table.touch()
        after = getattr(self, f"_after_update_{definition.name}", None)
        if after is not None:
            after(old, row, send_email)
        else:
            self._emit_object_event(definition.name, "updated", row[0], row)
        return row

    def _delete(self, definition: ResourceDef, url_id: str | None, ids_param: str | None) -> int:
        if url_id is not None:
            wanted = [url_id]
        elif ids_param and ids_param.startswith("[") and ids_param.endswith("]"):
            wanted = [part for part in ids_param[1:-1].split(",") if part]
        else:
            raise WebserviceError(400, 87, "You have to set an id, or ids with the parameter id=[1,2,3]")
        table = self.tables[definition.name]
        missing = [w for w in wanted if not w.isdigit() or int(w) not in table.rows]
        if missing:
            raise WebserviceError(404, 87, f"Id(s) not exists: {', '.join(missing)}")
        for w in wanted:
            row = self.remove(definition.name, int(w))
            self._emit_object_event(definition.name, "deleted", int(w), row)
        return 200

    # ------------------------------------------------------------------ values

    def _assign(
        self, definition: ResourceDef, row: Row, entity: Entity, partial: bool, updating: bool
    ) -> None:
        """Apply the entity's fields to ``row`` in PrestaShop's order of checks (93, 41, 84, 85, 86)."""
        given: list[tuple[FieldDef, Value]] = []
        for f in definition.fields[1:]:
            value = entity.fields.get(f.name)
            if value is None:
                if partial:
                    continue
                if f.required and not f.i18n:
                    raise WebserviceError(400, 41, f'parameter "{f.name}" required')
                if f.i18n:
                    row[f.pos] = self._blank_texts()  # an absent multilingual field is blanked
                elif not f.read_only and not f.not_filterable and f.name not in _DATES:
                    row[f.pos] = f.default  # PUT is a full replace: absent optional fields are reset
                continue
            if f.i18n:
                row[f.pos] = self._texts(f, value, row[f.pos] if updating else None)
                continue
            if f.not_writable:
                raise WebserviceError(
                    400, 93, f'parameter "{f.name}" not writable. Please remove this attribute of this XML'
                )
            given.append((f, value))
        self._validate_texts(definition, row, entity, partial)
        for f, value in given:
            _validate(definition, f, value)
        for f, value in given:
            if not f.read_only:  # readOnly fields (synopsis) are validated, then ignored
                row[f.pos] = _stored(f, value.text)
        self._assign_associations(definition, row, entity)

    def _blank_texts(self) -> dict[int, str]:
        return {lang: "" for lang in self.language_ids()}

    def _texts(self, f: FieldDef, value: Value, stored: dict[int, str] | None) -> dict[int, str]:
        """A multilingual value: the languages given replace theirs; the others are blanked, except
        that a required field being updated keeps them (PrestaShop resets only optional fields)."""
        if value.languages is None:
            return {lang: value.text for lang in self.language_ids()}
        texts = dict(stored) if stored is not None and f.required else self._blank_texts()
        for lang, text in value.languages.items():
            if lang in texts:
                texts[lang] = text
        return texts

    def _validate_texts(self, definition: ResourceDef, row: Row, entity: Entity, partial: bool) -> None:
        """``validateFieldsLang``: required in the default language, length in every language (84)."""
        for f in definition.fields:
            if not f.i18n or (partial and f.name not in entity.fields):
                continue
            texts = row[f.pos] or {}
            if f.required and texts.get(self.default_language, "") == "":
                raise WebserviceError(
                    400, 84, f'Validation error: "Property {definition.class_name}->{f.name} is empty."'
                )
            for text in texts.values():
                if f.max_size is not None and len(text) > f.max_size:
                    raise WebserviceError(400, 84, _length_error(definition, f, text))

    def _assign_associations(self, definition: ResourceDef, row: Row, entity: Entity) -> None:
        if not entity.associations:
            return
        stored = dict(row[definition.assoc_pos] or {}) if definition.associations else {}
        for name, items in entity.associations.items():
            association = definition.assoc_by_name.get(name)
            if association is None:
                if name == "i18n":  # PrestaShop skips this one silently
                    continue
                raise WebserviceError(400, 86, f'The association "{name}" does not exists')
            if association.virtual:
                continue  # order_rows has no setter: ignored in a PUT (§6.5)
            stored[name] = [tuple(item.get(s, "") for s in association.fields) for item in items]
        if definition.associations:
            row[definition.assoc_pos] = stored


def _check_ids(method: str, entities: list[Entity]) -> None:
    """The id rules over the whole body, before any entity is saved (89, 90, 91)."""
    ids = [php_int(entity.id_text) for entity in entities if entity.id_text != ""]
    if method in ("PUT", "PATCH"):
        if len(set(ids)) != len(ids):
            raise WebserviceError(400, 89, "id is duplicate in request")
        if len(ids) != len(entities):
            raise WebserviceError(400, 90, "id is required when modifying a resource")
    elif ids:
        raise WebserviceError(400, 91, "id is forbidden when adding a new resource")


def _validate(definition: ResourceDef, f: FieldDef, value: Value) -> None:
    """``ObjectModel::validateField`` for a plain field: required, length, then format (85)."""
    name = f"{definition.class_name}->{f.name}"
    if value.nested or value.languages is not None:
        raise WebserviceError(400, 85, f'Validation error: "Property {name} is not valid"')
    text = value.text
    if text == "":
        if f.required:
            raise WebserviceError(400, 85, f'Validation error: "Property {name} is empty."')
        return
    if f.max_size is not None and len(text) > f.max_size:
        raise WebserviceError(400, 85, _length_error(definition, f, text))
    pattern = f.type.pattern
    if pattern is not None and text != "0" and not pattern.fullmatch(text):  # PHP: empty("0") skips
        raise WebserviceError(400, 85, f'Validation error: "Property {name} is not valid"')


def _length_error(definition: ResourceDef, f: FieldDef, text: str) -> str:
    return (
        f'Validation error: "The length of property {definition.class_name}->{f.name} is currently '
        f'{len(text)} chars. It must be between 0 and {f.max_size} chars."'
    )


def _stored(f: FieldDef, text: str) -> Any:
    """A validated value as the database would store and return it."""
    if text == "":
        return f.default if f.type.numeric or f.type.name in ("date", "datetime") else ""
    if f.type.name == "bool":
        return "1" if text in ("1", "true") else "0"
    if f.type.decimals is not None:
        try:
            return f"{Decimal(text):.{f.type.decimals}f}"
        except InvalidOperation:
            return text
    if f.type.numeric == "int":
        return str(int(text))
    return text
