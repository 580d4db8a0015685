"""The city's look on the citizens' pages: name, logo, colour, terms, help line.

Read once at start-up from ``radius/branding/<city>/`` (``<city>`` is the inventory folder's
name, else the lower-cased ``meta.city``): ``branding.yml``, ``logo.svg``, ``terms.id.txt``,
``terms.en.txt``. A missing folder falls back to neutral defaults built from the inventory;
a broken file is an error naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from netops.errors import NetopsError
from netops.inventory.models import Inventory
from netops.portal.i18n import Lang

MAX_LOGO_BYTES = 8 * 1024
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_DEFAULT_LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" '
    'role="img" aria-label="WiFi"><rect width="64" height="64" rx="14" fill="#0b5d7a"/>'
    '<path d="M14 30a26 26 0 0 1 36 0M20 37a17 17 0 0 1 24 0M26 44a8 8 0 0 1 12 0" '
    'fill="none" stroke="#fff" stroke-width="5" stroke-linecap="round"/>'
    '<circle cx="32" cy="51" r="4" fill="#fff"/></svg>'
)


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of white text on ``#rrggbb``."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


class BrandingError(NetopsError):
    """A branding file is unreadable or invalid; names the file."""


@dataclass(frozen=True)
class Branding:
    """What the pages show of the city."""

    city: str
    title: str
    operator: str
    colour: str = "#0b5d7a"
    logo_svg: str = _DEFAULT_LOGO
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    support: dict[str, str] = field(default_factory=dict)

    def terms_in(self, lang: Lang) -> tuple[str, ...]:
        return self.terms.get(lang) or self.terms.get("id") or ()

    def support_in(self, lang: Lang) -> str | None:
        return self.support.get(lang) or self.support.get("id")


def branding_root() -> Path:
    """``radius/branding`` of the source tree (the CLI passes ``$NETOPS_BRANDING_DIR`` to
    :func:`load_branding` instead when it is set)."""
    return Path(__file__).resolve().parents[2] / "radius" / "branding"


def _folder_for(inventory: Inventory, root: Path) -> Path | None:
    for name in (Path(inventory.root).name, inventory.meta.city.lower()):
        if name and (root / name).is_dir():
            return root / name
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BrandingError(f"branding file {path} cannot be read: {exc}") from None


def load_branding(inventory: Inventory, root: Path | None = None) -> Branding:
    """The branding for ``inventory``'s city (defaults when it has no branding folder)."""
    city = inventory.meta.city
    base = Branding(city=city, title=f"WiFi Gratis {city}", operator=inventory.meta.name or city)
    folder = _folder_for(inventory, root or branding_root())
    if folder is None:
        return base

    settings: dict[str, object] = {}
    meta_file = folder / "branding.yml"
    if meta_file.exists():
        try:
            loaded = yaml.safe_load(_read(meta_file)) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{meta_file}:{mark.line + 1}" if mark is not None else str(meta_file)
            raise BrandingError(f"branding file {where} is not valid YAML") from None
        if not isinstance(loaded, dict):
            raise BrandingError(f"branding file {meta_file} must be a mapping of settings")
        settings = loaded
    colour = str(settings.get("colour", base.colour))
    if not _COLOUR.match(colour):
        raise BrandingError(f"branding file {meta_file}: colour {colour!r} must look like #0b5d7a")
    if contrast_with_white(colour) < 4.5:
        raise BrandingError(
            f"branding file {meta_file}: colour {colour} is too light for white text "
            f"(contrast {contrast_with_white(colour):.1f}:1, needs 4.5:1)"
        )
    support_raw = settings.get("support") or {}
    if not isinstance(support_raw, dict):
        raise BrandingError(f"branding file {meta_file}: support must map id/en to a sentence")

    logo = base.logo_svg
    logo_file = folder / "logo.svg"
    if logo_file.exists():
        logo = _read(logo_file).strip()
        if len(logo.encode()) > MAX_LOGO_BYTES or not logo.startswith("<svg"):
            raise BrandingError(
                f"branding logo {logo_file} must be an inline SVG under {MAX_LOGO_BYTES} bytes"
            )
        if re.search(r"<script|href\s*=\s*[\"']?(https?:|//)", logo, re.IGNORECASE):
            raise BrandingError(f"branding logo {logo_file} must not hold scripts or links")

    terms: dict[str, tuple[str, ...]] = {}
    for lang in ("id", "en"):
        path = folder / f"terms.{lang}.txt"
        if path.exists():
            terms[lang] = tuple(line.strip() for line in _read(path).splitlines() if line.strip())

    return Branding(
        city=city,
        title=str(settings.get("title", base.title)),
        operator=str(settings.get("operator", base.operator)),
        colour=colour,
        logo_svg=logo,
        terms=terms,
        support={str(k): str(v) for k, v in support_raw.items()},
    )
