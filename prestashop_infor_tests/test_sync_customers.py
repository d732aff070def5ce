"""Customer upsert against the M3 emulator: one M3 customer per normalized e-mail, whatever races,
crashes or gateway failures happen (real HTTP: in process, and over loopback sockets for the race)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.sandbox.infor import Fault, LifecycleSettings, create_app, seed_tenant
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.store import Store, id_map
from prestashop_infor.store.tables import id_claims
from prestashop_infor.sync import ValidationError, load_mapping
from prestashop_infor.sync.customers import CustomerRecord, customer_number, normalize_email, upsert_customers
from prestashop_infor_tests.in_process import in_process_client

MAPPING = load_mapping()
ADDRESS = {"CUNM": "Zoé Girard", "CUA1": "3 rue Moreau", "PONO": "69002", "TOWN": "Lyon", "CSCD": "FR"}


def count_adds(tenant) -> list[dict[str, str]]:
    """Record every CRS610MI/Add the emulator executes (M3's own view of what reached it)."""
    seen: list[dict[str, str]] = []
    handler = tenant.handlers[("CRS610MI", "Add")]

    def counting(fields: dict[str, str]):
        seen.append(dict(fields))
        return handler(fields)

    tenant.handlers[("CRS610MI", "Add")] = counting
    return seen


@pytest.fixture
def m3_in_process():
    tenant = seed_tenant([("SKU-1", "Mug", "10.00")], lifecycle=LifecycleSettings.manual())
    http = in_process_client(create_app(tenant))
    client = M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=http)
    yield tenant, client
    http.close()


def test_emails_are_normalized_and_bad_ones_refused():
    assert normalize_email("  Zoe.Girard@Example.FR ") == "zoe.girard@example.fr"
    with pytest.raises(ValidationError) as caught:
        normalize_email("not an email")
    assert caught.value.field == "email"
    assert customer_number("zoe@example.fr") == customer_number("zoe@example.fr")
    assert len(customer_number("zoe@example.fr")) == 10 and customer_number("zoe@example.fr").startswith("PS")


def test_guest_and_registered_with_one_email_make_one_customer(m3_in_process, tmp_path: Path):
    tenant, client = m3_in_process
    adds = count_adds(tenant)
    with Store.from_url(f"sqlite:///{tmp_path}/s.db") as store:
        records = [
            CustomerRecord("Duplicate.Guest@example.fr", 7, ADDRESS),
            CustomerRecord("duplicate.guest@example.fr ", 8, ADDRESS),
        ]
        outcome = upsert_customers(records, m3=client, store=store, mapping=MAPPING)
        assert outcome.created == ["duplicate.guest@example.fr"] and not outcome.errors
        cuno = outcome.numbers["duplicate.guest@example.fr"]
        assert len(adds) == 1 and tenant.customers[cuno].mail == "duplicate.guest@example.fr"
        assert tenant.customers[cuno].cua1 == "3 rue Moreau"
        # a second run finds the binding: nothing reaches M3
        again = upsert_customers(records, m3=client, store=store, mapping=MAPPING)
        assert again.numbers == outcome.numbers and not again.created and len(adds) == 1
        assert id_map.claims(store, "customer") == []  # claims are released after binding


def test_an_existing_m3_customer_left_by_a_crash_is_bound_not_created_again(m3_in_process, tmp_path: Path):
    tenant, client = m3_in_process
    email = "crashed@example.fr"
    cuno = customer_number(email)
    tenant.add_customer(cuno, "Crashed Run", mail=email)  # the dead run's Add reached M3
    adds = count_adds(tenant)
    with Store.from_url(f"sqlite:///{tmp_path}/s.db") as store:
        # ...and its claim is still there, long expired: its holder died before binding
        with store.engine.begin() as connection:
            connection.execute(
                id_claims.insert().values(
                    entity="customer", source_key=email, planned_key=cuno, owner="dead:1:1",
                    claimed_at=datetime.now(UTC) - timedelta(hours=1),
                )
            )  # fmt: skip
        outcome = upsert_customers(
            [CustomerRecord(email, 1, ADDRESS)],
            m3=client,
            store=store,
            mapping=MAPPING,
        )
        assert outcome.numbers == {email: cuno} and outcome.found == [email] and not outcome.created
        # the Add reached M3, which refused a second customer with the number; the look-up bound it
        assert [a["CUNO"] for a in adds] == [cuno] and id_map.binding(
            store, "customer", email
        ).target_key == cuno
        assert [c.cuno for c in tenant.customers.values() if c.mail == email] == [cuno]


def test_a_customer_that_exists_without_any_trace_in_the_store_is_bound(m3_in_process, tmp_path: Path):
    tenant, client = m3_in_process
    email = "lost.store@example.fr"
    tenant.add_customer(customer_number(email), "Before the store", mail=email)
    with Store.from_url(f"sqlite:///{tmp_path}/s.db") as store:
        outcome = upsert_customers(
            [CustomerRecord(email, 1, ADDRESS)], m3=client, store=store, mapping=MAPPING
        )
        assert outcome.found == [email] and not outcome.errors
        assert len([c for c in tenant.customers.values() if c.mail == email]) == 1


def test_a_number_held_by_someone_else_is_an_error_not_a_binding(m3_in_process, tmp_path: Path):
    tenant, client = m3_in_process
    email = "victim@example.fr"
    tenant.add_customer(customer_number(email), "Stranger", mail="stranger@example.fr")
    with Store.from_url(f"sqlite:///{tmp_path}/s.db") as store:
        outcome = upsert_customers(
            [CustomerRecord(email, 1, ADDRESS)], m3=client, store=store, mapping=MAPPING
        )
        assert outcome.errors[email].code == "customer_number_collision"
        assert id_map.binding(store, "customer", email) is None


def test_a_5xx_after_m3_committed_the_add_binds_the_customer_once(m3_in_process, tmp_path: Path):
    tenant, client = m3_in_process
    tenant.gateway.faults.append(Fault(503, count=1, match="CRS610MI/", after_commit=True))
    adds = count_adds(tenant)
    email = "timeout@example.fr"
    with Store.from_url(f"sqlite:///{tmp_path}/s.db") as store:
        outcome = upsert_customers(
            [CustomerRecord(email, 1, ADDRESS)], m3=client, store=store, mapping=MAPPING
        )
        assert outcome.found == [email] and not outcome.errors
        assert len(adds) == 1 and id_map.binding(store, "customer", email) is not None
        upsert_customers([CustomerRecord(email, 1, ADDRESS)], m3=client, store=store, mapping=MAPPING)
        assert len(adds) == 1


def test_m3_refusing_a_customer_is_an_error_with_m3_code_and_field(m3_in_process, tmp_path: Path):
    _tenant, client = m3_in_process
    bad = {**ADDRESS, "CUA1": ""}  # CUA1 is mandatory in CRS610MI/Add
    with Store.from_url(f"sqlite:///{tmp_path}/s.db") as store:
        outcome = upsert_customers(
            [CustomerRecord("x@example.fr", 1, bad)], m3=client, store=store, mapping=MAPPING
        )
        error = outcome.errors["x@example.fr"]
        assert (error.stage, error.code, error.field) == ("load", "EMI0101", "CUA1")
        assert id_map.claims(store, "customer") == []  # released: a later run may try again


def test_two_concurrent_runs_create_one_customer(tmp_path: Path):
    """Real threads, each with its own store connection and M3 client, against the emulator over a
    loopback socket: exactly one CRS610MI/Add reaches M3 for each e-mail."""
    tenant = seed_tenant([("SKU-1", "Mug", "10.00")], lifecycle=LifecycleSettings.manual())
    adds = count_adds(tenant)
    emails = [f"race{n}@example.fr" for n in range(20)]
    url = f"sqlite:///{tmp_path}/race.db"
    Store.from_url(url).dispose()  # tables created once, before the race
    outcomes = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)
    with BackgroundServer(create_app(tenant)) as server:

        def run() -> None:
            try:
                with (
                    Store.from_url(url) as store,
                    M3Client(IonApiCredentials.from_dict(tenant.ionapi(server.url))) as client,
                ):
                    records = [CustomerRecord(e, n, ADDRESS) for n, e in enumerate(emails)]
                    start.wait(timeout=10)
                    outcomes.append(upsert_customers(records, m3=client, store=store, mapping=MAPPING))
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    assert len(outcomes) == 4
    assert sorted(a["MAIL"] for a in adds) == sorted(emails)  # one Add per e-mail, no more
    numbers: dict[str, str] = {}
    for outcome in outcomes:
        assert not outcome.errors
        # each e-mail is either this run's (created, or found bound) or busy in another run: no waiting
        assert set(outcome.numbers) | set(outcome.busy) == set(emails)
        for email, number in outcome.numbers.items():
            assert numbers.setdefault(email, number) == number
    assert sum(len(o.created) for o in outcomes) == len(emails)
    assert len([c for c in tenant.customers.values() if c.mail in emails]) == len(emails)


def test_a_failed_create_releases_its_claims_so_no_other_run_waits(m3_in_process, tmp_path: Path):
    """CRS610MI/Add commits but answers 503, and the look-up after it fails too: the run raises,
    and its claims go with it. The next run neither waits for a lease nor dead-letters the
    customer as busy: it finds the customer M3 holds and binds it."""
    tenant, client = m3_in_process
    tenant.gateway.faults.append(Fault(503, count=1, match="CRS610MI/", after_commit=True))
    tenant.gateway.faults.append(Fault(503, count=client.max_attempts, match="CRS610MI/"))
    email = "unlucky@example.fr"
    with Store.from_url(f"sqlite:///{tmp_path}/s.db") as store:
        with pytest.raises(Exception, match="GetBasicData"):
            upsert_customers([CustomerRecord(email, 1, ADDRESS)], m3=client, store=store, mapping=MAPPING)
        assert id_map.claims(store, "customer") == []

        outcome = upsert_customers(
            [CustomerRecord(email, 1, ADDRESS)], m3=client, store=store, mapping=MAPPING
        )
        assert outcome.found == [email] and not outcome.errors
        assert id_map.binding(store, "customer", email).target_key == customer_number(email)
