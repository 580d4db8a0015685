"""The same intended state through Ansible and through netops leaves two lab devices alike.

Real peers: two fresh lab RouterOS devices (RouterOS API over TCP); one configured by an
``ansible-playbook`` of ``community.routeros.api_modify`` tasks generated from the lab
gateway's rendered intended state (``netops config render``, the ``.json`` beside the
``.rsc``), the other by ``netops config push --commit``. Both are then read in full on
every managed path and compared.

How each menu maps onto ``api_modify`` (netops' semantics, module docstring of
``netops.provision.routeros.planner``):

* settings menus (``/ip/dns``, ``/snmp``…): ``data`` is the one entry; only the stated
  fields are compared, as ``handle_entries_content: ignore`` (the default) does;
* fixed menus (``/interface/ethernet``, ``/ip/service``) and a built-in entry (the
  ``public`` SNMP community): entries by key, only the stated fields:
  ``handle_entries_content: ignore``;
* keyed menus: ``handle_absent_entries: ignore`` (netops leaves what it
  does not own unless ``--prune``) and ``handle_entries_content:
  remove_as_much_as_possible`` (a field netops stops stating on an entry it owns goes back
  to its default; plain ``remove`` fails on read-only fields such as ``/user``
  ``last-logged-in``);
* menus matched by their fields (walled garden, routes, logging rules):
  ``handle_absent_entries: ignore`` and ``handle_entries_content: ignore``: with
  ``remove``, api_modify matches a device entry only when every field the device shows
  beyond the stated ones is at a default it knows, and it knows none for a route's
  ``distance`` (and compares ``disabled`` with ``"no"``, which never equals the
  ``false`` it reads), so it would add a second copy of each entry;
* firewall filter and NAT: ``ensure_order: true``, which ``api_modify`` only allows with
  ``handle_absent_entries: remove``: on a fresh device there is nothing else to remove;
* ``/file`` (the hotspot's login page) is not a path ``api_modify`` knows: the playbook
  writes it with ``community.routeros.api`` ``add``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from netops.inventory import load_inventory
from netops.lab.routeros import DeviceOptions, LabRouterOS
from netops.lab.routeros.state import check_password
from netops.provision.drivers.base import login_for
from netops.provision.drivers.routeros import RouterOSSession, _strip, secret_key
from netops.provision.render import Redactor
from netops.provision.routeros import SCHEMA, Add, Kind, Set, parse_comment, plan
from tests.integration.provision.test_routeros_api import NETOPS, PASSWORD
from tests.paths import LAB, REPO
from tests.support.ansible_play import routeros_playbook

VENV_BIN = REPO / ".venv" / "bin"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not (VENV_BIN / "ansible-playbook").exists(), reason="ansible not in .venv"),
]
HOST = "lab-hs-01"
State = Mapping[str, list[dict[str, str]]]
#: ``remove`` fails on a field the device shows that api_modify cannot clear (the
#: read-only ``last-logged-in`` of ``/user``); this clears every field it can.
REMOVE = "remove_as_much_as_possible"
#: Menus whose ``comment`` community.routeros does not know (its ``_api_data.py`` has no
#: such field for ``system logging``): api_modify refuses the key, and leaves a comment
#: already on the device alone.
NO_COMMENT = frozenset({"/system/logging"})
#: Secrets the lab device never prints but community.routeros expects to read back (its
#: data has ``/radius secret`` as a plain field): on a /radius entry without it,
#: api_modify matches nothing and adds a second entry. The re-run leaves them out; the
#: secret itself is checked on the device directly.
LAB_HIDES = {"/radius": frozenset({"secret"})}
#: Menus whose intended entry is one the device has built in (the lab's SNMP community is
#: ``public``, the device's ``default=yes`` entry): netops changes only the fields it
#: names there, and ``api_modify``'s ``remove`` would try to clear the read-only
#: ``default`` flag.
BUILT_IN = frozenset({"/snmp/community"})


# --------------------------------------------------------------------------- playbook


def ros_quote(value: str) -> str:
    """A value for a RouterOS command line (``community.routeros.api`` ``add:``)."""
    escaped = {"\\": "\\\\", '"': '\\"', "$": "\\$", "?": "\\?", "\n": "\\n", "\r": "\\r"}
    return '"' + "".join(escaped.get(c, c) for c in value) + '"'


def modify_options(path: str) -> dict[str, Any]:
    """The api_modify options that give a path netops's semantics (module docstring)."""
    ps = SCHEMA[path]
    if ps.kind is Kind.SETTINGS or ps.fixed or path in BUILT_IN:
        return {"handle_entries_content": "ignore"}
    if ps.kind is Kind.FIELDS:
        return {"handle_absent_entries": "ignore", "handle_entries_content": "ignore"}
    if ps.kind is Kind.ORDERED:
        return {
            "handle_absent_entries": "remove",
            "handle_entries_content": REMOVE,
            "ensure_order": True,
        }
    return {"handle_absent_entries": "ignore", "handle_entries_content": REMOVE}


def api_modify_tasks(
    state: State, omit: Mapping[str, frozenset[str]] | None = None
) -> list[dict[str, Any]]:
    """One ``api_modify`` task per path of an intended state (module docstring), without
    the fields ``omit`` names for a path."""
    tasks: list[dict[str, Any]] = []
    for path, entries in state.items():
        words = path.strip("/").replace("/", " ")
        if path == "/file":
            for entry in entries:
                args = " ".join(f"{k}={ros_quote(v)}" for k, v in entry.items())
                tasks.append({"name": path, "community.routeros.api": {"path": words, "add": args}})
            continue
        skip = {"comment"} if path in NO_COMMENT else set()
        skip |= (omit or {}).get(path, frozenset())
        data = [{k: v for k, v in e.items() if k not in skip} for e in entries]
        task: dict[str, Any] = {"path": words, "data": data, **modify_options(path)}
        tasks.append({"name": path, "community.routeros.api_modify": task})
    return tasks


def run_playbook(
    workdir: Path, dev: LabRouterOS, tasks: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``ansible-playbook`` against the lab device; each task's result by name."""
    return routeros_playbook(workdir, dev.address("api"), "netops", PASSWORD, tasks)


# --------------------------------------------------------------------------- comparison

_MARKER = re.compile(r"\[netops(?::[0-9a-f]{8})?\]$")


def comparable(state: State, *, unmark: bool) -> dict[str, list[dict[str, str]]]:
    """A device's managed state without ``.id``s and the fields that change by themselves
    (the driver's ``_strip``: clock, last login, the push's snapshot file); with
    ``unmark``, each comment without netops's ownership marker (and no comment where
    the marker was all of it). Ordered menus keep their order, others are sorted."""
    out: dict[str, list[dict[str, str]]] = {}
    for path, entries in _strip(state).items():
        rows = []
        for entry in entries:
            row = {k: v for k, v in entry.items() if k != ".id"}
            if unmark and "comment" in row:
                human = parse_comment(row["comment"], legacy=False).human
                if human:
                    row["comment"] = human
                else:
                    del row["comment"]
            rows.append(row)
        ordered = SCHEMA[path].kind is Kind.ORDERED
        out[path] = rows if ordered else sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    return out


# --------------------------------------------------------------------------- fixture


def _fresh(folder: Path) -> LabRouterOS:
    """A lab RouterOS 7.16 as it leaves the factory (identity ``MikroTik``) with the lab's
    login, on loopback ports the kernel picks."""
    options = DeviceOptions(
        state_dir=folder / "device",
        version="7.16",
        user="netops",
        password=PASSWORD,
        api=("127.0.0.1", 0),
        ssh=("127.0.0.1", 0),
    )
    return LabRouterOS(options).start()


class Pair:
    """Two fresh lab devices playing the lab gateway, each with its own inventory copy."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.devices = {side: _fresh(tmp / side) for side in ("ansible", "netops")}
        self.roots: dict[str, Path] = {}
        for side, dev in self.devices.items():
            root = tmp / side / "inv"
            shutil.copytree(LAB, root)
            text = (root / "devices.yml").read_text()
            text = text.replace("ssh_port: 10021", f"ssh_port: {dev.address('ssh')[1]}")
            text = text.replace("port: 10031", f"port: {dev.address('api')[1]}")
            (root / "devices.yml").write_text(text)
            self.roots[side] = root

    def netops(self, side: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(NETOPS), "config", *args, "-i", str(self.roots[side])],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "COLUMNS": "250"},
            cwd=self.roots[side].parent,
        )

    def read(self, side: str) -> dict[str, list[dict[str, str]]]:
        inv = load_inventory(self.roots[side])
        session = RouterOSSession(inv, login_for(inv, inv.device(HOST)), Redactor())
        session.open()
        try:
            return session.read()
        finally:
            session.close()

    def secret_key(self) -> bytes:
        inv = load_inventory(self.roots["netops"])
        return secret_key(inv, login_for(inv, inv.device(HOST)))

    def stop(self) -> None:
        for dev in self.devices.values():
            dev.stop()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    lab = Pair(tmp_path)
    try:
        yield lab
    finally:
        lab.stop()


# --------------------------------------------------------------------------- test


def test_ansible_api_modify_and_netops_push_leave_the_gateway_in_the_same_state(
    pair: Pair,
) -> None:
    rendered = pair.netops("ansible", "render", "-d", HOST, "--with-secrets", "-o", "out")
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    intended = json.loads((pair.roots["ansible"].parent / "out" / f"{HOST}.json").read_text())
    tasks = api_modify_tasks(intended)
    assert len(tasks) == len(intended)  # one task per path (one /file entry)

    fresh = pair.read("netops")
    first = run_playbook(pair.tmp / "play1", pair.devices["ansible"], tasks)
    assert all(r.get("changed") for r in first.values()), {
        k: r.get("msg") for k, r in first.items() if not r.get("changed")
    }
    pushed = pair.netops("netops", "push", "--commit", "-d", HOST)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr

    by_ansible, by_netops = pair.read("ansible"), pair.read("netops")
    assert (
        set(by_ansible)
        == set(by_netops)
        == set(SCHEMA) - {p for p in SCHEMA if p.startswith("/interface/wireless")}
    )

    # Same state once netops's ownership marker is taken out of the comments.
    a, n = comparable(by_ansible, unmark=True), comparable(by_netops, unmark=True)
    for path in SCHEMA:
        assert a.get(path) == n.get(path), path

    # The exclusion is narrow: compared raw, the two devices differ in comments only, and
    # exactly on the entries to which netops's own plan for a fresh device gives the
    # marker, each netops comment being the Ansible one (or none) plus that marker.
    netops_comments = with_netops_comments(intended, pair.secret_key(), fresh)
    expected = Counter(
        (path, mine.get("comment"))
        for path, entries in netops_comments.items()
        for mine, given in zip(entries, intended[path], strict=True)
        if mine.get("comment") != given.get("comment")
    )
    raw_a, raw_n = comparable(by_ansible, unmark=False), comparable(by_netops, unmark=False)
    found: Counter[tuple[str, str | None]] = Counter()
    for path in raw_n:
        assert len(raw_a[path]) == len(raw_n[path]), path
        for ea, en in zip(_by_rest(raw_a[path]), _by_rest(raw_n[path]), strict=True):
            fields = {k for k in set(ea) | set(en) if ea.get(k) != en.get(k)}
            assert fields <= {"comment"}, (path, ea, en)
            if fields:
                assert _MARKER.search(en["comment"]), (path, en)
                assert parse_comment(en["comment"], legacy=False).human == ea.get("comment", "")
                found[(path, en["comment"])] += 1
    assert found == expected and len(found) > 20

    # Secrets the API never prints, read from each device's own store: the same.
    for side in ("ansible", "netops"):
        state = pair.devices[side].state
        assert [r["secret"] for r in state.tables["radius"]] == [
            r["secret"] for r in intended["/radius"]
        ]
        (user,) = [u for u in state.tables["user"] if u["name"] == "netops"]
        assert check_password(user["password"], PASSWORD), side

    # After Ansible, `config diff` plans what adopting the entries takes and nothing else:
    # on each entry netops would have marked, a `set` of the comment with the marker (no
    # add, no remove, no other field, no drift), plus, on the entries that hold a secret
    # (/radius, /user), the secret sent again: netops cannot read it back, and the
    # fingerprint that proves it unchanged is not there yet.
    diff = pair.netops("ansible", "diff", "-d", HOST)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert "only-on-device" not in diff.stdout and " add " not in diff.stdout, diff.stdout
    planned: Counter[tuple[str, str | None]] = Counter()
    resent: set[str] = set()
    for line in diff.stdout.splitlines():
        op = re.match(r"\s+(/[a-z -]+?) (set|add|remove|move) (.*)$", line)
        if op is None:
            continue
        path = "/" + op[1].strip("/").replace(" ", "/")
        assert op[2] == "set", line
        words = dict(re.findall(r'(\S+?)=("[^"]*"|\S+)', op[3]))
        comment = words.pop("comment").strip('"')
        assert set(words) <= SCHEMA[path].write_only, line
        resent |= {path} if words else set()
        planned[(path, comment)] += 1
    assert planned == expected, diff.stdout
    assert resent == {"/radius", "/user"}

    # After netops, api_modify finds nothing to change. api_modify compares a comment as
    # any other field, so this playbook states the comments netops writes: those of
    # netops's own plan for a fresh device (marker, and fingerprint where a secret is).
    marked = api_modify_tasks(netops_comments, omit=LAB_HIDES)
    modify_only = [t for t in marked if "community.routeros.api_modify" in t]
    again = run_playbook(pair.tmp / "play2", pair.devices["netops"], modify_only)
    assert len(again) == len(intended) - 1
    changed = {n: (r["old_data"], r["new_data"]) for n, r in again.items() if r.get("changed")}
    assert not changed, json.dumps(changed, indent=1)


def _by_rest(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows in an order that does not depend on the comment (for the raw comparison)."""
    return sorted(
        rows,
        key=lambda r: json.dumps({k: v for k, v in r.items() if k != "comment"}, sort_keys=True),
    )


def with_netops_comments(state: State, key: bytes, fresh: State) -> dict[str, list[dict[str, str]]]:
    """The intended state with each comment as netops writes it on a fresh device: the
    comment of the ``add`` netops's planner makes for the entry from the device's factory
    state ``fresh`` (built-in and fixed entries are only set, and keep their comment)."""

    def bare(entry: Mapping[str, str]) -> str:
        return json.dumps({k: v for k, v in entry.items() if k != "comment"}, sort_keys=True)

    def keyed(path: str, entry: Mapping[str, str]) -> str:
        return json.dumps([entry.get(k) for k in SCHEMA[path].keys])

    comments: dict[tuple[str, str], str] = {}
    for op in plan(fresh, state, secret_key=key).ops:
        if isinstance(op, Add) and "comment" in op.values:
            comments[(op.path, bare(op.values))] = op.values["comment"]
        elif isinstance(op, Set) and "comment" in op.values and SCHEMA[op.path].keys:
            (had,) = [e for e in fresh[op.path] if e[".id"] == op.id]
            comments[(op.path, keyed(op.path, had))] = op.values["comment"]
    out: dict[str, list[dict[str, str]]] = {}
    for path, entries in state.items():
        rows = []
        for entry in entries:
            row = dict(entry)
            for found in ((path, bare(entry)), (path, keyed(path, entry))):
                row["comment"] = comments.get(found, row.get("comment", ""))
            if not row["comment"]:
                del row["comment"]
            rows.append(row)
        out[path] = rows
    return out
