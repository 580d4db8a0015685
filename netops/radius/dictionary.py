"""The RADIUS dictionaries under ``radius/`` (FreeRADIUS format), loaded once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pyrad.dictionary import Dictionary, ParseError

from netops.errors import RadiusError


def dictionary_path(override: Path | None = None) -> Path:
    """The main dictionary file: ``override`` (the CLI passes ``$NETOPS_RADIUS_DICTIONARY``)
    or ``radius/dictionary`` of the source tree (found relative to this package)."""
    if override is not None:
        return override
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
