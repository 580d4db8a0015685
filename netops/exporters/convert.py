"""SNMP values → Prometheus metric families. Pure: no I/O, unit-tested on plain data.

The walker hands over what the agent returned, grouped by table column; this module applies
a :class:`~netops.exporters.modules.Module` to it the way snmp_exporter does (same metric
names, types and labels), adds the inventory's labels, and returns ``prometheus_client``
metric families for the text encoder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.metrics_core import Metric

from netops.exporters.modules import Index, Lookup, MetricDef, Module, Oid, format_oid

#: A value as the SNMP adapter hands it over: integers for every numeric type, bytes for
#: OCTET STRING and IpAddress, a tuple for an OBJECT IDENTIFIER.
Value = int | bytes | tuple[int, ...]
Labels = dict[str, str]


class _TypeName(str):
    """A metric type that compares unequal to ``"counter"``.

    ``prometheus_client``'s text encoder renames counters to ``<name>_total`` (the
    OpenMetrics convention). snmp_exporter, and the dashboards built on it, use the bare
    MIB names (``ifHCInOctets``), so exact-name counters carry this type: the encoder then
    writes ``# TYPE ifHCInOctets counter`` and the samples unchanged.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other == "counter":
            return False
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


_EXACT_COUNTER = _TypeName("counter")


def family(name: str, documentation: str, kind: str) -> Metric:
    """A metric family named exactly ``name`` (counters keep their name, no ``_total``)."""
    metric = Metric(name, documentation, "gauge" if kind == "counter" else kind)
    if kind == "counter":
        metric.type = _EXACT_COUNTER
    return metric


@dataclass
class ScrapeData:
    """What one scrape read: table columns (column OID → row index → value) and scalars."""

    columns: dict[Oid, dict[Oid, Value]] = field(default_factory=dict)
    scalars: dict[Oid, Value] = field(default_factory=dict)


def render(value: Value, kind: str) -> str:
    """A value as label text, formatted like snmp_exporter formats that type."""
    if kind == "PhysAddress48" and isinstance(value, bytes):
        # snmp_exporter pads short (e.g. loopback's empty) addresses to six zero bytes.
        return ":".join(f"{b:02X}" for b in value.ljust(6, b"\0"))
    if kind == "IpAddr" and isinstance(value, bytes) and len(value) == 4:
        return ".".join(str(b) for b in value)
    if kind == "OctetString" and isinstance(value, bytes):
        return "0x" + value.hex().upper() if value else ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, tuple):
        return format_oid(value)
    return str(value)


def parse_index(suffix: Oid, indexes: tuple[Index, ...]) -> tuple[Labels, dict[str, Oid]] | None:
    """Split a row's OID suffix into labels (and each label's sub-OID), or None if malformed."""
    labels: Labels = {}
    parts: dict[str, Oid] = {}
    pos = 0
    for index in indexes:
        if index.type == "gauge":
            width = 1
            if pos >= len(suffix):
                return None
            text = str(suffix[pos])
        elif index.type == "DisplayString":
            if pos >= len(suffix):
                return None
            width = 1 + suffix[pos]
            chars = suffix[pos + 1 : pos + width]
            if len(chars) != width - 1 or any(c > 255 for c in chars):
                return None
            text = bytes(chars).decode("utf-8", errors="replace")
        else:
            width = 6 if index.type == "PhysAddress48" else 4
            chunk = suffix[pos : pos + width]
            if len(chunk) != width or any(c > 255 for c in chunk):
                return None
            text = render(bytes(chunk), index.type)
        parts[index.labelname] = suffix[pos : pos + width]
        labels[index.labelname] = text
        pos += width
    if pos != len(suffix):
        return None
    return labels, parts


class _RowLabels:
    """Labels of table rows, computed once per (indexes, look-ups) and row, then shared."""

    def __init__(
        self,
        data: ScrapeData,
        base: Labels,
        port_labels: Mapping[str, Labels],
    ) -> None:
        self._data = data
        self._base = base
        self._ports = port_labels
        self._cache: dict[
            tuple[tuple[Index, ...], tuple[Lookup, ...]], dict[Oid, Labels | None]
        ] = {}

    def get(self, metric: MetricDef, suffix: Oid) -> Labels | None:
        key = (metric.indexes, metric.lookups)
        rows = self._cache.setdefault(key, {})
        if suffix in rows:
            return rows[suffix]
        parsed = parse_index(suffix, metric.indexes)
        labels: Labels | None = None
        if parsed is not None:
            labels, parts = parsed
            for lookup in metric.lookups:
                index = tuple(p for name in lookup.labels for p in parts[name])
                found = self._data.columns.get(lookup.oid, {}).get(index)
                labels[lookup.labelname] = "" if found is None else render(found, lookup.type)
            port = self._port(labels)
            labels = {**self._base, **port, **labels}
        rows[suffix] = labels
        return labels

    def _port(self, labels: Labels) -> Labels:
        for key in ("ifName", "ifDescr"):
            name = labels.get(key)
            if name and name in self._ports:
                return dict(self._ports[name])
        return {}


def _number(value: Value, scale: float | None) -> float | None:
    if not isinstance(value, int):
        return None
    return value * scale if scale is not None else float(value)


def _scalar_family(metric: MetricDef, value: Value, base: Labels) -> Metric | None:
    return _emit(metric, [(dict(base), value)])


def _emit(metric: MetricDef, rows: Iterable[tuple[Labels, Value]]) -> Metric | None:
    kind = metric.type
    if kind in ("gauge", "counter"):
        fam = family(metric.name, metric.help, kind)
        for labels, value in rows:
            number = _number(value, metric.scale)
            if number is not None:
                fam.add_sample(metric.name, labels, number)
        return fam
    if kind == "EnumAsInfo":
        name = f"{metric.name}_info"
        fam = family(name, metric.help, "gauge")
        for labels, value in rows:
            text = metric.enum_values.get(value, str(value)) if isinstance(value, int) else ""
            fam.add_sample(name, {**labels, metric.name: text}, 1.0)
        return fam
    fam = family(metric.name, metric.help, "gauge")
    for labels, value in rows:
        fam.add_sample(metric.name, {**labels, metric.name: render(value, kind)}, 1.0)
    return fam


def _count_family(metric: MetricDef, rows: list[Labels], base: Labels) -> Metric:
    fam = family(metric.name, metric.help, "gauge")
    counts: dict[tuple[tuple[str, str], ...], int] = {}
    for labels in rows:
        key = tuple((name, labels.get(name, "")) for name in metric.count_by)
        counts[key] = counts.get(key, 0) + 1
    if not metric.count_by and not counts:
        counts[()] = 0
    for key, count in sorted(counts.items()):
        fam.add_sample(metric.name, {**base, **dict(key)}, float(count))
    return fam


def build_families(
    modules: Iterable[Module],
    data: ScrapeData,
    base_labels: Mapping[str, str] | None = None,
    port_labels: Mapping[str, Labels] | None = None,
) -> list[Metric]:
    """Metric families for ``modules`` from ``data``.

    ``base_labels`` go on every series (the inventory's ``device``, ``site``, ``role``);
    ``port_labels`` maps an interface name to labels added to the series of the row whose
    ``ifName`` (or ``ifDescr``) is that name (the inventory link's far end, medium …).
    """
    base = dict(base_labels or {})
    rows = _RowLabels(data, base, port_labels or {})
    families: list[Metric] = []
    seen: set[str] = set()
    for module in modules:
        for metric in module.metrics:
            if metric.name in seen:
                continue
            seen.add(metric.name)
            if metric.is_scalar:
                value = data.scalars.get((*metric.oid, 0))
                if value is not None:
                    fam = _scalar_family(metric, value, base)
                    if fam is not None and fam.samples:
                        families.append(fam)
                continue
            column: dict[Oid, Value] = {}
            if metric.fallback is not None:
                column.update(data.columns.get(metric.fallback, {}))
            column.update(data.columns.get(metric.oid, {}))
            if metric.type == "count":
                labelled = [lb for s in column if (lb := rows.get(metric, s)) is not None]
                families.append(_count_family(metric, labelled, base))
                continue
            pairs: list[tuple[Labels, Any]] = []
            for suffix in sorted(column):
                labels = rows.get(metric, suffix)
                if labels is not None:
                    pairs.append((labels, column[suffix]))
            fam = _emit(metric, pairs)
            if fam is not None and fam.samples:
                families.append(fam)
    return families
