"""A store opened with the operator's keys uses them everywhere: nothing falls back to the
lab key file (which would be created beside the database, with a warning) for the portal's
signing key, the shared rate limits, the audit trail's anchor seal or anything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from netops.store import Store
from netops.store.base import KEY_FILE_NAME
from netops.store.credentials import StoreKeys, generate_key


def _open(folder: Path, keys: StoreKeys) -> Store:
    folder.mkdir()
    return Store.open(f"sqlite:///{folder / 'netops.db'}", keys=keys)


def test_every_keyed_part_of_the_store_uses_the_given_key(tmp_path: Path) -> None:
    keys = StoreKeys(store_key=generate_key())
    now = datetime.now(UTC)
    seals = []
    for name in ("a", "b"):  # two stores, two folders, one operator key
        with _open(tmp_path / name, keys) as store:
            store.add_user("alice", "s3cret", "gratis")
            store.create_vouchers("gratis", 1)
            store.limit_hit("phone", "device-1", 5, 60, now)
            store.audit("siti", "cli", "voucher.create", "b", at=now - timedelta(days=1))
            store.audit("siti", "cli", "voucher.create", "c", at=now)
            assert store.purge_audit(now - timedelta(hours=1), now=now).rows == 1
            check = store.verify_audit()
            assert check.broken_id is None and check.anchor is not None, check.problem
            seals.append((store.portal_signing_key(), store.mac_pseudonym("aa:bb:cc:00:00:01")))
        assert not (tmp_path / name / KEY_FILE_NAME).exists(), "fell back to the lab key file"
    assert seals[0] == seals[1]
