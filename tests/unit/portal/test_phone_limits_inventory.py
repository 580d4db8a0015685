"""Phone sign-up limits come from the inventory (``services.portal.phone_limits``): the
portal texts no more than the city set, a bad value is one sentence with file and line, and
an inventory that says nothing keeps the shipped defaults."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from netops.errors import InventoryError
from netops.inventory import load_inventory
from netops.inventory.models import PhoneLimitsSettings
from netops.portal.app import PortalSettings, create_app
from netops.portal.state import phone_limits
from netops.store import Store
from netops.store.phones import PhoneLimits
from tests.paths import LAB
from tests.unit.portal.test_phone_signup import Clock, Outbox, _alert, _send

PORTAL_LINE = "    phone_plan: warga\n"


def _lab_with(tmp_path: Path, limits: str) -> Path:
    """A copy of the lab inventory whose portal section ends with ``limits`` (YAML lines)."""
    root = tmp_path / "lab"
    shutil.copytree(LAB, root)
    meta = root / "meta.yml"
    text = meta.read_text(encoding="utf-8")
    assert PORTAL_LINE in text
    meta.write_text(text.replace(PORTAL_LINE, PORTAL_LINE + limits, 1), encoding="utf-8")
    return root


def _issue_line(root: Path, needle: str) -> int:
    lines = (root / "meta.yml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


@pytest.fixture
def strict_client(tmp_path: Path, store: Store) -> Iterator[tuple[TestClient, Outbox]]:
    root = _lab_with(
        tmp_path, "    phone_limits:\n      per_number_hour: 1\n      per_number_day: 1\n"
    )
    outbox = Outbox()
    settings = PortalSettings(
        inventory=load_inventory(root), store=store, sms_gateway=outbox, clock=Clock()
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client, outbox


def test_the_inventory_s_limit_of_one_sms_a_number_is_what_the_portal_sends(
    strict_client: tuple[TestClient, Outbox],
) -> None:
    client, outbox = strict_client
    assert _send(client, "081234567890").status_code == 200
    refused = _send(client, "081234567890")
    assert refused.status_code == 429
    assert _alert(refused.text).startswith("Sudah terlalu banyak SMS dikirim.")
    assert len(outbox.sent) == 1  # the shipped default would have sent a second one


def test_an_inventory_without_phone_limits_keeps_the_shipped_defaults(store: Store) -> None:
    settings = PortalSettings(inventory=load_inventory(LAB), store=store)
    assert settings.phone_limits == PhoneLimits()
    assert phone_limits(PhoneLimitsSettings()) == PhoneLimits()


def test_limits_passed_by_a_caller_win_over_the_inventory(store: Store) -> None:
    mine = PhoneLimits(per_number_hour=7, per_number_day=9)
    settings = PortalSettings(inventory=load_inventory(LAB), store=store, phone_limits=mine)
    assert settings.phone_limits is mine


def test_a_code_lifetime_in_the_inventory_s_units(tmp_path: Path, store: Store) -> None:
    root = _lab_with(tmp_path, "    phone_limits: {code_ttl: 10m, tries: 5}\n")
    settings = PortalSettings(inventory=load_inventory(root), store=store)
    assert (settings.phone_limits.code_ttl_s, settings.phone_limits.tries) == (600, 5)


@pytest.mark.parametrize(
    ("limits", "needle", "says"),
    [
        ("    phone_limits:\n      tries: 0\n", "tries: 0", "tries"),
        ("    phone_limits:\n      code_ttl: 2d\n", "code_ttl: 2d", "code_ttl"),
        ("    phone_limits:\n      per_hotspot_hour: lots\n", "lots", "per_hotspot_hour"),
        ("    phone_limits:\n      per_number_hr: 2\n", "per_number_hr", "per_number_hr"),
        (
            "    phone_limits:\n      per_number_hour: 4\n      per_number_day: 2\n",
            "per_number_hour: 4",
            "per_number_day (2) is below per_number_hour (4)",
        ),
    ],
)
def test_a_bad_phone_limit_is_one_sentence_with_file_and_line(
    tmp_path: Path, limits: str, needle: str, says: str
) -> None:
    root = _lab_with(tmp_path, limits)
    with pytest.raises(InventoryError) as caught:
        load_inventory(root)
    (issue,) = caught.value.issues
    assert issue.file.endswith("meta.yml")
    assert issue.line == _issue_line(root, needle), issue
    assert says in issue.message
    assert "\n" not in issue.message
