"""The pure RouterOS planner: current state + intended state → typed operations + drift.

A state maps an API path (``/ip/pool``) to its entries, each a ``dict[str, str]`` in API
spelling; device entries carry ``.id`` (``*1A``). Nothing here does I/O: a driver reads the
current state, calls :func:`plan`, and applies the operations in the order given.

**Ownership.** An entry netops made carries a marker at the end of its ``comment``:
``RADIUS 1 [netops]`` (``[netops:1f2e3d4c]`` when the entry holds a secret, see below). The
human part stays first and readable in Winbox and ``/export``. Intended entries carry only
the human comment; the planner adds the marker. Owned entries are changed and removed as
the inventory changes; entries without the marker are the device's own: reported as drift
(``only-on-device``) and removed only with ``prune=True``. Dynamic, built-in and
``default=yes`` entries are never added, removed or adopted; the only change netops makes
to one is a field intended state names for it, by key or, with ``default=yes`` in the
intended entry, as "the device's default entry" whatever it is called (e.g. disable the
default SNMP community); such an entry is never added when the device lacks it. Menus
without a comment (hotspot profiles, DHCP options, files) mark ownership by a name prefix
(``hsprof-``, ``netops-``, ``hotspot-netops/``). Comments the old text templates wrote
(``netops: established``, ``netops RADIUS 1``) count as owned too. Settings menus and
fixed menus (``/ip/service``) are owned field by field: only the fields netops states are
compared. An unmarked entry identical to (or, on a keyed menu, with the key of) an
intended entry is adopted (``adopt=True``): that is how devices provisioned by the old text
push, which carry no marker, come under the planner without a second ``add`` failing.

**Secrets.** A write-only field (``/radius secret``, ``/user password``, SNMP v3 keys) is
sent on add. The device never shows it again, so to notice a changed secret the marker
carries a short keyed fingerprint: the first 8 hex digits of HMAC-SHA256 over the path and
the secret values, keyed with ``secret_key`` (a key only netops holds, so the comment does
not let anyone test guesses of a weak secret offline). ``secrets="fingerprint"`` (default)
re-sends a secret when its fingerprint changed; ``"on-add"`` sends secrets only on add;
``"always"`` sends them on every plan (never converges to an empty plan). A device that does
show the field is compared directly.

Matching follows Ansible's ``community.routeros`` ``api_modify``
(``plugins/modules/api_modify.py``): keyed menus by primary keys (``sync_with_primary_keys``),
menus without keys by the entry's fields with the cheapest match first (``match_entries``),
firewall chains stratified by ``chain`` and reordered with ``move`` (``ensure_order``).
Unlike ``api_modify``, an owned firewall rule whose fields changed but whose comment did
not is changed in place rather than removed and re-added.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from netops.errors import NetopsError
from netops.provision.routeros.schema import COMMON, SCHEMA, Kind, PathSchema

Entry = dict[str, str]
State = Mapping[str, list[Entry]]
SecretMode = Literal["fingerprint", "on-add", "always"]

MARKER = "netops"
#: Comments the text templates wrote before the marker existed (``netops: established``,
#: ``netops RADIUS 1``): owned, so the first plan rewrites them with the marker.
_LEGACY = re.compile(r"^netops(?::\s*|\s+)(?P<human>.*)$", re.DOTALL)
_MARK = re.compile(r"^(?P<human>.*?)\s*\[netops(?::(?P<fp>[0-9a-f]{8}))?\]$", re.DOTALL)


class PlanError(NetopsError):
    """Intended state the planner cannot handle, or a plan that does not fit a state."""


# --- ownership marker -------------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    """A comment split into its human part and netops's marker."""

    human: str
    owned: bool
    fingerprint: str | None = None


def parse_comment(text: str | None, *, legacy: bool = True) -> Comment:
    """``"RADIUS 1 [netops:1f2e3d4c]"`` → human ``RADIUS 1``, owned, fingerprint. With
    ``legacy``, a device comment the old templates wrote (``netops RADIUS 1``) is owned."""
    text = text or ""
    match = _MARK.match(text)
    if match is None:
        old = _LEGACY.match(text) if legacy else None
        if old is not None:
            return Comment(old.group("human"), True)
        return Comment(text, False)
    return Comment(match.group("human"), True, match.group("fp"))


def mark(human: str, fingerprint: str | None = None) -> str:
    """The comment netops writes: the human text, then ``[netops]`` or ``[netops:<fp>]``."""
    tag = f"[{MARKER}:{fingerprint}]" if fingerprint else f"[{MARKER}]"
    human = parse_comment(human, legacy=False).human
    return f"{human} {tag}" if human else tag


def fingerprint(key: bytes, path: str, secrets: Mapping[str, str]) -> str:
    """8 hex digits of HMAC-SHA256(key, path and the secret values)."""
    text = "\0".join([path, *(f"{k}={secrets[k]}" for k in sorted(secrets))])
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:8]


# --- operations and plan ----------------------------------------------------------------


@dataclass(frozen=True)
class Add:
    """Add an entry. ``ref`` names it (``+1``) for later operations of the same plan;
    ``before`` places it before an entry (``.id`` or ref), else at the end."""

    path: str
    values: Mapping[str, str]
    ref: str
    before: str | None = None


@dataclass(frozen=True)
class Set:
    """Change fields of an entry (``id`` None: the settings of a settings menu); ``unset``
    clears fields back to nothing (RouterOS ``!field`` / ``unset``)."""

    path: str
    id: str | None
    values: Mapping[str, str]
    unset: tuple[str, ...] = ()


@dataclass(frozen=True)
class Remove:
    path: str
    id: str


@dataclass(frozen=True)
class Move:
    """Move an entry before another (``.id`` or ref), or to the end when ``before`` is None
    (RouterOS ``move numbers=… destination=…``)."""

    path: str
    id: str
    before: str | None


Op = Add | Set | Remove | Move

DriftKind = Literal["only-on-device", "changed", "missing", "order", "conflict", "adopted"]


@dataclass(frozen=True)
class Drift:
    """One difference between device and intended state, for ``config diff``. ``fields``
    maps a field to (device value, intended value); secrets read ``<secret>``."""

    path: str
    kind: DriftKind
    what: str
    id: str | None = None
    fields: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def __str__(self) -> str:
        head = f"{self.path} {self.kind}: {self.what}".rstrip(": ")
        changes = ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in sorted(self.fields.items()))
        return f"{head} ({changes})" if changes else head


@dataclass(frozen=True)
class Plan:
    """The operations, in an order a device accepts, and the drift they come from."""

    ops: tuple[Op, ...] = ()
    drift: tuple[Drift, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.ops

    def __bool__(self) -> bool:
        return bool(self.ops)

    def lines(self, schema: Mapping[str, PathSchema] = SCHEMA) -> list[str]:
        """The operations as RouterOS CLI lines for a person (dry run, ``config diff``);
        write-only fields read ``<secret>``. ``+N`` stands for the entry added as ref N."""
        out = []
        for op in self.ops:
            menu = "/" + op.path[1:].replace("/", " ")
            hidden = schema[op.path].write_only if op.path in schema else frozenset()

            def words(values: Mapping[str, str], hidden: frozenset[str] = hidden) -> str:
                shown = {k: "<secret>" if k in hidden else v for k, v in values.items()}
                return " ".join(f"{k}={_quote(v)}" for k, v in shown.items())

            if isinstance(op, Add):
                where = f" place-before={op.before}" if op.before else ""
                out.append(f"{menu} add {words(op.values)}{where}  # {op.ref}")
            elif isinstance(op, Set):
                target = f" {op.id}" if op.id else ""
                unset = "".join(f" !{name}" for name in op.unset)
                out.append(f"{menu} set{target} {words(op.values)}{unset}".rstrip())
            elif isinstance(op, Remove):
                out.append(f"{menu} remove {op.id}")
            else:
                where = f" destination={op.before}" if op.before else ""
                out.append(f"{menu} move {op.id}{where}")
        return out


def _quote(value: str) -> str:
    if value and all(c.isalnum() or c in "-_./:@,*+" for c in value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


# --- planning ---------------------------------------------------------------------------


@dataclass
class _Ctx:
    prune: bool
    adopt: bool
    secrets: SecretMode
    secret_key: bytes | None
    refs: int = 0

    def ref(self) -> str:
        self.refs += 1
        return f"+{self.refs}"


@dataclass
class _PathPlan:
    removes: list[Op] = field(default_factory=list)
    changes: list[Op] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)


def plan(
    current: State,
    intended: State,
    *,
    prune: bool = False,
    adopt: bool = True,
    secrets: SecretMode = "fingerprint",
    secret_key: bytes | None = None,
    schema: Mapping[str, PathSchema] = SCHEMA,
) -> Plan:
    """The operations that turn ``current`` into ``intended``, and the drift between them.

    ``prune`` also removes entries that are only on the device (never dynamic or built-in
    ones); ``adopt`` takes unmarked entries that match an intended entry under netops's
    marker; ``secrets`` and ``secret_key`` choose how write-only fields converge (module
    docstring). Removals come first, dependents before what they use (reverse schema
    order); then changes and additions in schema order (a pool before the DHCP server and
    hotspot that use it); firewall moves follow their chain's additions.
    """
    for path in intended:
        if path not in schema:
            raise PlanError(f"netops has no schema for the RouterOS path {path}")
    if secrets == "fingerprint" and secret_key is None and _has_secrets(intended, schema):
        raise PlanError("fingerprinting RouterOS secrets needs a secret_key")
    ctx = _Ctx(prune, adopt, secrets, secret_key)
    parts: list[_PathPlan] = []
    for path, ps in schema.items():
        if path not in current and path not in intended:
            parts.append(_PathPlan())
            continue
        cur = list(current.get(path, []))
        want = list(intended.get(path, []))
        if ps.kind is Kind.SETTINGS:
            parts.append(_plan_settings(ps, cur, want))
        elif ps.kind is Kind.KEYED:
            parts.append(_plan_keyed(ps, cur, want, ctx))
        else:
            parts.append(_plan_unkeyed(ps, cur, want, ctx))
    ops: list[Op] = []
    for part in reversed(parts):
        ops += part.removes
    for part in parts:
        ops += part.changes
    return Plan(tuple(ops), tuple(d for part in parts for d in part.drift))


def _has_secrets(state: State, schema: Mapping[str, PathSchema]) -> bool:
    return any(
        schema[path].marker and any(f in e for e in entries for f in schema[path].write_only)
        for path, entries in state.items()
    )


def _is_true(entry: Entry, name: str) -> bool:
    return entry.get(name, "").lower() in ("true", "yes")


def _protected(entry: Entry) -> bool:
    """Dynamic, built-in or default entries: never added, removed or adopted."""
    return any(_is_true(entry, f) for f in ("dynamic", "builtin", "default"))


def _key(ps: PathSchema, entry: Entry) -> tuple[str, ...]:
    return tuple(ps.norm(k, entry.get(k, "")) for k in ps.keys)


def _describe(ps: PathSchema, entry: Entry) -> str:
    if ps.kind is Kind.SETTINGS:
        return ""
    if ps.kind is Kind.KEYED:
        return " ".join(f"{k}={entry.get(k, '')}" for k in ps.keys)
    shown = [
        f"{k}={v}"
        for k, v in entry.items()
        if ps.significant(k) and k != ps.marker and not ps.field(k).write_only
    ]
    human = parse_comment(entry.get("comment")).human
    return " ".join(shown) + (f' "{human}"' if human else "")


def _owned(ps: PathSchema, entry: Entry) -> bool:
    if _protected(entry):
        return False
    if ps.marker is not None:
        return parse_comment(entry.get(ps.marker)).owned
    if ps.owned_prefix is not None and ps.keys:
        return entry.get(ps.keys[0], "").startswith(ps.owned_prefix)
    return False


def _diff(
    ps: PathSchema, cur: Entry, want: Entry, full: bool
) -> tuple[dict[str, str], list[str], dict[str, tuple[str | None, str | None]]]:
    """Fields to set, fields to unset, and (device, intended) pairs, secrets and the marker
    field left out. ``full``: also fields netops no longer states go back to their
    default (or are unset) — for entries netops owns; settings and fixed menus are
    compared only on the fields stated. A field the schema does not know is compared only
    when intended state names it (devices add computed fields from version to version)."""
    values: dict[str, str] = {}
    unset: list[str] = []
    shown: dict[str, tuple[str | None, str | None]] = {}
    skip = {ps.marker} if ps.marker and full else set()
    for name, value in want.items():
        if name in skip or not ps.significant(name) or ps.field(name).write_only:
            continue
        have = cur.get(name)
        if have is None:  # the API leaves out some empty and default fields
            have = ps.field(name).default or ""
        if ps.norm(name, have) != ps.norm(name, value):
            values[name] = value
            shown[name] = (cur.get(name), value)
    if full:
        for name, value in cur.items():
            if name in want or name in skip or not ps.significant(name):
                continue
            spec = ps.field(name)
            if spec.write_only or (name not in ps.fields and name not in COMMON):
                continue
            if spec.default is not None:
                if ps.norm(name, value) != ps.norm(name, spec.default):
                    values[name] = spec.default
                    shown[name] = (value, spec.default)
            elif spec.unset and value != "":
                unset.append(name)
                shown[name] = (value, None)
    return values, unset, shown


def _secret_update(
    ps: PathSchema, cur: Entry | None, want: Entry, ctx: _Ctx
) -> tuple[dict[str, str], str | None]:
    """(secret values to send, fingerprint for the marker)."""
    secrets = {k: v for k, v in want.items() if k in ps.write_only}
    if not secrets:
        return {}, None
    fp = None
    if ctx.secrets == "fingerprint" and ps.marker and ctx.secret_key is not None:
        fp = fingerprint(ctx.secret_key, ps.path, secrets)
    if cur is None:
        return secrets, fp
    visible = {k: v for k, v in secrets.items() if k in cur}
    send = {k: v for k, v in visible.items() if cur[k] != v}
    hidden = {k: v for k, v in secrets.items() if k not in cur}
    stale = fp is not None and parse_comment(cur.get(ps.marker or "")).fingerprint != fp
    if hidden and (ctx.secrets == "always" or stale):
        send.update(hidden)
    return send, fp


def _update(
    ps: PathSchema, cur: Entry, want: Entry, ctx: _Ctx, *, managed: bool
) -> tuple[Set | None, Drift | None]:
    """The Set (and drift) that brings ``cur`` to ``want``. ``managed``: netops owns the
    whole entry (marker, defaults); otherwise only the stated fields."""
    values, unset, shown = _diff(ps, cur, want, full=managed)
    if managed and ps.marker:
        send, fp = _secret_update(ps, cur, want, ctx)
        values.update(send)
        shown.update({name: ("<secret>", "<secret>") for name in send})
        old = parse_comment(cur.get(ps.marker))
        new = parse_comment(want.get(ps.marker), legacy=False)
        desired = mark(new.human, fp)
        if cur.get(ps.marker, "") != desired:
            values[ps.marker] = desired
            if old.human != new.human:
                shown[ps.marker] = (old.human, new.human)
    if not values and not unset:
        return None, None
    op = Set(ps.path, cur.get(".id"), values, tuple(unset))
    kind: DriftKind = "changed" if _owned(ps, cur) or not managed else "adopted"
    return op, Drift(ps.path, kind, _describe(ps, cur), cur.get(".id"), shown)


def _new_values(ps: PathSchema, want: Entry, ctx: _Ctx) -> dict[str, str]:
    values = dict(want)
    if ps.marker:
        _, fp = _secret_update(ps, None, want, ctx)
        values[ps.marker] = mark(want.get(ps.marker, ""), fp)
    return values


def _shown(ps: PathSchema, entry: Entry) -> dict[str, tuple[str | None, str | None]]:
    return {
        k: (None, "<secret>" if ps.field(k).write_only else v)
        for k, v in entry.items()
        if k != ps.marker
    }


def _plan_settings(ps: PathSchema, cur: list[Entry], want: list[Entry]) -> _PathPlan:
    out = _PathPlan()
    if len(want) > 1:
        raise PlanError(f"{ps.path} is a settings menu: intended state has {len(want)} entries")
    if not want:
        return out
    entry = cur[0] if cur else {}
    values, _, shown = _diff(ps, entry, want[0], full=False)
    if values:
        out.changes.append(Set(ps.path, None, values))
        out.drift.append(Drift(ps.path, "changed", "", None, shown))
    return out


def _orphans(ps: PathSchema, entries: Iterable[Entry], ctx: _Ctx, out: _PathPlan) -> None:
    """Device entries no intended entry matched."""
    for entry in entries:
        if _protected(entry) or ps.fixed:
            continue
        if _owned(ps, entry):
            out.removes.append(Remove(ps.path, entry[".id"]))
            out.drift.append(
                Drift(
                    ps.path,
                    "changed",
                    "removed from the inventory: " + _describe(ps, entry),
                    entry.get(".id"),
                )
            )
        else:
            out.drift.append(
                Drift(ps.path, "only-on-device", _describe(ps, entry), entry.get(".id"))
            )
            if ctx.prune and ps.prunable:
                out.removes.append(Remove(ps.path, entry[".id"]))


def _plan_keyed(ps: PathSchema, cur: list[Entry], want: list[Entry], ctx: _Ctx) -> _PathPlan:
    out = _PathPlan()
    seen: set[tuple[str, ...]] = set()
    left = list(cur)
    for entry in want:
        key = _key(ps, entry)
        if key in seen:
            raise PlanError(f"{ps.path}: two intended entries with {_describe(ps, entry)}")
        seen.add(key)
        builtin = _protected(entry)
        if builtin:  # names the device's own default entry, whatever it is called
            same = [e for e in left if _protected(e) and _is_true(e, "default")]
        else:
            same = [e for e in left if _key(ps, e) == key]
        same.sort(key=lambda e: (not _owned(ps, e), not _protected(e)))
        match = same[0] if same else None
        if match is None:
            if ps.fixed or builtin:
                out.drift.append(Drift(ps.path, "missing", _describe(ps, entry)))
                continue
            out.changes.append(Add(ps.path, _new_values(ps, entry, ctx), ctx.ref()))
            out.drift.append(
                Drift(ps.path, "missing", _describe(ps, entry), None, _shown(ps, entry))
            )
            continue
        left.remove(match)
        if builtin:  # keep the device's own name for its default entry
            entry = {k: v for k, v in entry.items() if k not in ps.keys}
        managed = not (ps.fixed or _protected(match))
        if managed and not _owned(ps, match) and not ctx.adopt:
            out.drift.append(Drift(ps.path, "conflict", _describe(ps, match), match.get(".id")))
            continue
        op, drift = _update(ps, match, entry, ctx, managed=managed)
        if op is not None and drift is not None:
            out.changes.append(op)
            out.drift.append(drift)
    _orphans(ps, left, ctx, out)
    return out


def _same(ps: PathSchema, cur: Entry, want: Entry) -> bool:
    values, unset, _ = _diff(ps, cur, want, full=True)
    return not values and not unset


def _plan_unkeyed(ps: PathSchema, cur: list[Entry], want: list[Entry], ctx: _Ctx) -> _PathPlan:
    """Fields-keyed and ordered menus: match by significant fields, then by comment."""
    out = _PathPlan()
    position = {id(e): i for i, e in enumerate(cur)}
    groups: dict[tuple[str, ...], list[Entry]] = {}
    for entry in want:
        if ps.kind is Kind.ORDERED and any(k not in entry for k in ps.keys):
            raise PlanError(f"{ps.path}: an intended entry has no {' '.join(ps.keys)}")
        groups.setdefault(_key(ps, entry), []).append(entry)
    left = [e for e in cur if not _protected(e)]
    for key, wants in groups.items():
        pool = [e for e in left if _key(ps, e) == key]
        matched: list[Entry | None] = [None] * len(wants)
        for i, entry in enumerate(wants):
            human = parse_comment(entry.get("comment"), legacy=False).human
            found = [e for e in pool if _same(ps, e, entry)]
            found.sort(
                key=lambda e: (not _owned(ps, e), parse_comment(e.get("comment")).human != human)
            )
            if found and (_owned(ps, found[0]) or ctx.adopt):
                matched[i] = found[0]
                pool.remove(found[0])
        for i, entry in enumerate(wants):
            human = parse_comment(entry.get("comment"), legacy=False).human
            if matched[i] is not None or not human:
                continue
            found = [
                e for e in pool if _owned(ps, e) and parse_comment(e.get("comment")).human == human
            ]
            if found:
                matched[i] = found[0]
                pool.remove(found[0])
        for e in matched:
            if e is not None:
                left.remove(e)
        for entry, match in zip(wants, matched, strict=True):
            if match is not None:
                op, drift = _update(ps, match, entry, ctx, managed=True)
                if op is not None and drift is not None:
                    out.changes.append(op)
                    out.drift.append(drift)
        placed = _place(ps, wants, matched, position, ctx, out)
        out.changes += placed
    _orphans(ps, left, ctx, out)
    return out


def _place(
    ps: PathSchema,
    wants: Sequence[Entry],
    matched: Sequence[Entry | None],
    position: Mapping[int, int],
    ctx: _Ctx,
    out: _PathPlan,
) -> list[Op]:
    """Adds for the unmatched entries; for ordered menus, moves that put the chain's
    entries in intended order. Entries on the longest run already in order stay; the others
    are placed, from the last to the first, right before their successor."""
    if ps.kind is not Kind.ORDERED:
        adds: list[Op] = []
        for entry, match in zip(wants, matched, strict=True):
            if match is None:
                adds.append(Add(ps.path, _new_values(ps, entry, ctx), ctx.ref()))
                out.drift.append(
                    Drift(ps.path, "missing", _describe(ps, entry), None, _shown(ps, entry))
                )
        return adds
    existing = [(i, position[id(m)]) for i, m in enumerate(matched) if m is not None]
    keep = _longest_increasing(existing)
    ops: list[Op] = []
    successor: str | None = None
    for i in reversed(range(len(wants))):
        entry, match = wants[i], matched[i]
        if match is None:
            ref = ctx.ref()
            ops.append(Add(ps.path, _new_values(ps, entry, ctx), ref, successor))
            out.drift.append(
                Drift(ps.path, "missing", _describe(ps, entry), None, _shown(ps, entry))
            )
            successor = ref
            continue
        if i not in keep:
            ops.append(Move(ps.path, match[".id"], successor))
            out.drift.append(Drift(ps.path, "order", _describe(ps, match), match.get(".id")))
        successor = match[".id"]
    return ops


def _longest_increasing(items: Sequence[tuple[int, int]]) -> set[int]:
    """Indexes (first of each pair) on a longest run of increasing positions."""
    best: list[list[int]] = []
    for n, (_, pos) in enumerate(items):
        run = max((best[m] for m in range(n) if items[m][1] < pos), key=len, default=[])
        best.append([*run, n])
    longest = max(best, key=len, default=[])
    return {items[n][0] for n in longest}


# --- simulation -------------------------------------------------------------------------


def apply(
    state: State, plan: Plan, schema: Mapping[str, PathSchema] = SCHEMA
) -> dict[str, list[Entry]]:
    """``state`` after a device applied ``plan`` (pure: a new state). Like a device, it
    assigns ``.id`` to new entries and never shows write-only fields. Raises
    :class:`PlanError` if an operation names an entry that is not there."""
    result = {
        path: [dict(e) for e in entries] for path, entries in copy.deepcopy(dict(state)).items()
    }
    ids = [
        int(e[".id"][1:], 16)
        for es in result.values()
        for e in es
        if e.get(".id", "").startswith("*")
    ]
    counter = max(ids, default=0)
    refs: dict[str, str] = {}

    def resolve(ident: str) -> str:
        return refs.get(ident, ident)

    def index(entries: list[Entry], ident: str, op: Op) -> int:
        target = resolve(ident)
        for i, e in enumerate(entries):
            if e.get(".id") == target:
                return i
        raise PlanError(f"{op.path}: no entry {ident} for {type(op).__name__}")

    for op in plan.ops:
        entries = result.setdefault(op.path, [])
        hidden = schema[op.path].write_only if op.path in schema else frozenset()
        if isinstance(op, Add):
            counter += 1
            new = {k: v for k, v in op.values.items() if k not in hidden}
            new[".id"] = f"*{counter:X}"
            refs[op.ref] = new[".id"]
            at = index(entries, op.before, op) if op.before else len(entries)
            entries.insert(at, new)
        elif isinstance(op, Set):
            if op.id is None:
                if not entries:
                    entries.append({})
                target = entries[0]
            else:
                target = entries[index(entries, op.id, op)]
            target.update({k: v for k, v in op.values.items() if k not in hidden})
            for name in op.unset:
                target.pop(name, None)
        elif isinstance(op, Remove):
            del entries[index(entries, op.id, op)]
        else:
            moved = entries.pop(index(entries, op.id, op))
            at = index(entries, op.before, op) if op.before else len(entries)
            entries.insert(at, moved)
    return result
