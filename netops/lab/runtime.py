"""Start and remove the simulated lab: FRR namespaces, SNMP agents, RouterOS lab devices,
FakeNOS SSH targets, simulated hotspot gateways and the lab supervisor that keeps its
processes running.

Layout under the lab folder (``var/lab`` by default)::

    lab.json          what was created (namespaces, veths) — written before creating it
    supervisor.json   the lab supervisor's pid, health URL and children (while it runs)
    components.json   the child processes the supervisor keeps running (SNMP agents
                      ``snmp-<device>``, RouterOS lab devices ``ros-<device>``, FakeNOS SSH
                      targets ``ssh-<device>``, gateways)
    routeros/<device>/ each RouterOS lab device's state (state.json, backups, host key)
    snmp/<device>/    each agent's .snmprec data and index cache
    frr/              sshd configs and logs of the FRR routers
    log/              one log per child, and the supervisor's

``down`` works from ``lab.json`` and from what the kernel shows (namespaces named
``nxlab-…``), so it also cleans up after a crash or a half-finished ``up``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from netops.inventory.models import Inventory
from netops.lab import kannel
from netops.lab.plan import (
    LAB_PREFIX,
    AgentPlan,
    LabPlan,
    RouterOSTarget,
    SimulationError,
    plan_lab,
    plan_routeros,
)
from netops.lab.probes import (
    AGENT_USER,
    _check_routeros_ports,
    _check_tcp_ports,
    _free_tcp_port,
    _tail,
    agent_answers,
    agent_command,
    ssh_answers,
    tcp_answers,
)
from netops.lab.snmprec import device_records, render
from netops.lab.sshtargets import SshTarget, plan_ssh_targets
from netops.listen import ensure_free
from netops.service.model import ComponentSpec
from netops.service.state import read_state, running, stop_recorded, write_state

if TYPE_CHECKING:
    from netops.lab.frr import FrrLab

__all__ = [
    "AGENT_USER",
    "HotspotOptions",
    "Lab",
    "LabStatus",
    "agent_answers",
    "agent_command",
    "down",
    "lab_namespaces",
    "load_specs",
    "ssh_answers",
    "status",
    "tcp_answers",
]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class HotspotOptions:
    """Where the simulated gateways send their citizens: RADIUS, portal; how busy they are."""

    radius: str | None = None  # ADDR:AUTHPORT (default: the inventory's services.radius)
    acct_port: int | None = None
    portal: str | None = None  # URL (default: the inventory's services.portal.url)
    listen: str = "127.0.0.1:8090"  # first gateway's web side; port 0: any
    citizens: int = 3
    interim: float = 15.0


@dataclass(frozen=True)
class LabStatus:
    """What runs after ``up``: agents, routers, the supervisor's health URL."""

    agents: tuple[AgentPlan, ...]
    routers: tuple[str, ...]
    health: str
    notes: tuple[str, ...]
    already_up: bool = False
    gateways: dict[str, str] = field(default_factory=dict)
    ssh_targets: tuple[SshTarget, ...] = ()
    routeros: tuple[RouterOSTarget, ...] = ()


class Lab:
    """The simulated lab for one lab inventory, with its state under ``directory``."""

    def __init__(self, inventory: Inventory, directory: Path, prefix: str = LAB_PREFIX) -> None:
        self.internet_url: str | None = None
        self._phone_ports: dict[str, int] = {}
        self.inventory = inventory
        # Absolute: the folder's paths go to daemons (sshd, snmpsim) and the lab supervisor.
        self.dir = directory.absolute()
        self.prefix = prefix

    @property
    def lab_file(self) -> Path:
        return self.dir / "lab.json"

    @property
    def supervisor_file(self) -> Path:
        return self.dir / "supervisor.json"

    # --- up ----------------------------------------------------------------------------

    def up(
        self,
        progress: Progress = lambda _: None,
        wait: float = 90.0,
        hotspots: HotspotOptions | None = None,
    ) -> LabStatus:
        """Start everything; tear down what was started if any step fails."""
        plan = plan_lab(self.inventory, self.prefix)
        targets, target_notes = plan_ssh_targets(self.inventory)
        routeros, routeros_notes = plan_routeros(self.inventory)
        notes = plan.notes + target_notes + routeros_notes
        live = running(self.supervisor_file)
        if live is not None:
            return LabStatus(
                plan.agents,
                plan.routers,
                str(live.get("health")),
                notes,
                already_up=True,
                gateways=self.gateways(),
                ssh_targets=targets,
                routeros=routeros,
            )
        if os.geteuid() != 0:
            raise SimulationError("netops lab up needs root (network namespaces, port 161)")
        leftovers = down(self.dir, self.prefix)
        if leftovers:
            progress("cleaned up an earlier lab: " + ", ".join(leftovers))
        frr = self._frr_lab(plan)
        self._check_foreign(frr)
        self._check_ports(plan)
        _check_tcp_ports(targets)
        _check_routeros_ports(routeros)
        self.dir.mkdir(parents=True, exist_ok=True)
        write_state(self.lab_file, self._record(frr))
        try:
            if frr is not None:
                progress(f"starting FRR routers in namespaces: {', '.join(plan.routers)}")
                frr.up()
            # Chosen first (the gateways need the internet's URL), started last: Kannel's
            # own connections take ephemeral ports, after the gateways hold theirs.
            phone = self._phone_services(progress)
            specs = (
                self._agents(plan)
                + self._ssh_targets(targets)
                + self._routeros(routeros)
                + self._hotspots(plan, hotspots or HotspotOptions())
                + phone
            )
            health_port = _free_tcp_port()
            self._start_supervisor(specs, health_port)
            progress(f"waiting for {len(plan.agents)} SNMP agents")
            self._wait_agents(plan, wait)
            self._wait_hotspots(plan, wait)
            self._wait_phone_services(phone, progress, wait)
            if targets:
                progress(f"waiting for {len(targets)} FakeNOS SSH targets")
            self._wait_ssh_targets(targets, wait)
            if routeros:
                progress(f"waiting for {len(routeros)} RouterOS lab devices")
            self._wait_routeros(routeros, wait)
        except BaseException:
            down(self.dir, self.prefix)
            raise
        return LabStatus(
            plan.agents,
            plan.routers,
            f"http://127.0.0.1:{health_port}/health",
            notes,
            gateways=self.gateways(),
            ssh_targets=targets,
            routeros=routeros,
        )

    def _routeros(self, targets: tuple[RouterOSTarget, ...]) -> list[ComponentSpec]:
        root = str(Path(self.inventory.root).resolve())
        return [
            ComponentSpec(
                f"ros-{t.device}",
                (
                    sys.executable,
                    "-m",
                    "netops.lab.routeros_target",
                    "--inventory",
                    root,
                    "--device",
                    t.device,
                    "--state-dir",
                    str(self.dir / "routeros" / t.device),
                ),
                log=self.dir / "log" / f"ros-{t.device}.log",
            )
            for t in targets
        ]

    def _wait_routeros(self, targets: tuple[RouterOSTarget, ...], wait: float) -> None:
        deadline = time.monotonic() + wait
        for target in targets:
            while not (
                tcp_answers(target.address, target.api_port)
                and ssh_answers(target.address, target.ssh_port)
            ):
                if time.monotonic() > deadline:
                    log = self.dir / "log" / f"ros-{target.device}.log"
                    raise SimulationError(
                        f"{target.device}: the RouterOS lab device at "
                        f"{', '.join(target.endpoints.values())} did not answer within "
                        f"{wait:g} s (its log ends: {_tail(log)})"
                    )
                time.sleep(0.1)

    def devices(self) -> list[dict[str, Any]]:
        """Every simulated device: its platform and the endpoints it serves
        (``api``/``api-ssl``, ``ssh``, ``snmp``) as ``host:port``."""
        plan = plan_lab(self.inventory, self.prefix)
        targets, _ = plan_ssh_targets(self.inventory)
        routeros, _ = plan_routeros(self.inventory)
        endpoints: dict[str, dict[str, str]] = {}
        for agent in plan.agents:
            endpoints.setdefault(agent.device, {})["snmp"] = agent.endpoint
        for t in targets:
            endpoints.setdefault(t.device, {})["ssh"] = t.endpoint
        for r in routeros:
            endpoints.setdefault(r.device, {}).update(r.endpoints)
        for name in plan.routers:
            device = self.inventory.device(name)
            endpoints.setdefault(name, {})["ssh"] = f"{device.mgmt_ip}:{device.ssh_port}"
        return [
            {
                "device": d.hostname,
                "platform": d.platform,
                "endpoints": dict(sorted(endpoints[d.hostname].items())),
            }
            for d in self.inventory.devices
            if d.hostname in endpoints
        ]

    def _ssh_targets(self, targets: tuple[SshTarget, ...]) -> list[ComponentSpec]:
        root = str(Path(self.inventory.root).resolve())
        return [
            ComponentSpec(
                f"ssh-{t.device}",
                (
                    sys.executable,
                    "-m",
                    "netops.lab.sshtarget_main",
                    "--inventory",
                    root,
                    "--device",
                    t.device,
                ),
                log=self.dir / "log" / f"ssh-{t.device}.log",
            )
            for t in targets
        ]

    def _wait_ssh_targets(self, targets: tuple[SshTarget, ...], wait: float) -> None:
        deadline = time.monotonic() + wait
        for target in targets:
            while not ssh_answers(target.address, target.port):
                if time.monotonic() > deadline:
                    log = self.dir / "log" / f"ssh-{target.device}.log"
                    raise SimulationError(
                        f"{target.device}: the FakeNOS SSH target at {target.endpoint} did not "
                        f"answer within {wait:g} s (its log ends: {_tail(log)})"
                    )
                time.sleep(0.1)

    def hotspot_file(self, hotspot: str) -> Path:
        return self.dir / f"hotspot-{hotspot}.json"

    def gateways(self) -> dict[str, str]:
        """hotspot id → URL of its simulated gateway, for the hotspots that run."""
        found = {}
        for spot in self.inventory.hotspots:
            doc = read_state(self.hotspot_file(spot.id))
            if doc is not None and isinstance(doc.get("url"), str):
                found[spot.id] = doc["url"]
        return found

    def _phone_services(self, progress: Progress) -> list[ComponentSpec]:
        """What phones need beyond the gateway: the stand-in internet their OS probes
        (``internet_url``, handed to each simulated gateway) and, when the inventory has a
        Kannel SMS gateway and Kannel is installed, Kannel with its test SMSC so phone
        sign-up works; its SMS land in :attr:`sms_log`. Without Kannel: one line, no
        phone sign-up."""
        logs = self.dir / "log"
        port = _free_tcp_port()
        self.internet_url = f"http://127.0.0.1:{port}"
        self._phone_ports["internet"] = port
        internet = ComponentSpec(
            "internet",
            (sys.executable, "-m", "netops.lab.internet", "--listen", f"127.0.0.1:{port}"),
            log=logs / "internet.log",
        )
        sms = self.inventory.services.sms
        if sms is None or sms.kind != "kannel":
            return [internet]
        why = kannel.missing()
        if why is not None:
            progress(f"Kannel is not installed ({why}): the lab runs without phone sign-up")
            return [internet]
        argv = [
            sys.executable, "-m", "netops.lab.kannel", "--dir", str(self.dir / "kannel"),
            "--sendsms", sms.url, "--username", sms.username or "",
        ]  # fmt: skip
        env = {kannel.PASSWORD_ENV: sms.password.reveal() if sms.password else ""}
        self._phone_ports["kannel"] = urlsplit(sms.url).port or 13013
        progress(f"Kannel with a test SMSC: the SMS the lab sends are in {self.sms_log}")
        return [internet, ComponentSpec("kannel", tuple(argv), env, log=logs / "kannel.log")]

    def _wait_phone_services(
        self, specs: list[ComponentSpec], progress: Progress, wait: float
    ) -> None:
        """Wait until the stand-in internet and Kannel's sendsms answer; a Kannel that does
        not is one line (the lab runs on without phone sign-up), not a failed lab."""
        ports = {s.name: port for s in specs if (port := self._phone_ports.get(s.name))}
        deadline = time.monotonic() + wait
        for name, port in ports.items():
            while not tcp_answers("127.0.0.1", port):
                if time.monotonic() > deadline:
                    log = self.dir / "log" / f"{name}.log"
                    if name == "kannel":
                        progress(f"Kannel did not start ({_tail(log)}): no phone sign-up")
                        break
                    raise SimulationError(
                        f"the stand-in internet did not start within {wait:g} s "
                        f"(its log ends: {_tail(log)})"
                    )
                time.sleep(0.1)

    @property
    def sms_log(self) -> Path:
        """Where the lab's SMS (phone sign-up codes) can be read: fakesmsc's log."""
        return self.dir / "kannel" / kannel.SMS_LOG

    def _hotspots(self, plan: LabPlan, options: HotspotOptions) -> list[ComponentSpec]:
        host, _, port = options.listen.rpartition(":")
        if not port.isdigit():
            raise SimulationError(f"gateway address {options.listen!r} is not ADDR:PORT")
        specs = []
        for index, spot in enumerate(plan.hotspots):
            listen = f"{host}:{int(port) + index if int(port) else 0}"
            argv = [
                sys.executable, "-m", "netops.lab.hotspot_main",
                "--inventory", str(Path(self.inventory.root).resolve()),
                "--hotspot", spot, "--state", str(self.hotspot_file(spot)),
                "--listen", listen, "--citizens", str(options.citizens),
                "--interim", str(options.interim),
            ]  # fmt: skip
            if options.radius:
                argv += ["--radius", options.radius]
            if options.acct_port:
                argv += ["--acct-port", str(options.acct_port)]
            if options.portal:
                argv += ["--portal", options.portal]
            argv += self._pushed_gateway(spot)
            if self.internet_url:
                argv += ["--internet", self.internet_url]
            specs.append(
                ComponentSpec(
                    f"hotspot-{spot}", tuple(argv), log=self.dir / "log" / f"hotspot-{spot}.log"
                )
            )
        return specs

    def _pushed_gateway(self, hotspot: str) -> list[str]:
        """``--device-state`` for a hotspot whose gateway is a RouterOS lab device: the
        simulated gateway then plays what ``netops config push`` put on that device."""
        gateway = self.inventory.hotspot(hotspot).gateway
        routeros, _ = plan_routeros(self.inventory)
        if not any(t.device == gateway for t in routeros):
            return []
        return ["--device-state", str(self.dir / "routeros" / gateway)]

    def _wait_hotspots(self, plan: LabPlan, wait: float) -> None:
        deadline = time.monotonic() + wait
        for spot in plan.hotspots:
            while read_state(self.hotspot_file(spot)) is None:
                if time.monotonic() > deadline:
                    log = self.dir / "log" / f"hotspot-{spot}.log"
                    raise SimulationError(
                        f"hotspot {spot}: the simulated gateway did not start within {wait:g} s "
                        f"(its log ends: {_tail(log)})"
                    )
                time.sleep(0.1)

    def _frr_lab(self, plan: LabPlan) -> FrrLab | None:
        if not plan.routers:
            return None
        from netops.lab.frr import FrrLab

        devices = [self.inventory.device(h) for h in plan.routers]
        lab = FrrLab.from_inventory(self.inventory, prefix=self.prefix, devices=devices)
        lab.workdir = self.dir / "frr"
        lab.workdir.mkdir(parents=True, exist_ok=True)
        return lab

    def _record(self, frr: FrrLab | None) -> dict[str, Any]:
        routers = (
            []
            if frr is None
            else [
                {
                    "hostname": r.hostname,
                    "namespace": r.namespace,
                    "mgmt_ip": str(r.mgmt_ip),
                    "mgmt_veth": r.mgmt_veth,
                    "ssh_port": r.ssh_port,
                }
                for r in frr.routers
            ]
        )
        return {
            "inventory": self.inventory.root,
            "prefix": self.prefix,
            "routers": routers,
            "created_at": time.time(),
        }

    def _check_foreign(self, frr: FrrLab | None) -> None:
        """Refuse to start when another lab holds the routers' management addresses."""
        if frr is None:
            return
        shown = subprocess.run(
            ["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=False
        ).stdout
        for router in frr.routers:
            wanted = f"{router.host_ip}/"
            for line in shown.splitlines():
                parts = line.split()
                if len(parts) > 3 and parts[3].startswith(wanted):
                    interface = parts[1]
                    raise SimulationError(
                        f"another lab already uses {router.host_ip} (interface {interface}): "
                        "the provisioning tests or a lab started elsewhere are running; wait "
                        "for them to finish, or stop that lab, then run `netops lab up` again"
                    )

    def _check_ports(self, plan: LabPlan) -> None:
        for agent in plan.agents:
            if agent.namespace is not None:
                continue
            ensure_free(
                agent.address,
                agent.port,
                udp=True,
                error=SimulationError,
                what=f"{agent.device}: udp {agent.endpoint}",
                advice="stop what holds it (a system snmpd?) or give the device another snmp_port",
            )

    def _agents(self, plan: LabPlan) -> list[ComponentSpec]:
        specs = []
        for agent in plan.agents:
            device = self.inventory.device(agent.device)
            for path in (self.dir, self.dir / "snmp"):
                path.mkdir(parents=True, exist_ok=True)
                path.chmod(0o755)
            argv = agent_command(
                self.dir / "snmp" / agent.device,
                render(device_records(self.inventory, device)),
                self.inventory.snmp[agent.profile],
                agent.endpoint,
            )
            if agent.namespace is not None:
                argv = ("ip", "netns", "exec", agent.namespace, *argv)
            specs.append(
                ComponentSpec(
                    f"snmp-{agent.device}", argv, log=self.dir / "log" / f"snmp-{agent.device}.log"
                )
            )
        return specs

    def _start_supervisor(self, specs: list[ComponentSpec], health_port: int) -> None:
        write_state(self.dir / "components.json", {"components": [_spec_json(s) for s in specs]})
        log = self.dir / "log" / "supervisor.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "netops",
                    "lab",
                    "run",
                    "--lab-dir",
                    str(self.dir),
                    "--health-port",
                    str(health_port),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        deadline = time.monotonic() + 20
        while running(self.supervisor_file) is None:
            if time.monotonic() > deadline:
                raise SimulationError(f"the lab supervisor did not start; see {log}")
            time.sleep(0.1)

    def _wait_agents(self, plan: LabPlan, wait: float) -> None:
        pending = list(plan.agents)
        deadline = time.monotonic() + wait
        while pending:
            agent = pending[0]
            if agent_answers(self.inventory.snmp[agent.profile], agent.address, agent.port):
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                log = self.dir / "log" / f"snmp-{agent.device}.log"
                raise SimulationError(
                    f"{agent.device}: the SNMP agent at {agent.endpoint} did not answer within "
                    f"{wait:g} s (its log ends: {_tail(log)})"
                )
            time.sleep(0.2)


def _spec_json(spec: ComponentSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "argv": list(spec.argv),
        "env": dict(spec.env),
        "log": str(spec.log) if spec.log else None,
    }


def load_specs(directory: Path) -> list[ComponentSpec]:
    """The components ``lab up`` wrote for the lab supervisor."""
    doc = read_state(directory / "components.json")
    if doc is None:
        raise SimulationError(f"{directory / 'components.json'} is missing or unreadable")
    return [
        ComponentSpec(
            c["name"],
            tuple(c["argv"]),
            dict(c.get("env") or {}),
            log=Path(c["log"]) if c.get("log") else None,
        )
        for c in doc["components"]
    ]


# --- down ------------------------------------------------------------------------------


def lab_namespaces(prefix: str = LAB_PREFIX) -> list[str]:
    """Network namespaces the lab owns (named ``<prefix>-…``), as the kernel lists them."""
    listed = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=False
    ).stdout
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    return [n for n in names if n.startswith(f"{prefix}-")]


def down(directory: Path, prefix: str = LAB_PREFIX) -> list[str]:
    """Stop the lab supervisor and its agents, remove FRR namespaces and the lab folder.

    Idempotent; returns what was removed (empty when nothing was there).
    """
    removed = [f"lab {item}" for item in stop_recorded(directory / "supervisor.json")]
    record = read_state(directory / "lab.json") or {}
    routers = []
    for r in record.get("routers") or []:
        with contextlib.suppress(KeyError, ValueError, TypeError):
            from netops.lab.frr import LabRouter

            routers.append(
                LabRouter(
                    r["hostname"],
                    r["namespace"],
                    ipaddress.IPv4Address(r["mgmt_ip"]),
                    r["mgmt_veth"],
                    int(r.get("ssh_port", 22)),
                )
            )
    known = {r.namespace for r in routers}
    strays = [n for n in lab_namespaces(prefix) if n not in known]
    if routers or strays:
        from netops.lab.frr import FrrLab, LabRouter

        for index, namespace in enumerate(strays):
            routers.append(
                LabRouter(
                    namespace.removeprefix(f"{prefix}-"),
                    namespace,
                    ipaddress.IPv4Address("127.0.0.1"),
                    f"{prefix[:8]}{index}m",
                )
            )
        present = set(lab_namespaces(prefix))
        lab = FrrLab(tuple(routers), workdir=directory / "frr")
        lab.down()
        removed += [f"namespace {r.namespace}" for r in routers if r.namespace in present]
    left = lab_namespaces(prefix)
    if left:
        raise SimulationError(f"could not remove network namespaces: {', '.join(left)}")
    shutil.rmtree(directory, ignore_errors=True)
    return removed


def status(directory: Path) -> dict[str, Any] | None:
    """The running lab supervisor's state, or None."""
    return running(directory / "supervisor.json")
