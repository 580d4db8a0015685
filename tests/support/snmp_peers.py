"""Real peers for the exporter tests: net-snmp snmpd (on loopback or in a network namespace
with veth pairs), the netops exporter as a subprocess, and namespace plumbing.

Namespaces are named ``nxsnmp…``. A test's network is loopback, or addresses inside
10.253.0.0/16 on veths between namespaces it creates (:func:`namespace`): nothing is ever
added to the root namespace. Clients reach a namespace from its client namespace, as
subprocesses (``ip netns exec``) or from threads moved in (:func:`inside`).
"""

from __future__ import annotations

import ctypes
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.if_mib_reference import if_mib_module

REPO = Path(__file__).resolve().parents[2]
NETOPS = str(Path(sys.executable).with_name("netops"))
V3_USER, V3_AUTH, V3_PRIV = "netops", "labauthpass", "labprivpass"


def need(binary: str) -> str:
    """The path of ``binary``; fails (never skips) when the peer is missing."""
    path = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None
    )
    if path is None:
        raise AssertionError(
            f"{binary} is not installed: run `make deps` (Debian packages snmpd, snmp, "
            "prometheus, prometheus-snmp-exporter)"
        )
    return path


def free_port(kind: int = socket.SOCK_DGRAM, host: str = "127.0.0.1") -> int:
    """A port the kernel says is free right now."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_port_in(netns: str, host: str) -> int:
    """A free UDP port inside ``netns``, asked of that namespace's kernel."""
    code = (
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
        f"s.bind(({host!r}, 0)); print(s.getsockname()[1])"
    )
    return int(run(sys.executable, "-c", code, netns=netns).stdout)


def run(
    *cmd: str, netns: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    full = ["ip", "netns", "exec", netns, *cmd] if netns else list(cmd)
    return subprocess.run(full, check=check, capture_output=True, text=True, timeout=60)


@dataclass
class Snmpd:
    """A running snmpd: where it listens and how to stop it."""

    address: str
    port: int
    proc: subprocess.Popen[bytes]
    workdir: Path
    netns: str | None = None
    also: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        return f"{self.address}:{self.port}"

    @property
    def targets(self) -> list[str]:
        """Every ``address:port`` this snmpd answers on (the first is :attr:`target`)."""
        return [f"{a}:{self.port}" for a in (self.address, *self.also)]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def snmpget(self, *oids: str, v3: bool = False) -> dict[str, str]:
        """``snmpget`` (net-snmp's own client) → numeric OID → value text."""
        return self._tool("snmpget", *oids, v3=v3)

    def snmpwalk(self, oid: str) -> dict[str, str]:
        return self._tool("snmpbulkwalk", oid)

    def _tool(self, tool: str, *oids: str, v3: bool = False) -> dict[str, str]:
        auth = (
            [
                "-v3",
                "-l",
                "authPriv",
                "-u",
                V3_USER,
                "-a",
                "SHA",
                "-A",
                V3_AUTH,
                "-x",
                "AES",
                "-X",
                V3_PRIV,
            ]
            if v3
            else ["-v2c", "-c", "public"]
        )
        out = run(
            need(tool),
            *auth,
            "-On",
            "-Oq",
            "-Ot",
            "-Oe",
            "-t",
            "2",
            self.target,
            *oids,
            netns=self.netns,
        ).stdout
        values = {}
        for line in out.splitlines():
            oid, _, value = line.partition(" ")
            values[oid.lstrip(".")] = value.strip().strip('"')
        return values


def start_snmpd(
    workdir: Path,
    address: str = "127.0.0.1",
    netns: str | None = None,
    *,
    also: Sequence[str] = (),
    port: int | None = None,
) -> Snmpd:
    """Start snmpd (v2c community ``public``, v3 user netops SHA/AES) on a free UDP port.

    ``also``: more addresses the same snmpd answers on (one socket each, same port), so one
    process can stand for many devices; ``port``: a fixed port instead of a free one.
    """
    binary = need("snmpd")
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o755)
    for _ in range(5):
        chosen = port
        if chosen is None:
            chosen = free_port() if netns is None else free_port_in(netns, address)
        listen = ",".join(f"udp:{a}:{chosen}" for a in (address, *also))
        conf = workdir / "snmpd.conf"
        conf.write_text(
            f"agentAddress {listen}\n"
            "rocommunity public\n"
            f"createUser {V3_USER} SHA {V3_AUTH} AES {V3_PRIV}\n"
            f"rouser {V3_USER} priv\n"
            "sysContact noc@lab.netops.test\n"
            "sysLocation Lab Park\n"
        )
        env = {**os.environ, "SNMP_PERSISTENT_DIR": str(workdir / "persist"), "MIBS": ""}
        cmd = [
            binary,
            "-f",
            "-Lf",
            str(workdir / "snmpd.log"),
            "-C",
            "-c",
            str(conf),
            "-p",
            str(workdir / "snmpd.pid"),
            "-M",
            "/dev/null",
        ]
        if netns:
            cmd = ["ip", "netns", "exec", netns, *cmd]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        snmpd = Snmpd(address, chosen, proc, workdir, netns, tuple(also))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if snmpd.snmpget("1.3.6.1.2.1.1.3.0"):
                    return snmpd
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.2)
        snmpd.stop()
    log = (
        (workdir / "snmpd.log").read_text(errors="replace")
        if (workdir / "snmpd.log").exists()
        else ""
    )
    raise AssertionError(f"snmpd did not start: {log[-2000:]}")


@dataclass
class Namespace:
    """A network namespace, joined by a veth pair to a client namespace (``client``) where the
    tests' own clients run; a namespace standing alone has ``client`` and ``client_ip`` empty."""

    name: str
    ns_ip: str
    client: str = ""
    client_ip: str = ""


_USED: set[int] = set()


def _subnet() -> int:
    """A third octet for 10.253.X.0/24 not used by another namespace of this test run."""
    choice = random.choice([n for n in range(1, 250) if n not in _USED])
    _USED.add(choice)
    return choice


@contextmanager
def namespace(
    tag: str, subnet: int | None = None, *, client: bool | str = True
) -> Iterator[Namespace]:
    """``nxsnmp<tag><rand>`` with 10.253.S.2 on its ``eth0``, a veth whose other end holds
    10.253.S.1 in the client namespace ``nxsnmp<tag>c<rand>``; both removed after, with every
    process still in them. Nothing is added to the root namespace.

    ``client``: the name of an existing namespace to join instead (several namespaces can hang
    off one client; it is not removed here), or ``False`` for a namespace standing alone: only
    ``lo`` is up (all of 127.0.0.0/8 is local inside) and ``ns_ip`` is 127.0.0.1. Reach a
    namespace's addresses from processes started in it or in its client (``ip netns exec``)
    or from a thread moved in (:func:`inside`).
    """
    suffix = f"{random.randrange(16**4):04x}"
    name = f"nxsnmp{tag}{suffix}"
    ours = [name]
    if client is True:
        client = f"nxsnmp{tag}c{suffix}"
        ours.append(client)
    if client:
        subnet = subnet if subnet is not None else _subnet()
        ns = Namespace(name, f"10.253.{subnet}.2", client, f"10.253.{subnet}.1")
    else:
        ns = Namespace(name, "127.0.0.1")
    try:
        for netns in ours:
            run("ip", "netns", "add", netns)
            run("ip", "link", "set", "lo", "up", netns=netns)
        if ns.client:
            # Made inside the client namespace, the far end moved straight into this one.
            link = f"nxs{tag}{suffix}"[:15]
            run("ip", "-n", ns.client, "link", "add", link, "type", "veth", "peer", "name",
                "eth0", "netns", name)  # fmt: skip
            run("ip", "addr", "add", f"{ns.client_ip}/24", "dev", link, netns=ns.client)
            run("ip", "link", "set", link, "up", netns=ns.client)
            run("ip", "addr", "add", f"{ns.ns_ip}/24", "dev", "eth0", netns=name)
            run("ip", "link", "set", "eth0", "up", netns=name)
        yield ns
    finally:
        for netns in ours:
            pids = subprocess.run(
                ["ip", "netns", "pids", netns], capture_output=True, text=True, timeout=30
            ).stdout.split()
            for pid in pids:
                with suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            # Removing the namespace removes the veth with it (both ends).
            subprocess.run(["ip", "netns", "del", netns], capture_output=True, timeout=30)


_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"setns: {os.strerror(code)}")


def enter_netns(netns: str) -> None:
    """Move the calling thread (only it) into network namespace ``netns``: the sockets it
    opens from then on live there, and so do threads it starts. A thread pool initializer."""
    fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        _setns(fd)
    finally:
        os.close(fd)


@contextmanager
def inside(netns: str) -> Iterator[None]:
    """Open sockets inside ``netns`` for the length of the block (this thread only)."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        enter_netns(netns)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(home)


def add_veth_pairs(netns: str, pairs: int) -> None:
    """``pairs`` veth pairs inside ``netns`` (dummy interfaces are not available here)."""
    script = "".join(f"link add vp{i}a type veth peer name vp{i}b\n" for i in range(pairs))
    subprocess.run(
        ["ip", "-n", netns, "-batch", "-"],
        input=script,
        text=True,
        check=True,
        timeout=120,
        capture_output=True,
    )


def make_inventory(
    dest: Path,
    snmp_port: int,
    *,
    devices: list[dict[str, object]] | None = None,
    links: list[dict[str, object]] | None = None,
    prefixes: list[dict[str, object]] | None = None,
    sites: list[dict[str, object]] | None = None,
    snmp_profiles: dict[str, dict[str, object]] | None = None,
) -> Path:
    """A copy of the lab inventory where lab-hs-01 (127.0.0.1) polls ``snmp_port``."""
    shutil.copytree(REPO / "inventory" / "lab", dest)

    def patch(name: str, key: str, extra: object) -> None:
        path = dest / name
        data = yaml.safe_load(path.read_text())
        if key == "devices":
            for device in data["devices"]:
                if device["hostname"] == "lab-hs-01":
                    device["snmp_port"] = snmp_port
        if isinstance(extra, list):
            data[key].extend(extra)
        elif isinstance(extra, dict):
            data[key].update(extra)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    patch("devices.yml", "devices", devices or [])
    if links:
        patch("links.yml", "links", links)
    if prefixes:
        patch("sites.yml", "prefixes", prefixes)
    if sites:
        patch("sites.yml", "sites", sites)
    if snmp_profiles:
        patch("profiles.yml", "snmp", snmp_profiles)
    return dest


@dataclass
class ExporterProcess:
    """``netops exporter serve`` running as a subprocess; ``url`` is where it listens (on the
    loopback of ``netns`` if it runs in a namespace: ask it with :meth:`get`)."""

    proc: subprocess.Popen[str]
    url: str
    address: str
    netns: str | None = None

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """``httpx.get`` of ``url + path``, from inside the exporter's namespace if it has one."""
        with inside(self.netns) if self.netns else nullcontext():
            return httpx.get(f"{self.url}{path}", **kwargs)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_exporter(inventory: Path, *args: str, netns: str | None = None) -> ExporterProcess:
    """Start it as the issue's done-when says: NETOPS_INVENTORY=DIR netops exporter serve
    (inside ``netns`` if given, listening on that namespace's loopback)."""
    # One process unless the test asks for workers: the worker tests are their own.
    workers = () if any(a.startswith("--workers") for a in args) else ("--workers", "1")
    cmd = [NETOPS, "exporter", "serve", "--listen", "127.0.0.1:0", *workers, *args]
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    env = {**os.environ, "NETOPS_INVENTORY": str(inventory)}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"http://([0-9.]+:\d+)/", first)
    if not match:
        proc.kill()
        rest = proc.stdout.read()
        raise AssertionError(f"exporter did not start: {first}{rest}")
    return ExporterProcess(proc, f"http://{match.group(1)}", match.group(1), netns)


def snmp_exporter_config(community: str = "public") -> dict[str, Any]:
    """An if_mib module in snmp_exporter 0.21's ``snmp.yml`` format, written from RFC 2863
    and the generator's documented mapping (:mod:`tests.support.if_mib_reference`, not from
    netops' module): v2c ``if_mib`` and the same module with v3 authPriv SHA/AES
    (``if_mib_v3``)."""
    module = if_mib_module()
    config: dict[str, Any] = {
        "if_mib": {
            **module,
            "version": 2,
            "max_repetitions": 25,
            "retries": 1,
            "timeout": "5s",
            "auth": {"community": community},
        }
    }
    config["if_mib_v3"] = {
        **config["if_mib"],
        "version": 3,
        "auth": {
            "username": V3_USER,
            "security_level": "authPriv",
            "password": V3_AUTH,
            "auth_protocol": "SHA",
            "priv_protocol": "AES",
            "priv_password": V3_PRIV,
        },
    }
    return config


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _proc_cpu(pid: int) -> float:
    try:
        fields = _stat(pid)
    except FileNotFoundError:  # exited since it was listed
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> list[int]:
    """``root`` and every live process descended from it (from /proc's parent ids)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(_stat(int(entry.name))[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


class Process:
    """A long-running exporter: where it answers and how much CPU it has used."""

    def __init__(self, proc: subprocess.Popen[Any], url: str) -> None:
        self.proc = proc
        self.url = url

    def cpu(self) -> float:
        """CPU seconds of the process and of its live descendants (an exporter's workers)."""
        return sum(_proc_cpu(pid) for pid in process_tree(self.proc.pid))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def start_snmp_exporter(
    tmp: Path, config: dict[str, Any] | None = None, netns: str | None = None
) -> Process:
    """snmp_exporter on a free loopback port with ``config`` (default:
    :func:`snmp_exporter_config`), inside ``netns`` if given (``ip netns exec`` execs it, so
    ``proc.pid`` is the exporter's own)."""
    binary = need("prometheus-snmp-exporter")
    path = tmp / "snmp.yml"
    path.write_text(yaml.safe_dump(config or snmp_exporter_config(), sort_keys=False))
    port = free_port(kind=1) if netns is None else _free_tcp_port_in(netns)
    cmd = [
        binary,
        f"--config.file={path}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with inside(netns) if netns else nullcontext():
                httpx.get(f"{url}/metrics", timeout=1)
            return Process(proc, url)
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("snmp_exporter did not start")


def _free_tcp_port_in(netns: str) -> int:
    with inside(netns):
        return free_port(kind=socket.SOCK_STREAM)


@contextmanager
def running_prometheus(binary: str, config: Path, workdir: Path) -> Iterator[str]:
    """A Prometheus on a free loopback port with ``config``; yields its URL once ready."""
    port = free_port(kind=socket.SOCK_STREAM)
    log = workdir / "prometheus.log"
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                httpx.get(f"{url}/-/ready", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "Prometheus never became ready"
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)
