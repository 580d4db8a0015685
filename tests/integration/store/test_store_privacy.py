"""Data subject requests and retention on both engines: export and erase one subject and
leave everybody else (and their usage) as it was; a lawful hold is kept and named; each
data class is purged at its own period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netops.inventory import load_inventory
from netops.privacy import purge as purging
from netops.privacy import requests
from netops.store import Store
from tests.paths import LAB
from tests.support.records import acct_record

NOW = datetime.now(UTC).replace(microsecond=0)
ALICE_MAC, BUDI_MAC = "3c:52:82:10:aa:01", "3c:52:82:10:aa:02"


def _session(store: Store, user: str, sid: str, mac: str, ended: datetime) -> None:
    for status in ("start", "stop"):
        store.account(
            acct_record(
                status=status,
                nas_ip="127.0.0.1",
                nas_identifier="lab-hs-01",
                username=user,
                acct_session_id=sid,
                hotspot="lab-park",
                mac=mac,
                ip="10.254.200.7",
                session_time=600,
                input_octets=1000,
                output_octets=2000,
                input_packets=1,
                output_packets=1,
                terminate_cause="User-Request" if status == "stop" else None,
                event_time=ended,
            )
        )


def _populate(store: Store) -> None:
    for user, mac in (("alice", ALICE_MAC), ("budi", BUDI_MAC)):
        store.add_user(user, "rahasia-123", "gratis")
        _session(store, user, f"{user}-old", mac, NOW - timedelta(days=60))
        _session(store, user, f"{user}-new", mac, NOW - timedelta(days=1))
    store.create_clickthrough(ALICE_MAC, "lab-park", "gratis", NOW.date())
    store.create_clickthrough(BUDI_MAC, "lab-park", "gratis", NOW.date())


def test_export_then_erase_one_subject_leaves_the_others_intact(store: Store) -> None:
    inv = load_inventory(LAB)
    _populate(store)
    budi_before = (store.usage("budi"), [s.id for s in store.sessions(username="budi")])
    counts_before = store.counts()

    subject = store.subject(mac=ALICE_MAC.upper().replace(":", "-"))
    answer = requests.export(store, inv, subject, NOW, NOW)
    assert answer.data is not None
    names = {row["username"] for row in answer.data["subscribers"]}
    assert names == {store.clickthrough_name(ALICE_MAC, NOW.date())}
    assert {r["acct_session_id"] for r in answer.data["acct_sessions"]} == {
        "alice-old",
        "alice-new",
    }
    assert all("password_enc" not in r for r in answer.data["subscribers"])
    assert answer.due_at - answer.received_at == timedelta(hours=72)
    html = requests.export_html(answer, inv)
    assert "Data pribadi yang kami simpan" in html and ALICE_MAC not in html.lower()

    user = store.subject(user="alice")
    erased = requests.erase(store, inv, user, NOW, NOW)
    assert erased.erased is not None
    # The lab keeps connection records 7 days: yesterday's session is held, the old one goes.
    assert erased.erased.held == {"acct_sessions": 1}
    assert erased.erased.deleted["subscribers"] == 1
    assert erased.erased.deleted["acct_sessions"] == 1
    assert store.lookup("alice") is None
    assert [s.acct_session_id for s in store.sessions(username="alice")] == ["alice-new"]

    # Budi and the counts of everybody else are exactly as they were.
    assert (store.usage("budi"), [s.id for s in store.sessions(username="budi")]) == budi_before
    after = store.counts()
    assert after["user"] == counts_before["user"] - 1
    assert after["clickthrough"] == counts_before["clickthrough"]
    assert after["sessions"] == counts_before["sessions"] - 1

    found = store.privacy_requests()
    assert [(r.kind, r.subject_kind) for r in found] == [("erase", "user"), ("export", "mac")]
    assert found[1].subject == store.mac_pseudonym(ALICE_MAC)  # never the clear MAC
    assert found[0].held and "connection record" in found[0].held
    assert all(r.completed_at is not None and not r.overdue(NOW) for r in found)


def test_purge_applies_each_class_its_own_period(store: Store) -> None:
    inv = load_inventory(LAB)  # sessions 30d, connections 7d, accounts 30d, ct 2d, vouchers 7d
    _populate(store)
    store.add_user("lama", "rahasia-123", "gratis")  # never logs in
    old_day = (NOW - timedelta(days=10)).date()
    store.create_clickthrough(ALICE_MAC, "lab-park", "gratis", old_day)
    (code,) = store.create_vouchers("gratis", 1)
    store.revoke_voucher(code)
    report = purging.purge(store, inv, NOW + timedelta(days=20))
    assert report.counts["accounting_sessions"] == 2  # the two 60-day-old sessions
    assert report.counts["connection_records"] == 2  # yesterday's: IP and device cleared
    assert report.counts["clickthroughs"] == 3
    assert report.counts["vouchers"] == 1
    assert report.counts["subscriber_accounts"] == 0
    remaining = store.sessions()
    assert len(remaining) == 2 and all(s.mac is None and s.ip is None for s in remaining)
    assert store.usage("alice").seconds == 1200  # purged sessions still count for quotas
    report = purging.purge(store, inv, NOW + timedelta(days=40))
    assert report.counts["subscriber_accounts"] == 3  # alice, budi, lama: no login for 30d
    assert store.counts()["user"] == 0


def test_the_day_is_not_purged_while_plans_have_daily_limits(store: Store) -> None:
    import pytest

    from netops.errors import NetopsError
    from netops.inventory.models import Privacy, Retention

    inv = load_inventory(LAB)
    assert inv.privacy is not None
    short = inv.model_copy(
        update={
            "privacy": Privacy(
                controller="x",
                dpo=inv.privacy.dpo,
                retention=Retention(accounting_sessions=3600, connection_records=60),
            )
        }
    )
    with pytest.raises(NetopsError, match=r"shorter than 1d: plan .* has a daily limit"):
        purging.purge(store, short, NOW)
