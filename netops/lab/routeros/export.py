"""``/export``: the lab RouterOS's configuration as the script RouterOS prints."""

from __future__ import annotations

import logging

from netops.lab.routeros.edits import MenuEdits
from netops.lab.routeros.records import (
    Entry,
)
from netops.lab.routeros.schema import EXPORT_ORDER, PathSpec
from netops.lab.routeros.values import (
    cli_quote,
    format_datetime,
)

log = logging.getLogger(__name__)


class MenuExport(MenuEdits):
    """The configuration as a RouterOS export script."""

    def export(self, *, terse: bool = False, show_sensitive: bool = False) -> str:
        """The configuration as RouterOS 7's ``/export`` prints it: defaults and dynamic
        entries left out, sensitive values hidden unless ``show_sensitive``."""
        with self.lock:
            now = self.now()
            lines = [
                f"# {format_datetime(now, self.major)} by RouterOS {self.version}",
                f"# software id = {self._serial[:4]}-{self._serial[4:8]}",
                "#",
                f"# model = {self.model}",
                f"# serial number = {self._serial}",
            ]
            for path in EXPORT_ORDER:
                spec = self.specs.get(path)
                if spec is None:
                    continue
                commands = self._export_section(spec, show_sensitive)
                if not commands:
                    continue
                header = "/interface ethernet" if path == "interface" else spec.cli_path
                if terse:
                    lines.extend(f"{header} {c}" for c in commands)
                else:
                    lines.append(header)
                    lines.extend(commands)
            return "\n".join(lines) + "\n"

    def _export_values(self, spec: PathSpec, entry: Entry, show_sensitive: bool) -> str:
        parts = []
        for name, default in spec.fields.items():
            if name not in entry or entry[name] == default:
                continue
            if name in spec.write_only and not show_sensitive:
                continue
            if spec.path == "ip/hotspot/user" and name == "password" and not show_sensitive:
                continue
            if name == "network" and spec.path == "ip/address":
                continue
            value = entry[name]
            if spec.is_bool(name):
                value = {"true": "yes", "false": "no"}.get(value, value)
            parts.append(f"{name}={cli_quote(value)}")
        if spec.path == "system/scheduler":
            parts = [p for p in parts if not p.startswith(("start-date=", "start-time="))]
            for name in ("start-date", "start-time"):
                if name in entry:
                    value = entry[name]
            if spec.is_bool(name):
                value = {"true": "yes", "false": "no"}.get(value, value)
            parts.append(f"{name}={cli_quote(value)}")
        return " ".join(sorted(parts, key=lambda p: p.split("=")[0]))

    def _export_section(self, spec: PathSpec, show_sensitive: bool) -> list[str]:
        if spec.kind == "settings":
            values = self._export_values(spec, self.settings[spec.path], show_sensitive)
            if spec.path == "system/identity":
                values = f"name={cli_quote(self.identity)}"
            return [f"set {values}"] if values else []
        if spec.kind != "list" or spec.path == "user":
            return []
        out = []
        for entry in self.tables[spec.path]:
            if entry.get("dynamic") == "true":
                continue
            values = self._export_values(spec, entry, show_sensitive)
            if entry.get("default") == "true":
                values = " ".join(p for p in values.split(" ") if not p.startswith("name="))
                if values:
                    out.append(f"set [ find default=yes ] {values}")
            elif "default-name" in entry:
                changed = values.replace(f"name={cli_quote(entry['name'])}", "").strip()
                if entry["name"] != entry["default-name"]:
                    changed = f"name={cli_quote(entry['name'])} {changed}".strip()
                if changed:
                    out.append(f"set [ find default-name={entry['default-name']} ] {changed}")
            elif spec.path == "ip/service":
                base = {
                    "address": "",
                    "disabled": "true" if entry["name"] == "www-ssl" else "false",
                }
                default_ports = {
                    "telnet": "23",
                    "ftp": "21",
                    "www": "80",
                    "ssh": "22",
                    "www-ssl": "443",
                    "api": "8728",
                    "winbox": "8291",
                    "api-ssl": "8729",
                }
                base["port"] = default_ports.get(entry["name"], "")
                shown = {**entry, "disabled": "yes" if entry["disabled"] == "true" else "no"}
                diffs = [
                    f"{k}={cli_quote(shown[k])}"
                    for k in ("address", "disabled", "port")
                    if entry.get(k, "") != base[k]
                ]
                if diffs:
                    out.append(f"set {entry['name']} {' '.join(diffs)}")
            else:
                out.append(f"add {values}".rstrip())
        return out
