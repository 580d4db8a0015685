"""Load an inventory folder: parse every YAML file, merge, apply inheritance, validate.

Every problem is collected (YAML syntax, unknown keys, bad values, broken references) and
raised together as one :class:`InventoryError`, each issue with its file and line.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from netops.errors import InventoryError, InventoryIssue
from netops.inventory.models import (
    Credentials,
    Device,
    Group,
    Hotspot,
    Inventory,
    Link,
    Meta,
    Plan,
    Prefix,
    RadiusProfile,
    Record,
    Services,
    Site,
    SnmpProfile,
    Vlan,
)
from netops.inventory.validate import check_inventory

LIST_SECTIONS: dict[str, type[Record]] = {
    "sites": Site,
    "devices": Device,
    "links": Link,
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
SINGLE_SECTIONS: dict[str, type[Record]] = {"meta": Meta, "services": Services}
OTHER_SECTIONS = ("defaults", "groups")
INHERITED = ("platform", "credentials", "snmp", "radius", "ssh_port", "snmp_port")
MERGED = ("timeouts", "data")
_NAME_KEY = {"sites": "id", "devices": "hostname", "hotspots": "id", "plans": "name"}
_SINGULAR = {
    "sites": "site",
    "devices": "device",
    "links": "link",
    "vlans": "VLAN",
    "prefixes": "prefix",
    "hotspots": "hotspot",
    "plans": "plan",
    "credentials": "credentials profile",
    "snmp": "SNMP profile",
    "radius": "RADIUS profile",
    "meta": "meta",
    "services": "services",
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
        self.unreadable = False  # a whole file could not be parsed

    def issue(self, file: str, line: int | None, message: str) -> None:
        self.issues.append(InventoryIssue(file, line, message))

    def add_file(self, path: Path) -> None:
        file = str(path)
        try:
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            self.issue(file, line, f"YAML syntax error: {exc.problem or exc.context}")
            self.unreadable = True
            return
        except (OSError, UnicodeDecodeError) as exc:
            self.issue(file, None, f"cannot read the file: {exc}")
            self.unreadable = True
            return
        if document is None:
            return
        if not isinstance(document, dict):
            self.issue(file, 1, "the file must be a mapping of sections (sites:, devices:, …)")
            return
        for section, body in document.items():
            self._add_section(file, section, body, _line(document))

    def _add_section(self, file: str, section: Any, body: Any, doc_line: int | None) -> None:
        line = _line(body) or doc_line
        if section in LIST_SECTIONS:
            if not isinstance(body, list):
                self.issue(file, line, f"section {section!r} must be a list")
                return
            self.lists[section].extend((file, item) for item in body)
        elif section in PROFILE_SECTIONS:
            if not isinstance(body, dict):
                self.issue(file, line, f"section {section!r} must map profile names to settings")
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
                self.issue(file, line, f"section {section!r} must be a mapping")
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
                self.issue(file, line, "section 'groups' must be a mapping or a list")
        else:
            known = ", ".join([*SINGLE_SECTIONS, *LIST_SECTIONS, *PROFILE_SECTIONS, "groups"])
            self.issue(file, line, f"unknown section {section!r} (known: {known}, defaults)")


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
    collector: _Collector, section: str, model: type[BaseModel], file: str, raw: Any
) -> BaseModel | None:
    line = _line(raw)
    if not isinstance(raw, dict):
        collector.issue(file, line, f"each entry in {section!r} must be a mapping")
        return None
    data = {**raw, "origin": {"file": file, "line": line}}
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
    for name in raw.get("groups", ()) or ():
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
        merged: dict[str, Any] = {}
        for layer in reversed(layers):
            merged = _deep_merge(merged, layer.get(key) or {})
        if merged or key in raw:
            result[key] = _deep_merge(merged, raw.get(key) or {})
    return result


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

    singles: dict[str, Any] = {}
    for section, model in SINGLE_SECTIONS.items():
        if section in collector.singles:
            file, raw = collector.singles[section]
            singles[section] = _validate_record(collector, section, model, file, raw)
    if "meta" not in collector.singles and not collector.issues:
        collector.issue(str(root), None, "no 'meta:' section (city: …, lab: true|false)")

    groups: dict[str, Group] = {}
    for file, raw in collector.groups:
        group = _validate_record(collector, "groups", Group, file, raw)
        if isinstance(group, Group):
            if group.name in groups:
                collector.issue(file, _line(raw), f"group {group.name!r} is defined twice")
            groups[group.name] = group
    defaults_raw: dict[str, Any] = collector.defaults[1] if collector.defaults else {}
    unknown_defaults = set(defaults_raw) - {*INHERITED, *MERGED}
    if collector.defaults and unknown_defaults:
        collector.issue(
            collector.defaults[0],
            _line(defaults_raw),
            f"defaults: unknown field(s) {', '.join(sorted(unknown_defaults))}",
        )

    records: dict[str, list[Any]] = {}
    broken: set[str] = set()  # names of records that did not validate
    for section, model in LIST_SECTIONS.items():
        records[section] = []
        for file, raw in collector.lists[section]:
            if section == "devices" and isinstance(raw, dict):
                raw = _inherit(raw, groups, defaults_raw)
            record = _validate_record(collector, section, model, file, raw)
            if record is not None:
                records[section].append(record)
            elif isinstance(raw, dict) and _NAME_KEY.get(section) in raw:
                broken.add(str(raw[_NAME_KEY[section]]))
    profiles: dict[str, dict[str, Any]] = {}
    for section, model in PROFILE_SECTIONS.items():
        profiles[section] = {}
        for name, (file, raw) in collector.profiles[section].items():
            record = _validate_record(collector, section, model, file, raw)
            if record is not None:
                profiles[section][name] = record

    if singles.get("meta") is None:
        raise InventoryError(collector.issues)
    inventory = Inventory(
        root=str(root),
        meta=singles["meta"],
        services=singles.get("services") or Services(),
        groups=tuple(groups.values()),
        **{k: tuple(v) for k, v in records.items()},
        **profiles,
    )
    issues = list(collector.issues)
    if check and not collector.unreadable:
        # Cross checks run on what did load, so every error is reported at once; an
        # issue that only follows from a record already reported broken is left out.
        issues.extend(
            issue
            for issue in check_inventory(inventory)
            if not any(f"'{name}'" in issue.message for name in broken)
        )
    if issues:
        raise InventoryError(issues)
    return inventory
