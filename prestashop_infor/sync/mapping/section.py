"""What every section of the mapping shares: the frozen pydantic base that refuses unknown keys, and
:class:`MappingError`, raised for a bad key with the key's path at the start of its message."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class MappingError(ValueError):
    """The mapping configuration is wrong; the message starts with the path of the bad key."""

    # its public name, the one a failed run shows ("prestashop_infor.sync.mapping.MappingError: ...")
    __module__ = "prestashop_infor.sync.mapping"

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
