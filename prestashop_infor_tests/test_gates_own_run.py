"""The blocking failure-share gate judges the batch of its own run: two runs that overlap on one
Dagster instance each get the verdict of the batch they read, and only the run with the bad batch
stops its downstream.

The overlap is forced without timing games: the instance is wrapped so that the moment run A's
materialization of the asset is recorded, a whole run B of the same asset executes on the same
instance (with the source changed in between), and only then does run A go on. A check that read
"the latest materialization" in a step of its own would judge A by B's batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from prestashop_infor.defs.infor import InforResource, infor_items
from prestashop_infor.defs.prestashop import prestashop_orders
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.sandbox.infor import LifecycleSettings, seed_tenant
from prestashop_infor.sandbox.infor import create_app as create_m3_app
from prestashop_infor.sandbox.prestashop import create_app as create_shop_app
from prestashop_infor.sandbox.prestashop import seed_shop
from prestashop_infor.serving import BackgroundServer
from prestashop_infor_tests.test_prestashop_assets import _resources, _set_fields

pytestmark = pytest.mark.slow

CHECK = "failure_share_within_threshold"


def _downstream_of(asset: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(name=f"{asset.key.to_user_string()}_downstream", deps=[asset])
    def downstream() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"ran": True})

    return downstream


class _Overlap:
    """Runs ``run_b`` the moment the first materialization of ``asset`` (run A's) is recorded on
    ``instance``: A's asset step has stored its numbers and nothing later in run A has run yet."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        instance: dg.DagsterInstance,
        asset: dg.AssetsDefinition,
        run_b: Callable[[], dg.ExecuteInProcessResult],
    ):
        self.handle_new_event = instance.handle_new_event
        self.asset_key = asset.key
        self.run_b = run_b
        self.started = False
        self.result_b: dg.ExecuteInProcessResult | None = None
        monkeypatch.setattr(instance, "handle_new_event", self)

    def __call__(self, event: Any, **kwargs: Any) -> None:
        self.handle_new_event(event, **kwargs)
        materialization = event.asset_materialization
        if not self.started and materialization is not None and materialization.asset_key == self.asset_key:
            self.started = True  # B's own materialization must not start another run
            self.result_b = self.run_b()


def _verdict(result: dg.ExecuteInProcessResult, asset: dg.AssetsDefinition) -> tuple[bool, int, int]:
    """The run's check verdict and the numbers it judged, which must be the run's own batch."""
    (evaluation,) = result.get_asset_check_evaluations()
    assert (evaluation.asset_key, evaluation.check_name) == (asset.key, CHECK)
    (materialization,) = result.asset_materializations_for_node(asset.op.name)
    judged = (evaluation.metadata["extracted"].value, evaluation.metadata["quarantined"].value)
    assert judged == (
        materialization.metadata["extracted"].value,
        materialization.metadata["quarantined"].value,
    )
    return evaluation.passed, *judged


def _downstream_ran(result: dg.ExecuteInProcessResult, downstream: dg.AssetsDefinition) -> bool:
    return len(result.asset_materializations_for_node(downstream.op.name)) == 1


def _overlapping_runs(
    monkeypatch: pytest.MonkeyPatch,
    selection: list[Any],
    resources: dict[str, Any],
    between: Callable[[], None],
) -> tuple[dg.ExecuteInProcessResult, dg.ExecuteInProcessResult]:
    """Run A of ``selection``; while it is under way, ``between`` changes the source and run B of the
    same selection runs to its end on the same instance."""
    instance = dg.DagsterInstance.ephemeral()

    def run_b() -> dg.ExecuteInProcessResult:
        between()
        return dg.materialize(selection, resources=resources, instance=instance, raise_on_error=False)

    overlap = _Overlap(monkeypatch, instance, selection[0], run_b)
    result_a = dg.materialize(selection, resources=resources, instance=instance, raise_on_error=False)
    assert overlap.result_b is not None, "run B did not run inside run A"
    return result_a, overlap.result_b


# -- PrestaShop: orders read incrementally from the shop emulator ----------------------------------

ORDERS, BROKEN = 40, 6  # 15 % of a full read: above the 5 % limit, and at least min_quarantined (3)


@pytest.fixture
def shop() -> Any:
    return seed_shop(seed=42, orders=ORDERS)


@pytest.fixture
def shop_server(shop: Any) -> Iterator[BackgroundServer]:
    with BackgroundServer(create_shop_app(shop)) as running:
        yield running


def _break_orders(shop: Any) -> None:
    for order in shop.records("orders")[:BROKEN]:
        _set_fields(shop, "orders", order["id"], total_paid_tax_incl="-1.000000")


@pytest.mark.parametrize("bad_run", ["B", "A"])
def test_overlapping_order_runs_each_judge_their_own_batch(
    shop: Any, shop_server: BackgroundServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_run: str
) -> None:
    """B bad: A reads all 40 good orders, then B reads the 6 broken since (all bad) and fails.
    A bad: A reads 6 broken of 40 and fails; B reads what changed since A's cursor (at most the one
    order at the watermark: fewer than min_quarantined) and passes."""
    resources = _resources(shop, shop_server.url, f"sqlite:///{tmp_path / 'store.db'}")
    downstream = _downstream_of(prestashop_orders)
    if bad_run == "A":
        _break_orders(shop)
    result_a, result_b = _overlapping_runs(
        monkeypatch,
        [prestashop_orders, downstream],
        resources,
        lambda: _break_orders(shop) if bad_run == "B" else None,
    )

    passed_a, extracted_a, quarantined_a = _verdict(result_a, prestashop_orders)
    passed_b, extracted_b, quarantined_b = _verdict(result_b, prestashop_orders)
    if bad_run == "B":
        assert (extracted_a, quarantined_a) == (ORDERS, 0)
        assert quarantined_b == BROKEN and extracted_b < 2 * BROKEN
    else:
        assert (extracted_a, quarantined_a) == (ORDERS, BROKEN)
        assert extracted_b <= 1
    assert (passed_a, passed_b) == (bad_run != "A", bad_run != "B")
    assert (_downstream_ran(result_a, downstream), _downstream_ran(result_b, downstream)) == (
        passed_a,
        passed_b,
    )
    assert (result_a.success, result_b.success) == (passed_a, passed_b)


# -- Infor: items read in full from the M3 emulator -------------------------------------------------

ITEMS = [(f"SKU-{n}", f"Item {n}", "3.50") for n in range(12)]


@pytest.fixture
def m3(tmp_path: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    tenant = seed_tenant(ITEMS, seed=9, lifecycle=LifecycleSettings.manual())
    with BackgroundServer(create_m3_app(tenant)) as server:
        ionapi = tenant.write_ionapi(tmp_path / "t.ionapi", server.url)
        yield (
            tenant,
            {
                "infor": InforResource(ionapi_file=str(ionapi), page_size=5),
                "store": StoreResource(database_url=f"sqlite:///{tmp_path / 'store.db'}"),
                "validation_gate": ValidationGateResource(max_failure_share=0.05, min_quarantined=1),
                "mapping": MappingResource(),
            },
        )


@pytest.mark.parametrize("bad_run", ["B", "A"])
def test_overlapping_item_runs_each_judge_their_own_batch(
    m3: tuple[Any, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, bad_run: str
) -> None:
    """Items are read in full: the bad run reads 4 of 12 items with a broken status, the other none."""
    tenant, resources = m3
    downstream = _downstream_of(infor_items)

    def set_status(status: str) -> None:
        for n in range(4):
            tenant.items[f"SKU-{n}"].stat = status  # "X" is not two digits: quarantined

    if bad_run == "A":
        set_status("X")
    result_a, result_b = _overlapping_runs(
        monkeypatch,
        [infor_items, downstream],
        resources,
        lambda: set_status("X" if bad_run == "B" else "20"),
    )

    passed_a, _, quarantined_a = _verdict(result_a, infor_items)
    passed_b, _, quarantined_b = _verdict(result_b, infor_items)
    assert (quarantined_a, quarantined_b) == ((4, 0) if bad_run == "A" else (0, 4))
    assert (passed_a, passed_b) == (bad_run != "A", bad_run != "B")
    assert (_downstream_ran(result_a, downstream), _downstream_ran(result_b, downstream)) == (
        passed_a,
        passed_b,
    )
    assert (result_a.success, result_b.success) == (passed_a, passed_b)
