"""The blocking failure-share gate of every extraction asset (PrestaShop and Infor): an extraction
whose quarantined share passes the threshold fails its check, and downstream assets do not run.

Single bad records are quarantined and the rest flows on; a large share of bad records means
something systematic (a changed API, a broken mapping) and must stop downstream work instead of
filling the dead-letter table or the ERP.

The check is declared on the asset itself (``check_specs=[failure_share_spec(...)]``) and its result
is returned by the step that materializes the asset, judged on the very numbers that step reports
(:func:`gated_result`). A run is therefore judged by its own batch: another run materializing the
same asset in the meantime cannot pass or fail it. The rule is one function,
:func:`failure_share_result`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from prestashop_infor.defs.resources import ValidationGateResource

FAILURE_SHARE_CHECK = "failure_share_within_threshold"


def failure_share_spec(asset: str) -> dg.AssetCheckSpec:
    """The blocking check to declare on the extraction asset named ``asset``."""
    return dg.AssetCheckSpec(
        name=FAILURE_SHARE_CHECK,
        asset=asset,
        blocking=True,
        description="Fails when the share of records quarantined by the pandera gate in this "
        "materialization exceeds the validation gate's max_failure_share, so downstream assets do not run. "
        "Judged in the step that materializes the asset, on that run's own batch.",
    )


def _number(value: Any) -> int:
    return int(value.value if isinstance(value, dg.MetadataValue) else value)


def failure_share_result(
    metadata: Mapping[str, Any], validation_gate: ValidationGateResource
) -> dg.AssetCheckResult:
    """The verdict on one batch: quarantined / extracted (read from the ``extracted`` and
    ``quarantined`` entries of ``metadata``) must not exceed the gate's threshold, unless fewer than
    ``min_quarantined`` records failed."""
    extracted = _number(metadata["extracted"]) if "extracted" in metadata else 0
    quarantined = _number(metadata["quarantined"]) if "quarantined" in metadata else 0
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
        check_name=FAILURE_SHARE_CHECK,
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


def gated_result(
    metadata: Mapping[str, Any], validation_gate: ValidationGateResource
) -> dg.MaterializeResult:
    """An extraction asset's materialization together with its gate verdict on the same numbers."""
    return dg.MaterializeResult(
        metadata=dict(metadata), check_results=[failure_share_result(metadata, validation_gate)]
    )
