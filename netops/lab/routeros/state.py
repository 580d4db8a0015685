"""The lab RouterOS's configuration: menus of entries, the commands that change them,
persistence to JSON, derived dynamic entries, scripts, the scheduler and ``/export``.

Every API session, the scheduler and the SSH front share one :class:`DeviceState`; a lock
keeps each command atomic. Each change is written to ``state.json`` before the command
answers, so a restarted device comes back as it was.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from netops.lab.routeros.export import MenuExport
from netops.lab.routeros.records import (
    _LIST_COMMANDS,
    FILES_DIR,
    STATE_FILE,
    Entry,
    Listener,
    Result,
    Trap,
    _write_private,
    check_password,
    hash_password,
)
from netops.lab.routeros.schema import PathSpec
from netops.lab.routeros.values import (
    cli_split,
    format_datetime,
)

log = logging.getLogger(__name__)

__all__ = [
    "FILES_DIR",
    "STATE_FILE",
    "DeviceState",
    "Entry",
    "Listener",
    "Result",
    "Trap",
    "check_password",
    "hash_password",
]


class DeviceState(MenuExport):
    """One lab RouterOS's configuration and the commands on it (see module docstring).

    ``version`` is the RouterOS version string (``7.16``, ``6.49``); ``ports`` are the
    ethernet interfaces and ``wireless`` the radios the device has (read-only, as hardware).
    """

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
