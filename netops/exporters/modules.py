"""SNMP modules as data: which OIDs to read and how each becomes a Prometheus metric.

A module file (``exporters/snmp/*.yml``) maps module names to definitions in the spirit of
snmp_exporter's ``snmp.yml``: numeric OIDs, metric name, type, index labels and label
look-ups. No MIB is compiled at run time. Loading is pure (text in, :class:`Module` out);
every problem is reported as an :class:`~netops.errors.ExporterError` naming the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from netops.errors import ExporterError

Oid = tuple[int, ...]

MetricType = Literal[
    "gauge",
    "counter",
    "DisplayString",
    "OctetString",
    "PhysAddress48",
    "IpAddr",
    "EnumAsInfo",
    "count",
]
IndexType = Literal["gauge", "DisplayString", "PhysAddress48", "IpAddr"]
LabelType = Literal["gauge", "DisplayString", "OctetString", "PhysAddress48", "IpAddr"]

#: The folder of module files shipped with netops (``exporters/snmp`` in the repository).
DEFAULT_MODULE_DIR = Path(__file__).resolve().parents[2] / "exporters" / "snmp"


def parse_oid(text: str | Oid) -> Oid:
    """``"1.3.6.1.2.1.1.3"`` (a leading dot is allowed) → ``(1, 3, 6, 1, 2, 1, 1, 3)``."""
    if isinstance(text, tuple):
        return text
    parts = str(text).strip().lstrip(".").split(".")
    try:
        oid = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"{text!r} is not a numeric OID") from None
    if len(oid) < 2 or any(p < 0 for p in oid):
        raise ValueError(f"{text!r} is not a numeric OID")
    return oid


def format_oid(oid: Oid) -> str:
    return ".".join(str(p) for p in oid)


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _IndexSpec(_Spec):
    labelname: str
    type: IndexType = "gauge"


class _LookupSpec(_Spec):
    labels: tuple[str, ...]
    labelname: str
    oid: str
    type: LabelType = "DisplayString"

    @field_validator("oid", mode="before")
    @classmethod
    def _oid(cls, value: Any) -> str:
        parse_oid(str(value))
        return str(value)


class _MetricSpec(_Spec):
    name: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    oid: str
    type: MetricType
    help: str = ""
    indexes: tuple[_IndexSpec, ...] = ()
    lookups: tuple[_LookupSpec, ...] = ()
    enum_values: dict[int, str] = Field(default_factory=dict)
    scale: float | None = None
    fallback: str | None = None
    count_by: tuple[str, ...] = ()

    @field_validator("oid", "fallback", mode="before")
    @classmethod
    def _oid(cls, value: Any) -> Any:
        if value is None:
            return None
        parse_oid(str(value))
        return str(value)


class _ModuleSpec(_Spec):
    description: str = ""
    max_repetitions: int = Field(default=25, ge=1, le=200)
    lookups: tuple[_LookupSpec, ...] = ()
    metrics: tuple[_MetricSpec, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Index:
    """One part of a table row's index, turned into a label."""

    labelname: str
    type: IndexType


@dataclass(frozen=True, slots=True)
class Lookup:
    """A label whose value is read from another column at the same index (ifName by ifIndex)."""

    labels: tuple[str, ...]
    labelname: str
    oid: Oid
    type: LabelType


@dataclass(frozen=True, slots=True)
class MetricDef:
    """One metric: a scalar (no indexes, read with GET of ``oid.0``) or a table column."""

    name: str
    oid: Oid
    type: MetricType
    help: str
    indexes: tuple[Index, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    enum_values: Mapping[int, str] = field(default_factory=dict)
    scale: float | None = None
    fallback: Oid | None = None
    count_by: tuple[str, ...] = ()

    @property
    def is_scalar(self) -> bool:
        return not self.indexes


@dataclass(frozen=True, slots=True)
class Module:
    """A named set of metrics and the SNMP requests that collect them."""

    name: str
    metrics: tuple[MetricDef, ...]
    max_repetitions: int = 25
    description: str = ""
    source: str = ""

    @property
    def columns(self) -> tuple[Oid, ...]:
        """Table columns to walk: metric columns, their 32-bit fallbacks and look-up columns."""
        seen: dict[Oid, None] = {}
        for metric in self.metrics:
            if metric.is_scalar:
                continue
            seen[metric.oid] = None
            if metric.fallback:
                seen[metric.fallback] = None
            for lookup in metric.lookups:
                seen[lookup.oid] = None
        return tuple(seen)

    @property
    def scalars(self) -> tuple[Oid, ...]:
        """Instances to GET: ``oid.0`` of every scalar metric."""
        return tuple(dict.fromkeys((*m.oid, 0) for m in self.metrics if m.is_scalar))


def _build_module(name: str, spec: _ModuleSpec, source: str) -> Module:
    module_lookups = tuple(
        Lookup(tuple(lk.labels), lk.labelname, parse_oid(lk.oid), lk.type) for lk in spec.lookups
    )
    metrics: list[MetricDef] = []
    for m in spec.metrics:
        indexes = tuple(Index(i.labelname, i.type) for i in m.indexes)
        index_names = {i.labelname for i in indexes}
        own = tuple(
            Lookup(tuple(lk.labels), lk.labelname, parse_oid(lk.oid), lk.type) for lk in m.lookups
        )
        inherited = tuple(
            lk
            for lk in module_lookups
            if indexes and set(lk.labels) <= index_names and lk not in own
        )
        lookups = own + inherited
        for lookup in lookups:
            missing = set(lookup.labels) - index_names
            if missing:
                raise ExporterError(
                    f"{source}: module {name}, metric {m.name}: look-up {lookup.labelname} "
                    f"needs index label(s) {', '.join(sorted(missing))} the metric does not have"
                )
        if m.type == "count" and not indexes:
            raise ExporterError(
                f"{source}: module {name}, metric {m.name}: a count metric needs indexes "
                "(it counts a table's rows)"
            )
        unknown_by = set(m.count_by) - index_names - {lk.labelname for lk in lookups}
        if unknown_by:
            raise ExporterError(
                f"{source}: module {name}, metric {m.name}: count_by names unknown label(s) "
                f"{', '.join(sorted(unknown_by))}"
            )
        metrics.append(
            MetricDef(
                name=m.name,
                oid=parse_oid(m.oid),
                type=m.type,
                help=m.help or m.name,
                indexes=indexes,
                lookups=lookups,
                enum_values=dict(m.enum_values),
                scale=m.scale,
                fallback=parse_oid(m.fallback) if m.fallback else None,
                count_by=tuple(m.count_by),
            )
        )
    return Module(
        name=name,
        metrics=tuple(metrics),
        max_repetitions=spec.max_repetitions,
        description=spec.description,
        source=source,
    )


def _where(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def parse_modules(text: str, source: str) -> dict[str, Module]:
    """Parse one module file's text; ``source`` names it in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ExporterError(f"{source}{line}: not valid YAML ({problem})") from None
    if not isinstance(data, dict) or not data:
        raise ExporterError(f"{source}: expected a mapping of module name to module definition")
    modules: dict[str, Module] = {}
    for name, body in data.items():
        if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
            raise ExporterError(f"{source}: module name {name!r} must be letters, digits, _ or -")
        try:
            spec = _ModuleSpec.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ExporterError(
                f"{source}: module {name}, {_where(first['loc'])}: {first['msg']}"
            ) from None
        modules[name] = _build_module(name, spec, source)
    return modules


def load_modules(folder: Path | None = None) -> dict[str, Module]:
    """Every module in every ``*.yml`` of ``folder`` (default: the shipped modules)."""
    folder = folder or DEFAULT_MODULE_DIR
    if not folder.is_dir():
        raise ExporterError(f"SNMP module folder {folder} does not exist")
    modules: dict[str, Module] = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ExporterError(f"{path}: cannot be read ({exc.strerror})") from None
        for name, module in parse_modules(text, str(path)).items():
            if name in modules:
                raise ExporterError(
                    f"{path}: module {name} is already defined in {modules[name].source}"
                )
            modules[name] = module
    if not modules:
        raise ExporterError(f"SNMP module folder {folder} holds no *.yml module file")
    return modules
