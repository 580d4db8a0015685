"""Reading the lab RouterOS's menus: resolving a command word, ``print`` and ``get``, the
read-only views (interfaces, files, facts) and item lookups by ``.id`` or name."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from netops.lab.routeros.query import QueryError, compile_query, matches
from netops.lab.routeros.records import (
    _LIST_COMMANDS,
    _PRINT_ARGS,
    _VIEW_MEMBERS,
    FILES_DIR,
    Entry,
    Result,
    Trap,
)
from netops.lab.routeros.schema import WIRELESS_PATH, PathSpec
from netops.lab.routeros.storage import MenuStorage
from netops.lab.routeros.values import (
    format_date,
    format_datetime,
    format_duration,
)

log = logging.getLogger(__name__)


class MenuReading(MenuStorage):
    """Command resolution and the read side of the menus."""

    def resolve(self, command: str) -> tuple[PathSpec, str]:
        """Split an API command word (``/ip/pool/add``) into its menu and command."""
        words = [w for w in command.strip("/").split("/") if w]
        if len(words) < 2:
            raise Trap("no such command prefix")
        path, cmd = "/".join(words[:-1]), words[-1]
        spec = self.specs.get(path)
        if spec is None:
            prefix = path + "/"
            if any(p.startswith(prefix) for p in self.specs):
                raise Trap("no such command")
            raise Trap("no such command prefix")
        known: tuple[str, ...]
        if spec.kind == "list":
            known = (*_LIST_COMMANDS, "get")
        elif spec.kind == "settings":
            known = ("print", "getall", "set", "get")
        elif spec.kind == "files":
            known = ("print", "getall", "add", "set", "remove")
        elif spec.commands:
            known = ()
        else:
            known = ("print", "getall")
        known = (*known, *spec.commands)
        if cmd not in known:
            raise Trap("no such command")
        if cmd == "add" and not spec.can_add:
            raise Trap("no such command")
        if cmd == "move" and not spec.ordered:
            raise Trap("no such command")
        return spec, cmd

    def entries(self, path: str) -> list[Entry]:
        """The entries of a menu as ``print`` shows them (write-only properties kept)."""
        spec = self.specs[path]
        if spec.kind == "settings":
            return [self._settings_row(spec)]
        if spec.kind == "facts":
            return [self._facts(spec)]
        if spec.kind == "files":
            return self._files()
        if path == "interface":
            return self._interface_view()
        rows = [dict(e) for e in self.tables[path]]
        if path == "system/scheduler":
            for row in rows:
                nxt = self._next_run.get(row[".id"])
                if nxt is not None and row.get("disabled") != "true":
                    row["next-run"] = format_datetime(
                        datetime.fromtimestamp(nxt, self.tz), self.major
                    )
        return rows

    def _print(self, spec: PathSpec, args: dict[str, str], query: list[str]) -> Result:
        for name in args:
            if name not in _PRINT_ARGS:
                raise self._unknown(name)
        try:
            steps = compile_query(query)
        except QueryError as exc:
            raise Trap(f"invalid query: {exc}", 1) from exc
        rows = []
        for row in self.entries(spec.path):
            shown = {k: v for k, v in row.items() if k not in spec.write_only}
            try:
                if matches(steps, shown):
                    rows.append(shown)
            except QueryError as exc:
                raise Trap(f"invalid query: {exc}", 1) from exc
        if "count-only" in args:
            return Result([], str(len(rows)))
        if ".proplist" in args:
            wanted = [p for p in args[".proplist"].split(",") if p]
            rows = [{k: r[k] for k in wanted if k in r} for r in rows]
        return Result(rows)

    def _get(self, spec: PathSpec, args: dict[str, str]) -> Result:
        name = args.pop("value-name", None)
        if name is None:
            raise Trap("missing value(s) of argument(s) value-name", 1)
        if spec.kind == "settings":
            row = self._settings_row(spec)
        else:
            ids = self._ids(spec, args, "number")
            row = next(r for r in self.entries(spec.path) if r[".id"] == ids[0])
        if name in spec.write_only or (spec.path == "user" and name == "password"):
            raise self._unknown(name)
        if name not in row and name not in spec.fields and name not in spec.read_only:
            raise self._unknown(name)
        return Result([], row.get(name, ""))

    def _settings_row(self, spec: PathSpec) -> Entry:
        row = dict(self.settings[spec.path])
        if spec.path == "ip/dns":
            row.setdefault("dynamic-servers", "")
            row.setdefault("cache-used", "24KiB")
        elif spec.path == "system/clock":
            now = self.now()
            row["time"] = f"{now:%H:%M:%S}"
            row["date"] = format_date(now.date(), self.major)
            offset = now.utcoffset() or timedelta(0)
            minutes = int(offset.total_seconds() // 60)
            sign = "+" if minutes >= 0 else "-"
            row["gmt-offset"] = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        elif spec.path == "system/ntp/client" and self.major == "7":
            row["status"] = "synchronized" if row.get("enabled") == "true" else "stopped"
        return row

    def _facts(self, spec: PathSpec) -> Entry:
        channel = "stable" if self.major == "7" else "long-term"
        if spec.path == "system/resource":
            return {
                "uptime": format_duration(int(time.time() - self.started)),
                "version": f"{self.version} ({channel})",
                "build-time": "2024-09-20 13:00:27" if self.major == "7" else "2023-04-19 10:23:58",
                "factory-software": "6.44.6",
                "free-memory": "195137536",
                "total-memory": "268435456",
                "cpu": "ARMv7",
                "cpu-count": "4",
                "cpu-frequency": "716",
                "cpu-load": "1",
                "free-hdd-space": "4218880",
                "total-hdd-space": "16777216",
                "architecture-name": "arm",
                "board-name": "hAP ac lite" if "952" in self.model else self.model,
                "platform": "MikroTik",
            }
        if spec.path == "system/routerboard":
            return {
                "routerboard": "true",
                "board-name": "hAP ac lite",
                "model": self.model,
                "serial-number": self._serial,
                "firmware-type": "qca9531L",
                "factory-firmware": "6.44.6",
                "current-firmware": self.version,
                "upgrade-firmware": self.version,
            }
        return {}

    def _interface_view(self) -> list[Entry]:
        rows = [dict(e) for e in self.tables["interface"]]
        for bridge in self.tables["interface/bridge"]:
            rows.append(
                {
                    ".id": bridge[".id"],
                    "name": bridge["name"],
                    "type": "bridge",
                    "mtu": bridge.get("mtu", "auto"),
                    "actual-mtu": "1500",
                    "l2mtu": "65535",
                    "mac-address": bridge.get("mac-address", ""),
                    "running": "true",
                    "disabled": bridge.get("disabled", "false"),
                    "dynamic": "false",
                    **({"comment": bridge["comment"]} if "comment" in bridge else {}),
                }
            )
        for vlan in self.tables["interface/vlan"]:
            rows.append(
                {
                    ".id": vlan[".id"],
                    "name": vlan["name"],
                    "type": "vlan",
                    "mtu": vlan.get("mtu", "1500"),
                    "actual-mtu": vlan.get("mtu", "1500"),
                    "l2mtu": "1594",
                    "mac-address": vlan.get("mac-address", ""),
                    "running": "true",
                    "disabled": vlan.get("disabled", "false"),
                    "dynamic": "false",
                    **({"comment": vlan["comment"]} if "comment" in vlan else {}),
                }
            )
        wpath = WIRELESS_PATH[self.major]
        for radio in self.tables[wpath]:
            rows.append(
                {
                    ".id": radio[".id"],
                    "name": radio["name"],
                    "type": "wlan" if self.major == "6" else "wifi",
                    "mtu": "1500",
                    "actual-mtu": "1500",
                    "l2mtu": "1600",
                    "mac-address": radio.get("mac-address", ""),
                    "running": radio.get("running", "false"),
                    "disabled": radio.get("disabled", "true"),
                    "dynamic": "false",
                    **({"comment": radio["comment"]} if "comment" in radio else {}),
                }
            )
        return rows

    def _files(self) -> list[Entry]:
        rows = []
        folder = self.state_dir / FILES_DIR
        paths = sorted(p for p in folder.rglob("*") if p.is_file())
        for index, path in enumerate(paths, start=1):
            stat = path.stat()
            created = datetime.fromtimestamp(stat.st_mtime, self.tz)
            kind = {".backup": "backup", ".rsc": "script"}.get(path.suffix, "file")
            row = {
                ".id": f"*{index:X}",
                "name": path.relative_to(folder).as_posix(),
                "type": kind,
                "size": str(stat.st_size),
                "creation-time": format_datetime(created, self.major),
            }
            if kind == "file" and stat.st_size < 4096:
                row["contents"] = path.read_text(encoding="utf-8", errors="replace")
            rows.append(row)
        return rows

    def _find(self, spec: PathSpec, item_id: str) -> Entry:
        for row in self.tables[spec.path]:
            if row[".id"] == item_id:
                return row
        raise Trap("no such item")

    def _ids(self, spec: PathSpec, args: dict[str, str], key: str = "numbers") -> list[str]:
        raw = args.pop(".id", None) or args.pop(key, None) or args.pop("numbers", None)
        if raw is None:
            raise Trap(f"missing value(s) of argument(s) {key}", 1)
        rows = self.entries(spec.path)
        ids = []
        for part in raw.split(","):
            part = part.strip()
            found = next(
                (r[".id"] for r in rows if r[".id"] == part or r.get("name") == part), None
            )
            if found is None:
                raise Trap("no such item")
            ids.append(found)
        return ids

    def _owner_of(self, spec: PathSpec, item_id: str) -> PathSpec:
        if spec.path != "interface":
            return spec
        for path in (*_VIEW_MEMBERS, WIRELESS_PATH[self.major]):
            if any(r[".id"] == item_id for r in self.tables[path]):
                return self.specs[path]
        raise Trap("no such item")
