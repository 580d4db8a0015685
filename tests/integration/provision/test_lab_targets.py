"""The whole lab over real SSH: secrets never reach a session log, and every failure
sentence says what really happened.

Real peers: the FRR routers in network namespaces (netops.lab.frr, run under
``flock /tmp/frrlab.lock``), the RouterOS lab device for the gateway and the access point
(``python -m netops.lab.routeros_target``) and the FakeNOS target for the EOS switch
(``python -m netops.lab.sshtarget_main``), each started as the lab supervisor starts it.
The inventory is a copy of inventory/lab whose secrets are ``env:`` and ``file:``
references, so what is checked is what a run resolves.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netops.inventory.models import Inventory
from netops.inventory.secrets import Secret
from netops.lab.frr import FrrLab
from netops.lab.runtime import ssh_answers
from netops.provision import operations
from netops.provision.operations import Options
from netops.provision.runner import run
from tests.integration.provision.conftest import PREFIX
from tests.paths import REPO

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

NETOPS = REPO / ".venv" / "bin" / "netops"
LOOPBACK = ("lab-dist-01", "lab-hs-01", "lab-ap-01")
ROUTEROS = ("lab-hs-01", "lab-ap-01")
LAB_PORTS = {"lab-dist-01": 10023, "lab-hs-01": 10021, "lab-ap-01": 10022}
API_PORTS = {"lab-hs-01": 10031, "lab-ap-01": 10032}
# The FRR lab's login user is shared with every other FRR test: its password stays the lab's.
# The password ends with "lab" and the SNMP auth key starts with it: netmiko's own masking
# writes such a password in clear. The priv key has characters RouterOS escapes when quoted.
ENV = {
    "NXPROV_PASSWORD": "netops-lab",
    "NXPROV_ENABLE": "lab-enable-2026",
    "NXPROV_SNMP_PRIV": 'lab"priv$pass',
    "NXPROV_UAM": "uam-from-env",
}
FILES = {"snmp-auth.key": "labauthpass", "radius.key": "radius-from-file"}
PROMPT_LINE = re.compile(r"^\s*\[[^\]]+@[^\]]+\]\s*>", re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _secret_forms() -> set[str]:
    """Every secret value of the test inventory, and the form RouterOS shows it in when it
    is quoted (written out here, not taken from the code under test)."""
    values = {*ENV.values(), *FILES.values(), "public"}
    quoted = {v.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") for v in values}
    return values | quoted


@pytest.fixture
def lab_inv(
    lab_copy: Callable[..., Inventory], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Inventory:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    keys = tmp_path / "keys"
    keys.mkdir()
    for name, value in FILES.items():
        (keys / name).write_text(value + "\n")
    ports = {host: _free_port() for host in LOOPBACK}
    return lab_copy(
        replace=(
            *(
                ("devices.yml", f"ssh_port: {LAB_PORTS[h]}\n", f"ssh_port: {ports[h]}\n")
                for h in LOOPBACK
            ),
            *(("devices.yml", f"port: {API_PORTS[h]}", f"port: {_free_port()}") for h in ROUTEROS),
            (
                "profiles.yml",
                "lab-admin: {username: netops, password: netops-lab}",
                "lab-admin: {username: netops, password: 'env:NXPROV_PASSWORD', "
                "enable_secret: 'env:NXPROV_ENABLE'}",
            ),
            ("profiles.yml", "auth_key: labauthpass", f"auth_key: 'file:{keys}/snmp-auth.key'"),
            ("profiles.yml", "priv_key: labprivpass", "priv_key: 'env:NXPROV_SNMP_PRIV'"),
            ("profiles.yml", "secret: testing123", f"secret: 'file:{keys}/radius.key'"),
            ("profiles.yml", "snmp: public_v2", "snmp: lab-v3"),
            ("meta.yml", "uam_secret: uamsecret", "uam_secret: 'env:NXPROV_UAM'"),
        )
    )


@pytest.fixture
def fakenos(lab_inv: Inventory, tmp_path: Path) -> Iterator[dict[str, int]]:
    """The lab's RouterOS lab devices and the EOS device's FakeNOS target, as `netops lab
    up` runs them; yields each device's SSH port."""
    procs: list[subprocess.Popen[bytes]] = []
    ports = {h: lab_inv.device(h).ssh_port for h in LOOPBACK}
    try:
        for host in LOOPBACK:
            log = (tmp_path / f"lab-{host}.log").open("wb")
            if host in ROUTEROS:
                command = [sys.executable, "-m", "netops.lab.routeros_target"]
                command += ["--state-dir", str(tmp_path / "ros" / host)]
            else:
                command = [sys.executable, "-m", "netops.lab.sshtarget_main"]
            command += ["--inventory", lab_inv.root, "--device", host]
            procs.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO))
        deadline = time.monotonic() + 30
        for host in LOOPBACK:
            address = str(lab_inv.device(host).mgmt_ip)
            while not ssh_answers(address, ports[host]):
                assert time.monotonic() < deadline, f"the lab target of {host} never answered"
                time.sleep(0.2)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def frr(lab_inv: Inventory) -> Iterator[FrrLab]:
    with FrrLab.from_inventory(lab_inv, PREFIX) as lab:
        yield lab


def _netops(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETOPS_")}
    env.update(ENV, COLUMNS="250")
    return subprocess.run(
        [str(NETOPS), *args], capture_output=True, text=True, env=env, cwd=REPO,
        timeout=240, check=False,
    )  # fmt: skip


def _row(output: str, host: str) -> list[str]:
    """The cells of ``host``'s row in the final table (folded lines joined)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"│ {host} "))
    cells = [c.strip() for c in lines[start].split("│")[1:-1]]
    for line in lines[start + 1 :]:
        more = [c.strip() for c in line.split("│")[1:-1]]
        if not more or more[0]:
            break
        cells = [f"{a} {b}".strip() for a, b in zip(cells, more, strict=True)]
    return cells


def test_session_logs_of_a_lab_push_hold_no_secret_and_failures_name_the_first_line(
    frr: FrrLab, fakenos: dict[str, int], lab_inv: Inventory, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    push = _netops(
        "-i", lab_inv.root, "config", "push", "--commit",
        "--session-log", str(logs), "--backup-dir", str(tmp_path / "before"),
    )  # fmt: skip
    out = push.stdout + push.stderr
    assert push.returncode == 1, out  # the lab's EOS target keeps no config
    for host in ("lab-core-01", "lab-core-02", *ROUTEROS):
        assert _row(push.stdout, host)[1] == "changed", push.stdout
    # Every defect this test covers is collected, so that one run shows all of them.
    problems: list[str] = []
    texts = {p.stem: p.read_text() for p in logs.glob("*.log")}
    problems += [
        f"no session log for {h.hostname}" for h in lab_inv.devices if h.hostname not in texts
    ]
    assert "router ospf" in texts["lab-core-01"]  # the FRR push went through the log
    for host in ROUTEROS:
        # the secret fields were sent over the API (SNMPv3 user with its keys); the login
        # user, already on the device, is adopted with set
        assert "/snmp/community/add" in texts[host] and "=authentication-password=" in texts[host]
        assert "/user/set" in texts[host] and "=name=netops" in texts[host]
    assert "/radius/add" in texts["lab-hs-01"]
    if "### open napalm eos" not in texts.get("lab-dist-01", ""):
        problems.append("the EOS session log does not record the napalm session")
    for value in sorted(_secret_forms()):
        problems += [f"{value!r} in the session log of {h}" for h, t in texts.items() if value in t]
        if value in out:
            problems.append(f"{value!r} in the output of config push")
    if "Traceback" in out:
        problems.append("config push printed a traceback")
    again = _netops("-i", lab_inv.root, "config", "push", "--commit", "--site", "lab-park")
    for host in ROUTEROS:
        if _row(again.stdout, host)[1] != "unchanged":
            problems.append(f"{host}: a second push is not empty: {_row(again.stdout, host)}")

    diff = _netops("-i", lab_inv.root, "config", "diff")
    if "Traceback" in diff.stdout + diff.stderr:
        problems.append("config diff printed a traceback")
    dist = lab_inv.device("lab-dist-01")
    said = _row(diff.stdout, "lab-dist-01")[-1]
    wanted = (
        f"the TLS handshake with lab-dist-01 at {dist.mgmt_ip}:{dist.ssh_port} failed "
        "(wrong version number): no HTTPS API on that port"
    )
    if said != wanted:
        problems.append(f"config diff on lab-dist-01 says {said!r}, not {wanted!r}")
    assert not problems, "\n".join(problems)


def test_two_routeros_backups_in_a_row_commit_once_and_hold_no_prompt(
    fakenos: dict[str, int], lab_inv: Inventory, tmp_path: Path
) -> None:
    repo = tmp_path / "backups"
    runs = [
        _netops("-i", lab_inv.root, "config", "backup", "--site", "lab-park", "--out", str(repo))
        for _ in range(3)
    ]
    for done in runs:
        assert done.returncode == 0, done.stdout + done.stderr
    assert "committed 2 changed config(s)" in runs[0].stdout
    for later in runs[1:]:
        assert "no config changed since the last backup" in later.stdout, later.stdout
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s"], capture_output=True, text=True
    ).stdout.splitlines()
    assert len(log) == 1, log
    for host in ROUTEROS:
        text = (repo / f"{host}.cfg").read_text()
        assert f"/system identity\nset name={host}" in text
        assert " by RouterOS " not in text  # the export's time stamp is not kept
        assert not PROMPT_LINE.search(text), text


def test_refused_silent_and_wrong_password_logins_each_say_what_happened(
    fakenos: dict[str, int], lab_inv: Inventory
) -> None:
    from netops.inventory.models import Timeouts

    closed = _free_port()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    quiet = silent.getsockname()[1]
    hs, dist = lab_inv.device("lab-hs-01"), lab_inv.device("lab-dist-01")
    short = Timeouts(connect=1, command=2)
    wrong = lab_inv.model_copy(
        update={
            "credentials": {
                "lab-admin": lab_inv.credentials["lab-admin"].model_copy(
                    update={"password": Secret("not-the-password")}
                )
            }
        }
    )

    def api_port(port: int, **more: object) -> object:
        return hs.model_copy(update={"api": hs.api.model_copy(update={"port": port}), **more})

    try:
        [refused_ssh] = run(operations.diff, lab_inv, [api_port(closed)], Options())
        [refused_eapi] = run(
            operations.diff, lab_inv, [dist.model_copy(update={"ssh_port": closed})], Options()
        )
        [timed_out] = run(
            operations.diff,
            lab_inv,
            [api_port(quiet, timeouts=short)],
            Options(),
        )
        [denied] = run(operations.diff, wrong, [hs], Options())
    finally:
        silent.close()
    assert refused_ssh.error == f"connection refused by lab-hs-01 at 127.0.0.1:{closed}"
    assert refused_eapi.error == f"connection refused by lab-dist-01 at 127.0.1.3:{closed}"
    assert refused_ssh.elapsed < 1 and refused_eapi.elapsed < 1  # nobody waited for a timeout
    assert timed_out.error == f"no answer from lab-hs-01 at 127.0.0.1:{quiet} within 1 s"
    assert denied.error == (
        f"authentication failed for user 'netops' on lab-hs-01 at 127.0.0.1:{hs.api.port}"
    )
