"""The RouterOS API driver's pure parts: which devices it drives, the api inventory fields,
version-dependent paths, the drift table and its sentences. The driver against a device is
tested in tests/integration/provision/test_routeros_api.py."""

from __future__ import annotations

import pytest

from netops.errors import ProvisionError
from netops.inventory import load_inventory
from netops.inventory.models import ApiAccess, Inventory
from netops.lab.plan import plan_routeros
from netops.lab.sshtargets import plan_ssh_targets
from netops.provision.drivers import NetmikoSession, RouterOSSession, session_for
from netops.provision.drivers.base import login_for
from netops.provision.drivers.routeros import (
    AuthFailed,
    OperationFailed,
    _duration,
    drift_table,
    managed_paths,
)
from netops.provision.render import Redactor
from netops.provision.routeros.planner import Drift
from tests.paths import BANJARMASIN, LAB


@pytest.fixture(scope="module")
def lab() -> Inventory:
    return load_inventory(LAB)


def test_routeros_gateways_and_aps_get_the_api_driver_others_keep_theirs(lab: Inventory) -> None:
    for host in ("lab-hs-01", "lab-ap-01"):
        assert isinstance(session_for(lab, lab.device(host), Redactor()), RouterOSSession)
    assert isinstance(session_for(lab, lab.device("lab-core-01"), Redactor()), NetmikoSession)
    city = load_inventory(BANJARMASIN)
    switch = city.device("kel-pelambuan-gw-01")  # a RouterOS switch: still the CLI template
    assert isinstance(session_for(city, switch, Redactor()), NetmikoSession)


def test_prune_is_refused_in_one_sentence_by_other_drivers(lab: Inventory) -> None:
    with pytest.raises(ProvisionError, match=r"^lab-core-01: --prune works on RouterOS"):
        session_for(lab, lab.device("lab-core-01"), Redactor(), prune=True)


def test_api_fields_default_to_api_ssl_and_merge_from_groups(lab: Inventory) -> None:
    assert ApiAccess().effective_port == 8729 and ApiAccess().tls
    assert ApiAccess(tls=False).effective_port == 8728
    hs, ap = lab.device("lab-hs-01"), lab.device("lab-ap-01")
    # tls: false from the mikrotik group, the port from the device
    assert (hs.api.tls, hs.api.effective_port, hs.api.version) == (False, 10031, None)
    assert (ap.api.tls, ap.api.effective_port, ap.api.version) == (False, 10032, "7.16")
    with pytest.raises(ValueError):
        ApiAccess(version="5.26")


def test_the_version_decides_wireless_or_wifi() -> None:
    v6, v7 = managed_paths("6.49.15 (long-term)"), managed_paths("7.16 (stable)")
    assert "/interface/wireless" in v6 and not any(p.startswith("/interface/wifi") for p in v6)
    assert "/interface/wifi" in v7 and "/interface/wireless" not in v7


def test_drift_table_has_one_row_per_entry_and_per_changed_field() -> None:
    drift = (
        Drift("/radius", "only-on-device", "address=10.9.9.9 service=hotspot", "*9"),
        Drift("/ip/pool", "changed", "name=pool-a", "*2", {"ranges": ("10.0.0.5", "10.0.0.9")}),
        Drift("/ip/pool", "missing", "name=pool-b", None, {"name": (None, "pool-b")}),
    )
    text = drift_table(drift, ["/ip pool set *2 ranges=10.0.0.9"])
    rows = text.splitlines()
    assert rows[0].split() == ["path", "kind", "entry", "field", "device", "intended"]
    assert rows[2].startswith("/radius") and "only-on-device" in rows[2]
    assert rows[3].split()[-3:] == ["ranges", "10.0.0.5", "10.0.0.9"]
    assert "missing" in rows[4] and "pool-b" in rows[4] and "name" not in rows[4].split()[3:]
    assert rows[-2:] == ["operations:", "  /ip pool set *2 ranges=10.0.0.9"]
    assert drift_table((), []) == ""


def test_failures_are_one_sentence_naming_the_api_port(lab: Inventory) -> None:
    redactor = Redactor()
    redactor.add("s3cret")
    session = RouterOSSession(lab, login_for(lab, lab.device("lab-hs-01")), redactor)
    assert session.describe(AuthFailed("invalid user name or password (6)")) == (
        "authentication failed for user 'netops' on lab-hs-01 at 127.0.0.1:10031"
    )
    said = session.describe(OperationFailed("/radius", "add", "failure: bad secret s3cret"))
    assert said.startswith("the device refused add on /radius: failure: bad secret ")
    assert "s3cret" not in said
    assert session.describe(ConnectionRefusedError(111, "refused")) == (
        "connection refused by lab-hs-01 at 127.0.0.1:10031"
    )


def test_confirm_timeout_is_written_as_a_routeros_interval() -> None:
    assert [_duration(s) for s in (3, 300, 3725)] == ["3s", "5m", "1h2m5s"]


def test_lab_runs_the_routeros_lab_device_not_fakenos_for_routeros(lab: Inventory) -> None:
    targets, _ = plan_routeros(lab)
    assert {t.device: (t.version, t.endpoints) for t in targets} == {
        "lab-hs-01": ("7.16", {"api": "127.0.0.1:10031", "ssh": "127.0.0.1:10021"}),
        "lab-ap-01": ("7.16", {"api": "127.0.1.5:10032", "ssh": "127.0.1.5:10022"}),
    }
    fakes, _ = plan_ssh_targets(lab)
    assert [t.device for t in fakes] == ["lab-dist-01"]
