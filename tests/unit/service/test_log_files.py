"""Service logs are for the service's group: created 0640 in a 0750 folder, whatever the
umask, and a log an older version left 0644 is narrowed when it is opened again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.cli.main import _runs_service
from netops.service.supervisor import open_log


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o000)
    yield
    os.umask(old)


def test_a_new_log_and_its_folder_are_for_the_group_only(tmp_path: Path, open_umask: None) -> None:
    log = tmp_path / "state" / "log" / "radius.log"
    with open_log(log) as handle:
        handle.write(b"reject u-1 from lab-gw: unknown voucher\n")
    assert log.stat().st_mode & 0o777 == 0o640
    assert log.parent.stat().st_mode & 0o777 == 0o750


def test_a_log_left_world_readable_is_narrowed_and_kept(tmp_path: Path) -> None:
    log = tmp_path / "portal.log"
    log.write_bytes(b"earlier\n")
    log.chmod(0o666)
    with open_log(log) as handle:
        handle.write(b"later\n")
    assert log.stat().st_mode & 0o777 == 0o640
    assert log.read_bytes() == b"earlier\nlater\n"


def test_a_log_already_narrower_stays_so(tmp_path: Path) -> None:
    log = tmp_path / "exporter.log"
    log.touch(mode=0o600)
    log.chmod(0o600)
    open_log(log).close()
    assert log.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("words", "service"),
    [
        (["up", "--state-dir", "/x"], True),
        (["radius", "serve", "--bind", "0.0.0.0"], True),
        (["portal", "serve"], True),
        (["exporter", "serve"], True),
        (["radius", "sessions"], False),
        (["prometheus", "config", "-o", "/x"], False),
        (["portal", "gateway-sim"], False),
    ],
)
def test_only_the_commands_that_run_a_service_get_its_umask(
    words: list[str], service: bool
) -> None:
    assert _runs_service(words) is service
