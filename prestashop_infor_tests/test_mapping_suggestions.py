"""``prestashop-infor mapping suggest`` (issue 10 §4): suggestions read from the sandbox, where the
right answer is known (the packaged default mapping was written for it), the draft refused until it
is reviewed, and the command's refusals."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from prestashop_infor.cli import main
from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.sandbox.infor import LifecycleSettings, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as m3_app
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as shop_app
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.sync.mapping import Mapping, MappingError, StatusMap, load_mapping, parse_mapping
from prestashop_infor.sync.mapping_suggestions import (
    M3Facts,
    Sellable,
    ShopFacts,
    render_draft,
    suggest,
    suggest_mapping,
)
from prestashop_infor_tests.in_process import in_process_client

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DRAFT_REFUSED = (
    "this is a draft from `prestashop-infor mapping suggest`; review every suggestion and set reviewed: true"
)


@pytest.fixture(scope="module")
def sandbox():
    """The sandbox shop and its M3 tenant in process, with clients on both."""
    shop = seed_shop(seed=42, orders=60, now=NOW)
    tenant = seed_tenant_from_shop(shop, lifecycle=LifecycleSettings.manual())
    with in_process_client(shop_app(shop)) as shop_http, in_process_client(m3_app(tenant)) as m3_http:
        prestashop = PrestashopClient(
            "http://testserver", DEFAULT_API_KEY, http_client=shop_http, backoff=0.001
        )
        credentials = IonApiCredentials.from_dict(tenant.ionapi("http://testserver"))
        m3 = M3Client(credentials, http_client=m3_http, sleep=lambda _s: None)
        yield shop, prestashop, m3


@pytest.fixture(scope="module")
def suggested(sandbox):
    _shop, prestashop, m3 = sandbox
    return suggest_mapping(prestashop, m3)


def test_the_sandbox_gets_the_mapping_written_for_it(sandbox, suggested):
    """The packaged default mapping is the right answer for the sandbox: its item strategy and the
    shop states its status map names."""
    right = load_mapping()
    draft = parse_mapping(suggested.document())
    assert draft.items == right.items
    assert draft.status.prestashop_state == right.status.prestashop_state
    assert list(draft.status.not_exported) == list(right.status.not_exported)
    assert draft.erp.currency == "EUR" and draft.currency.source == "conversion_rate"
    _shop, prestashop, _m3 = sandbox
    draft.status.resolve(prestashop.order_states())  # binds to the shop's states and their flags
    for key in ("items.strategies", "items.uppercase", "status.prestashop_state.shipped",
                "status.prestashop_state.paid", "erp.currency"):  # fmt: skip
        assert suggested.get(key).confidence == "high", key
    items = suggested.get("items.strategies").evidence
    assert "268 of 268 shop references" in items and "0 match nothing" in items
    assert "exists in M3 with ITDS" in items
    shipped = suggested.get("status.prestashop_state.shipped").evidence
    assert "'Shipped' (id 4) is flagged shipped" in shipped and "'Delivered' (id 5)" in shipped


def test_carriers_and_payment_modules_are_todos_where_m3_offers_no_codes(suggested):
    """The sandbox's M3 lists no delivery or payment methods: every carrier and payment module of
    the orders is a TODO with its evidence, none a guessed code."""
    rules = [s for s in suggested.suggestions if s.key == "enrichment.rules"]
    assert rules and all(rule.todo and rule.confidence == "low" for rule in rules)
    carriers = {rule.value["when"]["carrier"][0] for rule in rules if "carrier" in rule.value["when"]}
    modules = {
        rule.value["when"]["payment_module"][0] for rule in rules if "payment_module" in rule.value["when"]
    }
    assert carriers == {2, 3}
    assert modules <= {"ps_checkout", "ps_wirepayment", "ps_checkpayment", "ps_cashondelivery"} and modules
    colissimo = next(rule for rule in rules if rule.value["when"] == {"carrier": [2]})
    assert "'Colissimo'" in colissimo.evidence and "CRS070MI/LstDelyMethod" in colissimo.evidence
    assert suggested.document()["enrichment"] == {"rules": []}
    currency = suggested.get("erp.currency").evidence
    assert "could not be checked" in currency and "EUR (3)" in currency


def test_the_draft_is_refused_until_reviewed_then_loads_as_a_mapping(suggested, tmp_path: Path):
    draft = tmp_path / "mapping.draft.yaml"
    draft.write_text(render_draft(suggested, source="the sandbox"))
    text = draft.read_text()
    assert "\nreviewed: false\n" in text and "set `reviewed: true`" in text
    assert "# [high] " in text and "# TODO [low] carrier 2 'Colissimo'" in text
    with pytest.raises(MappingError, match="reviewed") as refused:
        load_mapping(draft)
    assert DRAFT_REFUSED in str(refused.value) and str(draft) in str(refused.value)

    draft.write_text(text.replace("\nreviewed: false\n", "\nreviewed: true\n"))
    mapping = load_mapping(draft)
    assert isinstance(mapping, Mapping) and mapping.reviewed
    assert mapping == parse_mapping(suggested.document())
    raw = yaml.safe_load(text)
    assert raw.pop("reviewed") is False and raw == suggested.document()  # the comments hide nothing


def test_files_without_reviewed_still_load_and_false_is_refused_whatever_else_they_hold():
    assert load_mapping().reviewed  # the packaged default
    assert parse_mapping({"erp": {"currency": "USD"}}).reviewed
    with pytest.raises(MappingError, match="draft from `prestashop-infor mapping suggest`"):
        parse_mapping({"reviewed": False, "erp": {"currency": "USD"}})
    with pytest.raises(MappingError, match="^reviewed: "):
        parse_mapping({"reviewed": "perhaps"})


# -- the rules behind the suggestions, on hand-made data ----------------------------------------------


def _facts(sellables: list[Sellable], items: dict[str, str], states: list[dict] | None = None):
    shop = ShopFacts(
        order_states=states or [],
        currencies=[{"id": 1, "iso_code": "EUR", "conversion_rate": "1.000000", "deleted": "0"}],
        carriers={},
        sellables=sellables,
    )
    return shop, M3Facts(items, Counter({"EUR": 1}), 1, delivery_methods={})


def test_near_matches_become_table_entries_only_when_one_m3_item_fits():
    items = {"MUG-01": "Mug", "TEE-02": "Tee", "Mug-03": "Mug three", "CAP1": "Cap", "CAP 1": "Cap too"}
    shop, m3 = _facts(
        [
            Sellable(1, 0, "MUG-01", ""),  # exact
            Sellable(2, 0, "TEE -02", ""),  # a blank too many
            Sellable(3, 0, "MUG-03", ""),  # M3 has it in another case: uppercase would not help
            Sellable(4, 0, "CA P1", ""),  # near two M3 items: no guess
            Sellable(5, 0, "", ""),
            Sellable(6, 7, "", "ZZ-1"),
        ],
        items,
    )
    suggestions = suggest(shop, m3)
    assert suggestions.document()["items"]["table"] == {"2": "TEE-02", "3": "Mug-03"}
    assert suggestions.get("items.uppercase").value is False
    assert suggestions.get("items.table.3").evidence.startswith(
        "product 3 'MUG-03' matches no M3 item as written"
    )
    evidence = suggestions.get("items.strategies").evidence
    assert "1 of 6 shop references" in evidence and "2 more only after folding case and blanks" in evidence
    assert "Matching nothing: product 4 'CA P1', product 5 (no reference), combination 6:7 'ZZ-1'" in evidence
    assert "product 4 'CA P1' ~ CAP 1, CAP1" in evidence
    assert suggestions.get("items.strategies").confidence == "low"
    mapping = parse_mapping(suggestions.document())
    assert mapping.items.resolve(2, 0, "TEE -02", None) == "TEE-02"


def test_lower_case_references_suggest_uppercase():
    shop, m3 = _facts(
        [Sellable(1, 0, "mug-01", ""), Sellable(2, 3, "tee", "tee-02-bk")],
        {"MUG-01": "Mug", "TEE-02-BK": "Tee"},
    )
    suggestions = suggest(shop, m3)
    assert suggestions.get("items.uppercase").value is True
    assert (
        suggestions.get("items.uppercase").evidence
        == "upper-casing the shop references makes 2 match instead of 0"
    )
    assert suggestions.document()["items"]["table"] == {}


def test_state_suggestions_say_how_sure_they_are():
    """A shop with its own state names: flags decide where names do not, and say so."""

    def state(sid, name, paid="0", shipped="0", delivery="0"):
        return {"id": sid, "name": name, "paid": paid, "shipped": shipped, "delivery": delivery}

    states = [
        state(1, "Paiement accepté", paid="1"),
        state(2, "En préparation", paid="1", delivery="1"),
        state(3, "Expédié", paid="1", shipped="1", delivery="1"),
        state(4, "Livré", paid="1", shipped="1", delivery="1"),
        state(5, "Annulé"),
        state(6, "Erreur de paiement"),
        state(7, "Payment error"),
    ]
    suggestions = suggest(*_facts([], {}, states))
    confirmed = suggestions.get("status.prestashop_state.confirmed")
    assert (confirmed.value, confirmed.confidence) == ("En préparation", "medium")
    assert "the only state flagged in delivery, not shipped" in confirmed.evidence
    shipped = suggestions.get("status.prestashop_state.shipped")
    assert (shipped.value, shipped.confidence) == ("Expédié", "low")
    assert "'Livré' (id 4)" in shipped.evidence
    assert suggestions.get("status.prestashop_state.paid").value == "Paiement accepté"
    cancelled = suggestions.get("status.prestashop_state.cancelled")
    assert (cancelled.value, cancelled.confidence) == (None, "low")
    assert suggestions.get("status.not_exported").value == ["Payment error"]
    StatusMap.model_validate(suggestions.document()["status"]).resolve(states)


# -- the command ---------------------------------------------------------------------------------------


@pytest.fixture
def servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Both emulators on loopback sockets and the environment pointing the command at them."""
    shop = seed_shop(seed=42, orders=20, now=NOW)
    tenant = seed_tenant_from_shop(shop, lifecycle=LifecycleSettings.manual())
    with BackgroundServer(shop_app(shop)) as shop_server, BackgroundServer(m3_app(tenant)) as m3_server:
        ionapi = tmp_path / "tenant.ionapi"
        ionapi.write_text(json.dumps(tenant.ionapi(m3_server.url)))
        for name in [n for n in os.environ if n.startswith("INFOR_IONAPI_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("PRESTASHOP_URL", shop_server.url)
        monkeypatch.setenv("PRESTASHOP_API_KEY", DEFAULT_API_KEY)
        monkeypatch.setenv("INFOR_IONAPI_FILE", str(ionapi))
        monkeypatch.chdir(tmp_path)
        yield tmp_path


def test_the_command_writes_a_draft_and_will_not_overwrite_it_without_force(servers: Path, capsys):
    assert main(["mapping", "suggest"]) == 0
    draft = servers / "mapping.draft.yaml"
    out = capsys.readouterr()
    assert f"wrote {draft.name}" in out.out and "reading M3: items" in out.err
    assert yaml.safe_load(draft.read_text())["reviewed"] is False

    draft.write_text("reviewed: false\n# a person's edits\n")
    assert main(["mapping", "suggest"]) == 2
    assert "mapping.draft.yaml already exists; pass --force" in capsys.readouterr().err
    assert draft.read_text() == "reviewed: false\n# a person's edits\n"  # untouched

    assert main(["mapping", "suggest", "--output", str(draft), "--force"]) == 0
    assert "items:" in draft.read_text()


@pytest.mark.parametrize(
    ("argv", "unset", "message"),
    [
        (["--output", "no/such/folder/m.yaml"], None, "the folder no/such/folder does not exist"),
        (["--output", "."], None, "is a folder; give the path of the file to write"),
        (
            [],
            "PRESTASHOP_URL",
            "PRESTASHOP_URL is not set (the shop's base URL and Webservice key); `mapping suggest`",
        ),
        ([], "INFOR_IONAPI_FILE", "`mapping suggest` reads the shop and M3"),
    ],
)
def test_bad_input_is_a_clear_error(servers: Path, monkeypatch, capsys, argv, unset, message):
    if unset:
        monkeypatch.delenv(unset)
    assert main(["mapping", "suggest", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (servers / "mapping.draft.yaml").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["mapping"], "the following arguments are required: mapping_command"),
     (["mapping", "suggest", "--output"], "expected one argument"),
     (["mapping", "guess"], "invalid choice: 'guess'")],
)  # fmt: skip
def test_bad_arguments_are_rejected_by_the_parser(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_carrier_gets_a_delivery_method_only_when_one_m3_code_clearly_matches():
    shop, m3 = _facts([], {})
    shop.carriers = {1: "Click and collect", 2: "DHL Express", 3: "Colissimo"}
    shop.order_carriers = Counter({1: 1, 2: 5, 3: 4})
    shop.orders_read = 10
    m3.delivery_methods = {"EXP": "DHL Express", "CR1": "Colissimo relay", "CH1": "Colissimo home"}
    suggestions = suggest(shop, m3)
    rules = {s.value["when"]["carrier"][0]: s for s in suggestions.suggestions if s.key == "enrichment.rules"}
    assert rules[2].value["set"] == {"delivery_method": "EXP"} and not rules[2].todo
    assert rules[2].confidence == "high" and "M3 delivery method EXP is 'DHL Express'" in rules[2].evidence
    assert rules[3].todo and "several match: CR1, CH1" in rules[3].evidence
    assert rules[1].todo and "none is named like it" in rules[1].evidence
    mapping = parse_mapping(suggestions.document())
    assert [rule.set.delivery_method for rule in mapping.enrichment.rules] == ["EXP"]
    assert yaml.safe_load(render_draft(suggestions))["enrichment"]["rules"] == [
        {"when": {"carrier": [2]}, "set": {"delivery_method": "EXP"}}
    ]
