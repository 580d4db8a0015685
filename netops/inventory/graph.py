"""The topology as a Graphviz picture: sites as boxes, links labelled with medium and capacity.

Leased provider uplinks are drawn red and bold so the rented capacity stands out.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from netops.errors import NetopsError
from netops.inventory.models import Inventory, Link

ROLE_COLOURS = {
    "core": "#1f4e79",
    "distribution": "#2e75b6",
    "switch": "#9dc3e6",
    "hotspot-gateway": "#548235",
    "access-point": "#a9d18e",
}
MEDIUM_STYLE = {
    "fiber": 'color="#1f4e79", penwidth=2',
    "wireless": 'color="#7f7f7f", style=dashed',
    "leased": 'color="#c00000", penwidth=3, fontcolor="#c00000", fontname="Helvetica-Bold"',
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _capacity(link: Link) -> str:
    mbps = link.capacity_mbps
    return f"{mbps / 1000:g} Gbps" if mbps >= 1000 else f"{mbps:g} Mbps"


def to_dot(inventory: Inventory) -> str:
    """Graphviz DOT text for the inventory's devices and links (deterministic)."""
    lines = [
        f"graph {_quote(inventory.meta.name or inventory.meta.city)} {{",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=10, '
        f"label={_quote(inventory.summary())}, labelloc=t];",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=9, '
        "fontcolor=white];",
        '  edge [fontname="Helvetica", fontsize=8];',
    ]
    for index, site in enumerate(inventory.sites):
        members = [d for d in inventory.devices if d.site == site.id]
        if not members:
            continue
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(
            f'    label={_quote(f"{site.name} ({site.kind})")}; style=rounded; color="#bfbfbf";'
        )
        for device in members:
            colour = ROLE_COLOURS.get(device.role, "#595959")
            fg = "black" if device.role in ("switch", "access-point") else "white"
            label = f"{device.hostname}\\n{device.role} · {device.platform}"
            lines.append(
                f'    {_quote(device.hostname)} [label="{label}", fillcolor="{colour}", '
                f"fontcolor={fg}];"
            )
        lines.append("  }")
    providers = sorted(
        {link.provider for link in inventory.links if link.is_uplink and link.provider}
    )
    for provider in providers:
        lines.append(
            f"  {_quote('provider:' + provider)} [label={_quote(provider)}, shape=ellipse, "
            'fillcolor="#c00000"];'
        )
    for link in inventory.links:
        style = MEDIUM_STYLE[link.medium]
        label = f"{link.medium} {_capacity(link)}"
        if link.monthly_cost_idr:
            label += f"\\nRp {link.monthly_cost_idr:,}/bln".replace(",", ".")
        far = link.b.device if link.b is not None else f"provider:{link.provider}"
        lines.append(
            f'  {_quote(link.a.device)} -- {_quote(far)} [label="{label}", '
            f"taillabel={_quote(link.a.interface)}, {style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_graph(inventory: Inventory, out: Path) -> Path:
    """Write the topology to ``out``: ``.svg``/``.png`` through Graphviz, ``.dot`` as text."""
    dot_text = to_dot(inventory)
    fmt = out.suffix.lower().lstrip(".")
    if fmt == "dot":
        out.write_text(dot_text, encoding="utf-8")
        return out
    if fmt not in ("svg", "png"):
        raise NetopsError(f"{out}: the picture must end in .svg, .png or .dot")
    dot = shutil.which("dot")
    if dot is None:
        raise NetopsError("Graphviz 'dot' is not installed (apt-get install graphviz)")
    result = subprocess.run(
        [dot, f"-T{fmt}", "-o", str(out)], input=dot_text.encode(), capture_output=True, check=False
    )
    if result.returncode != 0:
        raise NetopsError(f"Graphviz failed: {result.stderr.decode(errors='replace').strip()}")
    return out
