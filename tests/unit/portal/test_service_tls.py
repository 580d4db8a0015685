"""Which certificate `netops portal serve` presents: the command line's, else the inventory's."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.portal.service import PortalError, tls_files


def test_the_inventorys_files_are_found_beside_the_inventory(tmp_path: Path) -> None:
    found = tls_files(tmp_path, None, None, ("tls/portal.pem", "tls/portal-key.pem"))
    assert found == (tmp_path / "tls/portal.pem", tmp_path / "tls/portal-key.pem")
    absolute = tls_files(tmp_path, None, None, ("/etc/netops/p.pem", "/etc/netops/k.pem"))
    assert absolute == (Path("/etc/netops/p.pem"), Path("/etc/netops/k.pem"))


def test_the_command_line_wins_and_plain_http_needs_neither(tmp_path: Path) -> None:
    given = (tmp_path / "c.pem", tmp_path / "k.pem")
    assert tls_files(tmp_path, *given, ("a.pem", "b.pem")) == given
    assert tls_files(tmp_path, None, None, None) is None
    with pytest.raises(PortalError, match="go together"):
        tls_files(tmp_path, given[0], None, None)
