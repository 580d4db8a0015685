"""The lab RouterOS's configuration: menus of entries, the commands that change them,
persistence to JSON, derived dynamic entries, scripts, the scheduler and ``/export``.

Every API session, the scheduler and the SSH front share one :class:`DeviceState`; a lock
keeps each command atomic. Each change is written to ``state.json`` before the command
answers, so a restarted device comes back as it was.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from netops.files import write_atomic
from netops.lab.routeros.query import QueryError, compile_query, matches
from netops.lab.routeros.schema import EXPORT_ORDER, WIRELESS_PATH, PathSpec, path_specs
from netops.lab.routeros.values import (
    cli_quote,
    cli_split,
    format_date,
    format_datetime,
    format_duration,
    parse_clock,
    parse_date,
    parse_duration,
)

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
FILES_DIR = "files"
_FORMAT = 1
_PBKDF2_ROUNDS = 20_000
_LIST_COMMANDS = ("print", "getall", "add", "set", "unset", "remove", "move", "enable", "disable")
_PRINT_ARGS = {
    ".proplist",
    "detail",
    "without-paging",
    "terse",
    "brief",
    "count-only",
    "follow",
    "follow-only",
    "where",
    "value-list",
    "show-ids",
}
_VIEW_MEMBERS = ("interface", "interface/bridge", "interface/vlan")
_SPECIAL_REF_VALUES = {"none", "all", "static-only", "default", ""}

Entry = dict[str, str]
Listener = Callable[[str, str, "Entry | None"], None]


class Trap(Exception):
    """A command failed the way RouterOS answers with ``!trap``."""

    def __init__(self, message: str, category: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.category = category


@dataclass(frozen=True)
class Result:
    """What a command answered: rows for ``!re`` and an optional ``=ret=`` on ``!done``."""

    rows: list[Entry]
    ret: str | None = None


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), _PBKDF2_ROUNDS)
    return f"pbkdf2-sha256${salt}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    try:
        _, salt, _ = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, salt), stored)


def _mac(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return ":".join(f"{b:02X}" for b in (b"\x48\xa9\x8a" + digest[:3]))


class DeviceState:
    """One lab RouterOS's configuration and the commands on it (see module docstring).

    ``version`` is the RouterOS version string (``7.16``, ``6.49``); ``ports`` are the
    ethernet interfaces and ``wireless`` the radios the device has (read-only, as hardware).
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        version: str = "7.16",
        identity: str = "MikroTik",
        ports: tuple[str, ...] = ("ether1", "ether2", "ether3", "ether4", "ether5"),
        wireless: tuple[str, ...] = ("wlan1",),
        model: str = "RB952Ui-5ac2nD",
        time_zone: str = "UTC",
        service_ports: dict[str, int] | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.version = version
        self.major = version.split(".")[0]
        if self.major not in ("6", "7"):
            raise ValueError(f"RouterOS version {version!r} is not 6.x or 7.x")
        self.specs = path_specs(self.major)
        self.model = model
        self.lock = threading.RLock()
        self.started = time.time()
        self.listeners: list[Listener] = []
        self.on_reboot: list[Callable[[], None]] = []
        self.script_log: list[str] = []
        self._clear_passwords: dict[str, str] = {}
        self._next_run: dict[str, float] = {}
        self._serial = hashlib.sha256(identity.encode()).hexdigest()[:12].upper()
        self.tables: dict[str, list[Entry]] = {}
        self.settings: dict[str, Entry] = {}
        self.next_id = 1
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / FILES_DIR).mkdir(exist_ok=True)
        if (state_dir / STATE_FILE).exists():
            self._load_file(state_dir / STATE_FILE)
        else:
            self._factory(identity, ports, wireless, time_zone, service_ports or {})
            self.save()
        self._arm_all()

    # ------------------------------------------------------------------ set-up and files

    def _factory(
        self,
        identity: str,
        ports: tuple[str, ...],
        wireless: tuple[str, ...],
        time_zone: str,
        service_ports: dict[str, int],
    ) -> None:
        for path, spec in self.specs.items():
            if spec.kind == "list":
                self.tables[path] = []
            elif spec.kind == "settings":
                self.settings[path] = {k: v for k, v in spec.fields.items() if v is not None}
        self.settings["system/identity"]["name"] = identity
        self.settings["system/clock"]["time-zone-name"] = time_zone
        for port in ports:
            self.tables["interface"].append(
                {
                    ".id": self._new_id(),
                    "name": port,
                    "default-name": port,
                    "type": "ether",
                    "mtu": "1500",
                    "actual-mtu": "1500",
                    "l2mtu": "1598",
                    "mac-address": _mac(identity + port),
                    "running": "true",
                    "disabled": "false",
                    "dynamic": "false",
                }
            )
        for port in ports:
            self.tables["interface/ethernet"].append(
                {
                    ".id": self._new_id(),
                    "name": port,
                    "default-name": port,
                    "mtu": "1500",
                    "mac-address": _mac(identity + port),
                    "running": "true",
                    "disabled": "false",
                }
            )
        wpath = WIRELESS_PATH[self.major]
        for radio in wireless:
            entry = self._defaults(self.specs[wpath], {"name": radio})
            entry.update(
                {
                    "default-name": radio,
                    "mac-address": _mac(identity + radio),
                    "running": "false",
                }
            )
            self.tables[wpath].append(entry)
        self.tables["ip/hotspot/profile"].append(
            {**self._defaults(self.specs["ip/hotspot/profile"], {"name": "default"}), ".id": "*0"}
        )
        self.tables["ip/hotspot/profile"][0]["default"] = "true"
        uprof = self._defaults(self.specs["ip/hotspot/user/profile"], {"name": "default"})
        self.tables["ip/hotspot/user/profile"].append({**uprof, ".id": "*0", "default": "true"})
        trial = self._defaults(self.specs["ip/hotspot/user"], {"name": "default-trial"})
        trial.update(
            {".id": "*0", "dynamic": "true", "comment": "counters and limits for trial users"}
        )
        self.tables["ip/hotspot/user"].append(trial)
        community = self._defaults(self.specs["snmp/community"], {"name": "public"})
        self.tables["snmp/community"].append({**community, ".id": "*0", "default": "true"})
        services = {
            "telnet": 23,
            "ftp": 21,
            "www": 80,
            "ssh": 22,
            "www-ssl": 443,
            "api": 8728,
            "winbox": 8291,
            "api-ssl": 8729,
        }
        for name, number in services.items():
            entry = {
                ".id": self._new_id(),
                "name": name,
                "port": str(service_ports.get(name, number)),
                "address": "",
                "disabled": "true" if name == "www-ssl" else "false",
                "invalid": "false",
            }
            if name in ("www-ssl", "api-ssl"):
                entry["certificate"] = "none"
                entry["tls-version"] = "any"
            self.tables["ip/service"].append(entry)

    def _new_id(self) -> str:
        value = f"*{self.next_id:X}"
        self.next_id += 1
        return value

    def _load_file(self, path: Path) -> None:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a lab RouterOS state file ({exc})") from exc
        self._load_doc(doc, str(path))

    def _load_doc(self, doc: dict[str, Any], where: str) -> None:
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise ValueError(f"{where}: not a lab RouterOS state (format {_FORMAT})")
        if str(doc.get("major")) != self.major:
            raise ValueError(
                f"{where}: holds a RouterOS {doc.get('major')} configuration, "
                f"this device runs {self.version}"
            )
        self.tables = {k: [dict(e) for e in v] for k, v in doc["tables"].items()}
        self.settings = {k: dict(v) for k, v in doc["settings"].items()}
        self.next_id = int(doc["next_id"])
        for path, spec in self.specs.items():
            if spec.kind == "list":
                self.tables.setdefault(path, [])
            elif spec.kind == "settings":
                self.settings.setdefault(
                    path, {k: v for k, v in spec.fields.items() if v is not None}
                )

    def _doc(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "major": self.major,
            "version": self.version,
            "next_id": self.next_id,
            "tables": self.tables,
            "settings": self.settings,
        }

    def save(self) -> None:
        """Write the state atomically (temporary file, then rename), readable by owner only."""
        _write_private(self.state_dir / STATE_FILE, json.dumps(self._doc(), indent=1))

    @property
    def identity(self) -> str:
        return self.settings["system/identity"]["name"]

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.settings["system/clock"].get("time-zone-name", "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def now(self) -> datetime:
        return datetime.now(self.tz)

    # ------------------------------------------------------------------ users

    def ensure_user(self, name: str, password: str, group: str = "full") -> None:
        """Make ``name`` a user with ``password`` (the login the lab was started with)."""
        with self.lock:
            users = self.tables["user"]
            entry = next((u for u in users if u["name"] == name), None)
            if entry is None:
                entry = self._defaults(self.specs["user"], {"name": name, "group": group})
                users.append(entry)
            entry["password"] = hash_password(password)
            self._clear_passwords[name] = password
            self.save()

    def authenticate(self, name: str, password: str) -> bool:
        with self.lock:
            entry = next((u for u in self.tables["user"] if u["name"] == name), None)
            ok = (
                entry is not None
                and entry.get("disabled") != "true"
                and check_password(entry.get("password", ""), password)
            )
            if ok and entry is not None:
                self._clear_passwords[name] = password
                entry["last-logged-in"] = format_datetime(self.now(), self.major)
            return ok

    def authenticate_challenge(self, name: str, challenge: bytes, response: str) -> bool:
        """The pre-6.43 login: ``response`` is ``00`` + MD5(0x00 + password + challenge).

        Works for users whose password this process has seen (set or logged in with), since
        the state file keeps only a salted hash.
        """
        with self.lock:
            entry = next((u for u in self.tables["user"] if u["name"] == name), None)
            clear = self._clear_passwords.get(name)
            if entry is None or clear is None or entry.get("disabled") == "true":
                return False
            if not check_password(entry.get("password", ""), clear):
                return False
            want = "00" + hashlib.md5(b"\x00" + clear.encode() + challenge).hexdigest()
            return hmac.compare_digest(want, response.lower())

    # ------------------------------------------------------------------ command dispatch

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

    def run(
        self,
        command: str,
        args: dict[str, str] | None = None,
        query: list[str] | None = None,
        *,
        user: str = "admin",
    ) -> Result:
        """Run one API command (``/ip/pool/add`` with ``{"name": …}``); raises :class:`Trap`."""
        args = dict(args or {})
        query = list(query or [])
        spec, cmd = self.resolve(command)
        with self.lock:
            if cmd in ("print", "getall"):
                return self._print(spec, args, query)
            if cmd == "get":
                return self._get(spec, args)
            before = json.dumps(self._doc(), sort_keys=True)
            schedule = dict(self._next_run)
            try:
                result = self._mutate(spec, cmd, args, user)
            except Trap:
                # A command changes all it names or nothing, as on RouterOS.
                self._load_doc(json.loads(before), "the state before the command")
                self._next_run = schedule
                raise
            self._derive()
            after = json.dumps(self._doc(), sort_keys=True)
            if after != before:
                self.save()
            return result

    def _mutate(self, spec: PathSpec, cmd: str, args: dict[str, str], user: str) -> Result:
        if spec.kind == "settings":
            self._set_settings(spec, args)
            return Result([])
        if spec.path == "system/backup":
            return self._backup(cmd, args)
        if spec.path == "system":
            if args:
                raise self._unknown(next(iter(args)))
            self.reboot()
            return Result([])
        if spec.kind == "files":
            if cmd in ("add", "set"):
                return self._write_file(cmd, args)
            return self._remove_files(args)
        if cmd == "add":
            return Result([], self._add(spec, args, user))
        if cmd == "run":
            ids = self._ids(spec, args, "number")
            for item_id in ids:
                self.run_script(self._find(spec, item_id)["name"], user=user)
            return Result([])
        if cmd in ("set", "enable", "disable", "unset"):
            ids = self._ids(spec, args)
            args.pop(".id", None)
            args.pop("numbers", None)
            if cmd == "enable":
                args = {"disabled": "false"}
            elif cmd == "disable":
                args = {"disabled": "true"}
            elif cmd == "unset":
                name = args.pop("value-name", "")
                if args:
                    raise self._unknown(next(iter(args)))
                args = {f"!{n}": "" for n in name.split(",") if n}
            self._set(spec, ids, args)
            return Result([])
        if cmd == "remove":
            self._remove(spec, self._ids(spec, args))
            return Result([])
        if cmd == "move":
            self._move(spec, args)
            return Result([])
        raise Trap("no such command")

    # ------------------------------------------------------------------ print / get

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

    # ------------------------------------------------------------------ add / set / remove / move

    def _unknown(self, name: str) -> Trap:
        return Trap(f"unknown parameter {name}" if self.major == "7" else "unknown parameter")

    def _defaults(self, spec: PathSpec, given: Entry) -> Entry:
        entry: Entry = {".id": self._new_id()} if spec.kind == "list" else {}
        for name, default in spec.fields.items():
            if name in given:
                if given[name] != "" or default is not None:
                    entry[name] = given[name]
            elif default is not None:
                entry[name] = default
        for name in ("dynamic", "invalid", "default", "inactive"):
            if name in spec.read_only:
                entry.setdefault(name, "false")
        for name in ("bytes", "packets", "bytes-in", "bytes-out", "packets-in", "packets-out"):
            if name in spec.read_only:
                entry.setdefault(name, "0")
        if "uptime" in spec.read_only:
            entry.setdefault("uptime", "0s")
        return entry

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

    # ------------------------------------------------------------------ derived entries

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

    def _notify(self, path: str, item_id: str, entry: Entry | None) -> None:
        for listener in list(self.listeners):
            try:
                listener(path, item_id, dict(entry) if entry is not None else None)
            except Exception:  # a broken subscriber must not break a command
                log.exception("listener failed")

    # ------------------------------------------------------------------ files and backups

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

    def _backup_path(self, name: str) -> Path:
        name = name.removesuffix(".backup")
        if not name or "/" in name or name.startswith("."):
            raise Trap("invalid backup name", 1)
        return self.state_dir / FILES_DIR / f"{name}.backup"

    def _backup(self, cmd: str, args: dict[str, str]) -> Result:
        password = args.pop("password", "")
        args.pop("dont-encrypt", None)
        name = args.pop("name", None)
        if args:
            raise self._unknown(next(iter(args)))
        if cmd == "save":
            name = name or f"{self.identity}-{self.now():%Y%m%d-%H%M}"
            doc = self._doc()
            doc["password"] = hash_password(password) if password else ""
            _write_private(self._backup_path(name), json.dumps(doc, indent=1))
            return Result([])
        if not name:
            raise Trap("missing value(s) of argument(s) name", 1)
        self.load_backup(name, password)
        return Result([])

    def load_backup(self, name: str, password: str = "") -> None:
        """Restore the configuration saved as backup ``name``, like RouterOS's
        ``/system backup load``: the device then "reboots" (API sessions are dropped and
        startup schedules run)."""
        path = self._backup_path(name)
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise Trap("failure: no such backup file", 4) from exc
        if doc.get("password") and not check_password(doc["password"], password):
            raise Trap("failure: wrong password", 4)
        doc.pop("password", None)
        try:
            self._load_doc(doc, path.name)
        except ValueError as exc:
            raise Trap(f"failure: {exc}", 4) from exc
        self._derive()
        self.save()
        self.reboot()

    def reboot(self) -> None:
        """What ``/system reboot`` does to the lab device: uptime starts again, API
        sessions are dropped (by the server's callback) and ``startup`` schedules run."""
        self.started = time.time()
        self._next_run.clear()
        self._arm_all()
        for callback in list(self.on_reboot):
            callback()

    # ------------------------------------------------------------------ scripts and the scheduler

    def run_script(self, name_or_source: str, *, user: str = "admin") -> None:
        """Run a ``/system script`` by name, or script source text.

        The language is the part of RouterOS's console a restore needs: one command per
        line (``/system backup load name=before-change``, ``/ip pool add name=p ranges=…``),
        ``#`` comments, ``:log info "text"``, ``/system script run NAME``. A failing line
        stops the script and is logged, as RouterOS does.
        """
        with self.lock:
            script = next(
                (s for s in self.tables["system/script"] if s["name"] == name_or_source), None
            )
            if script is not None:
                script["run-count"] = str(int(script.get("run-count", "0")) + 1)
                script["last-started"] = format_datetime(self.now(), self.major)
                source = script.get("source", "")
                self.save()
            else:
                source = name_or_source
            for number, line in enumerate(source.replace(";", "\n").splitlines(), start=1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                try:
                    self._run_line(line, user)
                except Trap as exc:
                    self.script_log.append(f"script error: {exc.message} (line {number})")
                    log.warning("script error: %s (line %d)", exc.message, number)
                    return

    def _run_line(self, line: str, user: str) -> None:
        try:
            words = cli_split(line)
        except ValueError as exc:
            raise Trap(f"syntax error ({exc})", 3) from exc
        if words[0] == ":log":
            self.script_log.append(" ".join(words[2:]))
            return
        if words[0].startswith(":"):
            raise Trap(f"bad command name {words[0][1:]}", 3)
        menu: list[str] = []
        args: dict[str, str] = {}
        positional: list[str] = []
        for word in words:
            if "=" in word and not word.startswith("/"):
                key, _, value = word.partition("=")
                args[key] = value
            elif args or (menu and menu[-1] in (*_LIST_COMMANDS, "run", "save", "load")):
                positional.append(word)
            else:
                menu.extend(w for w in word.split("/") if w)
        if any("[" in p for p in positional) or any("[" in v for v in args.values()):
            raise Trap("expressions in [ ] are not supported by the lab device", 3)
        if positional:
            args.setdefault("number" if menu[-1] in ("run", "get") else "numbers", positional[0])
        self.run("/" + "/".join(menu), args, user=user)

    def _arm_all(self) -> None:
        self._next_run.clear()
        for entry in self.tables.get("system/scheduler", []):
            self._arm(entry, startup=True)

    def _arm(self, entry: Entry, *, startup: bool = False, after: float | None = None) -> None:
        """Work out when a schedule next runs, as RouterOS does.

        ``startup`` with no interval runs 3 s after the device starts (with an interval, every
        interval after that moment, not at boot); otherwise at ``start-date start-time`` and
        every ``interval`` after it; an interval of 0 runs once, at the start time, if ahead.
        """
        item_id = entry[".id"]
        self._next_run.pop(item_id, None)
        if entry.get("disabled") == "true":
            return
        now = time.time() if after is None else after
        interval = parse_duration(entry.get("interval", "0s"))
        if entry.get("start-time") == "startup":
            # As if start time were 3 s after boot; with an interval it does not run at
            # boot itself but every interval after that moment.
            base = self.started + 3
            if not interval:
                if startup:
                    self._next_run[item_id] = base
            else:
                periods = max(int((now - base) // interval) + 1, 1)
                self._next_run[item_id] = base + periods * interval
            return
        try:
            h, m, s = parse_clock(entry.get("start-time", "00:00:00"))
            day = parse_date(entry.get("start-date", format_date(date.today(), self.major)))
        except ValueError:
            return
        start = datetime(day.year, day.month, day.day, h, m, s, tzinfo=self.tz).timestamp()
        if start > now:
            self._next_run[item_id] = start
        elif interval:
            periods = int((now - start) // interval) + 1
            self._next_run[item_id] = start + periods * interval

    def due(self, now: float | None = None) -> list[str]:
        """Ids of schedules whose time has come."""
        now = time.time() if now is None else now
        with self.lock:
            return [i for i, t in self._next_run.items() if t <= now]

    def run_due(self, now: float | None = None) -> int:
        """Run every schedule that is due; the number run."""
        now = time.time() if now is None else now
        ran = 0
        for item_id in self.due(now):
            with self.lock:
                entry = next(
                    (e for e in self.tables["system/scheduler"] if e[".id"] == item_id), None
                )
                if entry is None:
                    self._next_run.pop(item_id, None)
                    continue
                entry["run-count"] = str(int(entry.get("run-count", "0")) + 1)
                self._arm(entry, after=now)
                self.save()
                event = entry.get("on-event", "")
                owner = entry.get("owner", "admin")
            self.run_script(event, user=owner)
            ran += 1
        return ran

    # ------------------------------------------------------------------ export

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


def _in_range(value: str, low: int, high: int) -> None:
    if not (value.isdigit() and low <= int(value) <= high):
        raise ValueError(value)


def _write_private(path: Path, text: str) -> None:
    write_atomic(path, text, mode=0o600, parents=False, error=None)
