"""Blocking asset checks: a PrestaShop extraction whose quarantined share passes the threshold fails.

Single bad records are quarantined and the rest flows on; a large share of bad records means
something systematic (a changed API, a broken mapping) and must stop downstream work instead of
filling the dead-letter table or the ERP. The share is read from the metadata of the asset's
latest materialization, which this run's asset step has just written.
"""

import dagster as dg

from prestashop_infor.defs.prestashop.assets import (
    prestashop_customers,
    prestashop_orders,
    prestashop_products,
    prestashop_stock,
)
from prestashop_infor.defs.resources import ValidationGateResource


def failure_share_check(asset: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    """A blocking check on ``asset``: quarantined / extracted must not exceed the gate's threshold
    (unless fewer than ``min_quarantined`` records failed)."""

    @dg.asset_check(
        asset=asset,
        name="failure_share_within_threshold",
        blocking=True,
        description="Fails when the share of records quarantined by the pandera gate in the latest "
        "materialization exceeds the validation gate's max_failure_share, so downstream assets do not run.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, validation_gate: ValidationGateResource
    ) -> dg.AssetCheckResult:
        event = context.instance.get_latest_materialization_event(asset.key)
        if event is None or event.asset_materialization is None:
            return dg.AssetCheckResult(
                passed=False, description=f"{asset.key.to_user_string()} was never materialized"
            )
        metadata = event.asset_materialization.metadata
        extracted = int(metadata["extracted"].value) if "extracted" in metadata else 0
        quarantined = int(metadata["quarantined"].value) if "quarantined" in metadata else 0
        share = quarantined / extracted if extracted else 0.0
        threshold = validation_gate.threshold()
        passed = share <= threshold or quarantined < validation_gate.min_quarantined
        if share <= threshold:
            verdict = f"within the limit of {threshold:.1%}"
        elif passed:
            verdict = f"above {threshold:.1%} but fewer than {validation_gate.min_quarantined} records"
        else:
            verdict = f"above the limit of {threshold:.1%}"
        return dg.AssetCheckResult(
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"{quarantined} of {extracted} records quarantined ({share:.1%}); {verdict}",
            metadata={
                "extracted": extracted,
                "quarantined": quarantined,
                "failure_share": share,
                "max_failure_share": threshold,
                "min_quarantined": validation_gate.min_quarantined,
            },
        )

    return _check


prestashop_orders_failure_share = failure_share_check(prestashop_orders)
prestashop_customers_failure_share = failure_share_check(prestashop_customers)
prestashop_products_failure_share = failure_share_check(prestashop_products)
prestashop_stock_failure_share = failure_share_check(prestashop_stock)

CHECKS = [
    prestashop_orders_failure_share,
    prestashop_customers_failure_share,
    prestashop_products_failure_share,
    prestashop_stock_failure_share,
]
