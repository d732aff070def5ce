"""The mapping configuration as a Dagster resource: a ``mapping.yaml`` path in, a validated mapping out."""

from __future__ import annotations

from pydantic import Field

from prestashop_infor.defs.sources import Source, SourceResource
from prestashop_infor.settings import Settings
from prestashop_infor.sync.mapping import Mapping, load_mapping
from prestashop_infor.sync.mapping.sources import check_apart


class MappingResource(SourceResource):
    """Where the mapping lives: ``mapping_file``, else ``PRESTASHOP_INFOR_MAPPING_FILE``, else the
    commented default shipped in the package. A further installation's runs load its own
    (``<NAME>_PRESTASHOP_INFOR_MAPPING_FILE``); with further installations, every load checks that
    M3 can tell their orders apart (:func:`check_apart`)."""

    mapping_file: str | None = Field(
        default=None,
        description="Path of a mapping.yaml (status map, currency, addresses, items, enrichment); "
        "empty for the packaged default.",
    )

    def load(self, source: Source | None = None) -> Mapping:
        """The validated mapping of ``source`` (else of the run's installation); a bad file fails
        the run with the path of the bad key."""
        name = self.installation(source)
        main = Settings.read()
        if not main.sources:
            return load_mapping(self.mapping_file or main.mapping_file)
        mappings = {None: load_mapping(self.mapping_file or main.mapping_file)}
        for other in main.sources:
            mappings[other] = load_mapping(Settings.read(other).mapping_file)
        check_apart(mappings)
        return mappings[name]
