"""Configuration text as a tree, and the difference between two trees (pure, no I/O).

Intended and running configurations are parsed into trees of lines (a parent line and the
lines indented under it, or a RouterOS menu and its commands). Comparing two trees gives a
list of changes that is both the diff shown to the engineer and, turned into commands, what
is sent to a device that has no candidate configuration of its own (IOS, FRR, RouterOS).

Two modes:

* ``merge`` (push): add what is missing; remove a running line only inside a block the
  intended config manages, or at the top when the intended config sets the same command
  (same first two words), so lines netops does not template are left alone.
* ``replace`` (rollback): make the running config equal the target everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from netops.provision.platforms import Platform

# Commands that hold one value: setting a new value replaces the old one, so the old line is
# not negated first (``no hostname`` would reset the prompt).
SINGLE_VALUED = (
    "hostname",
    "description",
    "banner",
    "ip domain",
    "ip domain-name",
    "ospf router-id",
    "router-id",
    "ip ospf hello-interval",
    "ip ospf dead-interval",
    "ip ospf cost",
    "ip ospf network",
    "ip ospf area",
    "ip ospf passive",
    "mtu",
    "bandwidth",
    "speed",
    "log-adjacency-changes",
    "switchport mode",
    "switchport access",
    "snmp-server location",
    "snmp-server contact",
    "clock timezone",
)

_BANNER_IOS = re.compile(r"^banner (\S+) (\^C|\S)(.*)$")
_SPACES = re.compile(r"\s+")


@dataclass
class Node:
    """One configuration line and the lines under it."""

    line: str
    children: dict[str, Node] = field(default_factory=dict)

    def add(self, line: str) -> Node:
        key = normalize_line(line)
        node = self.children.get(key)
        if node is None:
            node = self.children[key] = Node(line.strip())
        return node


def normalize_line(line: str) -> str:
    """A line's identity: whitespace collapsed, no indentation."""
    return _SPACES.sub(" ", line.strip())


def parse(text: str, platform: Platform) -> Node:
    """Parse configuration text in the platform's dialect into a tree (root has no line)."""
    if platform.dialect == "routeros":
        return _parse_routeros(text, platform)
    return _parse_indent(text, platform)


def _parse_indent(text: str, platform: Platform) -> Node:
    root = Node("")
    noise = platform.noise_re()
    stack: list[tuple[int, Node]] = [(-1, root)]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip()
        i += 1
        if not raw.strip() or noise.match(raw):
            continue
        depth = len(raw) - len(raw.lstrip(" "))
        stripped = raw.strip()
        banner = _BANNER_IOS.match(stripped) if depth == 0 else None
        if banner or stripped in ("banner motd", "banner login"):
            stripped, i = _banner(stripped, banner, lines, i)
        while stack[-1][0] >= depth:
            stack.pop()
        node = stack[-1][1].add(stripped)
        stack.append((depth, node))
    return root


def _banner(first: str, match: re.Match[str] | None, lines: list[str], i: int) -> tuple[str, int]:
    """Collapse a multi-line banner into one line ``banner KIND text\\ntext``."""
    if match is None:  # EOS: text lines until EOF
        kind = first.split()[1]
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != "EOF":
            body.append(lines[i].rstrip())
            i += 1
        return f"banner {kind} {chr(10).join(body).strip()}", i + 1
    kind, delim, rest = match.groups()
    if delim == "^" and rest.startswith("C"):
        delim, rest = "^C", rest[1:]
    if delim in rest:
        return f"banner {kind} {rest.split(delim)[0].strip()}", i
    body = [rest] if rest else []
    while i < len(lines):
        text = lines[i].rstrip()
        i += 1
        if delim in text:
            body.append(text.split(delim)[0])
            break
        body.append(text)
    return f"banner {kind} {chr(10).join(body).strip()}", i


def _parse_routeros(text: str, platform: Platform) -> Node:
    root = Node("")
    noise = platform.noise_re()
    menu: Node | None = None
    pending = ""
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        line = (pending + line.strip()).strip()
        pending = ""
        if not line or noise.match(line):
            continue
        if line.startswith("/"):
            path, command = _split_menu(line)
            menu = root.add(path)
            if command:
                menu.add(command)
        elif menu is not None:
            menu.add(line)
    return root


_VERBS = ("add", "set", "remove", "print", "export", "enable", "disable", "unset")


def _split_menu(line: str) -> tuple[str, str]:
    """``/ip pool add name=x`` → (``/ip pool``, ``add name=x``)."""
    words = line.split(" ")
    for index, word in enumerate(words):
        if index and (word in _VERBS or "=" in word or word.startswith("[")):
            return " ".join(words[:index]), " ".join(words[index:])
    return line, ""


@dataclass(frozen=True)
class Change:
    """One line of a diff: ``op`` is ``+`` (add), ``-`` (remove) or `` `` (context parent)."""

    op: str
    path: tuple[str, ...]
    line: str
    block: bool = False

    @property
    def depth(self) -> int:
        return len(self.path)


def _key(line: str, words: int = 2) -> str:
    return " ".join(normalize_line(line).split(" ")[:words])


def _single_valued(line: str) -> str | None:
    norm = normalize_line(line)
    for prefix in SINGLE_VALUED:
        if norm == prefix or norm.startswith(prefix + " "):
            return prefix
    return None


def compare(running: Node, target: Node, platform: Platform, mode: str = "merge") -> list[Change]:
    """The changes that turn ``running`` into ``target`` (see the module doc for modes)."""
    opaque = [re.compile(p) for p in platform.opaque]
    changes: list[Change] = []

    def is_opaque(line: str) -> bool:
        return any(p.match(line) for p in opaque)

    def walk(have: Node, want: Node, path: tuple[str, ...]) -> None:
        block: list[Change] = []
        added = {_single_valued(n.line) for k, n in want.children.items() if k not in have.children}
        managed = {_key(n.line) for n in want.children.values()}
        opaque_keys = {_key(n.line, 3) for n in want.children.values() if is_opaque(n.line)}
        for key, node in have.children.items():
            if key in want.children:
                continue
            if platform.dialect == "routeros" and mode == "merge":
                continue
            if path == () and mode == "merge" and _key(node.line) not in managed:
                continue
            if is_opaque(node.line):
                continue
            single = _single_valued(node.line)
            if single is not None and single in added:
                continue
            if path == () and node.children and node.line.startswith("interface "):
                # A physical interface cannot be deleted: clear what is configured on it.
                block.extend(Change("-", (node.line,), c.line) for c in node.children.values())
                continue
            block.append(Change("-", (*path,), node.line))
        for key, node in want.children.items():
            if key in have.children:
                continue
            if (
                is_opaque(node.line)
                and _key(node.line, 3) in opaque_keys
                and any(_key(h.line, 3) == _key(node.line, 3) for h in have.children.values())
            ):
                continue
            block.extend(_subtree("+", path, node))
        if block:
            changes.extend(block)
        for key, node in want.children.items():
            if key in have.children and node.children:
                walk(have.children[key], node, (*path, node.line))

    walk(running, target, ())
    return changes


def _subtree(op: str, path: tuple[str, ...], node: Node) -> list[Change]:
    out = [Change(op, path, node.line, bool(node.children))]
    for child in node.children.values():
        out.extend(_subtree(op, (*path, node.line), child))
    return out


def render_diff(changes: list[Change], platform: Platform) -> str:
    """The changes as text an engineer reads: parents as context, ``+``/``-`` per line."""
    out: list[str] = []
    shown: tuple[str, ...] = ()
    for change in changes:
        if platform.dialect == "routeros":
            if not change.path:  # a menu is a context, not a line of its own
                if change.op == "-" or (change.line,) != shown:
                    out.append(f"{change.op if change.op == '-' else ' '}{change.line}")
                shown = (change.line,)
                continue
            if change.path != shown:
                out.append(f" {change.path[0]}")
                shown = change.path
            out.append(f"{change.op}   {change.line}")
            continue
        common = 0
        while common < min(len(shown), len(change.path)) and shown[common] == change.path[common]:
            common += 1
        for depth in range(common, len(change.path)):
            out.append(" " + " " * depth + change.path[depth])
        shown = change.path
        out.append(change.op + " " * change.depth + change.line)
        if change.block:
            shown = (*change.path, change.line)
    return "\n".join(out) + ("\n" if out else "")


def commands(changes: list[Change], platform: Platform) -> list[str]:
    """Configuration-mode commands that apply ``changes`` (removals as negations)."""
    out: list[str] = []
    if platform.dialect == "routeros":
        for change in changes:
            if change.op == "+" and change.path:
                out.append(f"{change.path[0]} {change.line}")
        return out
    mode: tuple[str, ...] = ()
    for change in changes:
        target = change.path
        common = 0
        while common < min(len(mode), len(target)) and mode[common] == target[common]:
            common += 1
        out.extend(["exit"] * (len(mode) - common))
        out.extend(target[common:])
        mode = target
        if change.op == "+":
            out.append(_banner_command(change.line))
            if change.block:
                mode = (*target, change.line)
        else:
            out.append(_negate(change.line, platform))
    return out


# Commands negated by their keyword alone (their argument is free text).
NEGATE_BARE = ("description", "banner motd", "banner login", "banner exec")


def _negate(line: str, platform: Platform) -> str:
    for bare in NEGATE_BARE:
        if line == bare or line.startswith(bare + " "):
            return platform.negate + bare
    if line.startswith(platform.negate):
        return line[len(platform.negate) :]
    return platform.negate + line


def _banner_command(line: str) -> str:
    if not line.startswith("banner "):
        return line
    _, kind, text = line.split(" ", 2)
    return f"banner {kind} ^C{text}^C"


def to_text(node: Node, depth: int = 0) -> str:
    """The tree back as indented text (stable order: as first seen)."""
    out: list[str] = []
    for child in node.children.values():
        out.append(" " * depth + child.line)
        if child.children:
            out.append(to_text(child, depth + 1).rstrip("\n"))
    return "\n".join(out) + ("\n" if out else "")
