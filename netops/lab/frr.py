"""A stateful provisioning lab: FRR routers in network namespaces, each behind its own sshd.

Every router gets a network namespace, a management veth to the root namespace (the
router's ``mgmt_ip`` inside, the other address of its /30 outside), veth links to the other
lab routers as the inventory's links say, ``zebra`` and ``ospfd`` started with their own
pathspace (``-N <namespace>``) and an ``sshd`` whose login user gets ``vtysh`` as its only
command. Daemons run under ``unshare --uts`` with the router's hostname so that every
prompt names its router. Interfaces start without addresses: provisioning puts them there.

The lab is production code (``netops lab up`` and the tests both use it); it needs root.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from netops.errors import NetopsError
from netops.inventory.models import Device, Inventory

FRR_LIB = Path("/usr/lib/frr")
FRR_ETC = Path("/etc/frr")
FRR_RUN = Path("/var/run/frr")
SSHD = Path("/usr/sbin/sshd")
VTYSH = Path("/usr/bin/vtysh")
HOST_KEYS = ("ssh_host_ed25519_key", "ssh_host_ecdsa_key", "ssh_host_rsa_key")
LAB_PLATFORM = "frr"


class LabError(NetopsError):
    """The FRR lab could not be started or stopped; says which step failed."""


@dataclass(frozen=True)
class LabRouter:
    """One FRR router of the lab, as the inventory describes it."""

    hostname: str
    namespace: str
    mgmt_ip: ipaddress.IPv4Address
    mgmt_veth: str
    ssh_port: int = 22

    @property
    def host_ip(self) -> ipaddress.IPv4Address:
        """The root namespace's end of the management /30."""
        net = ipaddress.IPv4Network(f"{self.mgmt_ip}/30", strict=False)
        return next(h for h in net.hosts() if h != self.mgmt_ip)


@dataclass(frozen=True)
class LabLink:
    """A cable between two lab routers: ``(router, interface)`` at each end."""

    a: tuple[str, str]
    b: tuple[str, str]


@dataclass
class FrrLab:
    """FRR routers in network namespaces, reachable over SSH at their management address.

    Use as a context manager, or call :meth:`up` and :meth:`down`; :meth:`down` removes
    everything :meth:`up` created even after a partial start.
    """

    routers: tuple[LabRouter, ...]
    links: tuple[LabLink, ...] = ()
    username: str = "netops"
    password: str = "netops-lab"
    ospfd: bool = True
    workdir: Path | None = None
    _started: list[str] = field(default_factory=list)
    _own_workdir: bool = False

    # --- building from the inventory ---------------------------------------------------

    @classmethod
    def from_inventory(
        cls,
        inventory: Inventory,
        prefix: str = "nxprov",
        devices: Iterable[Device] | None = None,
        ospfd: bool = True,
    ) -> FrrLab:
        """The lab for the inventory's ``frr`` devices (or ``devices``), namespaces ``prefix-…``."""
        chosen = [
            d
            for d in (devices if devices is not None else inventory.devices)
            if d.platform == LAB_PLATFORM
        ]
        if not chosen:
            raise LabError("the inventory has no devices with platform frr to start a lab for")
        routers = []
        for index, device in enumerate(chosen):
            if not isinstance(device.mgmt_ip, ipaddress.IPv4Address):
                raise LabError(f"{device.hostname}: a lab router needs an IPv4 management address")
            routers.append(
                LabRouter(
                    hostname=device.hostname,
                    namespace=f"{prefix}-{device.hostname}",
                    mgmt_ip=device.mgmt_ip,
                    mgmt_veth=f"{prefix[:8]}{index}m",
                    ssh_port=device.ssh_port,
                )
            )
        names = {r.hostname for r in routers}
        links = tuple(
            LabLink((link.a.device, link.a.interface), (link.b.device, link.b.interface))
            for link in inventory.links
            if link.b is not None and link.a.device in names and link.b.device in names
        )
        creds = {d.credentials for d in chosen}
        username, password = "netops", "netops-lab"
        if len(creds) == 1 and (name := creds.pop()) and name in inventory.credentials:
            profile = inventory.credentials[name]
            username, password = profile.username, profile.password.reveal()
        return cls(tuple(routers), links, username, password, ospfd)

    # --- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> FrrLab:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    def router(self, hostname: str) -> LabRouter:
        return next(r for r in self.routers if r.hostname == hostname)

    def up(self, wait: float = 20.0) -> None:
        """Create namespaces and links, start FRR and sshd, wait until every sshd answers."""
        for tool in (SSHD, VTYSH, FRR_LIB / "zebra", FRR_LIB / "ospfd"):
            if not tool.exists():
                raise LabError(f"{tool} is missing: install Debian packages frr and openssh-server")
        if os.geteuid() != 0:
            raise LabError("the FRR lab needs root (network namespaces, sshd)")
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="netops-lab-"))
            self._own_workdir = True
        # sshd, given a relative -f, starts but never answers (it re-executes itself after
        # changing folder): the daemons get absolute paths only.
        self.workdir = self.workdir.absolute()
        self.workdir.chmod(0o755)
        try:
            self._ensure_user()
            for router in self.routers:
                self._namespace(router)
            for link in self.links:
                self._link(link)
            for router in self.routers:
                self._start(router)
            self._wait_daemons(wait)
            self._wait_ssh(wait)
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Stop every daemon and remove namespaces, veths and FRR directories (idempotent)."""
        for router in self.routers:
            for pidfile in self._pidfiles(router):
                _kill_pidfile(pidfile)
            subprocess.run(
                ["ip", "netns", "pids", router.namespace], capture_output=True, check=False
            )
            _kill_netns_pids(router.namespace)
            subprocess.run(
                ["ip", "link", "del", router.mgmt_veth], capture_output=True, check=False
            )
            subprocess.run(
                ["ip", "netns", "del", router.namespace], capture_output=True, check=False
            )
            shutil.rmtree(FRR_ETC / router.namespace, ignore_errors=True)
            shutil.rmtree(FRR_RUN / router.namespace, ignore_errors=True)
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
            self._own_workdir = False

    # --- steps -------------------------------------------------------------------------

    def _ensure_user(self) -> None:
        """The SSH login user: groups frr and frrvty, the lab password, vtysh forced by sshd."""
        if subprocess.run(["id", self.username], capture_output=True).returncode != 0:
            _run(["useradd", "-M", "-s", "/bin/sh", "-G", "frr,frrvty", self.username])
        else:
            _run(["usermod", "-a", "-G", "frr,frrvty", self.username])
        subprocess.run(
            ["chpasswd"], input=f"{self.username}:{self.password}\n", text=True, check=True
        )

    def _namespace(self, router: LabRouter) -> None:
        ns = router.namespace
        subprocess.run(["ip", "link", "del", router.mgmt_veth], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        _run(["ip", "netns", "add", ns])
        _run(["ip", "-n", ns, "link", "set", "lo", "up"])
        _run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        _run(
            [
                "ip",
                "link",
                "add",
                router.mgmt_veth,
                "type",
                "veth",
                "peer",
                "name",
                "mgmt0",
                "netns",
                ns,
            ]
        )
        _run(["ip", "addr", "add", f"{router.host_ip}/30", "dev", router.mgmt_veth])
        _run(["ip", "link", "set", router.mgmt_veth, "up"])
        _run(["ip", "-n", ns, "addr", "add", f"{router.mgmt_ip}/30", "dev", "mgmt0"])
        _run(["ip", "-n", ns, "link", "set", "mgmt0", "up"])

    def _link(self, link: LabLink) -> None:
        ns_a = self.router(link.a[0]).namespace
        ns_b = self.router(link.b[0]).namespace
        _run(
            [
                "ip",
                "link",
                "add",
                link.a[1],
                "netns",
                ns_a,
                "type",
                "veth",
                "peer",
                "name",
                link.b[1],
                "netns",
                ns_b,
            ]
        )
        _run(["ip", "-n", ns_a, "link", "set", link.a[1], "up"])
        _run(["ip", "-n", ns_b, "link", "set", link.b[1], "up"])

    def _pidfiles(self, router: LabRouter) -> list[Path]:
        run = FRR_RUN / router.namespace
        files = [run / "zebra.pid", run / "ospfd.pid"]
        if self.workdir is not None:
            files.append(self.workdir / router.namespace / "sshd.pid")
        return files

    def _start(self, router: LabRouter) -> None:
        assert self.workdir is not None
        ns = router.namespace
        etc, run = FRR_ETC / ns, FRR_RUN / ns
        for folder in (etc, run):
            folder.mkdir(parents=True, exist_ok=True)
            shutil.chown(folder, "frr", "frr")
            folder.chmod(0o775)
        (etc / "vtysh.conf").write_text("service integrated-vtysh-config\n")
        (etc / "frr.conf").write_text(f"hostname {router.hostname}\n!\n")
        for name in ("vtysh.conf", "frr.conf"):
            shutil.chown(etc / name, "frr", "frrvty")
            (etc / name).chmod(0o664)
        own = self.workdir / ns
        own.mkdir(exist_ok=True)
        sshd_conf = own / "sshd_config"
        sshd_conf.write_text(
            "\n".join(
                [
                    f"ListenAddress {router.mgmt_ip}:{router.ssh_port}",
                    *(f"HostKey /etc/ssh/{key}" for key in HOST_KEYS),
                    f"PidFile {own / 'sshd.pid'}",
                    "PasswordAuthentication yes",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "PermitRootLogin no",
                    f"AllowUsers {self.username}",
                    f"ForceCommand {VTYSH} -N {ns}",
                    "StrictModes no",
                    "PrintMotd no",
                    "PrintLastLog no",
                    "UseDNS no",
                    "MaxStartups 100:30:200",
                    "LogLevel ERROR",
                    "",
                ]
            )
        )
        Path("/run/sshd").mkdir(exist_ok=True)
        daemons = [
            f"{FRR_LIB / 'zebra'} -d -N {ns} -u frr -g frr -A 127.0.0.1 -f /dev/null "
            f"-i {run / 'zebra.pid'}",
        ]
        if self.ospfd:
            daemons.append(
                f"{FRR_LIB / 'ospfd'} -d -N {ns} -u frr -g frr -A 127.0.0.1 -f /dev/null "
                f"-i {run / 'ospfd.pid'}"
            )
        script = " && ".join(
            [
                f"hostname {router.hostname}",
                *daemons,
                f"{VTYSH} -N {ns} -b >/dev/null 2>&1; true",
                f"{SSHD} -f {sshd_conf} -E {own / 'sshd.log'}",
            ]
        )
        result = subprocess.run(
            ["ip", "netns", "exec", ns, "unshare", "--uts", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise LabError(
                f"{router.hostname}: FRR or sshd did not start: "
                f"{(result.stderr or result.stdout).strip()[:300]}"
            )
        self._started.append(router.hostname)

    def _wait_daemons(self, wait: float) -> None:
        """Every daemon answers on its vty socket (a vtysh started earlier would miss it)."""
        daemons = ["zebra", "ospfd"] if self.ospfd else ["zebra"]
        deadline = time.monotonic() + wait
        for router in self.routers:
            run = FRR_RUN / router.namespace
            while not all((run / f"{d}.vty").exists() for d in daemons):
                if time.monotonic() > deadline:
                    missing = [d for d in daemons if not (run / f"{d}.vty").exists()]
                    raise LabError(f"{router.hostname}: {', '.join(missing)} did not start")
                time.sleep(0.05)

    def _wait_ssh(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        pending = list(self.routers)
        while pending:
            router = pending[0]
            try:
                with socket.create_connection((str(router.mgmt_ip), router.ssh_port), 1) as sock:
                    sock.settimeout(2)
                    if sock.recv(4).startswith(b"SSH-"):
                        pending.pop(0)
                        continue
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise LabError(f"{router.hostname}: sshd did not answer at {router.mgmt_ip}")
            time.sleep(0.1)

    # --- looking inside ----------------------------------------------------------------

    def vtysh(self, hostname: str, command: str) -> str:
        """Run one vtysh command in a router (as root, not over SSH) and return its output."""
        ns = self.router(hostname).namespace
        result = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                ns,
                "unshare",
                "--uts",
                "sh",
                "-c",
                f'hostname {hostname} && exec {VTYSH} -N {ns} -c "$0"',
                command,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.stdout + result.stderr

    def ip(self, hostname: str, *args: str) -> str:
        """Run ``ip`` inside a router's namespace and return its output."""
        ns = self.router(hostname).namespace
        result = subprocess.run(["ip", "-n", ns, *args], capture_output=True, text=True, timeout=30)
        return result.stdout + result.stderr

    def saved_config(self, hostname: str) -> str:
        """The router's startup configuration file (what ``write memory`` saved)."""
        path = FRR_ETC / self.router(hostname).namespace / "frr.conf"
        return path.read_text() if path.exists() else ""


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise LabError(f"`{' '.join(args)}` failed: {result.stderr.strip()[:300]}")


def _kill_pidfile(pidfile: Path) -> None:
    with suppress(OSError, ValueError):
        pid = int(pidfile.read_text().strip())
        os.kill(pid, signal.SIGTERM)


def _kill_netns_pids(namespace: str) -> None:
    """Stop what still runs in ``namespace`` (daemons, ssh sessions): TERM, then KILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _netns_pids(namespace)
        if not pids:
            return
        for pid in pids:
            with suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and _netns_pids(namespace):
            time.sleep(0.05)


def _netns_pids(namespace: str) -> list[int]:
    result = subprocess.run(
        ["ip", "netns", "pids", namespace], capture_output=True, text=True, check=False
    )
    return [int(p) for p in result.stdout.split() if p.isdigit()]


@contextmanager
def frr_lab(inventory: Inventory, prefix: str = "nxprov") -> Iterator[FrrLab]:
    """Start the inventory's FRR lab for the ``with`` block and always tear it down."""
    lab = FrrLab.from_inventory(inventory, prefix)
    with lab:
        yield lab
