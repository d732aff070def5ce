"""The sync units: plain Python (no Dagster) that moves records between PrestaShop and M3.

- ``mapping``: the mapping configuration (``mapping.yaml``) and its rules;
- ``errors``: ``SyncError`` and its stages, the source of every dead letter;
- ``customers``: customer upsert (match on normalized e-mail, ``CRS610MI/Add`` once);
- ``orders``: PrestaShop order -> M3 sales order, exactly once (id map + ``CUOR`` lookup);
- ``master_data``: shop customer and product changes -> their M3 customers and items (updates only,
  field by field, M3's own edits kept);
- ``status``, ``stock``: M3 -> PrestaShop (back-office lane);
- ``gates``: the pandera validation gate (frames, per-row failures, failures to dead letters), with
  the models in ``prestashop_schemas`` and ``infor_schemas``;
- ``prestashop_extraction``, ``infor_extraction``: each system's records read and gated (PrestaShop's
  also stored in snapshot tables); the Dagster assets in ``prestashop_infor.defs`` run them;
- ``dead_letters``: replaying dead letters through the code their lane runs.

The id map itself lives in ``prestashop_infor.store.id_map``.
"""

from prestashop_infor.sync.errors import LoadError, MappingFailure, SyncError, ValidationError
from prestashop_infor.sync.mapping import (
    Mapping,
    MappingError,
    ResolvedStatusMap,
    customer_order_number,
    load_mapping,
)

__all__ = [
    "LoadError",
    "Mapping",
    "MappingError",
    "MappingFailure",
    "ResolvedStatusMap",
    "SyncError",
    "ValidationError",
    "customer_order_number",
    "load_mapping",
]
