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
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)

    def __reduce__(self) -> tuple[type[MappingError], tuple[str, str]]:
        # rebuilt from its two parts when it crosses a process (pickle), not from the joined text
        return type(self), (self.path, self.message)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
