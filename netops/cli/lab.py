"""``netops lab``: the simulated city on this machine (SNMP agents, FRR routers, hotspot).

Thin: parse options, call ``netops.lab.runtime``, print with rich.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from netops.cli.common import InventoryOpt, absolute_path, console, err_console, get_inventory
from netops.cli.lab_gateway import gateway
from netops.cli.lab_gateway import tls as lab_tls
from netops.errors import NetopsError
from netops.inventory.models import Inventory
from netops.lab.citizen import Phone
from netops.lab.plan import LAB_PREFIX
from netops.lab.runtime import HotspotOptions, Lab, LabStatus, down, load_specs, status
from netops.service.model import ComponentStatus
from netops.service.run import supervise
from netops.service.state import read_state
from netops.service.supervisor import Event

app = typer.Typer(
    help="Simulated lab devices on this machine: SNMP agents, FRR routers, FakeNOS SSH "
    "targets, hotspot users.",
    no_args_is_help=True,
)

LabDirOpt = Annotated[
    Path,
    typer.Option(
        "--lab-dir",
        help="Folder for the lab's state, data and logs.",
        show_default=True,
        callback=absolute_path,
    ),
]
PrefixOpt = Annotated[
    str,
    typer.Option(
        "--namespace-prefix",
        help="Prefix of the lab's network namespace names (another prefix keeps two labs apart).",
    ),
]


@app.command("up")
def lab_up(
    inventory: InventoryOpt = None,
    lab_dir: LabDirOpt = Path("var/lab"),
    prefix: PrefixOpt = LAB_PREFIX,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for every simulated device.")
    ] = 90.0,
    radius: Annotated[
        str | None,
        typer.Option(
            "--radius",
            help="RADIUS server ADDR:AUTHPORT the simulated gateways use "
            "(default: the inventory's services.radius; a gateway that plays a RouterOS lab "
            "device uses what was pushed to it instead).",
        ),
    ] = None,
    radius_acct_port: Annotated[
        int | None,
        typer.Option(
            "--radius-acct-port",
            help="RADIUS accounting port (default: auth + 1 with --radius, else the inventory's).",
        ),
    ] = None,
    portal: Annotated[
        str | None,
        typer.Option(
            "--portal",
            help="Portal URL the gateways redirect to (default: the "
            "inventory's services.portal.url; a gateway that plays a RouterOS lab device "
            "serves its pushed login.html instead).",
        ),
    ] = None,
    gateway_listen: Annotated[
        str,
        typer.Option(
            "--gateway-listen",
            help="ADDR:PORT of the first simulated hotspot gateway's web side (port 0: any).",
        ),
    ] = "127.0.0.1:8090",
    citizens: Annotated[
        int, typer.Option("--citizens", min=0, help="Simulated citizens online per hotspot.")
    ] = 3,
    interim: Annotated[
        float,
        typer.Option(
            "--interim",
            min=1.0,
            help="Seconds between the gateways' "
            "Interim-Updates (a real NAS: the plan's interim_interval).",
        ),
    ] = 15.0,
) -> None:
    """Start the lab's simulated devices in the background (needs root).

    FRR routers run in network namespaces with sshd; RouterOS devices on loopback addresses
    run the RouterOS lab device (the RouterOS API at their api port, /export over SSH at
    their ssh_port, configuration kept); EOS and IOS devices on loopback addresses get a
    FakeNOS SSH server at their ssh_port (canned output: facts and show commands work,
    configuration is not kept); every device gets an SNMP agent with
    its inventory interfaces and growing traffic counters; each hotspot gets a simulated
    MikroTik gateway with citizens logging in through the portal and browsing.

    Leftovers of an earlier lab are removed first; a lab that is already up is left as is.
    """
    inv = get_inventory(inventory)
    lab = Lab(inv, lab_dir, prefix)
    options = HotspotOptions(radius, radius_acct_port, portal, gateway_listen, citizens, interim)
    result = lab.up(
        progress=lambda m: err_console.print(f"[dim]{m}[/]"), wait=wait, hotspots=options
    )
    if result.already_up:
        console.print(f"the lab is already up (health {result.health}); nothing to do")
    console.print(_device_table(inv, result))
    for note in result.notes:
        err_console.print(f"[yellow]note[/] {note}")
    for spot, url in result.gateways.items():
        console.print(f"hotspot {spot}: open {url}/ to browse like a phone at the hotspot")
    console.print(f"lab supervisor: {result.health}   stop with: netops lab down")


def _device_table(inv: Inventory, result: LabStatus) -> Table:
    """One row per inventory device: where its SNMP agent, SSH server and API answer."""
    table = Table(title="lab devices", title_justify="left")
    table.add_column("device")
    table.add_column("platform")
    table.add_column("SNMP")
    table.add_column("SSH")
    table.add_column("API")
    agents = {a.device: a for a in result.agents}
    fakes = {t.device: t for t in result.ssh_targets}
    ros = {t.device: t for t in result.routeros}
    for device in inv.devices:
        agent = agents.get(device.hostname)
        ssh = f"{device.mgmt_ip}:{device.ssh_port}" if device.hostname in result.routers else ""
        api = ""
        if device.hostname in fakes:
            ssh = f"{fakes[device.hostname].endpoint} (FakeNOS {fakes[device.hostname].nos})"
        if device.hostname in ros:
            target = ros[device.hostname]
            ssh = f"{target.address}:{target.ssh_port} (RouterOS {target.version} lab device)"
            api = f"{'api-ssl' if target.tls else 'api'} {target.address}:{target.api_port}"
        table.add_row(
            device.hostname,
            device.platform,
            f"udp {agent.endpoint}" + (f" (ns {agent.namespace})" if agent.namespace else "")
            if agent
            else "-",
            ssh or "-",
            api or "-",
        )
    return table


@app.command("down")
def lab_down(
    inventory: InventoryOpt = None,
    lab_dir: LabDirOpt = Path("var/lab"),
    prefix: PrefixOpt = LAB_PREFIX,
) -> None:
    """Stop every simulated device and remove the lab's namespaces and files.

    Works from what the lab recorded and what the kernel shows, so it also cleans up
    after a crash. Running it when nothing is up is not an error.
    """
    removed = down(lab_dir, prefix)
    console.print("lab down: " + ", ".join(removed) if removed else "lab down: nothing was up")


@app.command("login")
def lab_login(
    inventory: InventoryOpt = None,
    lab_dir: LabDirOpt = Path("var/lab"),
    hotspot: Annotated[
        str | None, typer.Option("--hotspot", help="Hotspot to join (default: the first).")
    ] = None,
) -> None:
    """Log one simulated citizen in through the portal at a lab hotspot.

    The phone opens a page through the hotspot's gateway, is redirected to the portal,
    accepts the terms for free Wi-Fi, and the gateway logs it in over RADIUS and starts
    accounting. Prints the RADIUS username the session is filed under. A gateway that
    plays its RouterOS lab device's pushed config is the phone's proxy: the phone reaches
    the portal through its walled garden.
    """
    inv = get_inventory(inventory)
    gateways = Lab(inv, lab_dir).gateways()
    if not gateways:
        raise NetopsError(
            f"no simulated hotspot runs under {lab_dir}; start the lab first with `netops lab up`"
        )
    spot = hotspot or next(iter(gateways))
    if spot not in gateways:
        raise NetopsError(f"hotspot {spot!r} is not running in the lab ({', '.join(gateways)})")
    lab = Lab(inv, lab_dir)
    pushed = (read_state(lab.hotspot_file(spot)) or {}).get("device_state")
    with Phone(via=gateways[spot] if pushed else None) as phone:
        joined = phone.join(gateways[spot])
    console.print(f"online at {spot} as {joined.username}")
    if pushed:
        gateway = inv.hotspot(spot).gateway
        console.print(
            f"through {gateway}'s pushed hotspot config (login.html, walled garden, RADIUS)"
        )
    console.print(f"status page: {joined.status_url}")


@app.command("status")
def lab_status(
    inventory: InventoryOpt = None,
    lab_dir: LabDirOpt = Path("var/lab"),
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="table, or json: the supervisor, its components and every simulated device "
            "with its platform and endpoints (api, ssh, snmp as host:port).",
        ),
    ] = "table",
) -> None:
    """Show whether the lab runs, and the state of each simulated device."""
    if fmt not in ("table", "json"):
        raise NetopsError(f"--format {fmt!r}: use table or json")
    doc = status(lab_dir)
    if fmt == "json":
        devices = Lab(get_inventory(inventory), lab_dir).devices() if doc is not None else []
        print(
            json.dumps(
                {
                    "running": doc is not None,
                    "pid": doc.get("pid") if doc else None,
                    "health": doc.get("health") if doc else None,
                    "components": doc.get("components", {}) if doc else {},
                    "devices": devices,
                },
                indent=2,
            )
        )
        if doc is None:
            raise typer.Exit(3)
        return
    if doc is None:
        console.print("the lab is not running")
        raise typer.Exit(3)
    table = Table(title=f"lab supervisor pid {doc['pid']} — {doc['health']}", title_justify="left")
    table.add_column("component")
    table.add_column("state")
    table.add_column("pid", justify="right")
    table.add_column("restarts", justify="right")
    for name, info in sorted(doc.get("components", {}).items()):
        table.add_row(
            name, str(info.get("state")), str(info.get("pid") or ""), str(info.get("restarts", 0))
        )
    console.print(table)


@app.command("run", hidden=True)
def lab_run(
    lab_dir: LabDirOpt = Path("var/lab"),
    health_port: Annotated[int, typer.Option("--health-port", help="Health endpoint port.")] = 0,
) -> None:
    """Supervise the lab's processes in the foreground (started by `netops lab up`)."""
    specs = load_specs(lab_dir)

    def show(event: Event) -> None:
        print(
            f"{time.strftime('%H:%M:%S')} {event.component} {event.kind} {event.message}",
            flush=True,
        )

    def ready(statuses: list[ComponentStatus], port: int) -> None:
        print(f"lab supervisor ready on port {port}", flush=True)

    asyncio.run(
        supervise(
            specs,
            lab_dir / "supervisor.json",
            "127.0.0.1",
            health_port,
            show,
            ready,
            extra_state={"kind": "lab"},
        )
    )


app.command("gateway")(gateway)
app.command("tls")(lab_tls)
