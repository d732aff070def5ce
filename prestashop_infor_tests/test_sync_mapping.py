"""The mapping configuration (load, errors naming the key path) and its rules: status, currency,
address standardization, item resolution, enrichment; and the id map."""

from __future__ import annotations

import pickle
from decimal import Decimal
from pathlib import Path

import pytest

from prestashop_infor.sandbox.prestashop.seed import _state_data
from prestashop_infor.store import Store, id_map
from prestashop_infor.sync import MappingError, MappingFailure, customer_order_number, load_mapping
from prestashop_infor.sync.mapping import MILESTONES, TEXT_LENGTH, OrderContext, parse_mapping, text_parts

STATES = [{"id": index, **state} for index, state in enumerate(_state_data(), start=1)]


def test_the_packaged_default_loads_and_resolves_against_a_fresh_shop():
    mapping = load_mapping()
    resolved = mapping.status.resolve(STATES)
    assert resolved.state_for("shipped") == 4  # "Shipped"
    assert resolved.state_for("paid") == 2  # "Payment accepted"
    assert resolved.state_for("allocated") is None
    assert not resolved.exportable(6) and resolved.exportable(2)  # Canceled is not sent to M3
    assert mapping.erp.currency == "EUR" and mapping.orders.customer_order_prefix == "PS"


def test_states_are_resolved_by_name_not_by_id_so_a_renumbered_shop_works():
    renumbered = [{**state, "id": state["id"] + 100} for state in STATES]
    resolved = load_mapping().status.resolve(renumbered)
    assert resolved.state_for("shipped") == 104


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        ({"status": {"prestashop_state": {"shipped": "Shiped"}}}, "status.prestashop_state.shipped", "Shiped"),
        ({"status": {"prestashop_state": {"shipped": "Payment accepted"}}}, "status.prestashop_state.shipped",
         "not flagged shipped"),
        ({"status": {"prestashop_state": {"paid": 99}}}, "status.prestashop_state.paid", "no order state with id 99"),
        ({"status": {"not_exported": ["Canceled", "Nope"]}}, "status.not_exported[1]", "Nope"),
    ],
)  # fmt: skip
def test_a_status_name_the_shop_does_not_have_is_an_error_naming_the_key(document, path, words):
    mapping = parse_mapping(document)
    with pytest.raises(MappingError) as caught:
        mapping.status.resolve(STATES)
    assert str(caught.value).startswith(f"{path}: ")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"orders": {"bulk_sizee": 3}}, "orders.bulk_sizee"),
        ({"erp": {"currency": "eur"}}, "erp.currency"),
        ({"enrichment": {"rules": [{"when": {"country": ["FR"]}, "set": {"warehouse": "1000"}}]}},
         "enrichment.rules[0].set.warehouse"),
        ({"enrichment": {"rules": [{"when": {}, "set": {}}]}}, "enrichment.rules[0].when"),
        ({"status": {"m3_ranges": {"shipped": ["69", "60"]}}}, "status.m3_ranges"),
        ({"items": {"table": {"12:x": "SKU"}}}, "items.table"),
        ({"currency": {"rates": {"USD": "-1"}}}, "currency.rates"),
    ],
)  # fmt: skip
def test_a_bad_key_in_the_file_is_an_error_naming_its_path(tmp_path: Path, document, path):
    import yaml

    file = tmp_path / "mapping.yaml"
    file.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(file)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")
    again = pickle.loads(pickle.dumps(caught.value))  # it crosses processes whole (a run's worker)
    assert (type(again), again.path, str(again)) == (MappingError, path, str(caught.value))


def test_unreadable_or_invalid_yaml_is_a_clear_error(tmp_path: Path):
    with pytest.raises(MappingError, match="cannot read mapping file"):
        load_mapping(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("status: [unclosed", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(broken)


@pytest.mark.parametrize(
    ("head", "milestone"),
    [
        ({"STAT": "20", "ORSL": "22", "ORST": "33"}, "confirmed"),
        ({"STAT": "20", "ORSL": "33", "ORST": "33"}, "allocated"),
        ({"STAT": "20", "ORSL": "44", "ORST": "66"}, "partially_shipped"),  # one line shipped, one not
        ({"STAT": "20", "ORSL": "33", "ORST": "99"}, "allocated"),  # a closed line is not a delivery
        ({"STAT": "20", "ORSL": "66", "ORST": "66"}, "shipped"),
        ({"STAT": "20", "ORSL": "77", "ORST": "77"}, "invoiced"),
        ({"STAT": "20", "ORSL": "77", "ORST": "77", "RECO": "9"}, "paid"),
        ({"STAT": "90", "ORSL": "22", "ORST": "22"}, "cancelled"),
        ({"STAT": "10", "ORSL": "10", "ORST": "10"}, None),
    ],
)
def test_m3_heads_are_placed_on_the_milestone_ladder(head, milestone):
    assert load_mapping().status.milestone_of_m3(head) == milestone


def test_ranks_never_let_a_paid_but_unshipped_state_block_shipping():
    resolved = load_mapping().status.resolve(STATES)
    shipped = MILESTONES.index("shipped")
    assert resolved.rank_of_state(2) < shipped  # "Payment accepted" (card orders start there)
    assert resolved.is_paid(2)
    assert resolved.rank_of_state(3) == MILESTONES.index("confirmed")
    assert resolved.rank_of_state(5) == shipped  # "Delivered" is flagged shipped
    assert resolved.rank_of_state(6) is None  # cancelled: off the ladder
    assert resolved.rank_of_state(999) is None


def test_currency_conversion_by_order_rate_and_by_table_with_rounding():
    mapping = load_mapping()
    to_erp = mapping.currency.to_erp
    assert to_erp(Decimal("10.83"), "USD", "EUR", Decimal("1.083")) == Decimal("10.00")
    assert to_erp(Decimal("12.50"), "EUR", "EUR", None) == Decimal("12.50")
    table = parse_mapping({"currency": {"source": "rates", "rates": {"GBP": "1.1"}, "rounding": "half_even"}})
    assert table.currency.to_erp(Decimal("0.25"), "GBP", "EUR", None) == Decimal("0.28")  # 0.275 -> even
    half_up = parse_mapping({"currency": {"source": "rates", "rates": {"GBP": "1.1"}}})
    assert half_up.currency.to_erp(Decimal("0.25"), "GBP", "EUR", None) == Decimal("0.28")
    assert half_up.currency.to_erp(Decimal("0.35"), "GBP", "EUR", None) == Decimal("0.39")  # 0.385 up
    assert table.currency.to_erp(Decimal("0.35"), "GBP", "EUR", None) == Decimal("0.38")  # 0.385 even
    with pytest.raises(MappingFailure) as caught:
        table.currency.to_erp(Decimal(1), "USD", "EUR", None)
    assert caught.value.code == "unknown_currency_rate" and caught.value.stage == "map"


ADDRESS = {
    "firstname": "  Élodie ",
    "lastname": "Lefèvre",
    "company": "",
    "address1": "12   rue  de la Paix",
    "address2": "",
    "postcode": " 75011",
    "city": "Paris ",
    "phone": "+33 612 345 678",
}


def test_address_fields_are_trimmed_and_fit_m3():
    fields = load_mapping().address.standardize(ADDRESS, "FR", "NNNNN")
    assert fields == {
        "CUNM": "Élodie Lefèvre",
        "CUA1": "12 rue de la Paix",
        "PONO": "75011",
        "TOWN": "Paris",
        "CSCD": "FR",
        "PHNO": "+33612345678",
    }
    upper = parse_mapping({"address": {"name_case": "upper", "ascii": True}})
    assert upper.address.standardize(ADDRESS, "FR")["CUNM"] == "ELODIE LEFEVRE"
    assert "PHNO" not in load_mapping().address.standardize(ADDRESS, "FR", phone_length=10)  # 12 > 10


def test_long_lines_overflow_into_the_next_line_without_losing_words():
    long = {**ADDRESS, "company": "Acme Trading", "address1": "Résidence des Grands Châtaigniers, Bâtiment C, "
            "Escalier 4", "address2": "Porte 12"}  # fmt: skip
    fields = load_mapping().address.standardize(long, "FR")
    lines = [fields[k] for k in ("CUA1", "CUA2", "CUA3", "CUA4") if k in fields]
    assert all(len(line) <= 36 for line in lines)
    assert lines[0] == "Acme Trading"
    assert " ".join(lines[1:3]) == long["address1"]
    assert lines[3] == "Porte 12"


def test_lines_are_packed_when_four_separate_lines_are_not_enough():
    packed = {
        **ADDRESS,
        "company": "Acme",
        "address1": "A" * 30 + " street",
        "address2": "Building B" + " x" * 20,
    }
    fields = load_mapping().address.standardize(packed, "FR")
    text = " ".join(fields[k] for k in ("CUA1", "CUA2", "CUA3", "CUA4") if k in fields)
    assert text.replace(", ", " ").split() == f"Acme {packed['address1']} {packed['address2']}".split()


def test_an_address_that_truly_cannot_fit_is_an_error_naming_the_field_under_the_strict_policy():
    huge = {**ADDRESS, "address1": "word " * 40, "address2": "more " * 10}
    strict = parse_mapping({"address": {"overflow": "error"}}).address
    with pytest.raises(MappingFailure) as caught:
        strict.standardize(huge, "FR")
    assert caught.value.code == "address_too_long" and caught.value.field == "address1"
    with pytest.raises(MappingFailure):
        strict.fit(huge, "FR")


def test_a_word_longer_than_a_line_is_cut_not_rejected():
    word = "Zentralverwaltungsgebäudeeingangsbereichsnebenstelle"  # 52 characters, no blank
    fields = load_mapping().address.fit({**ADDRESS, "address1": f"7 {word}"}, "DE")
    assert not fields.overflow
    lines = [fields.fields[k] for k in ("CUA1", "CUA2", "CUA3", "CUA4") if k in fields.fields]
    assert all(len(line) <= 36 for line in lines)
    assert lines == ["7", word[:36], word[36:]]
    strict = parse_mapping({"address": {"overflow": "error"}}).address  # fits, so strict takes it too
    assert strict.standardize({**ADDRESS, "address1": word * 2}, "DE")["CUA3"] == (word * 2)[72:104]


# the seeded shop's longest addresses: 128 + 77 = 205 characters of lines
LONG_ADDRESS = {
    **ADDRESS,
    "address1": (
        "162 rue Lefèvre, Résidence des Grands Châtaigniers, Bâtiment C, Escalier 4, "
        "Porte 12, Zone Artisanale du Moulin de la Seigneurie"
    )[:128],
    "address2": "Appartement 1207, code porte 4821B, interphone au nom de l'occupant précédent",
}


def test_a_205_character_address_keeps_the_four_lines_that_fit_and_the_whole_address_for_the_text():
    assert len(LONG_ADDRESS["address1"]) + len(LONG_ADDRESS["address2"]) == 205
    fitted = load_mapping().address.fit(LONG_ADDRESS, "FR", "NNNNN")
    assert fitted.overflow and fitted.length == 205
    lines = [fitted.fields[k] for k in ("CUA1", "CUA2", "CUA3", "CUA4")]
    assert all(0 < len(line) <= 36 for line in lines)
    packed = f"{LONG_ADDRESS['address1']}, {LONG_ADDRESS['address2']}"
    # the first four lines are the address from its beginning, cut at word boundaries
    assert packed.startswith(" ".join(lines)) and packed[len(" ".join(lines))] == " "
    assert fitted.full == (
        "Élodie Lefèvre",
        LONG_ADDRESS["address1"],
        LONG_ADDRESS["address2"],
        "75011 Paris",
        "FR",
    )
    assert fitted.fields["CUNM"] == "Élodie Lefèvre" and fitted.fields["TOWN"] == "Paris"
    text = fitted.text("Delivery address")
    assert LONG_ADDRESS["address1"] in text and LONG_ADDRESS["address2"] in text
    parts = text_parts(text)
    assert len(parts) == 2 and all(len(part) <= TEXT_LENGTH for part in parts)
    assert [part[:6] for part in parts] == ["(1/2) ", "(2/2) "]
    assert " ".join(part[6:] for part in parts) == text  # in order, nothing lost
    # the strict policy refuses the same address, and standardize gives the same four lines
    assert load_mapping().address.standardize(LONG_ADDRESS, "FR", "NNNNN") == fitted.fields
    with pytest.raises(MappingFailure) as caught:
        parse_mapping({"address": {"overflow": "error"}}).address.fit(LONG_ADDRESS, "FR")
    assert caught.value.code == "address_too_long"


def test_an_address_that_fits_has_no_overflow_and_a_short_text_is_one_part():
    fitted = load_mapping().address.fit(ADDRESS, "FR")
    assert not fitted.overflow and fitted.full == ("Élodie Lefèvre", "12 rue de la Paix", "75011 Paris", "FR")
    assert text_parts("Delivery address: x") == ["Delivery address: x"]
    long = " ".join(f"w{i:03d}" for i in range(300))  # 1,499 characters: many parts, all in order
    parts = text_parts(long)
    assert all(len(part) <= TEXT_LENGTH for part in parts) and len(parts) == 7
    assert " ".join(part.split(" ", 1)[1] for part in parts) == long
    assert [part.split(" ", 1)[0] for part in parts] == [f"({i}/7)" for i in range(1, 8)]


def test_the_overflow_policy_is_checked():
    assert load_mapping().address.overflow == "text"
    with pytest.raises(MappingError) as caught:
        parse_mapping({"address": {"overflow": "drop"}})
    assert str(caught.value).startswith("address.overflow: ")


def test_postcodes_take_the_country_format():
    rules = parse_mapping({"address": {"postcode_formats": {"GB": "LLNN NLL"}}}).address
    assert rules.postcode("1012ab", "NL", "NNNN LL") == "1012 AB"
    assert rules.postcode("sw1a1aa", "GB") == "SW1A1AA"  # does not match LLNN NLL: kept as given
    assert rules.postcode("sw11 1aa", "GB") == "SW11 1AA"
    strict = parse_mapping({"address": {"postcode_mismatch": "error"}}).address
    with pytest.raises(MappingFailure) as caught:
        strict.postcode("ABCDE", "FR", "NNNNN")
    assert caught.value.field == "postcode"


def test_items_resolve_by_table_then_combination_then_product_reference():
    items = parse_mapping({"items": {"table": {"7:31": "SPECIAL-1", "9": "TABLED"}}}).items
    assert items.resolve(7, 31, "PS-TSH-01", "PS-TSH-01-BK-S") == "SPECIAL-1"
    assert items.resolve(7, 32, "PS-TSH-01", "PS-TSH-01-BK-M") == "PS-TSH-01-BK-M"
    assert items.resolve(8, 0, "PS-MUG-01", None) == "PS-MUG-01"
    assert items.resolve(9, 0, "IGNORED", None) == "TABLED"


def test_an_unresolved_variant_is_an_error_never_the_style_item():
    items = load_mapping().items
    with pytest.raises(MappingFailure) as caught:
        items.resolve(7, 33, "PS-TSH-01", "")  # the combination has no reference
    assert caught.value.code == "unresolved_item" and caught.value.field == "combination_reference"
    with pytest.raises(MappingFailure) as caught:
        items.resolve(7, 0, "THIS-REFERENCE-IS-TOO-LONG", None)
    assert caught.value.code == "item_number_too_long"


def test_enrichment_first_matching_rule_wins_over_defaults():
    mapping = parse_mapping(
        {
            "enrichment": {
                "defaults": {"order_type": "WEB", "warehouse": "100", "cost_center": "CC-WEB"},
                "rules": [
                    {"when": {"carrier": [3]}, "set": {"delivery_method": "EXP"}},
                    {"when": {"country": ["CH", "GB"]}, "set": {"warehouse": "200", "order_type": "EXP"}},
                    {"when": {"country": ["GB"]}, "set": {"warehouse": "300"}},
                ],
            }
        }
    )
    gb = mapping.enrichment.for_order(OrderContext(1, 2, "GB", "ps_checkout", "GBP"))
    assert (gb.warehouse, gb.order_type, gb.cost_center) == ("200", "EXP", "CC-WEB")
    express = mapping.enrichment.for_order(OrderContext(1, 3, "GB", "ps_checkout", "GBP"))
    assert (express.delivery_method, express.warehouse) == ("EXP", "100")
    assert gb.head_fields() == {"ORTP": "EXP", "WHLO": "200"}  # no cost centre on order transactions


def test_customer_order_number_is_derived_and_fits_m3():
    assert customer_order_number(1234) == "PS1234"
    assert customer_order_number(1234, "SHOP-FR-") == "SHOP-FR-1234"
    with pytest.raises(ValueError, match="longer than"):
        customer_order_number(10**15, "PREFIX-")


def test_the_id_map_binds_both_keys_uniquely(tmp_path: Path):
    with Store.from_url(f"sqlite:///{tmp_path}/store.db") as store:
        first = id_map.bind(store, "sales_order", 7, "5000000001", fingerprint="f1", data={"cuor": "PS7"})
        assert first.data == {"cuor": "PS7"} and first.target_key == "5000000001"
        again = id_map.bind(store, "sales_order", 7, "1000000001", fingerprint="f2", data={"cuor": "PS7"})
        assert again.target_key == "1000000001" and again.created_at == first.created_at
        assert id_map.binding_by_target(store, "sales_order", "1000000001").source_key == "7"
        with pytest.raises(id_map.IdMapConflict):
            id_map.bind(store, "sales_order", 8, "1000000001")
        id_map.bind(store, "customer", "a@example.com", "1000000001")  # another entity: no conflict
        assert set(id_map.bindings_for(store, "sales_order", [7, 8, 9])) == {"7"}
        assert [b.source_key for b in id_map.bindings(store, "customer")] == ["a@example.com"]


def test_claims_are_taken_once_and_taken_over_once(tmp_path: Path):
    with Store.from_url(f"sqlite:///{tmp_path}/store.db") as store:
        assert id_map.claim_many(store, "customer", {"a@x.fr": "PSA", "b@x.fr": "PSB"}) == {
            "a@x.fr",
            "b@x.fr",
        }
        assert id_map.claim_many(store, "customer", {"a@x.fr": "PSA", "c@x.fr": "PSC"}) == {"c@x.fr"}
        held = id_map.claim_of(store, "customer", "a@x.fr")
        assert held.planned_key == "PSA"
        assert id_map.take_over(store, "customer", "a@x.fr", held) is True
        assert id_map.take_over(store, "customer", "a@x.fr", held) is False  # someone already did
        assert id_map.release(store, "customer", ["a@x.fr", "b@x.fr"]) == 2
        assert id_map.claim(store, "customer", "a@x.fr", "PSA") is True
