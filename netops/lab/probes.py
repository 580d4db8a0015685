"""What the lab starts and waits on: an SNMP agent's command and data, the probes that
tell a lab process answers (SNMP, SSH, TCP), and the checks that its ports are free."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from netops.inventory.models import SnmpProfile
from netops.lab.plan import (
    RouterOSTarget,
    SimulationError,
)
from netops.lab.snmpping import answers
from netops.lab.sshtargets import SshTarget
from netops.listen import ensure_free

if TYPE_CHECKING:
    pass

# snmpsim binds its port only once it has dropped privileges (pysnmp opens sockets lazily),
# so an agent on port 161 has to keep them: lab agents answer on loopback or inside the
# lab's own namespaces only.
AGENT_USER = "root"


def agent_command(
    folder: Path, snmprec: str, profile: SnmpProfile, endpoint: str
) -> tuple[str, ...]:
    """Write an agent's data under ``folder`` and return the command that serves it.

    The data file is named after the community: snmpsim selects its data by community.
    """
    nobody = pwd.getpwnam("nobody")
    data, cache = folder / "data", folder / "cache"
    shutil.rmtree(folder, ignore_errors=True)
    data.mkdir(parents=True)
    cache.mkdir()
    os.chown(cache, nobody.pw_uid, nobody.pw_gid)
    folder.chmod(0o755)
    data.chmod(0o755)
    argv: tuple[str, ...] = (
        sys.executable, "-m", "netops.lab.snmpagent", f"--cache-dir={cache}",
        f"--process-user={AGENT_USER}", f"--process-group={AGENT_USER}",
        "--logging-method=stdout", "--log-level=error",
    )  # fmt: skip
    if profile.version != "2c" or profile.community is None:
        raise SimulationError(f"the lab agent at {endpoint} needs an SNMP v2c profile")
    (data / f"{profile.community.reveal()}.snmprec").write_text(snmprec)
    return (*argv, f"--data-dir={data}", f"--agent-udpv4-endpoint={endpoint}")


def agent_answers(profile: SnmpProfile, host: str, port: int) -> bool:
    """True when the agent for ``profile`` answers at ``host:port``."""
    assert profile.community is not None
    return answers(host, port, profile.community.reveal(), timeout=0.5)


def ssh_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when an SSH server at ``host:port`` sends its identification line."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def tcp_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts a TCP connection at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _check_routeros_ports(targets: tuple[RouterOSTarget, ...]) -> None:
    """Refuse to start when something already listens where a RouterOS lab device would."""
    for target in targets:
        for service, endpoint in target.endpoints.items():
            host, _, port = endpoint.rpartition(":")
            ensure_free(
                host,
                int(port),
                error=SimulationError,
                what=f"{target.device}: tcp {endpoint} ({service})",
                advice="stop what holds it or give the device another port",
            )


def _check_tcp_ports(targets: tuple[SshTarget, ...]) -> None:
    """Refuse to start when something already listens where a FakeNOS target would."""
    for target in targets:
        ensure_free(
            target.address,
            target.port,
            error=SimulationError,
            what=f"{target.device}: tcp {target.endpoint}",
            advice="stop what holds it or give the device another ssh_port",
        )


def _tail(log: Path, lines: int = 3) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " | ".join(line.strip() for line in text[-lines:]) or "empty log"


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
