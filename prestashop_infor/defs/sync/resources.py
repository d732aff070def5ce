"""The mapping configuration as a Dagster resource: a ``mapping.yaml`` path in, a validated mapping out."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from prestashop_infor.settings import Settings
from prestashop_infor.sync.mapping import Mapping, load_mapping


class MappingResource(dg.ConfigurableResource):
    """Where the mapping lives: ``mapping_file``, else ``PRESTASHOP_INFOR_MAPPING_FILE``, else the
    commented default shipped in the package."""

    mapping_file: str | None = Field(
        default=None,
        description="Path of a mapping.yaml (status map, currency, addresses, items, enrichment); "
        "empty for the packaged default.",
    )

    def load(self) -> Mapping:
        """The validated mapping; a bad file fails the run with the path of the bad key."""
        return load_mapping(self.mapping_file or Settings.read().mapping_file)
