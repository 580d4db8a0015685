"""The throwaway PostgreSQL helper cleans up after test runs that were killed."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.postgres import PostgresCluster, reap_orphans

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_a_cluster_whose_test_run_died_is_stopped_and_removed() -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    base = Path(tempfile.mkdtemp(prefix="netops-pg-"))
    (base / "owner.pid").write_text(str(dead.pid))
    cluster = PostgresCluster(base)
    try:
        cluster.init()
        cluster.start()
        assert cluster.running
        os.utime(base, (0, 0))
        assert reap_orphans() >= 1
        assert not base.exists()
        check = subprocess.run(
            ["pgrep", "-f", "--", f"-D {cluster.data}"], capture_output=True, check=False
        )
        assert check.returncode == 1, "its postgres was stopped"
    finally:
        cluster.destroy()


def test_a_cluster_of_a_live_test_run_is_left_alone() -> None:
    base = Path(tempfile.mkdtemp(prefix="netops-pg-"))
    try:
        (base / "owner.pid").write_text(str(os.getpid()))
        os.utime(base, (0, 0))
        reap_orphans()
        assert base.exists()
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)
