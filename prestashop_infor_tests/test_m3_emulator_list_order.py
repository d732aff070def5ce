"""Every list of the M3 emulator answers in its key order, on the first page and positioned alike
(issue 18): M3 lists by the index a transaction reads, comparing alphanumeric fields as blank-padded
text and numeric ones as numbers, in every call. So a client paging as against M3 (the first page's
max records, then again from the last record's key values, dropping that record) sees every record
once. The transactions come from the spec facts and the programs' read tables, not from a list kept
here; the tenant holds enough orders (``PS1`` ... ``PS120``) that text and number order differ."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from prestashop_infor.infor import M3Client
from prestashop_infor.sandbox.infor import M3Tenant
from prestashop_infor.sandbox.infor.models.programs import PROGRAMS
from prestashop_infor.sandbox.infor.models.reads import ReadPlan, compile_read
from prestashop_infor.sandbox.infor.specs import load_specs
from prestashop_infor_tests.test_infor_emulator_reads import call_inputs, lifecycle_tenant

PAGE = 7  # the max records a client asks a page for
ORDERS = 120  # customer order numbers PS1 ... PS120: PS1, PS10, PS100, PS101, ... as M3 compares them
SHIPPED = 12  # of them delivered and invoiced, so deliveries, shipments and invoices span pages too
ITEMS = 12  # items ITEM1 ... ITEM12
CUSTOMERS = 12  # customers CUST1 ... CUST12, the orders' customers
CONTEXT = ("CONO", "DIVI")  # the company and division a client works in: it can always give them


def plan_of(program: str, transaction: str) -> ReadPlan:
    cls = next(cls for cls in PROGRAMS if cls.name == program)
    return compile_read(load_specs()[program][transaction], cls.reads[transaction])


def served_lists() -> list[tuple[str, str]]:
    """Every ``Lst``/``Sel`` transaction the read engine serves from records the emulator keeps."""
    return sorted(
        (cls.name, transaction)
        for cls in PROGRAMS
        for transaction in cls.reads
        if transaction.startswith(("Lst", "Sel"))
        and not callable(getattr(cls, transaction, None))  # no hand-written rule overrides the engine
        and plan_of(cls.name, transaction).family.kept
    )


def positioning_inputs(plan: ReadPlan) -> list[str]:
    """The inputs a list positions on: the key inputs of its key order that the call does not fix."""
    order = [name for name, _ in plan.order]
    return [
        i.name
        for i in plan.inputs
        if i.kind == "key" and i.name in order and (not i.required or i.name in plan.rule.position)
    ]


def restart_inputs(plan: ReadPlan) -> list[str]:
    """The inputs a client restarts a list on: the fields of the key order, up to the family's key,
    that the call does not fix, each an input the client can give back (shown on the records it got,
    or its company and division). Empty when there is no such input or they cannot single out a
    record: a client cannot page such a list."""
    keys = {i.name for i in plan.inputs if i.kind == "key"}
    positioning = positioning_inputs(plan)
    restart, covered = [], set()
    for name, _ in plan.order:
        if name not in keys:
            return []
        if name in positioning:
            if name not in plan.spec.outputs and name not in CONTEXT:
                return []
            restart.append(name)
        covered.add(name)
        if set(plan.family.key) <= covered:
            return restart
    return []


LISTS = served_lists()
# the positioned lists a client can page: their key values single out a record
POSITIONED = [(p, t) for p, t in LISTS if restart_inputs(plan_of(p, t))]


def m3_key(plan: ReadPlan, record: dict[str, str]) -> tuple:
    """A record's place in the index the transaction reads, as M3 compares it: numeric fields as
    numbers, alphanumeric ones as text padded to the field's length. Only the leading fields the
    records show count (a company or division left out is the same on every record)."""
    key: list[Decimal | str] = []
    for name, _ in plan.order:
        spec = plan.spec.inputs.get(name)
        if spec is None or name not in record:
            if name in CONTEXT:
                continue
            break
        value = record[name]
        key.append(Decimal(value or "0") if spec.numeric else value.ljust(spec.max_length))
    return tuple(key)


def assert_in_key_order(plan: ReadPlan, records: list[dict[str, str]]) -> None:
    keys = [m3_key(plan, r) for r in records]
    assert keys == sorted(keys), f"{plan.spec.program}/{plan.spec.transaction} is not in key order: {keys}"


def restart_values(plan: ReadPlan, record: dict[str, str], context: dict[str, str]) -> dict[str, str]:
    return {name: record[name] if name in record else context[name] for name in restart_inputs(plan)}


def page_through(
    client: M3Client, plan: ReadPlan, fields: dict[str, str], context: dict[str, str]
) -> list[dict[str, str]]:
    """A list read as a client reads M3: pages of ``PAGE`` records, each next one asked from the
    last record's key values (M3 answers that record first again) until a short page."""
    program, transaction = plan.spec.program, plan.spec.transaction
    page = client.execute(program, transaction, maxrecs=PAGE, **fields)
    seen = list(page)
    for _ in range(1_000):
        if len(page) < PAGE:
            return seen
        last = page[-1]
        page = client.execute(
            program, transaction, maxrecs=PAGE, **(fields | restart_values(plan, last, context))
        )
        assert page[:1] == [last], (
            f"{program}/{transaction} did not restart on {restart_values(plan, last, context)}"
        )
        seen += page[1:]
    raise AssertionError(f"{program}/{transaction} did not end")


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[M3Tenant, M3Client, dict[str, str]]]:
    """The reads' lifecycle tenant, plus ``ITEMS`` items, ``CUSTOMERS`` customers and their
    ``ORDERS`` customer orders (``SHIPPED`` of them delivered and invoiced), entered through the MI
    programs."""
    tenant, client, http, _ = lifecycle_tenant()
    for n in range(1, ITEMS + 1):
        tenant.add_item(f"ITEM{n}", f"Item {n}", "2.50")
        for whlo in tenant.warehouses:
            tenant.set_balance(whlo, f"ITEM{n}", 1_000)
    for n in range(1, CUSTOMERS + 1):
        tenant.add_customer(f"CUST{n}", f"Customer {n}", cscd="FR", cucd="EUR")
    for n in range(1, ORDERS + 1):
        cuno = f"CUST{n % CUSTOMERS + 1}"
        head = client.execute_one("OIS100MI", "AddBatchHead", CUNO=cuno, CUOR=f"PS{n}", YREF=f"Web {n}")
        orno = head["ORNO"]
        client.execute("OIS100MI", "AddBatchLine", ORNO=orno, ITNO=f"ITEM{n % ITEMS + 1}", ORQT="1")
        client.execute("OIS100MI", "AddBatchLine", ORNO=orno, ITNO=f"ITEM{(n + 5) % ITEMS + 1}", ORQT="2")
        assert client.execute_one("OIS100MI", "Confirm", ORNO=orno)["STAT"] == "90"
    for order in list(tenant.orders.values())[-SHIPPED:]:
        tenant.ship_now(order.orno)
        tenant.invoice_order(order)
    yield tenant, client, {"CONO": tenant.cono, "DIVI": tenant.divi}
    http.close()


def test_the_lists_a_client_can_page_are_found_in_the_spec_facts():
    assert ("OIS120MI", "LstCOStopByCUOR") in POSITIONED and ("MMS200MI", "LstItmByItm") in POSITIONED
    assert len(POSITIONED) >= 20, POSITIONED


def test_customer_orders_by_cuor_list_as_m3_compares_the_text(world):
    """The issue's case: the first page and a positioned one list ``CUOR`` as text, so restarting on
    the last one reaches every order (against number order it saw 999 of 1,062)."""
    _, client, context = world
    plan = plan_of("OIS120MI", "LstCOStopByCUOR")
    first = client.execute("OIS120MI", "LstCOStopByCUOR", maxrecs=5)
    assert [r["CUOR"] for r in first] == ["PS-000900", "PS1", "PS10", "PS100", "PS101"]
    restarted = client.execute(
        "OIS120MI", "LstCOStopByCUOR", maxrecs=3, **restart_values(plan, first[-1], context)
    )
    assert [r["CUOR"] for r in restarted] == ["PS101", "PS102", "PS103"]
    cuors = [r["CUOR"] for r in page_through(client, plan, {}, context)]
    assert {f"PS{n}" for n in range(1, ORDERS + 1)} <= set(cuors)
    assert cuors == sorted(cuors) and len(set(cuors)) == len(cuors)


@pytest.mark.parametrize(("program", "transaction"), POSITIONED)
def test_a_client_paging_from_the_last_key_sees_every_record_once(world, program, transaction):
    tenant, client, context = world
    plan = plan_of(program, transaction)
    fields, _ = call_inputs(tenant, program, transaction)
    everything = client.execute(program, transaction, maxrecs=0, **fields)
    seen = page_through(client, plan, fields, context)
    keys = [tuple(restart_values(plan, r, context).items()) for r in seen]
    assert len(set(keys)) == len(seen), f"a record seen twice: {keys}"
    assert seen == everything
    assert_in_key_order(plan, seen)


@pytest.mark.parametrize(("program", "transaction"), LISTS)
def test_every_list_answers_in_its_key_order_first_page_and_positioned_alike(world, program, transaction):
    tenant, client, _ = world
    plan = plan_of(program, transaction)
    fields, _ = call_inputs(tenant, program, transaction)
    everything = client.execute(program, transaction, maxrecs=0, **fields)
    assert_in_key_order(plan, everything)
    shown = [name for name in positioning_inputs(plan) if name in plan.spec.outputs]
    if not everything or not shown:
        return
    middle = everything[len(everything) // 2]
    positioned = client.execute(program, transaction, maxrecs=0, **(fields | {n: middle[n] for n in shown}))
    assert middle in positioned
    assert_in_key_order(plan, positioned)
    rest = iter(everything)
    assert all(record in rest for record in positioned), (
        "a positioned list in another order than the first page"
    )
