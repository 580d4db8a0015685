"""The base of every inventory record and the value types records share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from netops.inventory.units import parse_duration, parse_rate, parse_size

Seconds = Annotated[int, BeforeValidator(parse_duration), Field(ge=0)]
Bytes = Annotated[int, BeforeValidator(parse_size), Field(ge=0)]
BitRate = Annotated[int, BeforeValidator(parse_rate), Field(gt=0)]

_ID = r"^[a-z0-9][a-z0-9._-]*$"


class Origin(BaseModel):
    """Where a record was written: the YAML file (relative to the inventory) and line."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int | None = None
    keys: tuple[tuple[str, int], ...] = ()  # the line of each key written in the record

    def line_of(self, key: str) -> int | None:
        """The line ``key`` is written on, else the record's own line."""
        return next((line for name, line in self.keys if name == key), self.line)


class Record(BaseModel):
    """Base of every inventory record: immutable, no unknown keys, remembers its origin."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    origin: Origin | None = Field(default=None, exclude=True, repr=False)
