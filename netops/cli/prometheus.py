"""``netops prometheus``: generate Prometheus files (targets, scrape config, rules) from the
inventory. ``targets`` and ``config`` live here; other modules register their commands on
the same ``app``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import yaml

from netops.cli.common import InventoryOpt, absolute_path, absolute_paths, console, get_inventory
from netops.errors import NetopsError
from netops.exporters.targets import (
    DEFAULT_EXPORTER,
    RADIUS_METRICS_PORT,
    probe_targets,
    prometheus_config,
    snmp_targets,
    split_host_port,
)
from netops.files import write_atomic

app = typer.Typer(
    help="Generate Prometheus targets, scrape configuration and rules from the inventory.",
    no_args_is_help=True,
)

REPO_RULES = Path(__file__).resolve().parents[2] / "exporters" / "prometheus" / "rules"


class Kind(StrEnum):
    snmp = "snmp"
    icmp = "icmp"


def _write(path: Path, text: str) -> None:
    """Write atomically (Prometheus re-reads file_sd files as they change)."""
    write_atomic(path, text)


def _host_port(text: str, option: str) -> str:
    """``text`` checked as ``HOST:PORT`` (Prometheus needs the port), or one clear error."""
    try:
        host, port = split_host_port(text)
    except NetopsError as exc:
        raise NetopsError(f"{option} {text!r}: {exc}") from None
    if port is None:
        raise NetopsError(f"{option} {text!r} needs a port: give HOST:PORT")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@app.command("targets")
def targets(
    inventory: InventoryOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            "-o",
            help="Write snmp.json and icmp.json here (default: print one kind to stdout).",
            callback=absolute_path,
        ),
    ] = None,
    kind: Annotated[
        Kind, typer.Option("--kind", "-k", help="What to print without --out-dir.")
    ] = Kind.snmp,
    site: Annotated[
        str | None, typer.Option("--site", "-s", help="Only this site's devices.")
    ] = None,
) -> None:
    """Prometheus file_sd target lists: SNMP targets (module, auth, labels) and ICMP targets."""
    inv = get_inventory(inventory)
    if site is not None and site not in {s.id for s in inv.sites}:
        raise NetopsError(f"site {site!r} is not in the inventory")
    lists = {"snmp": snmp_targets(inv, site), "icmp": probe_targets(inv, site)}
    if out_dir is None:
        typer.echo(json.dumps(lists[kind.value], indent=2))
        return
    for name, entries in lists.items():
        _write(out_dir / f"{name}.json", json.dumps(entries, indent=2) + "\n")
    console.print(
        f"wrote {len(lists['snmp'])} SNMP and {len(lists['icmp'])} ICMP targets to {out_dir}"
    )


@app.command("config")
def config(
    inventory: InventoryOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write prometheus.yml here (default: stdout).",
            callback=absolute_path,
        ),
    ] = None,
    targets_dir: Annotated[
        Path | None,
        typer.Option(
            "--targets-dir",
            help="Where `netops prometheus targets -o` writes (default: next to --out).",
            callback=absolute_path,
        ),
    ] = None,
    exporter: Annotated[
        str, typer.Option("--exporter", help="HOST:PORT of `netops exporter serve`.")
    ] = DEFAULT_EXPORTER,
    radius: Annotated[
        list[str] | None,
        typer.Option(
            "--radius",
            help="HOST:PORT of a RADIUS server's `--metrics-listen`; repeat for each "
            "(default: every services.radius.servers at --radius-metrics-port).",
        ),
    ] = None,
    radius_metrics_port: Annotated[
        int,
        typer.Option(
            "--radius-metrics-port",
            min=1,
            max=65535,
            help="Port of `netops radius serve --metrics-listen` on the inventory's servers.",
        ),
    ] = RADIUS_METRICS_PORT,
    portal: Annotated[
        list[str] | None,
        typer.Option(
            "--portal",
            help="HOST:PORT of a portal host; repeat for each (default: the host and port of "
            "services.portal.url). Scheme and TLS server name always come from that URL.",
        ),
    ] = None,
    rules_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--rules-file",
            help="Rule file(s) to load besides the shipped alert rules "
            "(default: netops-rules.yml next to --out, as `netops prometheus rules -o` writes).",
            callback=absolute_paths,
        ),
    ] = None,
    scrape_interval: Annotated[
        str, typer.Option("--scrape-interval", help="Prometheus scrape interval.")
    ] = "30s",
    scrape_timeout: Annotated[
        str, typer.Option("--scrape-timeout", help="Prometheus scrape timeout.")
    ] = "10s",
    with_targets: Annotated[
        bool,
        typer.Option("--with-targets", help="Also write the file_sd target files."),
    ] = False,
) -> None:
    """A prometheus.yml with every netops job and the multi-target relabelling."""
    inv = get_inventory(inventory)
    base = (out.parent if out else Path.cwd()).resolve()
    sd_dir = (targets_dir or base).resolve()
    rules = [str(REPO_RULES / "*.yml")]
    rules += (
        [str(p.resolve()) for p in rules_file] if rules_file else [str(base / "netops-rules.yml")]
    )
    data = prometheus_config(
        inv,
        sd_dir,
        rules,
        exporter=exporter,
        radius=[_host_port(r, "--radius") for r in radius or []],
        portal=[_host_port(p, "--portal") for p in portal or []],
        scrape_interval=scrape_interval,
        scrape_timeout=scrape_timeout,
        radius_metrics_port=radius_metrics_port,
    )
    text = (
        "# Generated by `netops prometheus config` from the inventory; regenerate, do not edit.\n"
        + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
    )
    if with_targets:
        _write(sd_dir / "snmp.json", json.dumps(snmp_targets(inv), indent=2) + "\n")
        _write(sd_dir / "icmp.json", json.dumps(probe_targets(inv), indent=2) + "\n")
    if out is None:
        typer.echo(text, nl=False)
        return
    _write(out, text)
    console.print(f"wrote {out} (targets read from {sd_dir})")
