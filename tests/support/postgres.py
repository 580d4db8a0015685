"""A throwaway PostgreSQL cluster for tests: ``initdb`` + ``pg_ctl`` in a temp dir.

The cluster listens on 127.0.0.1 on a port the kernel picked and on a Unix socket inside
its own folder, runs as the ``postgres`` OS user (``initdb`` refuses root), and is stopped
and removed afterwards. Use the fixtures from a ``conftest.py``::

    from tests.support.postgres import postgres_cluster, postgres_url  # noqa: F401

``postgres_cluster`` (session): one cluster per test run. ``postgres_url`` (function): a fresh,
empty database in it, as a ``postgresql+psycopg://`` URL. ``cluster.stop()`` /
``cluster.start()`` take the server away mid-test and bring it back (``stop("immediate")`` is
a crash). For speed the cluster runs with ``fsync=off``: a committed transaction survives the
server being killed (synchronous_commit stays on), not the machine losing power.
The URL carries a random password (scram-sha-256), so tests can check it is never printed.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("NETOPS_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"
DB_USER = "netops"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL binaries or the postgres OS user are missing."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """One temporary cluster. ``url(db)`` gives a SQLAlchemy URL; ``new_database()`` a fresh one."""

    def __init__(self, base: Path, fresh: bool = True) -> None:
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not (PG_BIN / tool).exists():
                raise PostgresUnavailable(
                    f"{PG_BIN / tool} is missing: install Debian's postgresql package "
                    "(make debs) or set NETOPS_PG_BIN"
                )
        self.base = base
        self.data = base / "data"
        self.socket_dir = base / "run"
        self.log = base / "postgres.log"
        self.password = secrets.token_hex(12)
        self.port = 0
        self._as_user: list[str] = []
        self._databases = 0
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam(OS_USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root needs the {OS_USER!r} OS user (Debian's postgresql)"
                ) from None
            os.chown(base, entry.pw_uid, entry.pw_gid)
            self._as_user = ["runuser", "-u", OS_USER, "--"]
        if not fresh:
            return
        self.socket_dir.mkdir()
        if self._as_user:
            entry = pwd.getpwnam(OS_USER)
            os.chown(self.socket_dir, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as_user, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.base,
        )

    def init(self) -> None:
        pwfile = self.base / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._as_user:
            entry = pwd.getpwnam(OS_USER)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        done = self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            DB_USER,
            "--pwfile",
            str(pwfile),
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        pwfile.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        """Start (or restart) the server; a new port is chosen only on the first start."""
        last = ""
        for _attempt in range(3):
            port = self.port or _free_port()
            options = (
                f"-p {port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c full_page_writes=off "
                "-c max_connections=200 -c shared_buffers=32MB"
            )
            done = self._run(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
                timeout=90,
            )
            if done.returncode == 0:
                self.port = port
                return
            last = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            if self.port:
                break
        raise RuntimeError(f"PostgreSQL did not start: {last.strip() or done.stderr.strip()}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: disconnect clients; ``immediate``: like a crash)."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def running(self) -> bool:
        done = self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status")
        return done.returncode == 0

    def url(self, database: str = "postgres") -> str:
        """``postgresql+psycopg://netops:…@127.0.0.1:PORT/database``."""
        return f"postgresql+psycopg://{DB_USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """Create an empty database; returns its URL."""
        import psycopg

        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}"
        dsn = f"host=127.0.0.1 port={self.port} user={DB_USER} password={self.password}"
        with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            if self.data.exists():
                self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_orphans(older_than: float = 600.0) -> int:
    """Stop and remove clusters left behind by test runs that were killed (their owning
    process is gone) and are older than ``older_than`` seconds; returns how many."""
    reaped = 0
    now = time.time()
    for base in Path(tempfile.gettempdir()).glob("netops-pg-*"):
        try:
            owner = int((base / "owner.pid").read_text())
            if _alive(owner) or now - base.stat().st_mtime < older_than:
                continue
        except (OSError, ValueError):
            continue
        with contextlib.suppress(Exception):
            PostgresCluster(base, fresh=False).destroy()
        reaped += 1
    return reaped


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresCluster]:
    """A started cluster for the duration of the block; always stopped and removed."""
    reap_orphans()
    base = Path(tempfile.mkdtemp(prefix="netops-pg-"))
    (base / "owner.pid").write_text(str(os.getpid()))
    try:
        cluster = PostgresCluster(base)
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if "cluster" in locals():
            cluster.destroy()
        else:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL per test session (fails, never skips, when it cannot start)."""
    try:
        with running_postgres() as cluster:
            yield cluster
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """A fresh empty database on the session's cluster (restarted if a test stopped it)."""
    if not postgres_cluster.running:
        postgres_cluster.start()
    return postgres_cluster.new_database()
