"""RADIUS store threads with a PostgreSQL across the network: why the default keeps a pool
of 8 for a database on another host (and answers in the event loop for one on this machine).

The lab has one machine and no ``netem``, so the far database is the tests' PostgreSQL behind
a loopback proxy that holds every chunk 0.5 ms each way (:mod:`delayproxy`, a 1 ms round
trip, a LAN between two buildings). ``netops radius serve --workers 2`` with ``--threads 0``
and ``--threads 8`` take the hotspot mix of ``test_radius_sql_bench.py`` through it, in turn,
round after round.

Run: ``make bench`` or ``.venv/bin/pytest -q -s tests/bench/test_far_database_bench.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
for _path in (str(REPO), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.append(_path)

from sqlradius import Flows, group_cpu_seconds, login, password, start_netops, user_name  # noqa: E402

from netops.environment import store_keys  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402
from netops.store.types import NewUser  # noqa: E402
from tests.support.benchdoc import write_section  # noqa: E402
from tests.support.postgres import running_postgres  # noqa: E402

DELAY = 0.0005  # each way
LOGINS = 1000
ROUNDS = int(os.environ.get("NETOPS_SQL_BENCH_ROUNDS", "3"))
THREADS = (0, 8)

pytestmark = [pytest.mark.timeout(1800)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_store_threads_with_a_far_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    base = Path(tempfile.mkdtemp(prefix="netops-far-bench-"))
    base.chmod(0o755)
    runs: dict[int, list[tuple[float, float, float, float, int]]] = {t: [] for t in THREADS}
    started_at, load_before = datetime.now(UTC), "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    with running_postgres() as cluster:
        url = cluster.new_database("far")
        store = Store.open(url, keys=store_keys())
        store.add_users([NewUser(user_name(i), password(i), "gratis") for i in range(LOGINS)])
        store.close()
        port = _free_port()
        proxy_argv = [sys.executable, str(Path(__file__).with_name("delayproxy.py"))]
        proxy_argv += [str(port), str(make_url(url).port), str(DELAY)]
        proxy = subprocess.Popen(
            proxy_argv,
            stdout=subprocess.PIPE,
        )
        servers = {}
        try:
            assert proxy.stdout is not None and proxy.stdout.readline().strip() == b"ready"
            far = make_url(url).set(port=port).render_as_string(hide_password=False)
            for t in THREADS:
                servers[t] = start_netops(
                    base, REPO / "inventory" / "lab", far, f"far-{t}", threads=t
                )
            for r in range(ROUNDS):
                for t, server in servers.items():
                    phones = [login(i, 2, f"far{r}-{t}") for i in range(LOGINS)]
                    cpu = group_cpu_seconds(server.proc.pid)
                    result = Flows(phones, window=256, retry=1.0, tries=4).run(server)
                    cpu = group_cpu_seconds(server.proc.pid) - cpu
                    runs[t].append(
                        (
                            result.answered / result.seconds,
                            cpu / LOGINS * 1e3,
                            result.p("Access-Request", 0.99),
                            result.p("Accounting-Start", 0.99),
                            sum(len(p) for p in phones) - result.answered,
                        )
                    )
        finally:
            for server in servers.values():
                server.stop()
            proxy.kill()
            proxy.wait()
            shutil.rmtree(base, ignore_errors=True)
    load_after = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    lines = [
        "## RADIUS store threads with a far database",
        "",
        "Why `netops radius serve` keeps a pool of 8 store threads for a PostgreSQL on another "
        "host while it answers in the event loop for one on the same machine: the tests' "
        f"PostgreSQL behind a loopback proxy that holds every chunk {DELAY * 1e3:.1f} ms each "
        f"way (`tests/bench/delayproxy.py`: a {DELAY * 2e3:.0f} ms round trip; the lab has one "
        "machine and no `netem`, and the proxy's CPU weighs on both sides alike), "
        f"`--workers 2`, the hotspot mix of *RADIUS beside FreeRADIUS + SQL* ({LOGINS:,} "
        f"logins, 256 in flight), {ROUNDS} rounds, the two servers in turn; the median round "
        "by rate.",
        "",
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC, load average {load_before} before and "
        f"{load_after} after; command: "
        "`.venv/bin/pytest -q -s tests/bench/test_far_database_bench.py`.",
        "",
        "| store threads | requests/s, median (rounds) | server CPU per login | p99 Access-Request "
        "| p99 Accounting-Start | unanswered |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t, rs in runs.items():
        m = sorted(rs)[len(rs) // 2]
        lines.append(
            f"| {t} | {m[0]:,.0f} ({', '.join(f'{x[0]:,.0f}' for x in rs)}) | {m[1]:.2f} ms | "
            f"{m[2]:.0f} ms | {m[3]:.0f} ms | {max(x[4] for x in rs)} |"
        )
    print("\n".join(lines))
    write_section("\n".join(lines))
    for rs in runs.values():
        assert all(x[4] == 0 for x in rs), runs
