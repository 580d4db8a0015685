"""Changing the lab RouterOS's menus: ``add``, ``set``, ``remove``, ``move`` and settings, with
RouterOS's checks on values, references and keys, the derived dynamic entries and the files menu."""

from __future__ import annotations

import ipaddress
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from netops.lab.routeros.reading import MenuReading
from netops.lab.routeros.records import (
    _SPECIAL_REF_VALUES,
    _VIEW_MEMBERS,
    FILES_DIR,
    Entry,
    Result,
    Trap,
    _in_range,
    _mac,
    hash_password,
)
from netops.lab.routeros.schema import WIRELESS_PATH, PathSpec
from netops.lab.routeros.values import (
    format_date,
    format_duration,
    parse_clock,
    parse_date,
    parse_duration,
)

log = logging.getLogger(__name__)


class MenuEdits(MenuReading):
    """The write side of the menus."""

    def _check_values(self, spec: PathSpec, args: dict[str, str], allow_unset: bool) -> Entry:
        clean: Entry = {}
        for name, value in args.items():
            bare = name[1:] if allow_unset and name.startswith("!") else name
            if bare not in spec.fields:
                raise self._unknown(bare)
            if name.startswith("!"):
                clean[name] = ""
                continue
            if spec.is_bool(name) and value.lower() not in ("yes", "no", "true", "false"):
                raise Trap(f"value of {name} must be yes or no", 1)
            clean[name] = spec.normalise(name, value)
        self._validate_formats(spec, clean)
        return clean

    def _validate_formats(self, spec: PathSpec, values: Entry) -> None:
        for name, value in values.items():
            if name.startswith("!") or value == "":
                continue
            try:
                if name in ("interval", "ttl", "lease-time", "idle-timeout", "keepalive-timeout"):
                    if value not in ("none",):
                        parse_duration(value)
                elif name == "start-time" and value != "startup":
                    parse_clock(value)
                elif name == "start-date":
                    parse_date(value)
                elif spec.path == "ip/address" and name == "address":
                    ipaddress.ip_interface(value)
                elif spec.path == "ip/pool" and name == "ranges":
                    for part in value.split(","):
                        lo, _, hi = part.partition("-")
                        if "/" in lo and not hi:
                            ipaddress.ip_network(lo, strict=False)
                        else:
                            ipaddress.ip_address(lo)
                            if hi:
                                ipaddress.ip_address(hi)
                elif name == "vlan-id":
                    _in_range(value, 1, 4095)
                elif name in ("port", "authentication-port", "accounting-port"):
                    _in_range(value, 1, 65535)
            except ValueError as exc:
                raise Trap(f"value of {name} is invalid: {value}", 1) from exc

    def _check_refs(self, spec: PathSpec, entry: Entry) -> None:
        for name, target in spec.refs.items():
            value = entry.get(name)
            if value is None or value in _SPECIAL_REF_VALUES:
                continue
            names = {e.get("name") for e in self.entries(target)}
            if value not in names:
                raise Trap(f"input does not match any value of {name}", 1)
        if spec.path == "user" and entry.get("group") not in ("full", "read", "write"):
            raise Trap("input does not match any value of group", 1)

    def _check_key(self, spec: PathSpec, entry: Entry, rows: list[Entry]) -> None:
        if not spec.key or any(k not in entry for k in spec.key):
            return
        mine = tuple(entry[k] for k in spec.key)
        for other in rows:
            if other[".id"] == entry.get(".id") or other.get("dynamic") == "true":
                continue
            if all(k in other for k in spec.key) and tuple(other[k] for k in spec.key) == mine:
                raise Trap(spec.duplicate_message)
        if spec.path in ("interface/bridge", "interface/vlan", WIRELESS_PATH[self.major]):
            for other in self._interface_view():
                if other[".id"] != entry.get(".id") and other["name"] == entry.get("name"):
                    raise Trap(spec.duplicate_message)

    def _add(self, spec: PathSpec, args: dict[str, str], user: str) -> str:
        place_before = args.pop("place-before", None) if spec.ordered else None
        args.pop("copy-from", None)
        values = self._check_values(spec, args, allow_unset=False)
        rows = self.tables[spec.path]
        if "name" in spec.fields and not values.get("name"):
            if not spec.auto_name:
                raise Trap("missing value(s) of argument(s) name", 1)
            n = 1
            taken = {r.get("name") for r in self.entries(spec.path)}
            while f"{spec.auto_name}{n}" in taken:
                n += 1
            values["name"] = f"{spec.auto_name}{n}"
        missing = [r for r in spec.required if not values.get(r)]
        if missing:
            raise Trap(f"missing value(s) of argument(s) {','.join(missing)}", 1)
        if spec.path == "user" and "password" in values:
            self._clear_passwords[values["name"]] = values["password"]
            values["password"] = hash_password(values["password"])
        entry = self._defaults(spec, values)
        self._fill_computed(spec, entry, user)
        self._check_refs(spec, entry)
        self._check_key(spec, entry, rows)
        if place_before is not None:
            index = next((i for i, r in enumerate(rows) if r[".id"] == place_before), None)
            if index is None:
                raise Trap("no such item", 1)
            rows.insert(index, entry)
        else:
            rows.append(entry)
        self._notify(spec.path, entry[".id"], entry)
        if spec.path == "system/scheduler":
            self._arm(entry)
        return entry[".id"]

    def _fill_computed(self, spec: PathSpec, entry: Entry, user: str) -> None:
        if spec.path == "ip/address":
            iface = ipaddress.ip_interface(entry["address"])
            if "/" not in entry["address"]:
                entry["address"] = f"{iface.ip}/32"
                iface = ipaddress.ip_interface(entry["address"])
            entry.setdefault("network", str(iface.network.network_address))
            entry["actual-interface"] = entry["interface"]
        elif spec.path in ("interface/bridge", "interface/vlan", WIRELESS_PATH[self.major]):
            entry.setdefault("mac-address", _mac(self.identity + entry.get("name", "")))
            entry.setdefault("running", "true")
        elif spec.path == "system/scheduler":
            now = self.now()
            entry.setdefault("start-date", format_date(now.date(), self.major))
            entry.setdefault("start-time", f"{now:%H:%M:%S}")
            entry["start-date"] = format_date(parse_date(entry["start-date"]), self.major)
            entry["interval"] = format_duration(parse_duration(entry["interval"]))
            entry["owner"] = user
            entry["run-count"] = "0"
        elif spec.path == "system/script":
            entry["owner"] = user
            entry["run-count"] = "0"
            entry["invalid"] = "false"

    def _set(self, spec: PathSpec, ids: list[str], args: dict[str, str]) -> None:
        values = self._check_values(spec, args, allow_unset=True)
        for item_id in ids:
            owner = self._owner_of(spec, item_id)
            entry = self._find(owner, item_id)
            if entry.get("dynamic") == "true":
                raise Trap("failure: can not change dynamic entry")
            updated = dict(entry)
            for name, value in values.items():
                if name.startswith("!"):
                    bare = name[1:]
                    if bare in owner.required or bare == "name":
                        raise Trap(f"failure: can not unset {bare}")
                    default = owner.fields.get(bare)
                    if default is None:
                        updated.pop(bare, None)
                    else:
                        updated[bare] = default
                elif value == "" and owner.fields.get(name) is None:
                    if name in owner.required or name == "name":
                        raise Trap(f"value of {name} can not be empty", 1)
                    updated.pop(name, None)
                else:
                    updated[name] = value
            if (
                updated.get("name") != entry.get("name")
                and (entry.get("default") == "true" or "default-name" in entry)
                and owner.path not in ("interface", WIRELESS_PATH[self.major])
            ):
                raise Trap("failure: can not rename default entry")
            if owner.path == "user" and "password" in values:
                self._clear_passwords[updated["name"]] = values["password"]
                updated["password"] = hash_password(values["password"])
            if owner.path == "system/scheduler":
                try:
                    updated["interval"] = format_duration(parse_duration(updated["interval"]))
                    updated["start-date"] = format_date(
                        parse_date(updated["start-date"]), self.major
                    )
                except (KeyError, ValueError) as exc:
                    raise Trap(f"invalid schedule: {exc}", 1) from exc
            if owner.path == "ip/address" and updated["address"] != entry["address"]:
                updated.pop("network", None)
                self._fill_computed(owner, updated, "")
            self._check_refs(owner, updated)
            self._check_key(owner, updated, self.tables[owner.path])
            old_name = entry.get("name")
            entry.clear()
            entry.update(updated)
            if old_name is not None and updated.get("name") != old_name:
                self._rename_refs(owner.path, old_name, updated["name"])
            self._notify(owner.path, item_id, entry)
            if owner.path == "system/scheduler":
                self._arm(entry)

    def _rename_refs(self, path: str, old: str, new: str) -> None:
        targets = {path}
        if path in (*_VIEW_MEMBERS, WIRELESS_PATH[self.major]):
            targets.add("interface")
        for spec in self.specs.values():
            if spec.kind != "list":
                continue
            for name, target in spec.refs.items():
                if target in targets:
                    for row in self.tables[spec.path]:
                        if row.get(name) == old:
                            row[name] = new

    def _remove(self, spec: PathSpec, ids: list[str]) -> None:
        if not spec.can_remove:
            raise Trap("no such command")
        for item_id in ids:
            entry = self._find(spec, item_id)
            if entry.get("dynamic") == "true":
                raise Trap("failure: can not remove dynamic entry")
            if entry.get("default") == "true" or "default-name" in entry:
                raise Trap("failure: can not remove default entry")
        rows = self.tables[spec.path]
        rows[:] = [r for r in rows if r[".id"] not in ids]
        for item_id in ids:
            self._next_run.pop(item_id, None)
            self._notify(spec.path, item_id, None)

    def _move(self, spec: PathSpec, args: dict[str, str]) -> None:
        dest = args.pop("destination", None)
        ids = self._ids(spec, args)
        if args:
            raise self._unknown(next(iter(args)))
        rows = self.tables[spec.path]
        if dest is not None:
            dest = next((r[".id"] for r in rows if r[".id"] == dest or r.get("name") == dest), None)
            if dest is None:
                raise Trap("no such item")
        moving = [r for r in rows if r[".id"] in ids]
        moving.sort(key=lambda r: ids.index(r[".id"]))
        rest = [r for r in rows if r[".id"] not in ids]
        if dest is None or dest in ids:
            index = len(rest)
            if dest in ids:
                index = next(
                    (i for i, r in enumerate(rest) if rows.index(r) > rows.index(moving[-1])),
                    len(rest),
                )
        else:
            index = next(i for i, r in enumerate(rest) if r[".id"] == dest)
        rows[:] = rest[:index] + moving + rest[index:]
        for row in moving:
            self._notify(spec.path, row[".id"], row)

    def _set_settings(self, spec: PathSpec, args: dict[str, str]) -> None:
        args.pop("numbers", None)
        for name in args:
            bare = name.lstrip("!")
            if bare not in spec.fields:
                raise self._unknown(bare)
        values = self._check_values(spec, args, allow_unset=True)
        current = self.settings[spec.path]
        for name, value in values.items():
            if name.startswith("!"):
                default = spec.fields.get(name[1:])
                if default is None:
                    current.pop(name[1:], None)
                else:
                    current[name[1:]] = default
            else:
                current[name] = value
        if spec.path == "system/clock" and "time-zone-name" in values:
            try:
                ZoneInfo(values["time-zone-name"])
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise Trap("input does not match any value of time-zone-name", 1) from exc
            self._arm_all()
        self._notify(spec.path, "", current)

    def _derive(self) -> None:
        """Recompute dynamic entries: each running hotspot's profile ``dns-name`` is a
        dynamic static DNS entry resolving to the hotspot address."""
        wanted: list[tuple[str, str]] = []
        profiles = {p["name"]: p for p in self.tables["ip/hotspot/profile"]}
        for server in self.tables["ip/hotspot"]:
            if server.get("disabled") == "true":
                continue
            profile = profiles.get(server.get("profile", "default"))
            if profile is None or not profile.get("dns-name"):
                continue
            given = profile.get("hotspot-address", "0.0.0.0")
            address = (given if given != "0.0.0.0" else "") or self._interface_address(
                server.get("interface", "")
            )
            if address and (profile["dns-name"], address) not in wanted:
                wanted.append((profile["dns-name"], address))
        static = self.tables["ip/dns/static"]
        current = {
            (r["name"], r.get("address", "")): r for r in static if r.get("dynamic") == "true"
        }
        keep = []
        for name, address in wanted:
            row = current.pop((name, address), None)
            if row is None:
                row = self._defaults(
                    self.specs["ip/dns/static"], {"name": name, "address": address}
                )
                row["dynamic"] = "true"
                self._notify("ip/dns/static", row[".id"], row)
            keep.append(row)
        for row in current.values():
            self._notify("ip/dns/static", row[".id"], None)
        static[:] = keep + [r for r in static if r.get("dynamic") != "true"]

    def _interface_address(self, interface: str) -> str:
        for row in self.tables["ip/address"]:
            if row.get("interface") == interface and row.get("disabled") != "true":
                return row["address"].split("/")[0]
        return ""

    def _write_file(self, cmd: str, args: dict[str, str]) -> Result:
        """``/file add name= contents=`` (RouterOS 7.13+) and ``set .id= contents=``."""
        if cmd == "set":
            ident = args.pop(".id", None) or args.pop("numbers", None) or ""
            row = next((r for r in self._files() if ident in (r[".id"], r["name"])), None)
            if row is None:
                raise Trap("no such item")
            name = row["name"]
        else:
            name = args.pop("name", "")
        contents = args.pop("contents", "")
        if args:
            raise self._unknown(next(iter(args)))
        if not name or name.startswith(("/", ".")) or ".." in name.split("/"):
            raise Trap("invalid file name", 1)
        target = self.state_dir / FILES_DIR / name
        if cmd == "add" and target.exists():
            raise Trap("failure: already have such file")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(contents, encoding="utf-8")
        row = next(r for r in self._files() if r["name"] == name)
        return Result([], row[".id"]) if cmd == "add" else Result([])

    def _remove_files(self, args: dict[str, str]) -> Result:
        raw = args.pop(".id", None) or args.pop("numbers", None) or ""
        names = []
        for part in raw.split(","):
            row = next((r for r in self._files() if part in (r[".id"], r["name"])), None)
            if row is None:
                raise Trap("no such item")
            names.append(row["name"])
        for name in names:
            (self.state_dir / FILES_DIR / name).unlink(missing_ok=True)
        return Result([])
