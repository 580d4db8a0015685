"""The city's branding: name, logo, colour and terms, from radius/branding/<city>/."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.inventory import Inventory, load_inventory
from netops.portal.branding import BrandingError, load_branding

REPO = Path(__file__).resolve().parents[3]


def test_lab_branding_comes_from_its_folder(lab: Inventory) -> None:
    brand = load_branding(lab)
    assert brand.title == "WiFi Gratis Lab"
    assert brand.logo_svg.startswith("<svg")
    assert brand.terms_in("id") and brand.terms_in("en")
    assert brand.terms_in("id") != brand.terms_in("en")


def test_banjarmasin_branding_names_the_city() -> None:
    brand = load_branding(load_inventory(REPO / "inventory" / "banjarmasin"))
    assert brand.title == "WiFi Gratis Banjarmasin"
    assert "Banjarmasin" in brand.operator
    assert any("WITA" in line for line in brand.terms_in("id"))


def test_a_city_without_branding_gets_defaults(lab: Inventory, tmp_path: Path) -> None:
    brand = load_branding(lab, root=tmp_path)
    assert brand.title == "WiFi Gratis Lab"
    assert brand.logo_svg.startswith("<svg")
    assert brand.terms_in("id") == ()


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "lab"
    folder.mkdir()
    return folder


def test_broken_branding_yaml_names_the_file_and_line(lab: Inventory, tmp_path: Path) -> None:
    (_folder(tmp_path) / "branding.yml").write_text("title: ok\ncolour: [\n")
    with pytest.raises(BrandingError, match=r"branding.yml:\d+ is not valid YAML"):
        load_branding(lab, root=tmp_path)


def test_a_bad_colour_is_refused(lab: Inventory, tmp_path: Path) -> None:
    (_folder(tmp_path) / "branding.yml").write_text("colour: red\n")
    with pytest.raises(BrandingError, match="colour 'red'"):
        load_branding(lab, root=tmp_path)


def test_a_logo_with_script_or_external_links_is_refused(lab: Inventory, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "logo.svg").write_text("<svg><script>alert(1)</script></svg>")
    with pytest.raises(BrandingError, match="scripts or links"):
        load_branding(lab, root=tmp_path)
    (folder / "logo.svg").write_text('<svg><image href="https://cdn.example/x.png"/></svg>')
    with pytest.raises(BrandingError, match="scripts or links"):
        load_branding(lab, root=tmp_path)


def test_a_colour_too_light_for_white_text_is_refused(lab: Inventory, tmp_path: Path) -> None:
    (_folder(tmp_path) / "branding.yml").write_text('colour: "#ffd23f"\n')
    with pytest.raises(BrandingError, match=r"too light for white text \(contrast 1\.\d:1"):
        load_branding(lab, root=tmp_path)
