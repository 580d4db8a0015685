"""Render each device's intended configuration from the inventory (pure: no network I/O).

Templates live in ``templates/<platform>/<role>.j2`` (an inventory may bring its own
``templates/`` folder, searched first). Secrets reach a template only through the
``secret`` filter: on disk they are placeholders (``<secret:env:NAME>``); when pushing they
are resolved in memory and every resolved value is remembered by a :class:`Redactor` so that
diffs, errors and session logs can be shown without it.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from pydantic import BaseModel

from netops.errors import NetopsError
from netops.inventory.models import Device, Inventory
from netops.inventory.secrets import Secret
from netops.inventory.units import format_rate
from netops.provision.context import _ros_escape, _ros_quote, context
from netops.provision.platforms import platform as get_platform

REPO_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


class RenderError(NetopsError):
    """A device's configuration could not be rendered (missing template, template error)."""


class Redactor:
    """Remembers secret values and hides them in any text (thread-safe).

    A value is remembered with the forms it takes in device text (RouterOS escapes ``\\``,
    ``"`` and ``$`` inside a quoted value), so that each form is masked.
    """

    MASK = "<redacted>"

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        if len(value) >= 3:
            with self._lock:
                self._values.update({value, _ros_escape(value)})

    def add_inventory(self, inventory: Inventory) -> None:
        """Learn every secret the inventory holds that can be resolved now: credentials,
        enable secrets, SNMP communities and keys, RADIUS/NAS secrets, the portal's UAM
        secret, and any other :class:`Secret` field wherever it sits in the inventory."""
        for secret in inventory_secrets(inventory):
            try:
                self.add(secret.reveal())
            except NetopsError:
                continue

    @property
    def values(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._values)

    def __call__(self, text: str) -> str:
        values = self.values
        if not any(value in text for value in values):
            return text
        return _masked(text, _occurrences(text, values), len(text))


def _occurrences(text: str, values: frozenset[str]) -> bytearray:
    """Which characters of ``text`` belong to a secret (overlapping secrets included)."""
    marks = bytearray(len(text))
    for value in values:
        start = text.find(value)
        while start != -1:
            marks[start : start + len(value)] = b"\x01" * len(value)
            start = text.find(value, start + 1)
    return marks


def _masked(text: str, marks: bytearray, end: int) -> str:
    """``text[:end]`` with each run of secret characters replaced by one mask."""
    out: list[str] = []
    i = 0
    while i < end:
        j = i
        while j < end and marks[j] == marks[i]:
            j += 1
        out.append(Redactor.MASK if marks[i] else text[i:j])
        i = j
    return "".join(out)


def inventory_secrets(inventory: Inventory) -> list[Secret]:
    """Every :class:`Secret` in the inventory (found by type, so a new secret field is
    covered without listing it here)."""
    found: list[Secret] = []
    seen: set[int] = set()

    def walk(value: object) -> None:
        if isinstance(value, Secret):
            found.append(value)
        elif isinstance(value, str | int | float | bool) or value is None or id(value) in seen:
            return
        elif isinstance(value, BaseModel):
            seen.add(id(value))
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, dict):
            seen.add(id(value))
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple | set | frozenset):
            seen.add(id(value))
            for item in value:
                walk(item)

    walk(inventory)
    return found


class StreamRedactor:
    """Masks secrets in text that arrives in pieces (an SSH session read by read).

    A device echoes a command character by character, so a secret is split over many
    reads. Text that could still become a secret is held back until the next piece shows
    whether it does; every occurrence of every form of every secret is masked, also when
    one secret ends with the start of another.
    """

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._pending = ""

    def feed(self, data: str) -> str:
        """What of the text so far can be written now, masked."""
        self._pending += data
        return self._drain(final=False)

    def close(self) -> str:
        """The rest, masked; a trailing start of a secret is masked as a whole."""
        return self._drain(final=True)

    def _drain(self, final: bool) -> str:
        text, values = self._pending, self.redactor.values
        if not values:
            self._pending = ""
            return text
        masked = _occurrences(text, values)
        # The earliest position from which the text is a proper prefix of a secret.
        longest = max(len(v) for v in values)
        hold = len(text)
        for i in range(max(0, len(text) - longest + 1), len(text)):
            tail = text[i:]
            if any(len(v) > len(tail) and v.startswith(tail) for v in values):
                hold = i
                break
        if final:
            masked[hold:] = b"\x01" * (len(text) - hold)
            hold = len(text)
        while 0 < hold < len(text) and masked[hold - 1] and masked[hold]:
            hold -= 1  # never split a masked run between two writes
        out = _masked(text, masked, hold)
        self._pending = text[hold:]
        return out


@dataclass
class Rendered:
    """One device's intended configuration."""

    device: Device
    text: str
    template: str
    secrets: dict[str, str] = field(default_factory=dict)
    #: RouterOS gateways and access points: the intended state as data (``text`` is its
    #: ``.rsc`` script); None for devices configured from a text template.
    state: Mapping[str, list[dict[str, str]]] | None = None


def template_dirs(inventory: Inventory, extra: Path | None = None) -> list[Path]:
    """Where templates are looked up, first match wins: the inventory's, ``extra`` (the CLI
    passes ``$NETOPS_TEMPLATES``), the repository's."""
    dirs = [Path(inventory.root) / "templates"]
    if extra is not None:
        dirs.append(extra)
    dirs.append(REPO_TEMPLATES)
    return [d for d in dirs if d.is_dir()]


def environment(inventory: Inventory, extra: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment for the inventory's template folders (shared, thread-safe:
    templates compile once per run, not once per device)."""
    return _environment(tuple(str(d) for d in template_dirs(inventory, extra)))


@functools.lru_cache(maxsize=16)
def _environment(dirs: tuple[str, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(dirs)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["netmask"] = lambda ip: str(ip.netmask)
    env.filters["wildcard"] = lambda ip: str(ip.hostmask)
    env.filters["rate"] = format_rate
    env.filters["ros_rate"] = _ros_rate
    env.filters["quote"] = _ros_quote
    env.filters["secret"] = _secret_filter
    env.filters["is_dns_name"] = _is_dns_name
    env.tests["ap_of"] = lambda peer, names: str(peer).split(":")[0] in names
    return env


def _is_dns_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." in host
    return False


@jinja2.pass_context
def _secret_filter(ctx: jinja2.runtime.Context, secret: Secret | None) -> str:
    resolve: _SecretFilter = ctx["_secret"]
    return resolve(secret)


def _ros_rate(bps: int) -> str:
    """RouterOS rate text: 5000000 → 5M."""
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bps % size == 0:
            return f"{bps // size}{unit}"
    return str(bps)


class _SecretFilter:
    """The ``secret`` template filter: placeholder on disk, value in memory."""

    def __init__(self, reveal: bool, redactor: Redactor | None, device: str) -> None:
        self.reveal = reveal
        self.redactor = redactor
        self.device = device
        self.used: dict[str, str] = {}

    def __call__(self, secret: Secret | None) -> str:
        if secret is None:
            raise RenderError(f"{self.device}: a template needs a secret the inventory lacks")
        if not self.reveal:
            return secret.placeholder()
        value = secret.reveal()
        if self.redactor is not None:
            self.redactor.add(value)
        self.used[secret.raw if secret.is_reference else "inline"] = secret.placeholder()
        return value


def template_name(device: Device, env: jinja2.Environment) -> str:
    """``<platform>/<role>.j2``, else ``<platform>/default.j2``."""
    candidates = [f"{device.platform}/{device.role}.j2", f"{device.platform}/default.j2"]
    for name in candidates:
        try:
            env.get_template(name)
        except jinja2.TemplateNotFound:
            continue
        return name
    raise RenderError(
        f"{device.hostname}: no template for platform {device.platform!r} role "
        f"{device.role!r} (looked for {' and '.join('templates/' + c for c in candidates)})"
    )


def render_device(
    inventory: Inventory,
    device: Device,
    with_secrets: bool = False,
    redactor: Redactor | None = None,
    env: jinja2.Environment | None = None,
) -> Rendered:
    """The intended configuration of ``device``; secrets resolved only if ``with_secrets``.

    RouterOS gateways and access points are rendered as declarative state
    (:func:`~netops.provision.routeros.intended.intended_state`), their text being the
    ``.rsc`` script of it; every other device from its Jinja2 template.
    """
    get_platform(device.platform)
    if declarative(device):
        return _render_state(inventory, device, with_secrets, redactor)
    env = env or environment(inventory)
    name = f"{device.platform}/{device.role}.j2"
    secret = _SecretFilter(with_secrets, redactor, device.hostname)
    ctx = context(inventory, device)
    ctx["_secret"] = secret
    try:
        name = template_name(device, env)
        text = env.get_template(name).render(ctx)
    except jinja2.TemplateError as exc:
        where = f"templates/{name}"
        if isinstance(exc, jinja2.TemplateSyntaxError):
            where = f"templates/{exc.name or name}:{exc.lineno}"
        raise RenderError(f"{device.hostname}: {where}: {exc.message or exc}") from None
    text = "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"
    return Rendered(device, text, name, secret.used)


#: Roles whose RouterOS configuration is declarative state rather than a text template.
STATE_ROLES = ("hotspot-gateway", "access-point")
STATE_TEMPLATE = "routeros/intended-state"


def declarative(device: Device) -> bool:
    """Whether ``device`` is configured from declarative RouterOS state."""
    return device.platform == "mikrotik_routeros" and device.role in STATE_ROLES


def _render_state(
    inventory: Inventory, device: Device, with_secrets: bool, redactor: Redactor | None
) -> Rendered:
    from netops.provision.routeros.intended import IntendedStateError, intended_state, to_rsc
    from netops.provision.routeros.schema import SCHEMA

    try:
        state = intended_state(device, inventory, with_secrets=with_secrets)
    except IntendedStateError as exc:
        raise RenderError(str(exc)) from None
    if with_secrets and redactor is not None:
        for path, entries in state.items():
            hidden = SCHEMA[path].write_only if path in SCHEMA else frozenset()
            for entry in entries:
                for name in hidden & entry.keys():
                    redactor.add(entry[name])
    title = f"{device.hostname}: intended state rendered by netops ({device.role})"
    return Rendered(device, to_rsc(state, title=title), STATE_TEMPLATE, state=state)


def render_all(
    inventory: Inventory,
    devices: Iterable[Device],
    with_secrets: bool = False,
    redactor: Redactor | None = None,
    templates: Path | None = None,
) -> list[Rendered]:
    env = environment(inventory, templates)
    return [render_device(inventory, d, with_secrets, redactor, env) for d in devices]


def write_rendered(rendered: Iterable[Rendered], out: Path) -> list[Path]:
    """Write ``<out>/<hostname>.cfg`` files, or for declarative RouterOS devices
    ``<hostname>.rsc`` (the script) and ``<hostname>.json`` (the state); a file is only
    rewritten when its text changed."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for item in rendered:
        files = {f"{item.device.hostname}.cfg": item.text}
        if item.state is not None:
            files = {
                f"{item.device.hostname}.rsc": item.text,
                f"{item.device.hostname}.json": json.dumps(item.state, indent=2) + "\n",
            }
        for name, text in files.items():
            path = out / name
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
