"""Customer and product updates to M3 (issue 9) against both emulators in process, a real SQLite
store and the extraction that fills it: changed shop customers change their M3 customer
(CRS610MI/ChgBasicData), changed products their M3 items' descriptions (MMS200MI/UpdItmBasic),
through the mapping and the id map, field by field so M3's own edits stay, never creating a record.

Every write is tested failing before it commits, committing and answering an error or a timeout,
killed after it, and from two runs at once: afterwards M3 holds exactly the shop's values, nothing
is doubled, and the id map records only what M3 holds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.sandbox.infor import Fault, LifecycleSettings, seed_tenant, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as m3_app
from prestashop_infor.sandbox.infor.models import M3Failure
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as shop_app
from prestashop_infor.store import Store, id_map
from prestashop_infor.sync.customers import SHOP_FIELDS, normalize_email
from prestashop_infor.sync.mapping import parse_mapping
from prestashop_infor.sync.master_data import (
    UNKNOWN_ITEMS_CURSOR,
    fit_text,
    item_texts,
    merge_fields,
    plain_text,
    push_customer_updates,
    push_item_updates,
)
from prestashop_infor.sync.orders import ShopLookups, sync_orders
from prestashop_infor.sync.prestashop_extraction import (
    ADDRESSES,
    COMBINATIONS,
    COUNTRIES,
    CURRENCIES,
    CUSTOMERS,
    ORDERS,
    PRODUCTS,
    extract_all,
    extract_changed,
)
from prestashop_infor_tests.in_process import in_process_client

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TIME_ZONE = "Europe/Paris"
LINES = [(1, 1, 2), (29, 0, 1)]  # a combination of product 1, and product 29 (no combinations)


class Terminated(BaseException):
    """A run stopped from outside right after a request committed (it never hears the answer)."""


class World:
    """The shop and M3 of the sandbox, a store, two customers with an order each already in M3."""

    def __init__(self, tmp_path: Path):
        self.shop = seed_shop(seed=7, orders=3, now=NOW)
        self.tenant = seed_tenant_from_shop(self.shop, lifecycle=LifecycleSettings.manual())
        self.shop_http = in_process_client(shop_app(self.shop))
        self.m3_http = in_process_client(m3_app(self.tenant))
        self.ps = PrestashopClient("http://testserver", DEFAULT_API_KEY, http_client=self.shop_http,
                                   backoff=0.001, time_zone=TIME_ZONE)  # fmt: skip
        credentials = IonApiCredentials.from_dict(self.tenant.ionapi("http://testserver"))
        self.m3 = M3Client(credentials, http_client=self.m3_http, sleep=lambda _s: None, max_concurrency=1)
        self.store = Store.from_url(f"sqlite:///{tmp_path}/store.db")
        self.mapping = parse_mapping({})
        self.customer_ids = [int(c["id"]) for c in self.shop.records("customers") if int(c["id"]) > 10][:2]
        self.writes: list[tuple[str, dict[str, str]]] = []
        for program, transaction in (("CRS610MI", "Add"), ("CRS610MI", "ChgBasicData"),
                                     ("MMS200MI", "UpdItmBasic")):  # fmt: skip
            self._count(program, transaction)
        self.order_ids = [self.place_order(customer_id) for customer_id in self.customer_ids]
        self.extract()
        report = self.sync_orders()
        assert sorted(report.created) == sorted(self.order_ids), report.errors

    # -- the shop ------------------------------------------------------------------------------

    def place_order(self, customer_id: int) -> int:
        return self.shop.place_order(customer_id, LINES)

    def edit(self, resource: str, record_id: int, **changes) -> dict:
        """A change made in the shop's back office (PUT), a minute after the last one."""
        self.shop.clock.advance(timedelta(minutes=1))
        record = self.ps.get(resource, record_id, fmt="xml")
        return self.ps.update(resource, {**record, **changes})

    def extract(self) -> None:
        """What the extraction assets store: customers, addresses, countries, currencies, products,
        combinations, orders."""
        for entity in (CUSTOMERS, ADDRESSES, PRODUCTS, ORDERS):
            extract_changed(self.ps, self.store, entity, time_zone=TIME_ZONE)
        for entity in (COUNTRIES, CURRENCIES, COMBINATIONS):
            extract_all(self.ps, self.store, entity, time_zone=TIME_ZONE, batch_size=100)

    def sync_orders(self, order_ids: list[int] | None = None):
        orders = [self.ps.get("orders", i) for i in order_ids or self.order_ids]
        return sync_orders(orders, shop_lookups=ShopLookups(self.ps), m3=self.m3, store=self.store,
                           mapping=self.mapping)  # fmt: skip

    # -- M3 ------------------------------------------------------------------------------------

    def _count(self, program: str, transaction: str) -> None:
        handler = self.tenant.handlers[(program, transaction)]

        def counting(fields: dict[str, str]):
            records = handler(fields)
            self.writes.append((transaction, dict(fields)))  # only writes M3 accepted
            return records

        self.tenant.handlers[(program, transaction)] = counting

    def written(self, transaction: str) -> list[dict[str, str]]:
        return [fields for name, fields in self.writes if name == transaction]

    def cuno(self, customer_id: int) -> str:
        binding = id_map.binding(self.store, "shop_customer", customer_id)
        assert binding is not None, f"shop customer {customer_id} is not bound"
        return binding.target_key

    def m3_customer(self, customer_id: int):
        return self.tenant.customers[self.cuno(customer_id)]

    def push_customers(self, **options):
        return push_customer_updates(m3=self.m3, store=self.store, mapping=self.mapping, **options)

    def push_items(self, **options):
        return push_item_updates(m3=self.m3, store=self.store, mapping=self.mapping, **options)

    def requests(self) -> int:
        return self.m3.stats["requests"]

    def on_request(self, transaction: str, action) -> None:
        """Call ``action(request)`` before the first M3 request carrying ``transaction``."""
        marker, seen = f'"{transaction}"'.encode(), {"done": False}

        def hook(request: httpx.Request) -> None:
            if marker in request.content and not seen["done"]:
                seen["done"] = True
                action(request)

        self.m3_http.event_hooks["request"].append(hook)

    def on_response(self, transaction: str, action) -> None:
        marker, seen = f'"{transaction}"'.encode(), {"done": False}

        def hook(response: httpx.Response) -> None:
            if marker in response.request.content and not seen["done"]:
                seen["done"] = True
                action(response)

        self.m3_http.event_hooks["response"].append(hook)

    def clear_hooks(self) -> None:
        self.m3_http.event_hooks["request"].clear()
        self.m3_http.event_hooks["response"].clear()

    def close(self) -> None:
        self.store.dispose()
        self.shop_http.close()
        self.m3_http.close()


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path)
    yield w
    w.close()


def invoice_address(world: World, customer_id: int) -> int:
    order_id = world.order_ids[world.customer_ids.index(customer_id)]
    return int(world.ps.get("orders", order_id)["id_address_invoice"])


def move(world: World, customer_id: int) -> None:
    """The customer moves (same shop address edited) and marries: new street, town, name."""
    world.edit("addresses", invoice_address(world, customer_id), address1="7 Rue Neuve", address2="",
               city="Lyon", postcode="69002", lastname="Martin")  # fmt: skip
    world.extract()


def in_step_with_the_shop(world: World, customer_id: int) -> None:
    """M3 holds exactly the shop's values, and the id map says it was sent."""
    customer = world.m3_customer(customer_id)
    first = world.ps.get("customers", customer_id)["firstname"]
    assert (customer.cunm, customer.cua1, customer.cua2, customer.town, customer.pono) == (
        f"{first} Martin",
        "7 Rue Neuve",
        "",
        "Lyon",
        "69002",
    )
    state = id_map.bindings_to(world.store, "customer", [customer.cuno])[customer.cuno][0].data
    assert {state["sent"][f] for f in ("CUA1", "TOWN")} == {"7 Rue Neuve", "Lyon"}
    assert id_map.claims(world.store, "customer_update") == []


# -------------------------------------------------------------------------------- the emulator


def test_chg_basic_data_changes_only_the_given_fields_and_guards_the_change_number():
    m3 = seed_tenant([("SKU-1", "Mug", "10.00")], lifecycle=LifecycleSettings.manual())
    before = m3.execute("CRS610MI", "GetBasicData", {"CUNO": "WEB0000001"})[0]
    lmts = m3.customers["WEB0000001"].lmts
    m3.execute("CRS610MI", "ChgBasicData", {"CUNO": "WEB0000001", "CUA1": "1 Quai", "TOWN": "?", "CHNO": "1"})
    after = m3.execute("CRS610MI", "GetBasicData", {"CUNO": "WEB0000001"})[0]
    assert (after["CUA1"], after["TOWN"], after["CHNO"]) == ("1 Quai", "", "2")  # "?" blanks a field
    assert {k: v for k, v in after.items() if k not in ("CUA1", "TOWN", "CHNO", "LMDT")} == {
        k: v for k, v in before.items() if k not in ("CUA1", "TOWN", "CHNO", "LMDT")
    }
    changed = m3.execute("CRS610MI", "LstByNumber", {"LMTS": str(lmts)})
    assert "WEB0000001" in [r["CUNO"] for r in changed]
    with pytest.raises(M3Failure) as stale:
        m3.execute("CRS610MI", "ChgBasicData", {"CUNO": "WEB0000001", "CUA1": "x", "CHNO": "1"})
    assert stale.value.field == "CHNO" and "changed by another user" in stale.value.message
    with pytest.raises(M3Failure) as missing:
        m3.execute("CRS610MI", "ChgBasicData", {"CUNO": "NOBODY", "CUA1": "x"})
    assert missing.value.field == "CUNO" and "does not exist" in missing.value.message
    with pytest.raises(M3Failure) as blank:
        m3.execute("CRS610MI", "ChgBasicData", {"CUNO": "WEB0000001", "CUNM": "?"})
    assert blank.value.field == "CUNM"
    assert m3.customers["WEB0000001"].cua1 == "1 Quai"  # the refused calls changed nothing


def test_upd_itm_basic_changes_the_descriptions_and_guards_the_change_number():
    m3 = seed_tenant([("SKU-1", "Mug", "10.00")], lifecycle=LifecycleSettings.manual())
    m3.execute("MMS200MI", "UpdItmBasic", {"ITNO": "SKU-1", "ITDS": "Big mug", "FUDS": "A mug.", "CHNO": "1"})
    item = m3.execute("MMS200MI", "Get", {"ITNO": "SKU-1"})[0]
    assert (item["ITDS"], item["FUDS"], item["CHNO"], item["UNMS"]) == ("Big mug", "A mug.", "2", "EA")
    assert m3.execute("MMS200MI", "GetItmBasic", {"ITNO": "SKU-1"})[0]["ITDS"] == "Big mug"
    with pytest.raises(M3Failure, match="changed by another user"):
        m3.execute("MMS200MI", "UpdItmBasic", {"ITNO": "SKU-1", "ITDS": "x", "CHNO": "1"})
    with pytest.raises(M3Failure, match="Item number NOPE does not exist"):
        m3.execute("MMS200MI", "UpdItmBasic", {"ITNO": "NOPE", "ITDS": "x"})


def test_a_fault_matched_by_transaction_name_applies_to_bulk_requests_carrying_it():
    tenant = seed_tenant([("SKU-1", "Mug", "10.00")], lifecycle=LifecycleSettings.manual())
    with in_process_client(m3_app(tenant)) as http:
        m3 = M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=http,
                      sleep=lambda _s: None)  # fmt: skip
        tenant.gateway.faults.append(Fault(502, match="CRS610MI/ChgBasicData", after_commit=True))
        (read,) = m3.bulk([("CRS610MI", "GetBasicData", {"CUNO": "WEB0000001"})])
        assert read.ok and tenant.gateway.faults  # a read of the program does not use it up
        (write,) = m3.bulk([("CRS610MI", "ChgBasicData", {"CUNO": "WEB0000001", "CUA1": "1 Quai"})])
        assert not write.ok and write.error.may_have_committed
        assert tenant.customers["WEB0000001"].cua1 == "1 Quai" and not tenant.gateway.faults


# ------------------------------------------------------------------------------------ the merge


def test_the_merge_sends_shop_changes_and_keeps_m3_edits():
    merge = merge_fields(
        desired={"CUA1": "new", "TOWN": "Lyon", "PONO": "69002", "MAIL": "a@b.fr", "CUNM": "Zoé"},
        current={"CUA1": "old", "TOWN": "LYON 2E", "PONO": "69002", "MAIL": "x@y.fr", "CUNM": "Zoe G"},
        sent={"CUA1": "old", "TOWN": "Paris", "MAIL": "x@y.fr", "CUNM": "Zoé"},
        kept={"MAIL": "x@y.fr"},
    )
    assert merge.send == {"CUA1": "new", "MAIL": "a@b.fr"}  # M3 held the base (sent, or kept)
    assert merge.in_step == ["PONO"] and merge.kept == {"TOWN": "LYON 2E"}
    # CUNM: the shop did not change it since sent, so M3's edit is not even looked at


def test_texts_are_cut_at_word_boundaries_and_stripped_of_html():
    assert fit_text("  Mug   with\na handle ", 60) == "Mug with a handle"
    assert fit_text("word " * 20, 12) == "word word"
    assert fit_text("x" * 70, 60) == "x" * 60
    assert plain_text("<p>Mug &amp; <b>spoon</b></p>\n<p>Blue</p>") == "Mug & spoon Blue"
    texts = item_texts({"id": 3, "name": [{"id": "1", "value": "Mug"}, {"id": "2", "value": "Tasse"}],
                        "description_short": [{"id": "2", "value": "<p>Une tasse</p>"}]}, 2)  # fmt: skip
    assert texts == {"ITDS": "Tasse", "FUDS": "Une tasse"}
    assert item_texts({"id": 3, "name": "Mug", "description_short": "x" * 200}, None)["FUDS"] == "x" * 120


# ------------------------------------------------------------------------------------ customers


def test_a_customer_who_moves_and_marries_has_the_m3_customer_changed_and_nothing_else(world: World):
    customer_id = world.customer_ids[0]
    before = world.m3_customer(customer_id)
    kept = (before.cucd, before.yref, before.stat, before.cutm, before.lncd, before.cscd)
    quiet = world.requests()
    assert world.push_customers().counts()["checked_in_m3"] == 0  # nothing changed: no M3 call
    assert world.requests() == quiet
    move(world, customer_id)
    report = world.push_customers()
    cuno = world.cuno(customer_id)
    assert report.updated == [cuno] and not report.errors and not report.kept_m3_edits
    in_step_with_the_shop(world, customer_id)
    customer = world.m3_customer(customer_id)
    assert (customer.cucd, customer.yref, customer.stat, customer.cutm, customer.lncd, customer.cscd) == kept
    (sent,) = world.written("ChgBasicData")
    assert set(sent) - {"CUNO", "CHNO"} <= set(SHOP_FIELDS) and {"CUNM", "CUA1", "TOWN"} <= set(sent)
    assert "MAIL" not in sent and "CSCD" not in sent  # only what changed
    # the other customer did not change: M3 was not even asked about it
    quiet = world.requests()
    again = world.push_customers()
    assert (again.updated, again.checked, world.requests()) == ([], 0, quiet)
    assert len(world.written("ChgBasicData")) == 1 and len(world.written("Add")) == 2


def test_a_replaced_address_is_followed_to_the_customers_newest_live_address(world: World):
    customer_id = world.customer_ids[1]
    old = invoice_address(world, customer_id)
    world.edit("addresses", old, deleted="1")  # PrestaShop keeps an address used by an order, deleted
    world.shop.clock.advance(timedelta(minutes=1))
    record = world.ps.get("addresses", old, fmt="xml")
    fresh = world.ps.create("addresses", {**record, "deleted": "0", "address1": "12 Avenue Foch",
                                          "city": "Lyon", "postcode": "69006"})  # fmt: skip
    world.extract()
    report = world.push_customers()
    assert report.updated == [world.cuno(customer_id)]
    assert (world.m3_customer(customer_id).cua1, world.m3_customer(customer_id).town) == (
        "12 Avenue Foch",
        "Lyon",
    )
    state = id_map.binding(
        world.store, "customer", normalize_email(world.ps.get("customers", customer_id)["email"])
    )
    assert state.data["address_id"] == int(fresh["id"])


def test_a_changed_email_joins_the_same_m3_customer_and_the_next_order_creates_none(world: World):
    customer_id = world.customer_ids[0]
    cuno = world.cuno(customer_id)
    world.edit("customers", customer_id, email="Sophia.New@Example.FR")
    world.extract()
    report = world.push_customers()
    assert report.emails_bound == {"sophia.new@example.fr": cuno} and report.updated == [cuno]
    assert world.tenant.customers[cuno].mail == "sophia.new@example.fr"
    customers = len(world.tenant.customers)
    order_id = world.place_order(customer_id)
    world.extract()
    orders = world.sync_orders([order_id])
    assert orders.created == [order_id] and orders.customers_created == []
    assert world.tenant.orders[id_map.binding(world.store, "sales_order", order_id).target_key].cuno == cuno
    assert len(world.tenant.customers) == customers and len(world.written("Add")) == 2


def test_an_order_placed_with_a_changed_email_before_any_update_pass_finds_its_m3_customer(world: World):
    """The order path on its own (a replay, an order before the update pass): the shop customer is
    bound, so its new e-mail joins that M3 customer instead of creating one."""
    customer_id = world.customer_ids[1]
    cuno = world.cuno(customer_id)
    world.edit("customers", customer_id, email="renamed@example.fr")
    order_id = world.place_order(customer_id)
    orders = world.sync_orders([order_id])
    assert orders.created == [order_id] and orders.customers_created == []
    assert id_map.binding(world.store, "customer", "renamed@example.fr").target_key == cuno
    assert len(world.written("Add")) == 2
    world.extract()
    report = world.push_customers()  # and the M3 customer's e-mail follows
    assert report.updated == [cuno] and world.tenant.customers[cuno].mail == "renamed@example.fr"


def test_an_edit_made_in_m3_is_kept_and_a_later_shop_change_flows_again(world: World):
    customer_id = world.customer_ids[0]
    cuno = world.cuno(customer_id)
    world.tenant.execute(
        "CRS610MI", "ChgBasicData", {"CUNO": cuno, "TOWN": "LYON CEDEX 02", "CUA4": "Bât. B"}
    )
    move(world, customer_id)
    report = world.push_customers()
    assert report.updated == [cuno] and report.kept_m3_edits == {cuno: ["TOWN"]}
    customer = world.tenant.customers[cuno]
    assert (customer.town, customer.cua1, customer.cua4) == ("LYON CEDEX 02", "7 Rue Neuve", "Bât. B")
    quiet = world.requests()
    assert world.push_customers().checked == 0 and world.requests() == quiet  # settled: no call
    world.edit("addresses", invoice_address(world, customer_id), city="Villeurbanne")
    world.extract()
    later = world.push_customers()
    assert later.updated == [cuno] and not later.kept_m3_edits
    assert (customer.town, customer.cua4) == ("Villeurbanne", "Bât. B")  # CUA4: the shop never changed it


def fail_before_commit(world: World) -> None:
    world.on_request(
        "ChgBasicData", lambda _r: world.tenant.gateway.faults.append(Fault(500, match="CRS610MI/"))
    )


def error_after_commit(status: int):
    def inject(world: World) -> None:
        world.tenant.gateway.faults.append(Fault(status, match="CRS610MI/ChgBasicData", after_commit=True))

    return inject


def timeout_after_commit(world: World) -> None:
    def timeout(response: httpx.Response) -> None:
        raise httpx.ReadTimeout("the answer never came", request=response.request)

    world.on_response("ChgBasicData", timeout)


WRITE_FAULTS = {
    "500 before commit": fail_before_commit,
    "502 after commit": error_after_commit(502),
    "504 after commit": error_after_commit(504),
    "timeout after commit": timeout_after_commit,
}


@pytest.mark.parametrize("fault", WRITE_FAULTS)
def test_a_change_that_fails_or_commits_unheard_is_settled_by_the_next_run(world: World, fault: str):
    customer_id = world.customer_ids[0]
    cuno = world.cuno(customer_id)
    move(world, customer_id)
    WRITE_FAULTS[fault](world)
    report = world.push_customers()
    world.clear_hooks()
    assert report.unsure == [cuno] and report.updated == []
    state = id_map.bindings_to(world.store, "customer", [cuno])[cuno][0].data
    assert state["sent"]["TOWN"] != "Lyon"  # nothing recorded that M3 may not hold
    committed = fault != "500 before commit"
    assert (world.tenant.customers[cuno].town == "Lyon") is committed
    again = world.push_customers()
    assert again.updated == ([] if committed else [cuno]) and again.in_step == ([cuno] if committed else [])
    in_step_with_the_shop(world, customer_id)
    assert len(world.written("ChgBasicData")) == 1 and len(world.written("Add")) == 2
    quiet = world.requests()
    assert world.push_customers().checked == 0 and world.requests() == quiet


def test_a_run_killed_after_its_change_committed_is_finished_once_its_claim_is_stale(
    world: World, monkeypatch
):
    customer_id = world.customer_ids[0]
    cuno = world.cuno(customer_id)
    move(world, customer_id)

    def kill(_response: httpx.Response) -> None:
        raise Terminated()

    world.on_response("ChgBasicData", kill)
    monkeypatch.setattr(id_map, "release", lambda *_args, **_kw: 0)  # killed outright: no finally
    with pytest.raises(Terminated):
        world.push_customers()
    monkeypatch.undo()
    world.clear_hooks()
    assert [c.source_key for c in id_map.claims(world.store, "customer_update")] == [cuno]
    polite = world.push_customers()
    assert polite.busy == [cuno] and polite.updated == []  # a live run leaves the claim alone
    settled = world.push_customers(stale_after=timedelta(0))
    assert settled.in_step == [cuno] and settled.updated == []  # the killed run's write is found
    in_step_with_the_shop(world, customer_id)
    assert len(world.written("ChgBasicData")) == 1


def test_a_customer_changed_in_m3_between_read_and_write_is_not_overwritten(world: World):
    customer_id = world.customer_ids[0]
    cuno = world.cuno(customer_id)
    move(world, customer_id)
    # someone in M3 edits the customer while our run is between its read and its write
    world.on_request("ChgBasicData", lambda _r: world.tenant.execute(
        "CRS610MI", "ChgBasicData", {"CUNO": cuno, "YREF": "call before delivery"}))  # fmt: skip
    report = world.push_customers()
    world.clear_hooks()
    assert report.conflicts == [cuno] and report.updated == []
    assert world.tenant.customers[cuno].town != "Lyon"
    again = world.push_customers()
    assert again.updated == [cuno]
    in_step_with_the_shop(world, customer_id)
    assert world.tenant.customers[cuno].yref == "call before delivery"  # M3's field, never sent


def test_two_runs_at_once_change_each_customer_once(world: World):
    for customer_id in world.customer_ids:
        move(world, customer_id)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    reports = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(world.push_customers())
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    world.push_customers()  # whatever one run saw busy or in conflict, a later run settles
    for customer_id in world.customer_ids:
        in_step_with_the_shop(world, customer_id)
    changed = [fields["CUNO"] for fields in world.written("ChgBasicData")]
    assert sorted(changed) == sorted(world.cuno(c) for c in world.customer_ids)  # each exactly once
    assert len(world.tenant.customers) == len(set(world.tenant.customers)) and len(world.written("Add")) == 2


def test_an_address_m3_cannot_hold_is_a_clear_error_for_that_customer_only(world: World):
    first, second = world.customer_ids
    world.edit("addresses", invoice_address(world, first), city="Saint-Rémy-de-Provence-sur-Mer")
    move(world, second)
    report = world.push_customers()
    error = report.errors[world.cuno(first)]
    assert (error.code, error.field) == ("field_too_long", "address.city") and "TOWN" in error.message
    assert report.updated == [world.cuno(second)]
    assert world.m3_customer(first).town != "Saint-Rémy-de-Provence-sur-Mer"


# ---------------------------------------------------------------------------------------- items


def combination_item(world: World) -> str:
    return world.shop.record("combinations", 1)["reference"]


def product_item(world: World) -> str:
    return world.shop.record("products", 29)["reference"]


def test_a_renamed_product_renames_its_items_and_a_quiet_run_makes_no_call(world: World):
    first = world.push_items()  # first contact: the shop's texts become the items'
    assert not first.errors and first.updated
    product = world.ps.get("products", 29)
    assert world.tenant.items[product_item(world)].fuds == plain_text(product["description_short"]) != ""
    quiet = world.requests()
    assert world.push_items().checked == 0 and world.requests() == quiet
    writes = len(world.written("UpdItmBasic"))

    world.edit(
        "products",
        29,
        name=[
            {
                "id": "1",
                "value": "Mug  <Grand> with a very long name that M3 cannot hold whole, not even nearly",
            }
        ],
    )
    world.edit("products", 1, description_short=[{"id": "1", "value": "<p>Soft &amp; organic</p>"}])
    world.extract()
    report = world.push_items()
    item = world.tenant.items[product_item(world)]
    assert (
        item.itds == "Mug <Grand> with a very long name that M3 cannot hold whole"
    )  # 60 at most, whole words
    combinations = [c["reference"] for c in world.shop.records("combinations") if int(c["id_product"]) == 1]
    assert sorted(report.updated) == sorted([product_item(world), *combinations])
    assert all(world.tenant.items[ref].fuds == "Soft & organic" for ref in combinations)
    assert all(world.tenant.items[ref].itds == world.ps.get("products", 1)["name"] for ref in combinations)
    assert (item.unms, item.stat, item.price) == ("EA", "20", item.price)  # M3's fields untouched
    assert len(world.written("UpdItmBasic")) == writes + len(report.updated)
    assert id_map.binding(world.store, "item", "product:29").target_key == product_item(world)
    assert world.push_items().checked == 0


def test_an_item_m3_does_not_hold_is_reported_not_bound_and_looked_at_again_when_the_product_changes(
    world: World,
):
    missing = product_item(world)
    del world.tenant.items[missing]
    items = len(world.tenant.items)
    report = world.push_items()
    assert report.unknown_items == {missing: ["product:29"]} and "product:29" not in report.errors
    assert id_map.binding(
        world.store, "item", "product:29"
    ) is None and "product:29" in world.store.get_cursor(UNKNOWN_ITEMS_CURSOR)
    quiet = world.requests()
    assert world.push_items().checked == 0 and world.requests() == quiet  # remembered, not asked again
    world.edit("products", 29, name=[{"id": "1", "value": "Renamed"}])
    world.extract()
    again = world.push_items()
    assert again.checked == 1 and again.unknown_items == {missing: ["product:29"]}
    assert len(world.tenant.items) == items  # never created


def test_an_item_edited_in_m3_keeps_its_edit_and_a_failed_update_converges(world: World):
    world.push_items()
    itno = product_item(world)
    world.tenant.execute("MMS200MI", "UpdItmBasic", {"ITNO": itno, "ITDS": "MUG (M3 name)"})
    world.edit("products", 29, name=[{"id": "1", "value": "Shop name"}],
               description_short=[{"id": "1", "value": "<p>New text</p>"}])  # fmt: skip
    world.extract()
    world.on_response(
        "UpdItmBasic", lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("lost", request=r.request))
    )
    report = world.push_items()
    world.clear_hooks()
    assert report.unsure == [itno] and report.kept_m3_edits == {itno: ["ITDS"]}
    again = world.push_items()
    assert again.in_step == [itno] and again.kept_m3_edits == {itno: ["ITDS"]}
    assert (world.tenant.items[itno].itds, world.tenant.items[itno].fuds) == ("MUG (M3 name)", "New text")
    assert world.push_items().checked == 0


def test_two_item_runs_at_once_update_each_item_once(world: World):
    world.push_items()
    world.edit("products", 29, name=[{"id": "1", "value": "Twice"}])
    world.extract()
    writes = len(world.written("UpdItmBasic"))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            world.push_items()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    world.push_items()
    assert world.tenant.items[product_item(world)].itds == "Twice"
    assert len(world.written("UpdItmBasic")) == writes + 1
    assert id_map.claims(world.store, "item_update") == []


def test_an_item_two_shop_products_map_to_is_ambiguous_and_left_alone(world: World):
    itno = product_item(world)
    world.mapping = parse_mapping({"items": {"table": {"29": itno, "30": itno}}})
    before = world.tenant.items[itno].itds
    report = world.push_items()
    assert report.ambiguous == {itno: ["product:29", "product:30"]}
    assert itno not in report.updated and world.tenant.items[itno].itds == before
    assert id_map.binding(world.store, "item", "product:29") is None
