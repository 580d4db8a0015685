"""A copy of a lab inventory whose hotspot gateways point at this run's RADIUS and portal.

``make demo`` picks free ports when the inventory's (RADIUS 1812/1813, portal 8080) are in
use; the hotspot configuration it pushes to the lab RouterOS gateway must then carry those
ports, since the lab gateway plays only what was pushed. This writes such a copy (the
inventory's ``services.radius`` ports and ``services.portal.url`` changed, nothing else)
for ``netops config push`` to render from.

Run as ``python -m netops.lab.hotspot_inventory SRC DEST --auth-port N --acct-port N
--portal URL``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from netops.errors import NetopsError
from netops.inventory import load_inventory


def retarget(source: Path, dest: Path, *, auth_port: int, acct_port: int, portal_url: str) -> Path:
    """Copy the inventory at ``source`` to ``dest`` (replacing it) with the RADIUS ports and
    the portal URL changed; the copy is loaded once to prove it valid."""
    files = [p for p in sorted(source.glob("*.yml")) if "services" in (_load(p) or {})]
    if len(files) != 1:
        raise NetopsError(f"{source}: expected one file with services:, found {len(files)}")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest)
    target = dest / files[0].name
    doc = _load(target)
    services = doc["services"]
    services.setdefault("radius", {}).update(auth_port=auth_port, acct_port=acct_port)
    services.setdefault("portal", {})["url"] = portal_url
    target.write_text(
        f"# Copy of {source / files[0].name} with this run's RADIUS ports and portal URL.\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    )
    load_inventory(dest)
    return dest


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    return doc if isinstance(doc, dict) else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="netops-lab-hotspot-inventory", description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--auth-port", type=int, required=True)
    parser.add_argument("--acct-port", type=int, required=True)
    parser.add_argument("--portal", required=True, help="portal URL")
    args = parser.parse_args(argv)
    try:
        retarget(
            args.source.absolute(),
            args.dest.absolute(),
            auth_port=args.auth_port,
            acct_port=args.acct_port,
            portal_url=args.portal,
        )
    except (NetopsError, OSError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
