"""A PostgreSQL primary with a synchronous streaming-replication standby, on loopback.

The standby is made the way an operator makes one: ``pg_basebackup -R`` from the running
primary (it writes ``standby.signal`` and ``primary_conninfo``), started on its own port; the
primary then waits for it on every commit (``synchronous_standby_names = '*'``). ``kill_primary``
is ``pg_ctl stop -m immediate`` (a crash); ``promote`` is ``pg_ctl promote``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from tests.support.postgres import DB_USER, PG_BIN, PostgresCluster, reap_orphans


class Pair:
    def __init__(self, primary: PostgresCluster, standby: PostgresCluster, database: str) -> None:
        self.primary = primary
        self.standby = standby
        self.database = database

    def url(self) -> str:
        """The multi-host URL netops is given: libpq tries the hosts in order and keeps the
        one that accepts writes."""
        return (
            f"postgresql+psycopg://{DB_USER}:{self.primary.password}@/{self.database}"
            f"?host=127.0.0.1:{self.primary.port}&host=127.0.0.1:{self.standby.port}"
            "&target_session_attrs=read-write"
        )

    def dsn(self, cluster: PostgresCluster) -> str:
        return (
            f"host=127.0.0.1 port={cluster.port} user={DB_USER} "
            f"password={self.primary.password} dbname={self.database}"
        )

    def kill_primary(self) -> None:
        self.primary.stop("immediate")

    def promote(self) -> None:
        done = self.standby._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.standby.data), "-w", "promote"
        )
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl promote failed: {done.stderr.strip()}")


def _wait_streaming(primary: PostgresCluster, state: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    dsn = f"host=127.0.0.1 port={primary.port} user={DB_USER} password={primary.password}"
    while time.monotonic() < deadline:
        with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as conn:
            row = conn.execute(
                "SELECT sync_state FROM pg_stat_replication WHERE state = 'streaming'"
            ).fetchone()
        if row is not None and row[0] == state:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the standby never became a {state} streaming standby")


@contextlib.contextmanager
def primary_and_standby(synchronous: bool = True) -> Iterator[Pair]:
    reap_orphans()
    bases = [Path(tempfile.mkdtemp(prefix="netops-pg-")) for _ in range(2)]
    for base in bases:
        (base / "owner.pid").write_text(str(os.getpid()))
    clusters: list[PostgresCluster] = []
    try:
        primary = PostgresCluster(bases[0])
        clusters.append(primary)
        primary.init()
        primary.start()
        database = primary.new_database("failover").rsplit("/", 1)[1]

        standby = PostgresCluster(bases[1])
        clusters.append(standby)
        standby.password = primary.password
        env = dict(os.environ, PGPASSWORD=primary.password)
        done = subprocess.run(
            [
                *standby._as_user,
                str(PG_BIN / "pg_basebackup"),
                "-D",
                str(standby.data),
                "-h",
                "127.0.0.1",
                "-p",
                str(primary.port),
                "-U",
                DB_USER,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=standby.base,
            env=env,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pg_basebackup failed: {done.stderr.strip()}")
        standby.start()
        # Only now, so the copy does not inherit it: a promoted standby that itself waited for
        # a synchronous standby would hang every commit until a new standby exists.
        dsn = f"host=127.0.0.1 port={primary.port} user={DB_USER} password={primary.password}"
        if synchronous:
            with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as conn:
                conn.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
                conn.execute("SELECT pg_reload_conf()")
        _wait_streaming(primary, "sync" if synchronous else "async")
        yield Pair(primary, standby, database)
    finally:
        for cluster in clusters:
            cluster.destroy()
        for base in bases:
            shutil.rmtree(base, ignore_errors=True)
