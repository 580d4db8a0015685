"""The variables a user sets keep working, read once at the CLI edge and handed down:
``NETOPS_STORE_KEY`` / ``NETOPS_MAC_KEY`` (the store's keys), ``NETOPS_RADIUS_DICTIONARY``,
``NETOPS_BRANDING_DIR`` and ``NETOPS_TEMPLATES``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netops.cli.main import main
from netops.store.credentials import generate_key
from tests.paths import LAB, REPO


@pytest.fixture
def edge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NETOPS_DB", raising=False)
    monkeypatch.setenv("NETOPS_INVENTORY", str(LAB))
    values = {
        "NETOPS_STORE_KEY": generate_key(),
        "NETOPS_MAC_KEY": generate_key(),
        "NETOPS_RADIUS_DICTIONARY": str(REPO / "radius" / "dictionary"),
        "NETOPS_BRANDING_DIR": str(tmp_path / "branding"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_portal_serve_hands_the_keys_branding_and_dictionary_down(
    edge: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import netops.portal.service as service

    seen: dict[str, Any] = {}
    monkeypatch.setattr(service, "serve", lambda *args, **kwargs: seen.update(kwargs))
    assert main(["portal", "serve"]) == 0
    assert seen["keys"].store_key == edge["NETOPS_STORE_KEY"]
    assert seen["keys"].mac_key == edge["NETOPS_MAC_KEY"]
    assert seen["branding_dir"] == Path(edge["NETOPS_BRANDING_DIR"])
    assert seen["radius_dictionary"] == Path(edge["NETOPS_RADIUS_DICTIONARY"])


def test_radius_serve_hands_the_keys_and_dictionary_down(
    edge: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import netops.radius.service as service

    seen: dict[str, Any] = {}

    def fake_serve(inventory: Path, db_url: str, config: Any, **kwargs: Any) -> None:
        seen.update(kwargs, config=config)

    monkeypatch.setattr(service, "serve", fake_serve)
    assert main(["radius", "serve"]) == 0
    assert seen["keys"].store_key == edge["NETOPS_STORE_KEY"]
    assert seen["config"].dictionary == Path(edge["NETOPS_RADIUS_DICTIONARY"])


def test_unset_variables_hand_down_nothing(
    edge: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import netops.portal.service as service

    for name in edge:
        monkeypatch.delenv(name)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(service, "serve", lambda *args, **kwargs: seen.update(kwargs))
    assert main(["portal", "serve"]) == 0
    assert seen["keys"].store_key is None and seen["keys"].mac_key is None
    assert seen["branding_dir"] is None and seen["radius_dictionary"] is None


def test_netops_templates_is_searched_before_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = tmp_path / "templates" / "frr"
    ours.mkdir(parents=True)
    (ours / "core.j2").write_text("! from the city's own templates: {{ device.hostname }}\n")
    out = tmp_path / "out"
    render = ["-i", str(LAB), "config", "render", "-d", "lab-core-01", "-o", str(out)]
    monkeypatch.delenv("NETOPS_TEMPLATES", raising=False)
    assert main(render) == 0
    assert "city's own templates" not in (out / "lab-core-01.cfg").read_text()
    monkeypatch.setenv("NETOPS_TEMPLATES", str(tmp_path / "templates"))
    assert main(render) == 0
    assert (out / "lab-core-01.cfg").read_text() == (
        "! from the city's own templates: lab-core-01\n"
    )
