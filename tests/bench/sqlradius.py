"""Helpers of the RADIUS-beside-FreeRADIUS+SQL benchmarks: the peers and the load generator.

* :func:`start_freeradius_sql`: FreeRADIUS 3.2 (Debian) with ``rlm_sql`` on SQLite or
  PostgreSQL and ``rlm_sqlcounter``'s daily counter, the daloRADIUS set-up a hotspot
  operator runs: users in ``radcheck``, the plan as a group (``radusergroup``,
  ``radgroupcheck`` ``Simultaneous-Use`` and ``Max-Daily-Session``, ``radgroupreply`` the
  reply attributes), accounting into ``radacct``. Debian's stock queries are used, with the
  three that are broken fixed (see :data:`FIXES`), and a ``recv_buff`` large enough for 256
  requests in flight.
* :func:`start_netops`: ``netops radius serve`` on the same machine.
* :class:`Flows`: a UDP load generator: many "phones", each sending its packets one after
  the other (the next when the previous is answered), at most ``window`` in flight in all,
  a packet resent after ``retry`` seconds (``tries`` times in all), every round trip timed by
  the kind of packet.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.radius_serve import SERVE_ON_PORT_ZERO

REPO = Path(__file__).resolve().parents[2]
RADDB = Path("/etc/freeradius/3.0")
SECRET = "testing123"
NAS_IP = "127.0.0.1"

#: Debian's stock rlm_sql / rlm_sqlcounter queries that do not work, and what is used instead.
FIXES = (
    (
        "sqlite dailycounter",
        "calls GREATEST(), which SQLite lacks (every Access-Request of a user with a "
        "Max-Daily-Session fails in the counter)",
        "MAX(x, 0), SQLite's two-argument scalar max",
    ),
    (
        "sqlite dailycounter",
        "reads acctstarttime with strftime('%s', …), but the stock SQLite accounting queries "
        "store integer epochs there, which strftime() takes for Julian day numbers: the "
        "counter never sees today's sessions",
        "compare the stored epoch itself",
    ),
    (
        "sqlite simul_verify_query",
        "matches username against %{SQL-Group} (the group attribute), so it never finds the "
        "user's open session and Simultaneous-Use is never enforced once verification runs",
        "%{SQL-User-Name}, as the PostgreSQL query has it",
    ),
)

SQLITE_DAILY = (
    "SELECT SUM(acctsessiontime - MAX((%%b - acctstarttime), 0)) FROM radacct "
    "WHERE username = '%{${key}}' AND (acctstarttime + acctsessiontime) > %%b"
)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: install Debian's freeradius and freeradius-utils")
    return path


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Target:
    name: str
    auth_port: int
    acct_port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def cpu_seconds(self) -> float:
        """User + system CPU of every process in the target's process group."""
        return group_cpu_seconds(self.proc.pid)


def _processes() -> Iterator[tuple[int, list[str]]]:
    """Every process's pid and the fields of its /proc/PID/stat after the command name."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            yield int(stat.parent.name), stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue


def group_cpu_seconds(group: int) -> float:
    """User + system CPU time of every process in process group ``group`` (from /proc)."""
    return sum(group_cpu_times(group))


def group_cpu_times(group: int) -> tuple[float, float]:
    """(user, system) CPU seconds of every process in process group ``group``, all their
    threads included (from /proc)."""
    user = system = 0
    for _, fields in _processes():
        if int(fields[2]) == group:  # pgrp
            user += int(fields[11])  # utime
            system += int(fields[12])  # stime
    tick = os.sysconf("SC_CLK_TCK")
    return user / tick, system / tick


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid``, its children, and its children that have ended
    (a PostgreSQL postmaster and its backends)."""
    ticks = 0
    for each, fields in _processes():
        if each == pid:
            ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        elif int(fields[1]) == pid:  # ppid
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time the whole machine spent busy (every core, every process), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # not idle, iowait


# --- the policy, in both shapes ----------------------------------------------------------------

PLAN = "gratis"  # inventory/lab: 2 h a day, Simultaneous-Use 1, rate limit, timeouts
DAILY_SECONDS = 7200
GROUP_REPLY = (
    ("Session-Timeout", ":=", "7200"),
    ("Idle-Timeout", ":=", "600"),
    ("Acct-Interim-Interval", ":=", "300"),
    ("Mikrotik-Rate-Limit", ":=", "2M/5M"),
)


def user_name(i: int) -> str:
    return f"hp{i:06d}"


def password(i: int) -> str:
    return f"sandi-{i:06d}"


def mac(i: int) -> str:
    return "02-00-{:02X}-{:02X}-{:02X}-{:02X}".format(*struct.pack(">I", i))


def policy_sql(users: int) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """(statement with ? marks, rows) that load ``users`` users and the plan into rlm_sql."""
    return [
        (
            "INSERT INTO radcheck (username, attribute, op, value) VALUES (?, ?, ?, ?)",
            [(user_name(i), "Cleartext-Password", ":=", password(i)) for i in range(users)],
        ),
        (
            "INSERT INTO radusergroup (username, groupname, priority) VALUES (?, ?, ?)",
            [(user_name(i), PLAN, 1) for i in range(users)],
        ),
        (
            "INSERT INTO radgroupcheck (groupname, attribute, op, value) VALUES (?, ?, ?, ?)",
            [
                (PLAN, "Simultaneous-Use", ":=", "1"),
                (PLAN, "Max-Daily-Session", ":=", str(DAILY_SECONDS)),
            ],
        ),
        (
            "INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES (?, ?, ?, ?)",
            [(PLAN, a, op, v) for a, op, v in GROUP_REPLY],
        ),
    ]


def _schema_statements(flavour: str) -> list[str]:
    text = (RADDB / "mods-config" / "sql" / "main" / flavour / "schema.sql").read_text()
    text = re.sub(r"--[^\n]*", "", text)
    return [s.strip() for s in text.split(";") if s.strip()]


def load_sqlite(path: Path, users: int) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    for statement in _schema_statements("sqlite"):
        conn.execute(statement)
    for sql, rows in policy_sql(users):
        conn.executemany(sql, rows)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.commit()
    conn.close()


def load_postgres(url: str, users: int) -> None:
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        for statement in _schema_statements("postgresql"):
            if "CREATE" in statement.upper() and "FUNCTION" in statement.upper():
                continue
            conn.execute(statement)  # type: ignore[arg-type]
        with conn.cursor() as cur:
            for sql, rows in policy_sql(users):
                cur.executemany(sql.replace("?", "%s"), rows)  # type: ignore[arg-type]


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --- FreeRADIUS + rlm_sql ---------------------------------------------------------------------


def _raddb(base: Path, site: str, *, recv_buff: bool) -> tuple[Path, int, int]:
    """A copy of Debian's config under ``base`` with one site (authorize … from ``site``)
    listening on two free ports; returns (raddb, auth port, acct port)."""
    raddb = base / "raddb"
    base.mkdir(parents=True)
    shutil.copytree(RADDB, raddb, symlinks=True)
    for old in (raddb / "sites-enabled").iterdir():
        old.unlink()
    (raddb / "mods-enabled" / "eap").unlink(missing_ok=True)
    auth, acct = free_udp_port(), free_udp_port()
    buff = "    recv_buff = 4194304\n" if recv_buff else ""
    (raddb / "sites-enabled" / "bench").write_text(
        "server bench {\n"
        f"  listen {{\n    type = auth\n    ipaddr = 127.0.0.1\n    port = {auth}\n{buff}  }}\n"
        f"  listen {{\n    type = acct\n    ipaddr = 127.0.0.1\n    port = {acct}\n{buff}  }}\n"
        + site
        + "}\n"
    )
    return raddb, auth, acct


def _launch(name: str, base: Path, raddb: Path, auth: int, acct: int, extra: list[Path]) -> Target:
    binary = need("freeradius")
    freerad = pwd.getpwnam("freerad")
    raddb.chmod(0o755)
    base.chmod(0o755)
    for path in [raddb, *raddb.rglob("*"), *extra]:
        os.lchown(path, freerad.pw_uid, freerad.pw_gid)
    log = base / "freeradius.log"
    proc = subprocess.Popen(
        [binary, "-f", "-d", str(raddb), "-l", "stdout"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    target = Target(name, auth, acct, proc, log)
    wait_ready(target)
    return target


def start_freeradius_files(base: Path, users: Sequence[int], extra: str = "") -> Target:
    """FreeRADIUS answering from its in-memory ``files`` module (the plan's reply attributes
    on every user, no counter, no Simultaneous-Use): the ceiling, no database at all.
    ``extra``: more ``users`` file entries, put first."""
    site = (
        "  authorize {\n    preprocess\n    files\n    pap\n  }\n"
        "  authenticate {\n    Auth-Type PAP {\n      pap\n    }\n  }\n"
        "  preacct {\n    preprocess\n  }\n  accounting {\n    ok\n  }\n"
    )
    raddb, auth, acct = _raddb(base, site, recv_buff=True)
    reply = ",\n".join(f"\t{a} {op} {v!r}".replace("'", '"') for a, op, v in GROUP_REPLY)
    entries = "".join(
        f'{user_name(i)} Cleartext-Password := "{password(i)}"\n{reply}\n\n' for i in users
    )
    users_file = raddb / "mods-config" / "files" / "authorize"
    users_file.write_text(extra + entries + users_file.read_text())
    return _launch("FreeRADIUS 3.2 files (ceiling)", base, raddb, auth, acct, [])


def start_freeradius_sql(base: Path, engine: str, where: str, *, recv_buff: bool = True) -> Target:
    """FreeRADIUS from a copy of Debian's config with one site: ``sql`` + ``dailycounter`` in
    authorize, ``sql`` in session and accounting. ``where`` is the SQLite file or the
    PostgreSQL URL; the database already holds the schema and the policy."""
    site = (
        "  authorize {\n    preprocess\n    sql\n    dailycounter\n    pap\n  }\n"
        "  authenticate {\n    Auth-Type PAP {\n      pap\n    }\n  }\n"
        "  preacct {\n    preprocess\n    acct_unique\n  }\n"
        "  accounting {\n    sql\n  }\n"
        "  session {\n    sql\n  }\n"
        "  post-auth {\n  }\n"
    )
    raddb, auth, acct = _raddb(base, site, recv_buff=recv_buff)
    sql = (raddb / "mods-available" / "sql").read_text()
    sql = sql.replace('driver = "rlm_sql_null"', f'driver = "rlm_sql_{engine}"')
    sql = sql.replace('dialect = "sqlite"', f'dialect = "{engine}"')
    if engine == "sqlite":
        sql = sql.replace('filename = "/tmp/freeradius.db"', f'filename = "{where}"')
        sql = re.sub(r"\n\s*bootstrap = [^\n]*", "\n", sql)
    else:
        parts = urlsplit(where)
        settings = (
            f'\tserver = "{parts.hostname}"\n\tport = {parts.port}\n'
            f'\tlogin = "{parts.username}"\n\tpassword = "{parts.password}"\n'
            f'\tradius_db = "{parts.path.lstrip("/")}"\n'
        )
        sql = re.sub(r'\n\s*#?\s*server = "localhost"[^\n]*', "\n", sql)
        sql = re.sub(r"\n\s*#?\s*port = 3306[^\n]*", "\n", sql)
        sql = re.sub(r'\n\s*#?\s*login = "radius"[^\n]*', "\n", sql)
        sql = re.sub(r'\n\s*#?\s*password = "radpass"[^\n]*', "\n", sql)
        sql = re.sub(r'\n\s*radius_db = "radius"[^\n]*', "\n", sql)
        sql = sql.replace('\tacct_table1 = "radacct"', settings + '\tacct_table1 = "radacct"', 1)
    (raddb / "mods-enabled" / "sql").unlink(missing_ok=True)
    (raddb / "mods-enabled" / "sql").write_text(sql)
    (raddb / "mods-enabled" / "sqlcounter").unlink(missing_ok=True)
    (raddb / "mods-enabled" / "sqlcounter").symlink_to("../mods-available/sqlcounter")
    extra: list[Path] = []
    if engine == "sqlite":
        daily = raddb / "mods-config" / "sql" / "counter" / "sqlite" / "dailycounter.conf"
        daily.write_text(f'query = "{SQLITE_DAILY}"\n')
        queries = raddb / "mods-config" / "sql" / "main" / "sqlite" / "queries.conf"
        text = queries.read_text()
        verify = text.index("simul_verify_query")
        fixed = text[verify:].replace("'%{${group_attribute}}'", "'%{SQL-User-Name}'", 1)
        queries.write_text(text[:verify] + fixed)
        db = Path(where)
        extra = [db.parent, *db.parent.glob(db.name + "*")]
    return _launch(f"FreeRADIUS 3.2 + rlm_sql ({engine})", base, raddb, auth, acct, extra)


def start_netops(
    base: Path,
    inventory: Path,
    db: str,
    label: str,
    *,
    workers: int = 2,
    threads: int | None,
    extra: tuple[str, ...] = (),
) -> Target:
    """``netops radius serve --workers N`` (``--threads`` only when given: else its default;
    ``extra``: more options)."""
    argv = [
        sys.executable,
        "-m",
        "netops",
        "-i",
        str(inventory),
        "--db",
        db,
        *SERVE_ON_PORT_ZERO,
        "--metrics-listen",
        "off",
        "--workers",
        str(workers),
        "--sweep-interval",
        "0",
    ]
    if threads is not None:
        argv += ["--threads", str(threads)]
    argv += extra
    log = base / f"netops-{label}.log"
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=log.open("wb"),
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    match = re.search(r"auth (\d+) acct (\d+)", line)
    if not match:
        proc.kill()
        pytest.fail(f"netops radius serve did not start: {line!r} {log.read_text()[-2000:]}")
    shown = "default" if threads is None else str(threads)
    target = Target(
        f"netops ({label}, {workers} workers, threads {shown})",
        int(match.group(1)),
        int(match.group(2)),
        proc,
        log,
    )
    wait_ready(target)
    return target


def wait_ready(target: Target) -> None:
    deadline = time.monotonic() + 60
    # Any answer will do (an unknown user's reject comes after the reject delay, 1 s).
    probe = Flows([[access_request(0)]], window=1, retry=2.0, tries=1)
    while time.monotonic() < deadline:
        if target.proc.poll() is not None:
            pytest.fail(f"{target.name} exited: {target.log.read_text(errors='replace')[-3000:]}")
        result = probe.run(target, timeout=3)
        if result.answered:
            return
        time.sleep(0.3)
    pytest.fail(f"{target.name} does not answer: {target.log.read_text(errors='replace')[-3000:]}")


# --- packets ------------------------------------------------------------------------------------

ACCESS_REQUEST, ACCESS_ACCEPT, ACCESS_REJECT = 1, 2, 3
ACCOUNTING_REQUEST, ACCOUNTING_RESPONSE = 4, 5
_SECRET = SECRET.encode()


def _attr(kind: int, value: bytes) -> bytes:
    return bytes((kind, len(value) + 2)) + value


def _int(kind: int, value: int) -> bytes:
    return _attr(kind, struct.pack(">I", value))


@dataclass(frozen=True)
class Packet:
    """A request without its Identifier (set when sent); ``kind`` names it in the figures."""

    kind: str
    port: str  # "auth" | "acct"
    code: int
    attributes: bytes
    authenticator: bytes = b""  # Access-Request: fixed random; Accounting: computed per id

    def encode(self, ident: int) -> bytes:
        length = 20 + len(self.attributes)
        if self.code == ACCESS_REQUEST:
            head = struct.pack(">BBH", self.code, ident, length)
            return head + self.authenticator + self.attributes
        head = struct.pack(">BBH", self.code, ident, length)
        auth = hashlib.md5(head + b"\0" * 16 + self.attributes + _SECRET).digest()
        return head + auth + self.attributes


def access_request(i: int) -> Packet:
    """A PAP Access-Request from phone ``i`` (a Message-Authenticator is added when sent)."""
    authenticator = os.urandom(16)
    pw = password(i).encode().ljust(16, b"\0")
    digest = hashlib.md5(_SECRET + authenticator).digest()
    hidden = bytes(a ^ b for a, b in zip(pw, digest, strict=True))
    attrs = (
        _attr(1, user_name(i).encode())
        + _attr(2, hidden)
        + _attr(4, socket.inet_aton(NAS_IP))
        + _attr(31, mac(i).encode())
        + _attr(30, b"hotspot-lab")
        + _int(61, 19)
    )
    return Packet("Access-Request", "auth", ACCESS_REQUEST, attrs, authenticator)


def accounting(
    i: int, status: int, session_time: int = 0, octets: int = 0, tag: str = "0"
) -> Packet:
    kind = {1: "Accounting-Start", 2: "Accounting-Stop", 3: "Interim-Update", 7: "Accounting-On"}
    attrs = _int(40, status) + _attr(4, socket.inet_aton(NAS_IP)) + _attr(32, b"hotspot-lab")
    if status != 7:
        attrs += (
            _attr(1, user_name(i).encode())
            + _attr(44, f"s{i:06d}-{tag}".encode())
            + _attr(31, mac(i).encode())
            + _attr(8, socket.inet_aton(f"100.64.{i // 250 % 250}.{i % 250 + 2}"))
            + _int(46, session_time)
            + _int(42, octets)
            + _int(43, octets * 4)
            + _int(61, 19)
        )
        if status == 2:
            attrs += _int(49, 1)
    return Packet(kind[status], "acct", ACCOUNTING_REQUEST, attrs)


def login(i: int, interims: int, tag: str) -> list[Packet]:
    """What a hotspot sends for one login: Access-Request, Start, Interim-Updates, Stop
    (session ``tag`` tells the logins of one phone apart)."""
    packets = [access_request(i), accounting(i, 1, tag=tag)]
    packets += [accounting(i, 3, 300 * (n + 1), 10_000 * (n + 1), tag=tag) for n in range(interims)]
    packets.append(accounting(i, 2, 300 * interims + 60, 10_000 * (interims + 1), tag=tag))
    return packets


def with_message_authenticator(data: bytes) -> bytes:
    """Append a Message-Authenticator (RFC 3579) to an encoded Access-Request."""
    import hmac

    length = len(data) + 18
    body = data[:2] + struct.pack(">H", length) + data[4:] + bytes((80, 18)) + b"\0" * 16
    mac_ = hmac.new(_SECRET, body, "md5").digest()
    return body[:-16] + mac_


# --- radclient ------------------------------------------------------------------------------------


def radclient_file(path: Path, users: int) -> Path:
    """A radclient request file: one PAP Access-Request (with Message-Authenticator) from each
    of phones 0 … users-1."""
    entries = [
        f'User-Name = "{user_name(i)}"\nUser-Password = "{password(i)}"\n'
        f'NAS-IP-Address = 127.0.0.1\nCalling-Station-Id = "{mac(i)}"\n'
        "Message-Authenticator = 0x00\n"
        for i in range(users)
    ]
    path.write_text("\n".join(entries))
    return path


def radclient(port: int, request_file: Path, repeat: int) -> tuple[int, int, float]:
    """(accepted, rejected, seconds) of ``radclient -c repeat -p 256 -t 2 -r 3 -f FILE``."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            need("radclient"),
            *("-q", "-s", "-c", str(repeat), "-p", "256", "-t", "2", "-r", "3"),
            *("-f", str(request_file), f"127.0.0.1:{port}", "auth", SECRET),
        ],
        stdin=subprocess.DEVNULL,  # radclient reads an inherited stdin, and then crawls
        capture_output=True,
        text=True,
        timeout=900,
    )
    seconds = time.perf_counter() - started
    accepted = re.search(r"Accepted\s*:\s*(\d+)", done.stdout)
    rejected = re.search(r"Rejected\s*:\s*(\d+)", done.stdout)
    return (
        int(accepted.group(1)) if accepted else 0,
        int(rejected.group(1)) if rejected else 0,
        seconds,
    )


# --- the load generator -------------------------------------------------------------------------


@dataclass
class FlowResult:
    seconds: float  # first send to last answer
    answered: int
    unanswered: int
    rejects: int
    rtts: dict[str, list[float]] = field(default_factory=dict)  # kind → seconds, sorted
    done_at: list[float] = field(default_factory=list)  # per completed flow, from the start
    resent: int = 0
    client_cpu: float = 0.0

    def p(self, kind: str, q: float) -> float:
        values = self.rtts.get(kind) or [float("inf")]
        return values[min(len(values) - 1, int(len(values) * q))] * 1000


class Flows:
    """Sequences of packets ("phones"), each sent one after another, ``window`` in flight."""

    def __init__(
        self,
        flows: Sequence[Sequence[Packet]],
        *,
        window: int = 256,
        retry: float = 1.0,
        tries: int = 4,
    ) -> None:
        self.flows = flows
        self.window = window
        self.retry = retry
        self.tries = tries

    def run(self, target: Target, timeout: float = 600) -> FlowResult:
        before = time.process_time()
        result = asyncio.run(self._run(target, timeout))
        result.client_cpu = time.process_time() - before
        return result

    async def _run(self, target: Target, timeout: float) -> FlowResult:
        loop = asyncio.get_running_loop()
        ports = {"auth": target.auth_port, "acct": target.acct_port}
        result = FlowResult(0.0, 0, 0, 0)
        # Each socket carries at most 256 requests in flight (the Identifier is one byte).
        sockets: list[tuple[socket.socket, dict[int, asyncio.Future[bytes]], list[int]]] = []
        for _ in range((self.window + 255) // 256 * 2 + 1):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
            pending: dict[int, asyncio.Future[bytes]] = {}
            sockets.append((sock, pending, list(range(256))))

            def readable(sock: socket.socket = sock, pending: dict[int, Any] = pending) -> None:
                while True:
                    try:
                        data = sock.recv(4096)
                    except BlockingIOError:
                        return
                    except OSError:
                        return
                    waiter = pending.pop(data[1], None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(data)

            loop.add_reader(sock.fileno(), readable)
        free = asyncio.Queue[int]()
        for index in range(len(sockets)):
            free.put_nowait(index)
        gate = asyncio.Semaphore(self.window)
        start = time.perf_counter()
        last_answer = start

        async def send(packet: Packet) -> bytes | None:
            nonlocal last_answer
            index = await free.get()
            sock, pending, ids = sockets[index]
            ident = ids.pop()
            if ids:
                free.put_nowait(index)
            data = packet.encode(ident)
            if packet.code == ACCESS_REQUEST:
                data = with_message_authenticator(data)
            address = ("127.0.0.1", ports[packet.port])
            sent = time.perf_counter()
            answer: bytes | None = None
            try:
                for attempt in range(self.tries):
                    waiter: asyncio.Future[bytes] = loop.create_future()
                    pending[ident] = waiter
                    if attempt:
                        result.resent += 1
                    sock.sendto(data, address)
                    try:
                        answer = await asyncio.wait_for(waiter, self.retry)
                        break
                    except TimeoutError:
                        pending.pop(ident, None)
            finally:
                pending.pop(ident, None)
                ids.append(ident)
                if len(ids) == 1:
                    free.put_nowait(index)
            if answer is not None:
                now = time.perf_counter()
                last_answer = max(last_answer, now)
                result.rtts.setdefault(packet.kind, []).append(now - sent)
            return answer

        async def phone(packets: Sequence[Packet]) -> None:
            async with gate:
                for packet in packets:
                    answer = await send(packet)
                    if answer is None:
                        result.unanswered += 1
                        return
                    result.answered += 1
                    if answer[0] == ACCESS_REJECT:
                        result.rejects += 1
                        return
                result.done_at.append(time.perf_counter() - start)

        try:
            await asyncio.wait_for(asyncio.gather(*(phone(f) for f in self.flows)), timeout=timeout)
        finally:
            for sock, _, _ in sockets:
                loop.remove_reader(sock.fileno())
                sock.close()
        result.seconds = last_answer - start
        for values in result.rtts.values():
            values.sort()
        result.done_at.sort()
        return result
