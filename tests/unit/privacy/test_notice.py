"""The privacy notice's content and version, the acceptance records' life cycle in the
store (export, erasure, purge), and the privacy-action counts the portal's collector reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy.exc import OperationalError

from netops.environment import store_keys
from netops.inventory import load_inventory
from netops.inventory.models import Privacy
from netops.portal.privacy_metrics import PrivacyCollector
from netops.privacy.notice import (
    build_notice,
    deadline_words,
    notice_version,
    period_words,
    record_acceptance,
)
from netops.privacy.purge import purge
from netops.store import Store
from netops.store.credentials import generate_key
from tests.paths import BANJARMASIN, LAB

MAC = "3c-52-82-10-aa-01"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    return Store.open(f"sqlite:///{tmp_path / 'netops.db'}", keys=store_keys())


def _privacy(path: Path = BANJARMASIN) -> Privacy:
    privacy = load_inventory(path).privacy
    assert privacy is not None
    return privacy


def test_periods_in_words() -> None:
    assert period_words("id", 365 * 86400) == "1 tahun"
    assert period_words("en", 730 * 86400) == "2 years"
    assert period_words("id", 90 * 86400) == "90 hari"
    assert period_words("en", 86400) == "1 day"
    assert period_words("en", 12 * 3600) == "12 hours"
    assert deadline_words("id", 3 * 86400) == "3×24 jam"
    assert deadline_words("en", 3 * 86400) == "3×24 hours"


def test_notice_of_the_sample_city_names_the_dpo_and_periods() -> None:
    privacy = _privacy()
    notice = build_notice(privacy, "id")
    assert notice.dpo_email == "ppdp@banjarmasinkota.go.id"
    assert [i.kept for i in notice.items] == [
        "30 hari",
        "90 hari",
        "1 tahun",
        "1 tahun",
        "90 hari",
        "2 tahun",
    ]
    assert notice.items[0].basis.startswith("persetujuan Anda")
    assert build_notice(privacy, "en").version == notice.version


def test_version_changes_with_a_period_or_the_dpo() -> None:
    privacy = _privacy()
    version = notice_version(privacy)
    assert len(version) == 12 and notice_version(_privacy()) == version
    longer = privacy.model_copy(
        update={"retention": privacy.retention.model_copy(update={"clickthroughs": 31 * 86400})}
    )
    assert notice_version(longer) != version
    other_dpo = privacy.model_copy(
        update={"dpo": privacy.dpo.model_copy(update={"email": "dpo@example.go.id"})}
    )
    assert notice_version(other_dpo) != version


def test_acceptance_is_exported_erased_and_purged(store: Store) -> None:
    privacy = _privacy(LAB)
    number = record_acceptance(store, privacy, mac=MAC, hotspot="lab-park", lang="id", at=NOW)
    assert number == 1
    (row,) = store.acceptances(mac=MAC.upper())
    assert row["device"] == store.mac_pseudonym(MAC) and row["version"] == notice_version(privacy)
    subject = store.subject(mac=MAC)
    assert len(store.subject_data(subject)["notice_acceptances"]) == 1
    erased = store.erase(subject, hold_after=NOW)
    assert erased.deleted["notice_acceptances"] == 1
    assert store.acceptances() == []
    # The purge deletes acceptances older than the clickthroughs period (lab: 2 days).
    record_acceptance(store, privacy, mac=MAC, hotspot=None, lang="en", at=NOW - timedelta(days=3))
    record_acceptance(store, privacy, mac=MAC, hotspot=None, lang="en", at=NOW - timedelta(days=1))
    report = purge(store, load_inventory(LAB), NOW)
    assert report.counts["clickthroughs"] == 1
    assert [r["lang"] for r in store.acceptances()] == ["en"]


def test_collector_counts_requests_and_failed_sign_ins(store: Store) -> None:
    subject = store.subject(mac=MAC)
    store.record_request("export", subject, NOW - timedelta(hours=2), NOW + timedelta(days=1))
    store.record_request("export", subject, NOW - timedelta(minutes=5), NOW + timedelta(days=3))
    store.record_request("erase", subject, NOW - timedelta(minutes=5), NOW + timedelta(days=3))
    store.audit("ani", "10.0.0.9", "console.sign_in_failed", at=NOW - timedelta(minutes=1))
    store.audit("ani", "10.0.0.9", "console.sign_in", at=NOW)
    store.audit("ani", "cli", "privacy.trace", "10.254.0.7", at=NOW)
    registry = CollectorRegistry()
    registry.register(PrivacyCollector(store, lambda: NOW))
    text = generate_latest(registry).decode()
    assert 'netops_privacy_actions_total{action="export"} 2.0' in text
    assert 'netops_privacy_actions_last_hour{action="export"} 1.0' in text
    assert 'netops_privacy_actions_last_hour{action="erase"} 1.0' in text
    assert 'netops_privacy_actions_total{action="sign_in_failed"} 1.0' in text
    assert 'netops_privacy_actions_total{action="trace"} 1.0' in text
    assert "netops_privacy_metrics_up 1.0" in text
    assert 'action="sign_in"' not in text


def test_collector_reports_an_unreadable_store(store: Store) -> None:
    class Broken:
        def privacy_action_counts(self, since: datetime | None = None) -> dict[str, int]:
            raise OperationalError("SELECT", {}, Exception("database is locked"))

    registry = CollectorRegistry()
    registry.register(PrivacyCollector(Broken(), lambda: NOW))
    text = generate_latest(registry).decode()
    assert "netops_privacy_metrics_up 0.0" in text
    assert "netops_privacy_actions_total" not in text
