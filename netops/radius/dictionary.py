"""The RADIUS dictionaries under ``radius/`` (FreeRADIUS format), loaded once per process."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pyrad.dictionary import Dictionary, ParseError

from netops.errors import RadiusError

DICTIONARY_ENV = "NETOPS_RADIUS_DICTIONARY"


def dictionary_path() -> Path:
    """The main dictionary file: ``$NETOPS_RADIUS_DICTIONARY`` or ``radius/dictionary`` of the
    source tree (found relative to this package)."""
    override = os.environ.get(DICTIONARY_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "radius" / "dictionary"


@lru_cache(maxsize=4)
def load_dictionary(path: Path | None = None) -> Dictionary:
    """The parsed dictionary (cached: the hot path never re-reads it)."""
    chosen = path or dictionary_path()
    if not chosen.is_file():
        raise RadiusError(f"RADIUS dictionary {chosen} does not exist")
    try:
        return Dictionary(str(chosen))
    except (ParseError, OSError) as exc:
        raise RadiusError(f"RADIUS dictionary {chosen} cannot be read: {exc}") from None
