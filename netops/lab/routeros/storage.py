"""The lab RouterOS's menus as stored: the factory defaults, ``state.json``, the users, the
clock and the scheduler's timetable; the base of :class:`~netops.lab.routeros.state.DeviceState`."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from netops.lab.routeros.menus import path_specs
from netops.lab.routeros.records import (
    _FORMAT,
    FILES_DIR,
    STATE_FILE,
    Entry,
    Listener,
    Trap,
    _mac,
    _write_private,
    check_password,
    hash_password,
)
from netops.lab.routeros.schema import WIRELESS_PATH, PathSpec
from netops.lab.routeros.values import (
    format_date,
    format_datetime,
    parse_clock,
    parse_date,
    parse_duration,
)

log = logging.getLogger(__name__)


class MenuStorage:
    """The stored menus, users and timetable of one lab RouterOS."""

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

    def _notify(self, path: str, item_id: str, entry: Entry | None) -> None:
        for listener in list(self.listeners):
            try:
                listener(path, item_id, dict(entry) if entry is not None else None)
            except Exception:  # a broken subscriber must not break a command
                log.exception("listener failed")

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
