"""A day of the city, compressed: ``netops up`` under load, then the books are checked.

Starts ``netops up`` (RADIUS server, portal, SNMP exporter, supervisor, retention purges)
on a fresh SQLite file or a throwaway PostgreSQL, and drives it for ``--seconds``:

- phones: Access-Request (PAP with Message-Authenticator) from two NAS addresses, then
  Accounting Start, interim updates and Stop, each accounting packet resent (same bytes)
  until it is acknowledged; one login in ten uses a wrong password and must be rejected;
- the portal: login pages and wrong voucher codes, as phones behind a hotspot do;
- an operator's console: the session list through the admin API, and disconnects (CoA)
  of live sessions, answered by a small NAS stand-in on the lab NAS's CoA port;
- Prometheus-style scrapes of every component's ``/metrics``, and SNMP scrapes through the
  exporter (``/snmp``, modules ``system`` and ``if_mib``) of a real net-snmp ``snmpd``;
- at half time a NAS reboots (Accounting-On) and its phones reconnect at once (a storm);
- at 70 % the RADIUS server is killed with SIGKILL; the supervisor restarts it and the
  phones' retransmissions carry the load over the gap.

Afterwards every acknowledged accounting record is looked up in the store (0 lost), every
Accept is checked against what was sent (0 wrong Accepts), and memory, file descriptors and
database size of each process are compared between the start and the end of the load.

Run: ``.venv/bin/python tests/soak/soak.py --db sqlite --seconds 600`` (``make soak`` runs
it on SQLite and on PostgreSQL). Exit status 1 when an assertion fails; ``--json`` writes
the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.append(str(REPO))
sys.path.append(str(REPO / "tests" / "integration" / "radius"))

from pyrad import packet as rp  # noqa: E402
from radius_peers import make_inventory  # noqa: E402

from netops.environment import store_keys  # noqa: E402
from netops.radius.dictionary import load_dictionary  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402

SECRET = b"testing123"
NAS = ("127.0.0.1", "127.0.0.2")  # lab-hs-01 (MikroTik), lab-hs-02 (CoovaChilli)
TOKEN = "soak-break-glass-token-0123456789-abcdefXYZ"
NETOPS = [str(REPO / ".venv" / "bin" / "netops")]
#: Growth allowed between the start and the end of the load, per process.
RSS_BOUND_MIB = 60.0
FD_BOUND = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Books:
    """What the load generator sent and what came back."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: Counter[str] = field(default_factory=Counter)
    acked: list[tuple[str, str, str]] = field(default_factory=list)  # (status, sid, nas)
    wrong_accepts: int = 0
    kill_gap_s: float | None = None

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.outcomes[what] += n


class Radius:
    """One NAS's UDP socket: send a request, resend the same bytes until answered."""

    def __init__(self, nas: str, auth: int, acct: int) -> None:
        self.nas = nas
        self.auth, self.acct = auth, acct
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((nas, 0))
        self.sock.settimeout(0.5)
        self.dictionary = load_dictionary()
        self.ident = random.randrange(256)

    def exchange(self, pkt: rp.Packet, port: int, tries: int, wait: float = 1.0) -> int | None:
        data = pkt.RequestPacket()
        for _ in range(tries):
            self.sock.sendto(data, ("127.0.0.1", port))
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    reply = self.sock.recv(4096)
                except TimeoutError:
                    break
                if len(reply) >= 20 and reply[1] == pkt.id:
                    return reply[0]
        return None

    def _next_id(self) -> int:
        self.ident = (self.ident + 1) % 256
        return self.ident

    def login(self, user: str, password: str, mac: str) -> int | None:
        pkt = rp.AuthPacket(secret=SECRET, dict=self.dictionary, id=self._next_id())
        pkt.AddAttribute("User-Name", user)
        pkt.AddAttribute("User-Password", pkt.PwCrypt(password))
        pkt.AddAttribute("Calling-Station-Id", mac)
        pkt.AddAttribute("NAS-IP-Address", self.nas)
        pkt.add_message_authenticator()
        return self.exchange(pkt, self.auth, tries=3, wait=2.5)  # a Reject waits 1 s

    def account(self, status: str, user: str, sid: str, mac: str, seconds: int) -> bool:
        pkt = rp.AcctPacket(secret=SECRET, dict=self.dictionary, id=self._next_id())
        pkt.AddAttribute("Acct-Status-Type", status)
        pkt.AddAttribute("NAS-IP-Address", self.nas)
        if status != "Accounting-On":
            pkt.AddAttribute("User-Name", user)
            pkt.AddAttribute("Acct-Session-Id", sid)
            pkt.AddAttribute("Calling-Station-Id", mac)
        if status in ("Interim-Update", "Stop"):
            pkt.AddAttribute("Acct-Session-Time", seconds)
            pkt.AddAttribute("Acct-Input-Octets", seconds * 1000)
            pkt.AddAttribute("Acct-Output-Octets", seconds * 5000)
        if status == "Stop":
            pkt.AddAttribute("Acct-Terminate-Cause", "User-Request")
        return self.exchange(pkt, self.acct, tries=8) == rp.AccountingResponse


def phones(
    books: Books,
    radius: Radius,
    users: list[str],
    stop: threading.Event,
    pace: list[float],
    worker: int,
) -> None:
    """One stream of phones: log in, account, log out; paced by ``pace[0]`` s a session."""
    n = 0
    live: tuple[str, str, str] | None = None  # the session this phone stream has open

    def account(status: str, user: str, sid: str, mac: str, seconds: int) -> None:
        if radius.account(status, user, sid, mac, seconds):
            books.count(f"acct {status} acked")
            with books.lock:
                books.acked.append((status, sid, radius.nas))
        else:
            books.count(f"acct {status} unanswered")

    due = time.monotonic()  # when this stream's next session is due
    while not stop.is_set():
        user = users[n % len(users)]
        n += 1
        mac = f"02:5a:{worker:02x}:{n // 65536 % 256:02x}:{n // 256 % 256:02x}:{n % 256:02x}"
        if n % 10 == 0:
            code = radius.login(user, "not-the-password", mac)
            books.count(f"auth wrong-password {code_name(code)}")
            if code == rp.AccessAccept:
                with books.lock:
                    books.wrong_accepts += 1
        code = radius.login(user, f"pw-{user}", mac)
        books.count(f"auth right-password {code_name(code)}")
        if live is not None:  # the previous phone leaves: one session open per stream
            account("Stop", *live, 90)
            live = None
        if code == rp.AccessAccept:
            sid = f"soak-{worker}-{n}-{random.getrandbits(32):08x}"
            account("Start", user, sid, mac, 0)
            account("Interim-Update", user, sid, mac, 60)
            live = (user, sid, mac)
        # Keep to a schedule, not a gap: a slow session (a Reject waits 1 s) is made up by
        # the next ones, so the streams together hold the asked rate; a stream more than
        # 5 s behind starts its schedule again rather than bursting.
        due += pace[0]
        now = time.monotonic()
        if due - now < -5.0:
            due = now
        elif due > now:
            stop.wait(due - now)
    if live is not None:
        account("Stop", *live, 90)


def code_name(code: int | None) -> str:
    return {
        rp.AccessAccept: "accept",
        rp.AccessReject: "reject",
        None: "no-answer",
    }.get(code, f"code-{code}")


def http(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            reply.read()
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return int(exc.code)
    except OSError:
        return 0


def portal_and_console(
    books: Books, portal: str, endpoints: dict[str, str], stop: threading.Event
) -> None:
    """Phones on the portal, the operator's console, scrapes: one request a ~0.2 s."""
    import httpx

    bearer = {"Authorization": f"Bearer {TOKEN}"}
    n = 0
    next_coa = time.monotonic() + 3.0
    while not stop.is_set():
        n += 1
        params = {
            "mac": f"02:5b:00:00:{n // 256 % 256:02x}:{n % 256:02x}",
            "ip": f"10.254.200.{n % 200 + 10}",
            "link-login-only": "http://127.0.0.1:8081/login",
            "server-name": "lab-park",
        }
        with httpx.Client(base_url=portal, timeout=10) as phone:
            try:
                page = phone.get("/login", params=params)
                books.count(f"portal login-page {page.status_code}")
                if n % 2 == 0:  # a mistyped voucher code: refused, counted by the limits
                    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
                    form = {**params, "method": "voucher", "code": "ABCD-EFGH-JK"}
                    form["csrf"] = found.group(1) if found else ""
                    books.count(
                        f"portal wrong-voucher {phone.post('/login', data=form).status_code}"
                    )
            except httpx.HTTPError:
                books.count("portal error")
        if n % 5 == 0:
            status = http(f"{portal}/api/admin/sessions?limit=50", headers=bearer)
            books.count(f"console sessions {status}")
        if n % 3 == 0:
            for name, url in endpoints.items():
                books.count(f"scrape {name} {http(url)}")
        if time.monotonic() >= next_coa:  # an operator disconnects someone every 5 s
            disconnect(books, portal, bearer)
            next_coa = time.monotonic() + 5.0
        stop.wait(0.2)


def disconnect(books: Books, portal: str, bearer: dict[str, str]) -> None:
    """The operator disconnects the newest live session of lab-hs-01 (CoA)."""
    request = urllib.request.Request(f"{portal}/api/admin/sessions?limit=20", headers=bearer)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            live = json.loads(reply.read())
    except (OSError, ValueError):
        books.count("coa list-failed")
        return
    rows = live if isinstance(live, list) else live.get("sessions", [])
    target = next((r for r in rows if r.get("nas_ip") == NAS[0]), None)
    if target is None:
        books.count("coa nothing-live")
        return
    body = json.dumps({"acct_session_id": target["acct_session_id"], "nas_ip": NAS[0]})
    request = urllib.request.Request(
        f"{portal}/api/admin/sessions/disconnect",
        data=body.encode(),
        headers={**bearer, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:
            books.count(f"coa {json.loads(reply.read()).get('result')}")
    except urllib.error.HTTPError as exc:
        books.count(f"coa http-{exc.code}")
    except OSError:
        books.count("coa error")


def nas_coa(port: int, stop: threading.Event, books: Books) -> None:
    """The lab NAS's CoA port: acknowledge every Disconnect-Request."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    sock.settimeout(0.5)
    dictionary = load_dictionary()
    while not stop.is_set():
        try:
            data, addr = sock.recvfrom(4096)
        except TimeoutError:
            continue
        books.count("coa requests-at-nas")
        try:
            request = rp.CoAPacket(packet=data, secret=SECRET, dict=dictionary)
            reply = request.CreateReply()
            reply.code = rp.DisconnectACK
            sock.sendto(reply.ReplyPacket(), addr)
        except Exception as exc:  # a stand-in NAS that cannot answer is a finding
            books.count(f"coa nas-error {type(exc).__name__}")
    sock.close()


def proc_figures(pid: int) -> dict[str, float]:
    """Resident memory (MiB) and open file descriptors of ``pid`` and its children."""
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    rss = 0.0
    fds = 0
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1]) / 1024
            fds += len(os.listdir(f"/proc/{p}/fd"))
    return {"rss_mib": round(rss, 1), "fds": fds}


def health(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as reply:
        doc: dict[str, Any] = json.loads(reply.read())
    return doc


def health_any(port: int) -> dict[str, Any]:
    try:
        return health(port)
    except urllib.error.HTTPError as exc:
        doc: dict[str, Any] = json.loads(exc.read())
        return doc


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[tuple[str, Any]]:
    """(URL, a function giving the database's size in bytes)."""
    if kind == "sqlite":
        path = tmp / "netops.db"

        def size() -> int:
            return sum(p.stat().st_size for p in tmp.glob("netops.db*"))

        yield f"sqlite:///{path}", size
        return
    from tests.support.postgres import running_postgres

    with running_postgres() as cluster:
        url = cluster.new_database("soak")

        def pg_size() -> int:
            with Store.open(url, keys=store_keys()) as store, store._tx() as conn:
                from sqlalchemy import text

                return int(conn.scalar(text("SELECT pg_database_size(current_database())")))

        yield url, pg_size


def run(kind: str, seconds: float, sessions_per_s: float, streams: int) -> dict[str, Any]:
    from tests.support.snmp_peers import start_snmpd

    tmp = Path(tempfile.mkdtemp(prefix=f"netops-soak-{kind}-"))
    coa_port = free_udp_port()
    agent = start_snmpd(tmp / "snmpd")
    inventory = make_inventory(tmp / "inventory", coa_port=coa_port)
    os.environ["NETOPS_STORE_KEY"] = generate_key()
    os.environ["NETOPS_ADMIN_TOKEN"] = TOKEN
    with database(kind, tmp) as (url, db_size):
        users = [f"warga{i:05d}" for i in range(streams * 50)]
        with Store.open(url, keys=store_keys()) as store:
            for user in users:
                store.add_user(user, f"pw-{user}", "pegawai")
        ports = {
            "auth": free_udp_port(),
            "acct": free_udp_port(),
            "rmetrics": free_port(),
            "portal": free_port(),
            "exporter": free_port(),
            "health": free_port(),
        }
        state = tmp / "state"
        cmd = [
            *NETOPS,
            "-i",
            str(inventory),
            "--db",
            url,
            "up",
            "--state-dir",
            str(state),
            "--bind",
            "127.0.0.1",
            *(
                word
                for option, key in (
                    ("--radius-auth-port", "auth"),
                    ("--radius-acct-port", "acct"),
                    ("--radius-metrics-port", "rmetrics"),
                    ("--portal-port", "portal"),
                    ("--exporter-port", "exporter"),
                    ("--health-port", "health"),
                )
                for word in (option, str(ports[key]))
            ),
            "--no-prometheus",
        ]
        log = (tmp / "up.log").open("w")
        up = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        books = Books()
        stop = threading.Event()
        threads: list[threading.Thread] = []
        try:
            deadline = time.monotonic() + 90
            while True:
                with contextlib.suppress(OSError, ValueError):
                    if health(ports["health"])["status"] == "ok":
                        break
                if time.monotonic() > deadline or up.poll() is not None:
                    raise SystemExit(f"netops up did not come up; see {tmp / 'up.log'}")
                time.sleep(0.5)
            portal = f"http://127.0.0.1:{ports['portal']}"
            endpoints = {
                "radius": f"http://127.0.0.1:{ports['rmetrics']}/metrics",
                "portal": f"{portal}/metrics",
                "exporter": f"http://127.0.0.1:{ports['exporter']}/metrics",
                "supervisor": f"http://127.0.0.1:{ports['health']}/metrics",
                "snmp": f"http://127.0.0.1:{ports['exporter']}/snmp?target=127.0.0.1:"
                f"{agent.port}&auth=public_v2&module=system&module=if_mib",
            }
            pace = [streams / sessions_per_s]
            threads.append(threading.Thread(target=nas_coa, args=(coa_port, stop, books)))
            share = len(users) // streams
            for w in range(streams):
                radius = Radius(NAS[w % 2], ports["auth"], ports["acct"])
                mine = users[w * share : (w + 1) * share]
                threads.append(
                    threading.Thread(target=phones, args=(books, radius, mine, stop, pace, w))
                )
            threads.append(
                threading.Thread(target=portal_and_console, args=(books, portal, endpoints, stop))
            )
            for t in threads:
                t.start()
            begin = time.monotonic()
            time.sleep(min(10.0, seconds * 0.1))
            components = health(ports["health"])["components"]
            at_start = {n: proc_figures(c["pid"]) for n, c in components.items() if c["pid"]}
            size_start = db_size()
            radius_life: dict[str, dict[str, float]] = {"start": at_start.get("radius", {})}
            storm_done = killed = False
            while (elapsed := time.monotonic() - begin) < seconds:
                if not storm_done and elapsed >= seconds * 0.5:
                    storm_done = True
                    Radius(NAS[0], ports["auth"], ports["acct"]).account(
                        "Accounting-On", "", "", "", 0
                    )
                    books.count("storm accounting-on")
                    pace[0] /= 5  # every phone of the rebooted NAS reconnects at once
                    threading.Timer(
                        seconds * 0.08, lambda: pace.__setitem__(0, pace[0] * 5)
                    ).start()
                if not killed and elapsed >= seconds * 0.7:
                    killed = True
                    pid = health(ports["health"])["components"]["radius"]["pid"]
                    radius_life["before_kill"] = proc_figures(pid)
                    os.kill(pid, signal.SIGKILL)
                    books.count("radius killed")
                    before = len(books.acked)
                    t0 = time.monotonic()
                    while time.monotonic() - t0 < 60:
                        now = health_any(ports["health"])["components"]["radius"]
                        if (
                            now["pid"] not in (None, pid)
                            and now["up"]
                            and len(books.acked) > before
                        ):
                            radius_life["after_restart"] = proc_figures(now["pid"])
                            break
                        time.sleep(0.05)
                    books.kill_gap_s = round(time.monotonic() - t0, 2)
                time.sleep(0.2)
            components = health_any(ports["health"])["components"]
            at_end = {n: proc_figures(c["pid"]) for n, c in components.items() if c["pid"]}
            restarts = {n: c["restarts"] for n, c in components.items()}
            radius_life["end"] = at_end.get("radius", {})
            size_end = db_size()
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
            subprocess.run(
                [*NETOPS, "up", "--stop", "--state-dir", str(state)],
                capture_output=True,
                timeout=60,
                check=False,
            )
            with contextlib.suppress(subprocess.TimeoutExpired):
                up.wait(timeout=30)
            if up.poll() is None:
                os.killpg(up.pid, signal.SIGKILL)
            log.close()
            agent.stop()
        lost = cross_check(url, books)
    growth = {
        name: {
            "rss_mib": [at_start[name]["rss_mib"], at_end[name]["rss_mib"]],
            "fds": [at_start[name]["fds"], at_end[name]["fds"]],
        }
        for name in at_start
        if name in at_end
    }
    return {
        "db": kind,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": seconds,
        "target_sessions_per_s": sessions_per_s,
        "sessions_per_s": round(books.outcomes["auth right-password accept"] / seconds, 1),
        "streams": streams,
        "outcomes": dict(sorted(books.outcomes.items())),
        "acknowledged_records": len(books.acked),
        "lost_acknowledged_records": lost,
        "wrong_accepts": books.wrong_accepts,
        "radius_kill_gap_s": books.kill_gap_s,
        "radius_lifecycle": radius_life,
        "restarts": restarts,
        "process_growth": growth,
        "db_bytes": [size_start, size_end],
        "logs": str(tmp),
    }


def cross_check(url: str, books: Books) -> list[str]:
    """Every acknowledged Start and Stop is in the store (Stops closed the session)."""
    from sqlalchemy import select

    from netops.store.rows import SESSIONS

    with Store.open(url, keys=store_keys()) as store, store._tx() as conn:
        rows = conn.execute(
            select(SESSIONS.c.acct_session_id, SESSIONS.c.nas_ip, SESSIONS.c.stopped_at)
        ).all()
    stored = {(r.acct_session_id, r.nas_ip): r.stopped_at is not None for r in rows}
    lost: list[str] = []
    for status, sid, nas in books.acked:
        closed = stored.get((sid, nas))
        if closed is None:
            lost.append(f"{status} {sid}")
        elif status == "Stop" and not closed:
            lost.append(f"{status} {sid} (still open)")
    return lost


def verdict(result: dict[str, Any], min_share: float = 0.0) -> list[str]:
    """What failed, in sentences (empty: the soak passed). ``min_share``: the share of the
    asked session rate the run must have reached (a machine that cannot carry the load has
    not soaked the stack at that rate)."""
    problems = []
    asked, reached = result["target_sessions_per_s"], result["sessions_per_s"]
    if reached < min_share * asked:
        problems.append(
            f"reached {reached} sessions/s, less than {min_share:.0%} of the {asked} asked: "
            "the machine could not carry this load"
        )
    if result["lost_acknowledged_records"]:
        problems.append(f"{len(result['lost_acknowledged_records'])} acknowledged records lost")
    if result["wrong_accepts"]:
        problems.append(f"{result['wrong_accepts']} Access-Accepts for a wrong password")
    if not result["acknowledged_records"]:
        problems.append("nothing was acknowledged")
    growth = dict(result["process_growth"])
    life = result.get("radius_lifecycle", {})
    growth.pop("radius", None)  # killed and restarted: its start and end are two processes
    for first, last in (("start", "before_kill"), ("after_restart", "end")):
        if life.get(first) and life.get(last):
            growth[f"radius {first}..{last}"] = {
                k: [life[first][k], life[last][k]] for k in ("rss_mib", "fds")
            }
    for name, g in growth.items():
        if g["rss_mib"][1] - g["rss_mib"][0] > RSS_BOUND_MIB:
            problems.append(f"{name} grew {g['rss_mib']} MiB (bound {RSS_BOUND_MIB})")
        if g["fds"][1] - g["fds"][0] > FD_BOUND:
            problems.append(f"{name} file descriptors {g['fds']} (bound +{FD_BOUND})")
    if result["restarts"].get("radius", 0) < 1:
        problems.append("the killed RADIUS server was not restarted")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=600.0)
    # Ten whole busy days (20,000 sessions each, docs/store.md) in ten minutes.
    parser.add_argument("--sessions-per-s", type=float, default=333.0)
    parser.add_argument("--streams", type=int, default=224)
    parser.add_argument(
        "--min-share",
        type=float,
        default=0.9,
        help="fail when fewer sessions/s than this share of --sessions-per-s were reached",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.db, args.seconds, args.sessions_per_s, args.streams)
    problems = verdict(result, args.min_share)
    result["problems"] = problems
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
