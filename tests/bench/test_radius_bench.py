"""RADIUS PAP throughput and latency: netops beside FreeRADIUS 3.2, in one run.

The same ``radclient -c N -p 256`` load (a file of 500 PAP Access-Requests with a
Message-Authenticator, repeated) goes to FreeRADIUS (a user in the ``files`` module) and to
``netops radius serve`` on SQLite and on PostgreSQL, five times each (the median counts). Then
a paced client sends 200 and
1,000 requests/s for a few seconds to each and measures the p50 / p99 round trip. Figures
are written to the ``## RADIUS`` section of docs/benchmarks.md.

Run with ``make bench`` (or ``.venv/bin/pytest -q -s tests/bench/test_radius_bench.py``).
"""

from __future__ import annotations

import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from sqlradius import (  # noqa: E402
    Target,
    group_cpu_seconds,
    need,
    start_freeradius_files,
    start_netops,
)

from netops.environment import store_keys  # noqa: E402
from netops.radius.dictionary import load_dictionary  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402
from tests.support.benchdoc import write_section  # noqa: E402
from tests.support.postgres import postgres_cluster, postgres_url  # noqa: E402, F401

SECRET = "testing123"
USER, PASSWORD = "bench", "benchpw"
FILE_ENTRIES = 500
REPEAT = int(os.environ.get("NETOPS_RADIUS_BENCH_REPEAT", "20"))  # 500 × 20 = 10,000
PACED_RATES = (200, 1000)
PACED_SECONDS = 3.0
WORKERS = int(os.environ.get("NETOPS_RADIUS_BENCH_WORKERS", "2"))
ROUNDS = 5  # radclient loads per server; a single one varies by a factor of 2 here

pytestmark = [pytest.mark.timeout(1200)]


# --- the peers -------------------------------------------------------------------------------


def start_freeradius(base: Path) -> Target:
    """FreeRADIUS with one site, the bench user in ``files``."""
    return start_freeradius_files(base, (), extra=f'{USER} Cleartext-Password := "{PASSWORD}"\n')


# --- the loads -------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int
    accepted: int
    seconds: float
    paced: dict[int, tuple[float, float, int]]
    server_cpu: float  # CPU seconds of the server's processes during the radclient load
    client_cpu: float  # CPU seconds of radclient itself
    rounds: list[float]  # accepts/s of every radclient round, lowest first (the median is used)

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds


def radclient_load(port: int, request_file: Path) -> tuple[int, float, float]:
    """(accepted, seconds, radclient's CPU seconds) of ``radclient -c REPEAT -p 256 -f FILE``."""
    radclient = need("radclient")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [
            radclient,
            "-q",
            "-s",
            "-c",
            str(REPEAT),
            "-p",
            "256",
            "-t",
            "1",
            "-r",
            "3",
            "-f",
            str(request_file),
            f"127.0.0.1:{port}",
            "auth",
            SECRET,
        ],
        stdin=subprocess.DEVNULL,  # radclient reads an inherited stdin, and then crawls
        capture_output=True,
        text=True,
        timeout=900,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    match = re.search(r"Accepted\s*:\s*(\d+)", done.stdout)
    return (int(match.group(1)) if match else 0), seconds, cpu


def paced_latency(port: int, rate: int) -> tuple[float, float, int]:
    """p50 / p99 round trip (ms) at ``rate`` requests/s, and how many got no answer."""
    from pyrad import packet as rp

    dictionary = load_dictionary()
    total = int(rate * PACED_SECONDS)
    packets = []
    for i in range(total):
        req = rp.AuthPacket(secret=SECRET.encode(), dict=dictionary, User_Name=USER, id=i % 256)
        req["User-Password"] = req.PwCrypt(PASSWORD)
        req["Calling-Station-Id"] = "02-00-00-00-00-01"
        req.add_message_authenticator()
        packets.append(req.RequestPacket())
    sent: dict[tuple[int, bytes], float] = {}
    rtts: list[float] = []
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.2)
    sock.connect(("127.0.0.1", port))
    stop = threading.Event()

    def receive() -> None:
        while not stop.is_set():
            try:
                raw = sock.recv(4096)
            except (TimeoutError, ConnectionRefusedError):
                continue
            at = time.perf_counter()
            # replies carry the request's id; the request authenticator is not in them, so
            # match on id (never more than 256 in flight at this rate and these latencies)
            for key in [k for k in sent if k[0] == raw[1]][:1]:
                rtts.append(at - sent.pop(key))

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    start = time.perf_counter()
    for i, data in enumerate(packets):
        due = start + i / rate
        while (now := time.perf_counter()) < due:
            time.sleep(min(due - now, 0.0005))
        sent[(data[1], data[4:20])] = time.perf_counter()
        sock.send(data)
    time.sleep(1.0)
    stop.set()
    receiver.join()
    sock.close()
    rtts.sort()
    if not rtts:
        return float("inf"), float("inf"), total
    p50 = rtts[len(rtts) // 2] * 1000
    p99 = rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))] * 1000
    return p50, p99, total - len(rtts)


def measure(target: Target, request_file: Path) -> Result:
    """The radclient load, then the paced runs from the lowest rate up, with a pause
    between them so that a backlog left by one phase does not count against the next."""
    runs = []
    for _ in range(ROUNDS):
        server_before = group_cpu_seconds(target.proc.pid)
        accepted, seconds, client_cpu = radclient_load(target.auth_port, request_file)
        runs.append(
            (
                accepted / seconds,
                accepted,
                seconds,
                client_cpu,
                group_cpu_seconds(target.proc.pid) - server_before,
            )
        )
    runs.sort()
    _, accepted, seconds, client_cpu, server_cpu = runs[len(runs) // 2]  # the median round
    paced = {}
    for rate in sorted(PACED_RATES):
        time.sleep(3.0)
        paced[rate] = paced_latency(target.auth_port, rate)
    return Result(
        target.name,
        FILE_ENTRIES * REPEAT,
        accepted,
        seconds,
        paced,
        server_cpu,
        client_cpu,
        [rate for rate, *_ in runs],
    )


# --- the run ---------------------------------------------------------------------------------


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    entry = (
        f'User-Name = "{USER}"\nUser-Password = "{PASSWORD}"\n'
        'Message-Authenticator = 0x00\nCalling-Station-Id = "02-00-00-00-00-01"\n'
    )
    path = tmp_path / "requests.txt"
    path.write_text("\n".join([entry] * FILE_ENTRIES))
    return path


@pytest.fixture
def store_key() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as mp:
        key = generate_key()
        mp.setenv("NETOPS_STORE_KEY", key)
        yield key


def _prepare(url: str) -> None:
    store = Store.open(url, keys=store_keys())
    try:
        if store.lookup(USER) is None:
            store.add_user(USER, PASSWORD, "pegawai")
    finally:
        store.close()


def test_radius_pap_rate_beside_freeradius(
    tmp_path: Path,
    request_file: Path,
    store_key: str,
    postgres_url: str,  # noqa: F811
) -> None:
    inventory = REPO / "inventory" / "lab"
    sqlite_url = f"sqlite:///{tmp_path / 'bench.db'}"
    results: list[Result] = []
    for url in (sqlite_url, postgres_url):
        _prepare(url)
    # FreeRADIUS drops privileges to freerad, who cannot enter pytest's 0700 tmp folders.
    fr_base = Path(tempfile.mkdtemp(prefix="netops-radius-bench-"))
    fr_base.chmod(0o755)
    targets = [
        (lambda: start_freeradius(fr_base / "freeradius")),
        (
            lambda: start_netops(
                tmp_path, inventory, sqlite_url, "SQLite", workers=WORKERS, threads=0
            )
        ),
        (
            lambda: start_netops(
                tmp_path, inventory, postgres_url, "PostgreSQL", workers=WORKERS, threads=8
            )
        ),
    ]
    try:
        for starter in targets:
            target = starter()
            try:
                results.append(measure(target, request_file))
            finally:
                target.stop()
    finally:
        shutil.rmtree(fr_base, ignore_errors=True)
    freeradius = results[0]
    for result in results:
        paced = ", ".join(
            f"{rate}/s p50 {p50:.2f} ms p99 {p99:.2f} ms ({lost} unanswered)"
            for rate, (p50, p99, lost) in result.paced.items()
        )
        print(
            f"{result.name}: {result.rate:,.0f} accepts/s ({result.accepted}/{result.requests} "
            f"in {result.seconds:.1f} s), ratio {result.rate / freeradius.rate:.2f}; {paced}"
        )
    write_doc(results)
    assert all(r.accepted > 0 for r in results), "a server accepted nothing"


def write_doc(results: list[Result]) -> None:
    freeradius = results[0]
    load = os.getloadavg()
    lines = [
        "## RADIUS",
        "",
        f"PAP Access-Requests with Message-Authenticator, the same load to each server in one "
        f"run: `radclient -c {REPEAT} -p 256 -f FILE` ({FILE_ENTRIES} requests in the file, "
        f"{FILE_ENTRIES * REPEAT:,} in all; `-t 1 -r 3`), {ROUNDS} times per server (the "
        "median round is reported), then, after a 3 s pause each, "
        "a paced client at "
        f"{' and '.join(str(r) for r in PACED_RATES)} requests/s for {PACED_SECONDS:g} s "
        "each for the round-trip percentiles. FreeRADIUS 3.2 (Debian) "
        "answers from its `files` module; netops looks the user up in its store (plan "
        "`pegawai`), checks the password, usage and open sessions, and signs the reply. "
        f"netops runs `--workers {WORKERS}` (radclient's one socket is spread over them by "
        "RADIUS Identifier), `--threads 0` on SQLite (answers in the event loop) and "
        "`--threads 8` on PostgreSQL (a network round trip per query). radclient runs on the "
        "same 2 cores as the server it measures.",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{load[0]:.1f} when the run ended (the machine is shared: compare the ratio, not "
        "the absolute rates); command: `.venv/bin/pytest -q -s tests/bench/test_radius_bench.py`.",
        "",
        "| server | accepted | accepts/s, median (all rounds) | ratio to FreeRADIUS | "
        "server CPU per request | "
        "radclient CPU / wall | "
        + " | ".join(f"p50 / p99 at {rate:,}/s (unanswered)" for rate in PACED_RATES)
        + " |",
        "| --- | ---: | ---: | ---: | ---: | ---: | "
        + " | ".join("---:" for _ in PACED_RATES)
        + " |",
    ]
    for r in results:
        cells = " | ".join(
            f"{p50:.2f} / {p99:.2f} ms ({lost})" for p50, p99, lost in r.paced.values()
        )
        lines.append(
            f"| {r.name} | {r.accepted:,}/{r.requests:,} | {r.rate:,.0f} "
            f"({', '.join(f'{x:,.0f}' for x in r.rounds)}) | "
            f"{r.rate / freeradius.rate:.2f} | {r.server_cpu / r.requests * 1e6:.0f} µs | "
            f"{r.client_cpu:.2f} s / {r.seconds:.2f} s | {cells} |"
        )
    best = max(results[1:], key=lambda r: r.rate)
    lines += [
        "",
        f"radclient keeps one of the {os.cpu_count()} cores busy for the whole run (its CPU time "
        "equals its wall time: it polls while it waits), so a server gets the other core, "
        "however many workers it runs. The rate is then about one core divided by the "
        f"server's CPU per request. netops spends {best.server_cpu / best.requests * 1e6:.0f} µs "
        "per PAP request (decoding and checking the packet with pyrad, one store read for the "
        "subscriber, today's usage and open sessions, the policy, signing the reply) against "
        f"FreeRADIUS's {freeradius.server_cpu / freeradius.requests * 1e6:.0f} µs from its "
        "in-memory `files` module; half of FreeRADIUS's rate on one core leaves "
        f"{2e6 / freeradius.rate:.0f} µs per request. netops reads "
        "the store on every request on purpose: a password change, a revoked voucher, a used-up "
        "quota or a session opened through the other server applies to the very next request.",
    ]
    write_section("\n".join(lines))
