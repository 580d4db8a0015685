"""Load an inventory folder: parse every YAML file, merge, apply inheritance, validate.

Every problem is collected (YAML syntax, unknown keys, bad values, broken references) and
raised together as one :class:`InventoryError`, each issue with its file and line. The
cross-reference checks run on whatever did load, told what is missing (:class:`Gaps`), so a
file that does not parse or a record that does not validate is reported once, not again in
every record that points at it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from netops.errors import InventoryError, InventoryIssue
from netops.inventory.models import (
    Credentials,
    Device,
    Group,
    Hotspot,
    Inventory,
    Link,
    Maintenance,
    Meta,
    Plan,
    Prefix,
    Privacy,
    RadiusProfile,
    Record,
    Services,
    Site,
    SnmpProfile,
    Vlan,
)
from netops.inventory.secrets import Secret
from netops.inventory.validate import Gaps, check_inventory

LIST_SECTIONS: dict[str, type[Record]] = {
    "sites": Site,
    "devices": Device,
    "links": Link,
    "maintenance": Maintenance,
    "vlans": Vlan,
    "prefixes": Prefix,
    "hotspots": Hotspot,
    "plans": Plan,
}
PROFILE_SECTIONS: dict[str, type[Record]] = {
    "credentials": Credentials,
    "snmp": SnmpProfile,
    "radius": RadiusProfile,
}
SINGLE_SECTIONS: dict[str, type[Record]] = {
    "meta": Meta,
    "services": Services,
    "privacy": Privacy,
}
OTHER_SECTIONS = ("defaults", "groups")
ALL_SECTIONS = frozenset({*LIST_SECTIONS, *PROFILE_SECTIONS, *SINGLE_SECTIONS, *OTHER_SECTIONS})
INHERITED = ("platform", "credentials", "snmp", "radius", "ssh_port", "snmp_port")
MERGED = ("timeouts", "api", "data")
_NAME_KEY = {"sites": "id", "devices": "hostname", "hotspots": "id", "plans": "name"}
_NESTED = {
    "devices": ("interfaces",),
    "services": ("radius", "portal"),
    "privacy": ("dpo", "retention"),
}  # records in records
_STAND_IN = "unknown"  # fills a required inherited field while groups/defaults are incomplete
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]|$)", re.MULTILINE)
_SINGULAR = {
    "sites": "site",
    "devices": "device",
    "links": "link",
    "maintenance": "maintenance window",
    "vlans": "VLAN",
    "prefixes": "prefix",
    "hotspots": "hotspot",
    "plans": "plan",
    "credentials": "credentials profile",
    "snmp": "SNMP profile",
    "radius": "RADIUS profile",
    "meta": "meta",
    "services": "services",
    "privacy": "privacy",
    "groups": "group",
    "defaults": "defaults",
}


class _LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line it started on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """Safe YAML loader whose mappings carry their 1-based line number."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (dict, list)):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "a key must be a plain value, not a list or mapping",
                key_node.start_mark,
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _line(value: Any) -> int | None:
    return value.line if isinstance(value, _LineDict) else None


class _Collector:
    """Accumulates issues and the merged raw sections, each item tagged with its file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.issues: list[InventoryIssue] = []
        self.lists: dict[str, list[tuple[str, Any]]] = {k: [] for k in LIST_SECTIONS}
        self.groups: list[tuple[str, Any]] = []
        self.profiles: dict[str, dict[str, tuple[str, Any]]] = {k: {} for k in PROFILE_SECTIONS}
        self.singles: dict[str, tuple[str, Any]] = {}
        self.defaults: tuple[str, Any] | None = None
        self.lost: set[str] = set()  # sections a file that did not load may have held

    def issue(self, file: str, line: int | None, message: str) -> None:
        self.issues.append(InventoryIssue(file, line, message))

    def add_file(self, path: Path) -> None:
        file = _shown(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            self.issue(file, None, f"cannot read the file ({reason}){_consequence(None)}")
            self.lost |= ALL_SECTIONS
            return
        try:
            document = yaml.load(text, Loader=_LineLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            problem = exc.problem or exc.context
            ctx = exc.context_mark
            if exc.problem and exc.context and ctx and ctx.line + 1 != line:
                problem = f"{problem} ({exc.context} that starts on line {ctx.line + 1})"
            sections = frozenset(_TOP_KEY.findall(text)) & ALL_SECTIONS or None
            self.issue(file, line, f"YAML syntax error: {problem}{_consequence(sections)}")
            self.lost |= sections or ALL_SECTIONS
            return
        except yaml.reader.ReaderError as exc:
            line = text.count("\n", 0, exc.position) + 1
            sections = frozenset(_TOP_KEY.findall(text)) & ALL_SECTIONS or None
            self.issue(
                file,
                line,
                f"YAML syntax error: control character {exc.character!r} is not allowed"
                f"{_consequence(sections)}",
            )
            self.lost |= sections or ALL_SECTIONS
            return
        if document is None:
            return
        if not isinstance(document, dict):
            self.issue(
                file,
                1,
                f"the file must be a mapping of sections (sites:, devices:, …){_consequence(None)}",
            )
            self.lost |= ALL_SECTIONS
            return
        for section, body in document.items():
            self._add_section(file, section, body, _line(document))

    def _lose(self, file: str, line: int | None, section: str, message: str) -> None:
        """A section that is left out, said once, with what that means for the checks."""
        self.issue(file, line, f"{message}; until it is, references into it are not checked")
        self.lost.add(section)

    def _add_section(self, file: str, section: Any, body: Any, doc_line: int | None) -> None:
        line = _line(body) or doc_line
        if section in LIST_SECTIONS:
            if not isinstance(body, list):
                self._lose(file, line, section, f"section {section!r} must be a list")
                return
            self.lists[section].extend((file, item) for item in body)
        elif section in PROFILE_SECTIONS:
            if not isinstance(body, dict):
                self._lose(
                    file, line, section, f"section {section!r} must map profile names to settings"
                )
                return
            for name, item in body.items():
                if name in self.profiles[section]:
                    other = self.profiles[section][name][0]
                    self.issue(
                        file,
                        _line(item),
                        f"{_SINGULAR[section]} {name!r} is defined here and in {other}",
                    )
                    continue
                self.profiles[section][name] = (file, item)
        elif section in SINGLE_SECTIONS or section == "defaults":
            if not isinstance(body, dict):
                self._lose(file, line, section, f"section {section!r} must be a mapping")
                return
            if section in self.singles or (section == "defaults" and self.defaults):
                self.issue(file, line, f"section {section!r} is given in more than one file")
                return
            if section == "defaults":
                self.defaults = (file, body)
            else:
                self.singles[section] = (file, body)
        elif section == "groups":
            if isinstance(body, dict):
                for name, item in body.items():
                    if isinstance(item, dict):
                        entry = _LineDict({"name": name, **item})
                        entry.line = _line(item) or 0
                        entry.key_lines = getattr(item, "key_lines", {})
                        item = entry
                    self.groups.append((file, item))
            elif isinstance(body, list):
                self.groups.extend((file, item) for item in body)
            else:
                self._lose(file, line, "groups", "section 'groups' must be a mapping or a list")
        else:
            known = ", ".join([*SINGLE_SECTIONS, *LIST_SECTIONS, *PROFILE_SECTIONS, "groups"])
            self.issue(file, line, f"unknown section {section!r} (known: {known}, defaults)")


def _consequence(sections: frozenset[str] | None) -> str:
    """What a file that did not load means for the rest of the checks, said once."""
    if sections is None:
        return "; nothing in it is loaded, and references between files are not checked"
    names = ", ".join(f"'{s}'" for s in sorted(sections))
    what = f"section {names} is" if len(sections) == 1 else f"sections {names} are"
    return f"; until it is fixed, its {what} left out and references into it are not checked"


def _describe(section: str, raw: Any) -> str:
    kind = _SINGULAR[section]
    if isinstance(raw, dict):
        key = _NAME_KEY.get(section)
        if key and key in raw:
            return f"{kind} {raw[key]!r}"
        if section == "links" and "a" in raw:
            return f"link {raw['a']} -- {raw.get('b') or raw.get('provider')}"
        if section == "vlans" and "id" in raw:
            return f"VLAN {raw['id']}"
        if section == "prefixes" and "prefix" in raw:
            return f"prefix {raw['prefix']}"
        if section == "groups" and "name" in raw:
            return f"group {raw['name']!r}"
    return kind


def _nested_line(raw: Any, loc: tuple[int | str, ...]) -> int | None:
    """The line of the deepest mapping along ``loc`` in the raw YAML value."""
    best = _line(raw)
    node: Any = raw
    for part in loc:
        if isinstance(node, _LineDict):
            best = getattr(node, "key_lines", {}).get(str(part), best)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        best = _line(node) or best
    return best


def _explain(error: Any) -> str:
    loc = [str(p) for p in error["loc"] if not str(p).startswith(("function-", "lax-"))]
    field = ".".join(p for p in loc if not any(c in p for c in "[]") and "_v" not in p)
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"unknown field {field!r}"
    if error["type"] == "missing":
        return f"{field} is missing"
    given = error.get("input")
    shown = f" (got {given!r})" if isinstance(given, str | int | float) else ""
    return f"{field + ': ' if field else ''}{message}{shown}"


def _validate_record(
    collector: _Collector, section: str, model: type[Record], file: str, raw: Any
) -> Record | None:
    line = _line(raw)
    if not isinstance(raw, dict):
        collector.issue(file, line, f"each entry in {section!r} must be a mapping")
        return None
    data = {**raw, "origin": _origin(file, raw)}
    for key in _NESTED.get(section, ()):
        nested = raw.get(key)
        if isinstance(nested, dict):
            data[key] = {**nested, "origin": _origin(file, nested)}
        elif isinstance(nested, list):
            data[key] = [
                {**item, "origin": _origin(file, item)} if isinstance(item, dict) else item
                for item in nested
            ]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        seen: set[str] = set()
        for error in exc.errors():
            text = _explain(error)
            field = text.split(":")[0]
            if field in seen:
                continue  # a union reports each member; one sentence is enough
            seen.add(field)
            where = _nested_line(raw, tuple(error["loc"])) or line
            collector.issue(file, where, f"{_describe(section, raw)}: {text}")
        return None


def _shown(path: Path) -> str:
    """A file as a person finds it from where they ran netops: relative to the working
    folder when it lies inside it (the CLI hands the loader absolute paths), else as given."""
    try:
        return str(path.relative_to(Path.cwd())) if path.is_absolute() else str(path)
    except (OSError, ValueError):
        return str(path)


def _origin(file: str, raw: Any) -> dict[str, Any]:
    keys = getattr(raw, "key_lines", {})
    return {"file": file, "line": _line(raw), "keys": tuple(keys.items())}


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _group_chain(name: str, groups: dict[str, Group], seen: tuple[str, ...] = ()) -> list[Group]:
    """A group followed by its ancestors, depth first, each once; cycles stop the walk."""
    group = groups.get(name)
    if group is None or name in seen:
        return []
    chain = [group]
    for parent in group.groups:
        chain.extend(g for g in _group_chain(parent, groups, (*seen, name)) if g not in chain)
    return chain


def _inherit(raw: dict[str, Any], groups: dict[str, Group], defaults: dict[str, Any]) -> Any:
    """The device's raw mapping with inherited values filled in (own > groups > defaults)."""
    chain: list[Group] = []
    names = raw.get("groups") or ()
    if not isinstance(names, (list, tuple)):
        names = ()  # not a list: validation names the field and what it should be
    for name in names:
        chain.extend(g for g in _group_chain(str(name), groups) if g not in chain)
    layers: list[dict[str, Any]] = [
        g.model_dump(include={*INHERITED, *MERGED}, exclude_none=True) for g in chain
    ]
    layers.append({k: v for k, v in defaults.items() if k in (*INHERITED, *MERGED)})
    result = _LineDict(raw)
    result.line = _line(raw) or 0
    result.key_lines = getattr(raw, "key_lines", {})
    for key in INHERITED:
        if key not in result:
            for layer in layers:
                if layer.get(key) is not None:
                    result[key] = layer[key]
                    break
    for key in MERGED:
        if raw.get(key) is not None and not isinstance(raw.get(key), dict):
            continue  # not a mapping: validation names the field and what it should be
        merged: dict[str, Any] = {}
        for layer in reversed(layers):
            value = layer.get(key)
            if isinstance(value, dict):
                merged = _deep_merge(merged, value)
        if merged or key in raw:
            result[key] = _deep_merge(merged, raw.get(key) or {})
    return result


def _groups(collector: _Collector, fail: Callable[[str, Any], None]) -> dict[str, Group]:
    """The valid groups by name; a group defined twice is an issue, the second one wins."""
    groups: dict[str, Group] = {}
    for file, raw in collector.groups:
        group = _validate_record(collector, "groups", Group, file, raw)
        if isinstance(group, Group):
            if group.name in groups:
                collector.issue(file, _line(raw), f"group {group.name!r} is defined twice")
            groups[group.name] = group
        elif isinstance(raw, dict) and "name" in raw:
            fail("groups", raw["name"])
    return groups


def _profiles(
    collector: _Collector, root: Path, fail: Callable[[str, Any], None]
) -> dict[str, dict[str, Any]]:
    """The valid profiles of each profile section by name, their secrets bound."""
    profiles: dict[str, dict[str, Any]] = {}
    for section, model in PROFILE_SECTIONS.items():
        profiles[section] = {}
        for name, (file, raw) in collector.profiles[section].items():
            record = _validate_record(collector, section, model, file, raw)
            if record is not None:
                profiles[section][name] = _bind_secrets(
                    record, root, f"{_SINGULAR[section]} {name!r}"
                )
            else:
                fail(section, name)
    return profiles


def load_inventory(path: str | Path, *, check: bool = True) -> Inventory:
    """Load and validate the inventory folder ``path``; raise :class:`InventoryError` on any issue.

    Files are read in name order (subfolders included); list sections concatenate, profile
    sections merge by name. ``check=False`` skips the cross-reference checks.
    """
    root = Path(path)
    if not root.is_dir():
        raise InventoryError([InventoryIssue(str(root), None, "no such inventory folder")])
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    if not files:
        raise InventoryError([InventoryIssue(str(root), None, "the folder holds no YAML files")])
    collector = _Collector(root)
    for path_ in files:
        collector.add_file(path_)

    failed: dict[str, set[str]] = {}  # section -> names of records that did not validate

    def fail(section: str, name: Any) -> None:
        failed.setdefault(section, set()).add(str(name))

    singles: dict[str, Any] = {}
    for section, model in SINGLE_SECTIONS.items():
        if section in collector.singles:
            file, raw = collector.singles[section]
            singles[section] = _validate_record(collector, section, model, file, raw)
            if singles[section] is None:
                fail(section, section)
    if "meta" not in collector.singles and "meta" not in collector.lost:
        collector.issue(str(root), None, "no 'meta:' section (city: …, lab: true|false)")

    groups = _groups(collector, fail)
    defaults_raw: dict[str, Any] = collector.defaults[1] if collector.defaults else {}
    unknown_defaults = set(defaults_raw) - {*INHERITED, *MERGED}
    if collector.defaults and unknown_defaults:
        collector.issue(
            collector.defaults[0],
            _line(defaults_raw),
            f"defaults: unknown field(s) {', '.join(sorted(unknown_defaults))}",
        )
    # While groups or defaults are missing, a device cannot be blamed for lacking what it
    # would have inherited: a stand-in keeps it in the checks (the load fails anyway).
    inheritance_unsure = bool({"groups", "defaults"} & collector.lost or failed.get("groups"))

    records: dict[str, list[Any]] = {}
    for section, model in LIST_SECTIONS.items():
        records[section] = []
        for file, raw in collector.lists[section]:
            if section == "devices" and isinstance(raw, dict):
                raw = _inherit(raw, groups, defaults_raw)
                if inheritance_unsure and "platform" not in raw:
                    raw["platform"] = _STAND_IN
            record = _validate_record(collector, section, model, file, raw)
            if record is not None:
                records[section].append(record)
            elif isinstance(raw, dict) and _NAME_KEY.get(section) in raw:
                fail(section, raw[_NAME_KEY[section]])
            elif section in ("prefixes", "vlans"):
                fail(section, "?")  # nameless, but a prefix gone may hide a mismatch
    profiles = _profiles(collector, root, fail)

    meta = singles.get("meta")
    if meta is None and not check:
        raise InventoryError(collector.issues)
    services = singles.get("services") or Services()
    inventory = Inventory(
        root=str(root),
        # a stand-in while meta is broken or missing, so the other checks still run
        meta=meta or Meta(city="?"),
        services=_bind_service_secrets(services, root),
        privacy=singles.get("privacy"),
        groups=tuple(groups.values()),
        **{k: tuple(v) for k, v in records.items()},
        **profiles,
    )
    issues = list(collector.issues)
    if check:
        if meta is None:
            fail("meta", "meta")
        gaps = Gaps(
            failed={k: frozenset(v) for k, v in failed.items()},
            sections=frozenset(collector.lost),
        )
        issues.extend(check_inventory(inventory, gaps))
    if issues:
        raise InventoryError(issues)
    return inventory


def _bind_secrets(record: Record, root: Path, label: str) -> Any:
    """``record`` with each secret bound to the inventory folder and to where it is written,
    so a ``file:`` path is read relative to the folder and a failure names the reference."""
    base = root.resolve()
    origin = record.origin
    updates: dict[str, Secret] = {}
    for field, value in record:
        if isinstance(value, Secret):
            where = f"{origin.file}:{origin.line_of(field)}" if origin else str(root)
            updates[field] = value.bound(base, f"{label} field {field!r} at {where}")
    return record.model_copy(update=updates) if updates else record


def _bind_service_secrets(services: Services, root: Path) -> Services:
    if services.portal.uam_secret is None:
        return services
    portal = _bind_secrets(services.portal, root, "services.portal")
    return services.model_copy(update={"portal": portal})
