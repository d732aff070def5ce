"""The pandera models in front of the user: each extraction asset's page in the Dagster UI shows the
columns its gate checks (``dagster/column_schema``, built by dagster-pandera from the model: types,
nullability, uniqueness and the checks) and which model that is."""

from __future__ import annotations

import warnings
from typing import Any

import dagster as dg
import pandera.pandas as pa
from dagster_pandera import pandera_schema_to_dagster_type


def gate_metadata(model: type[pa.DataFrameModel]) -> dict[str, Any]:
    """Definition metadata for an asset gated by ``model``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)  # dagster-pandera marks the helper beta
        dagster_type = pandera_schema_to_dagster_type(model)
    return {
        "dagster/column_schema": dagster_type.metadata["schema"].value,
        "pandera_model": dg.MetadataValue.text(f"{model.__module__}.{model.__name__}"),
    }
