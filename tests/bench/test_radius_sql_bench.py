"""RADIUS beside FreeRADIUS + rlm_sql, on SQLite and PostgreSQL, in one run.

What a city that counts daily time and Simultaneous-Use would run instead of netops:
FreeRADIUS 3.2 (Debian) with ``rlm_sql`` and ``rlm_sqlcounter`` (the daloRADIUS set-up, see
:mod:`sqlradius`), with the same policy as netops' plan ``gratis``: the user, the plan as a
group, a daily time counter, Simultaneous-Use 1, the plan's reply attributes. Both servers run
at the same time; every load goes to each in turn, round after round (alternating), so the
machine's load, shared with others, weighs on both alike.

* ``test_auth_and_hotspot_mix``: (1) authentication alone, ``radclient -p 256`` as in
  ``test_radius_bench.py`` (FreeRADIUS ``files`` kept as the ceiling); (2) the mix a hotspot
  sends: per login an Access-Request, an Accounting Start, two Interim-Updates and a Stop,
  256 logins in flight.
* ``test_reconnect_storm``: a power cut: phones with open sessions, the NAS's Accounting-On,
  then every phone re-authenticates and starts a session at once (256 in flight, 1 s
  retransmission); netops with its default threads and with the old 8 threads on SQLite.

Run: ``make bench`` or ``.venv/bin/pytest -q -s tests/bench/test_radius_sql_bench.py``
(``-k storm`` for one). Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
for _path in (str(REPO), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.append(_path)

from sqlradius import (  # noqa: E402
    FIXES,
    Flows,
    Target,
    access_request,
    accounting,
    load_postgres,
    load_sqlite,
    login,
    machine_cpu_seconds,
    password,
    radclient,
    radclient_file,
    start_freeradius_files,
    start_freeradius_sql,
    start_netops,
    tree_cpu_seconds,
    user_name,
)

from netops.environment import store_keys  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402
from netops.store.types import NewUser  # noqa: E402
from tests.support.benchdoc import write_section  # noqa: E402
from tests.support.postgres import PostgresCluster, running_postgres  # noqa: E402

INVENTORY = REPO / "inventory" / "lab"
ROUNDS = int(os.environ.get("NETOPS_SQL_BENCH_ROUNDS", "3"))
AUTH_USERS = 500  # the radclient file: one request per user, repeated
AUTH_REPEAT = int(os.environ.get("NETOPS_SQL_BENCH_REPEAT", "10"))  # 5,000 a round
MIX_BASE, MIX_LOGINS = 1000, int(os.environ.get("NETOPS_SQL_BENCH_LOGINS", "1000"))
STORM_BASE, PHONES = 10_000, int(os.environ.get("NETOPS_SQL_BENCH_PHONES", "2000"))
USERS = STORM_BASE + PHONES
WINDOW = 256
#: netops on PostgreSQL (the tests' cluster, on this machine) also with these store threads
#: beside its default (0 for a local PostgreSQL; 8: the default before it was by location).
PG_THREADS = [int(t) for t in os.environ.get("NETOPS_SQL_BENCH_PG_THREADS", "2,8").split(",") if t]

pytestmark = [pytest.mark.timeout(3600)]


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# --- the servers ---------------------------------------------------------------------------------


@dataclass
class Stack:
    base: Path
    servers: dict[str, Target] = field(default_factory=dict)
    pairs: list[tuple[str, str, str]] = field(default_factory=list)  # engine, netops, FR
    # netops with other store threads than its default, beside the pair: engine → names
    others: dict[str, list[str]] = field(default_factory=dict)
    postmaster: int = 0  # the PostgreSQL cluster's postmaster: its backends' CPU is counted


def _netops_store(url: str) -> None:
    store = Store.open(url, keys=store_keys())
    try:
        store.add_users(
            [
                NewUser(user_name(i), password(i), "gratis")
                for i in (*range(AUTH_USERS), *range(MIX_BASE, MIX_BASE + MIX_LOGINS))
            ]
            + [NewUser(user_name(i), password(i), "gratis") for i in range(STORM_BASE, USERS)]
        )
    finally:
        store.close()


def _fr_users() -> int:
    return USERS  # user_name(0 … USERS-1): a superset of netops' users, same policy


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NETOPS_STORE_KEY", generate_key())
        # FreeRADIUS drops privileges to freerad, who cannot enter pytest's 0700 folders.
        base = Path(tempfile.mkdtemp(prefix="netops-sql-bench-"))
        base.chmod(0o755)
        stack = Stack(base)
        try:
            with running_postgres() as cluster:
                _start(stack, cluster)
                yield stack
                for target in stack.servers.values():
                    target.stop()
        finally:
            for target in stack.servers.values():
                target.stop()
            shutil.rmtree(base, ignore_errors=True)


def _start(stack: Stack, cluster: PostgresCluster) -> None:
    base = stack.base
    (base / "fr-db").mkdir()
    fr_sqlite = base / "fr-db" / "radius.db"
    load_sqlite(fr_sqlite, _fr_users())
    fr_pg = cluster.new_database("freeradius")
    load_postgres(fr_pg, _fr_users())
    ours_sqlite = f"sqlite:///{base / 'netops.db'}"
    ours_pg = cluster.new_database("netops")
    _netops_store(ours_sqlite)
    _netops_store(ours_pg)
    stack.postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    s = stack.servers
    s["fr-sqlite"] = start_freeradius_sql(base / "fr-sqlite", "sqlite", str(fr_sqlite))
    s["fr-pg"] = start_freeradius_sql(base / "fr-pg", "postgresql", fr_pg)
    s["netops-sqlite"] = start_netops(base, INVENTORY, ours_sqlite, "SQLite", threads=None)
    s["netops-pg"] = start_netops(base, INVENTORY, ours_pg, "PostgreSQL", threads=None)
    for threads in PG_THREADS:
        s[f"netops-pg-{threads}"] = start_netops(
            base, INVENTORY, ours_pg, "PostgreSQL", threads=threads
        )
    stack.others = {"PostgreSQL": [f"netops-pg-{t}" for t in PG_THREADS]}
    stack.pairs = [
        ("SQLite", "netops-sqlite", "fr-sqlite"),
        ("PostgreSQL", "netops-pg", "fr-pg"),
    ]


# --- load 1: authentication alone (radclient) ----------------------------------------------------


@dataclass
class Run:
    """One load against one server."""

    answered: int
    sent: int
    seconds: float
    server_cpu: float
    rejects: int = 0
    p99: dict[str, float] = field(default_factory=dict)
    admitted_in: float = 0.0  # storm: when the last phone was admitted
    load: str = ""
    postgres_cpu: float = 0.0  # the PostgreSQL cluster's processes, during the run
    client_cpu: float = 0.0  # the load generator
    machine_cpu: float = 0.0  # every process on the machine, the benchmark's and others'

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


@dataclass
class Meter:
    """Where the machine's CPU goes during one run: the server, PostgreSQL, the rest."""

    target: Target
    postmaster: int
    server: float = 0.0
    postgres: float = 0.0
    machine: float = 0.0

    def __post_init__(self) -> None:
        self.server = self.target.cpu_seconds()
        self.postgres = tree_cpu_seconds(self.postmaster) if self.postmaster else 0.0
        self.machine = machine_cpu_seconds()

    def into(self, run: Run) -> Run:
        run.server_cpu = self.target.cpu_seconds() - self.server
        if self.postmaster:
            run.postgres_cpu = tree_cpu_seconds(self.postmaster) - self.postgres
        run.machine_cpu = machine_cpu_seconds() - self.machine
        return run


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def radclient_run(target: Target, request_file: Path, postmaster: int = 0) -> Run:
    meter, client = Meter(target, postmaster), _children_cpu()
    accepted, rejected, seconds = radclient(target.auth_port, request_file, AUTH_REPEAT)
    run = Run(
        answered=accepted,
        sent=AUTH_USERS * AUTH_REPEAT,
        seconds=seconds,
        server_cpu=0.0,
        rejects=rejected,
        load=load(),
        client_cpu=_children_cpu() - client,
    )
    return meter.into(run)


def flows(target: Target, phones: list[list], kinds: tuple[str, ...], postmaster: int = 0) -> Run:  # type: ignore[type-arg]
    meter = Meter(target, postmaster)
    result = Flows(phones, window=WINDOW, retry=1.0, tries=4).run(target)
    run = Run(
        answered=result.answered,
        sent=sum(len(p) for p in phones),
        seconds=result.seconds,
        server_cpu=0.0,
        rejects=result.rejects,
        p99={k: result.p(k, 0.99) for k in kinds},
        admitted_in=result.done_at[-1] if len(result.done_at) == len(phones) else float("inf"),
        load=load(),
        client_cpu=result.client_cpu,
    )
    return meter.into(run)


def _postmaster(stack: Stack, name: str) -> int:
    """The postmaster whose CPU a run against server ``name`` should count (0: none)."""
    return stack.postmaster if name.endswith("-pg") or "-pg-" in name else 0


def _median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


MIX_KINDS = ("Access-Request", "Accounting-Start", "Interim-Update", "Accounting-Stop")


def test_auth_and_hotspot_mix(stack: Stack, tmp_path: Path) -> None:
    request_file = radclient_file(tmp_path / "auth.txt", AUTH_USERS)
    names = [n for e, ours, theirs in stack.pairs for n in (ours, theirs, *stack.others.get(e, []))]
    auth: dict[str, list[Run]] = {n: [] for n in names}
    mix: dict[str, list[Run]] = {n: [] for n in names}
    started_at, load_before = datetime.now(UTC), load()
    for r in range(ROUNDS):
        for name in names:
            auth[name].append(
                radclient_run(stack.servers[name], request_file, _postmaster(stack, name))
            )
        for name in names:
            # Session ids of their own per server: two netops servers share one database.
            tag = f"m{r}{names.index(name)}"
            phones = [login(i, 2, tag) for i in range(MIX_BASE, MIX_BASE + MIX_LOGINS)]
            mix[name].append(
                flows(stack.servers[name], phones, MIX_KINDS, _postmaster(stack, name))
            )
    ceiling = start_freeradius_files(stack.base / "files", range(AUTH_USERS))
    try:
        files = [radclient_run(ceiling, request_file) for _ in range(ROUNDS)]
    finally:
        ceiling.stop()
    load_after = load()
    lines = _auth_doc(stack, auth, mix, files, started_at, load_before, load_after)
    print("\n".join(lines))
    write_section("\n".join(lines))
    for name in names:
        for run in auth[name] + mix[name]:
            if name.startswith("netops"):
                assert run.answered == run.sent, f"{name} left requests unanswered: {run}"


def _auth_doc(
    stack: Stack,
    auth: dict[str, list[Run]],
    mix: dict[str, list[Run]],
    files: list[Run],
    started_at: datetime,
    load_before: str,
    load_after: str,
) -> list[str]:
    lines = [
        "## RADIUS beside FreeRADIUS + SQL",
        "",
        "The set-up a city that counts daily time and Simultaneous-Use would run instead: "
        "FreeRADIUS 3.2 (Debian) with `rlm_sql` and `rlm_sqlcounter` (authorize: `preprocess`, "
        "`sql`, `dailycounter`, `pap`; session: `sql`; accounting: `sql`), users in "
        "`radcheck`, the plan as a group (`radusergroup`; `radgroupcheck` "
        "`Simultaneous-Use := 1`, `Max-Daily-Session := 7200`; `radgroupreply` "
        "Session-Timeout, Idle-Timeout, Acct-Interim-Interval, Mikrotik-Rate-Limit), beside "
        "`netops radius serve --workers 2` with its default store threads (0: the event loop, "
        "on SQLite and on a PostgreSQL on the same machine, as here) and the same users on "
        "plan `gratis`; on PostgreSQL also with `--threads` "
        f"{' and '.join(str(t) for t in PG_THREADS)} (8: the default on PostgreSQL before "
        "it was chosen by where the database is). Each engine's servers share one "
        "machine, one PostgreSQL cluster (`fsync=off`, the tests' throwaway cluster) and the "
        "same loads, sent to each server in turn, round after round "
        f"({ROUNDS} rounds; the median round is shown, every round in brackets). Debian's "
        "stock queries are used, except where they are broken:",
        "",
    ]
    lines += [f"- `{where}` {what}; used instead: {fix}." for where, what, fix in FIXES]
    lines += [
        "- FreeRADIUS's `listen` sections get `recv_buff = 4194304`: with the default socket "
        "buffer it drops requests under 256 in flight and the comparison measures the "
        "client's retry timer.",
        "- The SQLite driver's `busy_timeout` stays at Debian's 200 ms: past it a request "
        "that finds the database locked is dropped (not answered) and the client resends it.",
        "",
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other work (load average {load_before} before, "
        f"{load_after} after: absolute rates are taken under that load, compare the ratios); "
        "command: `.venv/bin/pytest -q -s tests/bench/test_radius_sql_bench.py -k mix`.",
        "",
        f"**Authentication alone**: `radclient -c {AUTH_REPEAT} -p 256 -t 2 -r 3 -f FILE` "
        f"({AUTH_USERS} users, one PAP Access-Request each with Message-Authenticator, "
        f"{AUTH_USERS * AUTH_REPEAT:,} a round).",
        "",
        "| engine | server | accepted / sent (worst round) | accepts/s, median (rounds) "
        "| netops ÷ FreeRADIUS | server CPU per request |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for engine, ours, theirs in stack.pairs:
        ratio = _median(auth[ours]).rate / _median(auth[theirs]).rate
        for name in (ours, theirs, *stack.others.get(engine, [])):
            runs = auth[name]
            m = _median(runs)
            worst = min(runs, key=lambda r: r.answered)
            lines.append(
                f"| {engine} | {stack.servers[name].name} | {worst.answered:,} / {worst.sent:,} "
                f"| {m.rate:,.0f} ({', '.join(f'{r.rate:,.0f}' for r in runs)}) | "
                f"{f'{ratio:.2f}' if name == ours else ''} | "
                f"{m.server_cpu / max(m.answered, 1) * 1e6:.0f} µs |"
            )
    f = _median(files)
    lines.append(
        f"| none | FreeRADIUS 3.2 `files` (ceiling) | {min(r.answered for r in files):,} / "
        f"{f.sent:,} | {f.rate:,.0f} ({', '.join(f'{r.rate:,.0f}' for r in files)}) | | "
        f"{f.server_cpu / max(f.answered, 1) * 1e6:.0f} µs |"
    )
    lines += [
        "",
        f"**The hotspot mix**: {MIX_LOGINS:,} logins a round, {WINDOW} in flight; each login "
        "sends an Access-Request, then an Accounting Start, two Interim-Updates and a Stop, "
        "each when the one before is answered (1 s retransmission, 4 tries). A Python asyncio "
        "client on the same machine.",
        "",
        "| engine | server | answered / sent (worst round) | rejects | requests/s, median "
        "(rounds) | netops ÷ FreeRADIUS | server CPU per login | "
        + " | ".join(f"p99 {k}" for k in MIX_KINDS)
        + " |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | "
        + " | ".join("---:" for _ in MIX_KINDS)
        + " |",
    ]
    for engine, ours, theirs in stack.pairs:
        ratio = _median(mix[ours]).rate / _median(mix[theirs]).rate
        for name in (ours, theirs, *stack.others.get(engine, [])):
            runs = mix[name]
            m = _median(runs)
            worst = min(runs, key=lambda r: r.answered)
            lines.append(
                f"| {engine} | {stack.servers[name].name} | {worst.answered:,} / {worst.sent:,} "
                f"| {max(r.rejects for r in runs)} "
                f"| {m.rate:,.0f} ({', '.join(f'{r.rate:,.0f}' for r in runs)}) | "
                f"{f'{ratio:.2f}' if name == ours else ''} | "
                f"{m.server_cpu / MIX_LOGINS * 1e3:.2f} ms | "
                + " | ".join(f"{m.p99[k]:.0f} ms" for k in MIX_KINDS)
                + " |"
            )
    rows = [
        (f"authentication alone, {engine}", name, _median(auth[name]), 1.0, "µs per request")
        for engine, ours, theirs in stack.pairs
        for name in (ours, theirs, *stack.others.get(engine, []))
    ] + [
        (f"hotspot mix, {engine}", name, _median(mix[name]), 1.0 / 5, "ms per login")
        for engine, ours, theirs in stack.pairs
        for name in (ours, theirs, *stack.others.get(engine, []))
    ]
    return [*lines, "", *_cpu_table(stack.servers, rows)]


def _each(seconds: float, count: float, unit: str) -> str:
    """``seconds`` of CPU over ``count`` answers, in the unit's first word (µs or ms)."""
    if unit.startswith("µs"):
        return f"{seconds / count * 1e6:.0f} µs"
    return f"{seconds / count * 1e3:.2f} ms"


def _cpu_table(
    servers: dict[str, Target], rows: list[tuple[str, str, Run, float, str]]
) -> list[str]:
    """Where the two cores went in each median run: the server, the PostgreSQL cluster's
    processes (a store that shares the machine), the load generator, and the whole machine
    (the rest is the benchmark's own bookkeeping and other work). When the machine is busy
    all the time, the rate is the machine's CPU divided by the sum, not by the server's
    share alone."""
    lines = [
        "**Where the machine's CPU went**, the median round of each: the server's processes, "
        "the PostgreSQL cluster's processes (the store's backends: on a machine of its own in "
        "a real deployment, here sharing the two cores), the load generator, and every "
        "process on the machine; *busy* is the machine's CPU time over the run's wall time "
        f"on {os.cpu_count()} cores (near 100 %: the rate is set by the sum, not by the "
        "server alone).",
        "",
        "| load | server | server CPU | PostgreSQL CPU | load generator CPU | machine CPU "
        "| machine busy |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for load_name, name, run, per_answer, unit in rows:
        count = max(run.answered, 1) * per_answer
        busy = run.machine_cpu / max(run.seconds * (os.cpu_count() or 1), 1e-9)
        pg = _each(run.postgres_cpu, count, unit) if run.postgres_cpu else "–"
        lines.append(
            f"| {load_name}, {unit} | {servers[name].name} | {_each(run.server_cpu, count, unit)} "
            f"| {pg} | {_each(run.client_cpu, count, unit)} | "
            f"{_each(run.machine_cpu, count, unit)} | {busy:.0%} |"
        )
    return lines


# --- the reconnect storm ---------------------------------------------------------------

STORM_KINDS = ("Access-Request", "Accounting-Start")


def _storm_round(target: Target, r: int, postmaster: int) -> Run:
    phones = range(STORM_BASE, STORM_BASE + PHONES)
    # Before the cut: every phone has an open session at the NAS.
    before = Flows([[accounting(i, 1, tag=f"pre{r}")] for i in phones], window=WINDOW).run(target)
    assert before.unanswered == 0 or target.name.startswith("FreeRADIUS"), before
    time.sleep(1.0)
    # The NAS comes back and says so; then every phone at once.
    on = Flows([[accounting(0, 7)]], window=1, retry=2.0).run(target)
    assert on.answered == 1, f"{target.name} did not answer the Accounting-On"
    storm = [[access_request(i), accounting(i, 1, tag=f"s{r}")] for i in phones]
    run = flows(target, storm, STORM_KINDS, postmaster)
    # Close them, so the next round starts like this one.
    Flows([[accounting(0, 7)]], window=1, retry=2.0).run(target)
    return run


#: netops on SQLite with these store threads as well as its default (8: the old default).
STORM_SQLITE_THREADS = [
    int(t) for t in os.environ.get("NETOPS_STORM_SQLITE_THREADS", "2,8").split(",") if t
]


def test_reconnect_storm(stack: Stack) -> None:
    extra = {
        f"sqlite-{t}": start_netops(
            stack.base,
            INVENTORY,
            f"sqlite:///{stack.base / 'netops.db'}",
            "SQLite",
            threads=t,
        )
        for t in STORM_SQLITE_THREADS
    }
    order = [
        "netops-sqlite",
        *extra,
        "fr-sqlite",
        "netops-pg",
        *stack.others["PostgreSQL"],
        "fr-pg",
    ]
    servers = {**stack.servers, **extra}
    runs: dict[str, list[Run]] = {n: [] for n in order}
    started_at, load_before = datetime.now(UTC), load()
    try:
        for r in range(ROUNDS):
            for name in order:
                runs[name].append(_storm_round(servers[name], r, _postmaster(stack, name)))
                time.sleep(2.0)
    finally:
        for target in extra.values():
            target.stop()
    load_after = load()
    lines = [
        "## RADIUS reconnect storm",
        "",
        f"A power cut at a hotspot: {PHONES:,} phones have open sessions at the NAS; the NAS "
        "comes back and sends Accounting-On; then every phone re-authenticates and starts a "
        f"session at once ({WINDOW} in flight, 1 s retransmission, 4 tries; each phone's "
        "Accounting Start is sent when its Access-Accept arrives). The same servers and "
        "policy as in *RADIUS beside FreeRADIUS + SQL*; netops with its default threads (the "
        "event loop, on both engines here), on SQLite also with `--threads` "
        f"{' and '.join(str(t) for t in STORM_SQLITE_THREADS)} and on PostgreSQL with "
        f"`--threads` {' and '.join(str(t) for t in PG_THREADS)} (8 was the default on every "
        f"engine before it was chosen by engine, and on PostgreSQL before it was chosen by "
        f"where the database is). {ROUNDS} rounds, the servers in turn each "
        "round; the median round by the time the last phone was admitted.",
        "",
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} shared cores, load "
        f"average {load_before} before and {load_after} after (absolute times taken under that "
        "load); command: `.venv/bin/pytest -q -s tests/bench/test_radius_sql_bench.py -k storm`.",
        "",
        "| engine | server | every phone admitted in, median (rounds) | rejects | unanswered "
        "| p99 Access-Request | p99 Accounting-Start | server CPU per phone |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in order:
        rs = runs[name]
        m = sorted(rs, key=lambda x: x.admitted_in)[len(rs) // 2]
        engine = "SQLite" if "sqlite" in name else "PostgreSQL"
        lines.append(
            f"| {engine} | {servers[name].name} | {m.admitted_in:.2f} s "
            f"({', '.join(f'{x.admitted_in:.2f}' for x in rs)}) | {max(x.rejects for x in rs)} "
            f"| {max(x.sent - x.answered for x in rs)} | "
            f"{m.p99['Access-Request']:.0f} ms | {m.p99['Accounting-Start']:.0f} ms | "
            f"{m.server_cpu / PHONES * 1e3:.2f} ms |"
        )
    lines += [
        "",
        *_cpu_table(
            servers,
            [
                (
                    "storm",
                    name,
                    sorted(rs, key=lambda x: x.admitted_in)[len(rs) // 2],
                    0.5,
                    "ms per phone",
                )
                for name, rs in runs.items()
            ],
        ),
    ]
    print("\n".join(lines))
    write_section("\n".join(lines))
    for name in ("netops-sqlite", "netops-pg", *stack.others["PostgreSQL"]):
        for run in runs[name]:
            assert run.rejects == 0 and run.answered == run.sent, f"{name}: {run}"
