"""``netops config``: render, diff, push, back up and check device configurations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from netops import environment
from netops.cli.common import InventoryOpt, absolute_path, console, err_console, get_inventory
from netops.errors import NetopsError
from netops.inventory.models import Device, Inventory
from netops.provision import operations
from netops.provision.backup import commit_configs
from netops.provision.drivers import DEFAULT_CONFIRM_TIMEOUT
from netops.provision.operations import Options
from netops.provision.render import Redactor, render_all, write_rendered
from netops.provision.result import Result
from netops.provision.runner import DEFAULT_WORKERS, run, summary_table
from netops.timefmt import human, zone_of

app = typer.Typer(
    help="Render, diff, push (with rollback), back up and check device configurations.",
    no_args_is_help=True,
)

DeviceOpt = Annotated[
    str | None, typer.Option("--device", "-d", help="Only this device (hostname).")
]
SiteOpt = Annotated[str | None, typer.Option("--site", "-s", help="Only devices at this site.")]
RoleOpt = Annotated[
    str | None,
    typer.Option("--role", "-r", help="Only devices with this role (core, hotspot-gateway, …)."),
]
WorkersOpt = Annotated[
    int,
    typer.Option("--workers", "-w", min=1, help="Devices worked on at the same time."),
]
SessionLogOpt = Annotated[
    Path | None,
    typer.Option(
        "--session-log",
        help="Write each device's SSH session to DIR/<host>.log (secrets masked).",
        show_default=False,
        callback=absolute_path,
    ),
]
BackupDirOpt = Annotated[
    Path,
    typer.Option(
        "--backup-dir",
        help="Git repository of running configs (created if missing).",
        callback=absolute_path,
    ),
]
PruneOpt = Annotated[
    bool,
    typer.Option(
        "--prune",
        help="Also remove entries only on the device (RouterOS gateways and access points; "
        "other devices refuse it).",
    ),
]
DEFAULT_BACKUPS = Path("var/backups")


def _select(inv: Inventory, device: str | None, site: str | None, role: str | None) -> list[Device]:
    devices = list(inv.select(device=device, site=site, role=role))
    if not devices:
        wanted = ", ".join(
            f"{k} {v!r}" for k, v in (("device", device), ("site", site), ("role", role)) if v
        )
        raise NetopsError(f"no device in the inventory matches {wanted or 'the selection'}")
    return devices


def _redactor(inv: Inventory) -> Redactor:
    redactor = Redactor()
    redactor.add_inventory(inv)
    return redactor


def _show_diffs(results: list[Result]) -> None:
    for r in results:
        if r.diff:
            console.rule(f"[bold]{r.device}")
            console.print(escape(r.diff), end="")


def _finish(results: list[Result], title: str, facts: bool = False) -> None:
    console.print(summary_table(results, title, facts))
    failed = [r.device for r in results if r.failed]
    if failed:
        err_console.print(f"[red]{len(failed)} device(s) failed:[/] {', '.join(failed)}")
        raise typer.Exit(1)


@app.command()
def render(
    inventory: InventoryOpt = None,
    device: DeviceOpt = None,
    site: SiteOpt = None,
    role: RoleOpt = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder for the <host>.cfg files.", callback=absolute_path
        ),
    ] = Path("var/rendered"),
    with_secrets: Annotated[
        bool,
        typer.Option(
            "--with-secrets", help="Write real secret values instead of <secret:…> placeholders."
        ),
    ] = False,
) -> None:
    """Render the intended configuration of each selected device into OUT/<host>.cfg
    (RouterOS gateways and access points: OUT/<host>.rsc and the state as OUT/<host>.json)."""
    inv = get_inventory(inventory)
    rendered = render_all(
        inv,
        _select(inv, device, site, role),
        with_secrets=with_secrets,
        templates=environment.templates_dir(),
    )
    write_rendered(rendered, out)
    console.print(f"rendered {len(rendered)} device(s) into {out}")


@app.command()
def diff(
    inventory: InventoryOpt = None,
    device: DeviceOpt = None,
    site: SiteOpt = None,
    role: RoleOpt = None,
    workers: WorkersOpt = DEFAULT_WORKERS,
    session_log: SessionLogOpt = None,
    prune: PruneOpt = False,
) -> None:
    """Show intended vs running configuration for each selected device.

    RouterOS gateways and access points show one table of every difference (changed
    fields, missing entries, entries only on the device) and the operations a push sends.
    """
    inv = get_inventory(inventory)
    devices = _select(inv, device, site, role)
    options = Options(
        session_log_dir=session_log,
        redactor=_redactor(inv),
        prune=prune,
        templates=environment.templates_dir(),
    )
    results = run(operations.diff, inv, devices, options, workers, err_console, "diff")
    _show_diffs(results)
    _finish(results, "config diff")


@app.command()
def push(
    inventory: InventoryOpt = None,
    device: DeviceOpt = None,
    site: SiteOpt = None,
    role: RoleOpt = None,
    commit: Annotated[
        bool,
        typer.Option("--commit", help="Apply the changes (without it: dry run, shows the diff)."),
    ] = False,
    workers: WorkersOpt = DEFAULT_WORKERS,
    backup_dir: BackupDirOpt = DEFAULT_BACKUPS,
    session_log: SessionLogOpt = None,
    prune: PruneOpt = False,
    confirm_timeout: Annotated[
        float,
        typer.Option(
            "--confirm-timeout",
            min=1,
            help="Seconds a RouterOS device waits for the push to be verified before it "
            "restores the snapshot taken before it.",
        ),
    ] = DEFAULT_CONFIRM_TIMEOUT,
) -> None:
    """Bring devices to their intended config; dry run unless --commit.

    With --commit each changed device's running config is committed to the backup repository
    first, then the change is applied, saved and verified, and rolled back on failure.
    RouterOS gateways and access points also keep a snapshot on the device that a scheduler
    entry restores unless the push is verified within --confirm-timeout.
    """
    inv = get_inventory(inventory)
    devices = _select(inv, device, site, role)
    options = Options(
        commit=commit,
        session_log_dir=session_log,
        redactor=_redactor(inv),
        backup_dir=backup_dir if commit else None,
        prune=prune,
        confirm_timeout=confirm_timeout,
        templates=environment.templates_dir(),
    )
    label = "push" if commit else "push (dry run)"
    results = run(operations.push, inv, devices, options, workers, err_console, label)
    _show_diffs(results)
    # Each changed device's running config was written to the backup folder before the
    # change; commit them together.
    before = {r.device: r.running for r in results if r.running is not None}
    if before:
        saved = commit_configs(backup_dir, before, "before push")
        if saved.commit:
            console.print(f"running configs before the push: {backup_dir} {saved.commit[:10]}")
    if not commit and any(r.changed for r in results):
        console.print("dry run: nothing was changed; add --commit to apply")
    _finish(results, "config push" if commit else "config push (dry run)")


@app.command()
def backup(
    inventory: InventoryOpt = None,
    device: DeviceOpt = None,
    site: SiteOpt = None,
    role: RoleOpt = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Git repository of running configs.", callback=absolute_path
        ),
    ] = DEFAULT_BACKUPS,
    workers: WorkersOpt = DEFAULT_WORKERS,
    session_log: SessionLogOpt = None,
) -> None:
    """Save running configs into a git repository: one commit per run, changed files only."""
    inv = get_inventory(inventory)
    devices = _select(inv, device, site, role)
    options = Options(
        session_log_dir=session_log, redactor=_redactor(inv), templates=environment.templates_dir()
    )
    results = run(operations.fetch_running, inv, devices, options, workers, err_console, "backup")
    configs = {r.device: r.running for r in results if r.running is not None}
    stamp = human(datetime.now(UTC), zone_of(inv.meta.timezone))
    saved = commit_configs(out, configs, f"backup {stamp}") if configs else None
    for r in results:
        r.changed = bool(saved and r.device in saved.changed)
    if saved and saved.commit:
        console.print(
            f"committed {len(saved.changed)} changed config(s) to {out} ({saved.commit[:10]}): "
            + ", ".join(saved.changed)
        )
    else:
        console.print(f"no config changed since the last backup in {out}")
    _finish(results, "config backup")


@app.command()
def check(
    inventory: InventoryOpt = None,
    device: DeviceOpt = None,
    site: SiteOpt = None,
    role: RoleOpt = None,
    workers: WorkersOpt = DEFAULT_WORKERS,
    show_diff: Annotated[
        bool, typer.Option("--diff", help="Also print the drift of each device.")
    ] = False,
    session_log: SessionLogOpt = None,
) -> None:
    """Reachability, facts (version, uptime, serial) and drift of each selected device."""
    inv = get_inventory(inventory)
    devices = _select(inv, device, site, role)
    options = Options(
        session_log_dir=session_log, redactor=_redactor(inv), templates=environment.templates_dir()
    )
    results = run(operations.check, inv, devices, options, workers, err_console, "check")
    if show_diff:
        _show_diffs(results)
    _finish(results, "config check", facts=True)
