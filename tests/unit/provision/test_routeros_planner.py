"""The pure RouterOS planner: convergence, idempotence and ownership as properties, and
examples for each kind of menu, secrets, order of operations and a realistic gateway."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netops.provision.routeros import (
    SCHEMA,
    Add,
    Move,
    Plan,
    PlanError,
    Remove,
    Set,
    apply,
    mark,
    parse_comment,
    plan,
)
from netops.provision.routeros.normalize import normalize

KEY = b"test-key"
POOL, WG, FILTER, DNS, RADIUS = (
    "/ip/pool",
    "/ip/hotspot/walled-garden/ip",
    "/ip/firewall/filter",
    "/ip/dns",
    "/radius",
)
COMMENTS = st.sampled_from(["", "portal", "RADIUS", "drop the rest", "ICMP"])

# --- strategies -----------------------------------------------------------------------------


def _pool(name: str) -> Any:
    return st.fixed_dictionaries(
        {
            "name": st.just(name),
            "ranges": st.sampled_from(["10.0.0.10-10.0.0.20", "10.0.1.10-10.0.1.99"]),
        },
        optional={"comment": COMMENTS, "disabled": st.sampled_from(["yes", "no"])},
    )


pools = st.lists(st.sampled_from(["p0", "p1", "p2", "p3"]), unique=True, max_size=4).flatmap(
    lambda names: st.tuples(*(_pool(n) for n in names)).map(list)
)
walled = st.lists(
    st.fixed_dictionaries(
        {
            "dst-address": st.sampled_from(["10.40.0.5", "10.40.0.6"]),
            "protocol": st.sampled_from(["tcp", "udp"]),
            "dst-port": st.sampled_from(["443", "80,443", "8080"]),
        },
        optional={"comment": COMMENTS},
    ),
    max_size=4,
)
rules = st.lists(
    st.fixed_dictionaries(
        {
            "chain": st.sampled_from(["input", "forward"]),
            "action": st.sampled_from(["accept", "drop"]),
        },
        optional={
            "protocol": st.sampled_from(["tcp", "udp", "icmp"]),
            "dst-port": st.sampled_from(["22", "53,67"]),
            "comment": COMMENTS,
        },
    ),
    max_size=6,
)
dns = st.fixed_dictionaries(
    {},
    optional={
        "servers": st.sampled_from(["10.40.0.2", "10.40.0.2,10.40.0.3"]),
        "allow-remote-requests": st.sampled_from(["yes", "no"]),
    },
)


def _radius(key: tuple[str, str]) -> Any:
    return st.fixed_dictionaries(
        {
            "address": st.just(key[0]),
            "service": st.just(key[1]),
            "secret": st.sampled_from(["s3cret-a", "s3cret-b"]),
            "timeout": st.sampled_from(["3s", "1s"]),
        },
        optional={"comment": COMMENTS},
    )


radii = st.lists(
    st.tuples(st.sampled_from(["10.40.0.10", "10.40.0.11"]), st.sampled_from(["hotspot", "login"])),
    unique=True,
    max_size=3,
).flatmap(lambda keys: st.tuples(*(_radius(k) for k in keys)).map(list))

intended_states = st.fixed_dictionaries(
    {POOL: pools, WG: walled, FILTER: rules, DNS: dns.map(lambda d: [d]), RADIUS: radii}
)

#: Spellings a device may show back for a value netops wrote.
RESPELL = {
    "3s": ["3s", "3000ms", "00:00:03"],
    "1s": ["1s", "1000ms"],
    "yes": ["yes", "true"],
    "no": ["no", "false"],
    "80,443": ["80,443", "443,80"],
}
UNOWNED = {
    POOL: [{"name": "rogue", "ranges": "10.9.9.1-10.9.9.9"}],
    WG: [{"dst-address": "10.9.9.9", "action": "accept", "comment": "added by hand"}],
    FILTER: [{"chain": "input", "action": "accept", "src-address": "10.9.9.9"}],
    RADIUS: [{"address": "10.9.9.9", "service": "hotspot"}],
}
PROTECTED = {
    POOL: [{"name": "dhcp", "ranges": "192.168.88.10-192.168.88.254", "default": "true"}],
    FILTER: [
        {
            "chain": "forward",
            "action": "passthrough",
            "dynamic": "true",
            "comment": "special dummy rule",
        }
    ],
    WG: [{"dst-address": "10.8.8.8", "dynamic": "true"}],
}


@st.composite
def devices(draw: Any) -> dict[str, list[dict[str, str]]]:
    """A device that netops configured once from some (other) intended state, then drifted:
    values respelled, owned rules shuffled, plus unowned and dynamic/built-in entries."""
    old = draw(intended_states)
    state = apply({}, plan({}, old, secret_key=KEY))
    counter = 0x100
    for path, entries in state.items():
        for entry in entries:
            for name, value in list(entry.items()):
                if value in RESPELL:
                    entry[name] = draw(st.sampled_from(RESPELL[value]))
        if path == FILTER:
            state[path] = draw(st.permutations(entries))
        for extra in (UNOWNED, PROTECTED):
            for entry in extra.get(path, []):
                if draw(st.booleans()):
                    counter += 1
                    at = draw(st.integers(0, len(state[path])))
                    state[path].insert(at, {**entry, ".id": f"*{counter:X}"})
    return state


# --- checks, written apart from the planner ----------------------------------------------


def _norm(path: str, entry: dict[str, str]) -> dict[str, str]:
    ps = SCHEMA[path]
    out = {}
    for name, value in entry.items():
        spec = ps.field(name)
        if name in (".id", "comment") or spec.write_only:
            continue
        value = normalize(value, spec.type)
        if spec.default is not None and value == normalize(spec.default, spec.type):
            continue
        out[name] = value
    out["comment"] = parse_comment(entry.get("comment")).human
    return out


def _owned(entry: dict[str, str]) -> bool:
    return parse_comment(entry.get("comment")).owned


def _frozen(d: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(d.items()))


def assert_converged(after: dict[str, list[dict[str, str]]], intended: dict[str, Any]) -> None:
    for path in (POOL, WG, RADIUS):
        have = Counter(_frozen(_norm(path, e)) for e in after.get(path, []) if _owned(e))
        want = Counter(_frozen(_norm(path, e)) for e in intended[path])
        assert have == want, path
    for chain in ("input", "forward"):
        have_seq = [
            _norm(FILTER, e) for e in after.get(FILTER, []) if _owned(e) and e["chain"] == chain
        ]
        want_seq = [_norm(FILTER, e) for e in intended[FILTER] if e["chain"] == chain]
        assert have_seq == want_seq, chain
    settings_now = after[DNS][0] if after.get(DNS) else {}
    for name, value in intended[DNS][0].items():
        spec = SCHEMA[DNS].field(name)
        assert normalize(settings_now[name], spec.type) == normalize(value, spec.type)


def _ids(state: dict[str, list[dict[str, str]]], pick: Any) -> set[str]:
    return {e[".id"] for path, entries in state.items() if path != DNS for e in entries if pick(e)}


def _touched(p: Plan) -> set[str]:
    return {op.id for op in p.ops if isinstance(op, Set | Remove | Move) and op.id}


def _protected(e: dict[str, str]) -> bool:
    return any(e.get(f) == "true" for f in ("dynamic", "builtin", "default"))


PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- properties ---------------------------------------------------------------------------


@PROPS
@given(current=devices(), intended=intended_states)
def test_applying_the_plan_reaches_the_intended_state(current: Any, intended: Any) -> None:
    after = apply(current, plan(current, intended, secret_key=KEY))
    assert_converged(after, intended)


@PROPS
@given(current=devices(), intended=intended_states, prune=st.booleans())
def test_a_second_plan_after_applying_is_empty(current: Any, intended: Any, prune: bool) -> None:
    after = apply(current, plan(current, intended, prune=prune, secret_key=KEY))
    assert plan(after, intended, prune=prune, secret_key=KEY).ops == ()


@PROPS
@given(intended=intended_states)
def test_a_device_already_in_the_intended_state_gets_an_empty_plan(intended: Any) -> None:
    device = apply({}, plan({}, intended, secret_key=KEY))
    again = plan(device, intended, secret_key=KEY)
    assert again.ops == () and again.drift == ()


@PROPS
@given(current=devices(), intended=intended_states)
def test_without_prune_unowned_entries_are_reported_and_never_touched(
    current: Any, intended: Any
) -> None:
    p = plan(current, intended, secret_key=KEY)
    unowned = _ids(current, lambda e: not _owned(e) and not _protected(e))
    assert not (_touched(p) & unowned)
    reported = {d.id for d in p.drift if d.kind == "only-on-device"}
    assert reported == unowned
    after = apply(current, p)
    for path, entries in current.items():
        for entry in entries:
            if entry.get(".id") in unowned:
                assert entry in after[path]


@PROPS
@given(current=devices(), intended=intended_states, prune=st.booleans())
def test_dynamic_and_builtin_entries_are_never_touched(
    current: Any, intended: Any, prune: bool
) -> None:
    p = plan(current, intended, prune=prune, secret_key=KEY)
    assert not (_touched(p) & _ids(current, _protected))
    after = apply(current, p)
    for path, entries in current.items():
        for entry in entries:
            if _protected(entry):
                assert entry in after[path]


@PROPS
@given(current=devices(), intended=intended_states)
def test_prune_removes_exactly_the_unowned_entries(current: Any, intended: Any) -> None:
    p = plan(current, intended, prune=True, secret_key=KEY)
    after = apply(current, p)
    assert_converged(after, intended)
    left = _ids(after, lambda e: not _owned(e) and not _protected(e))
    assert left == set()


@PROPS
@given(intended=intended_states, other=st.sampled_from(["s3cret-a", "s3cret-b"]))
def test_a_changed_secret_is_sent_once_and_then_converges(intended: Any, other: str) -> None:
    device = apply({}, plan({}, intended, secret_key=KEY))
    assert all("secret" not in e for e in device.get(RADIUS, []))  # the device hides it
    changed = {**intended, RADIUS: [{**e, "secret": other} for e in intended[RADIUS]]}
    p = plan(device, changed, secret_key=KEY)
    sent = [op for op in p.ops if isinstance(op, Set) and "secret" in op.values]
    assert len(sent) == sum(1 for e in intended[RADIUS] if e["secret"] != other)
    assert plan(apply(device, p), changed, secret_key=KEY).ops == ()


@PROPS
@given(intended=intended_states)
def test_a_device_pushed_without_markers_is_adopted_not_duplicated(intended: Any) -> None:
    """What the old text push left: every entry netops made, but no marker (and its
    RouterOS spelling of values). One plan marks them; nothing is added twice."""
    device = apply({}, plan({}, intended, secret_key=KEY))
    for entries in device.values():
        for entry in entries:
            human = parse_comment(entry.get("comment")).human
            entry.pop("comment", None)
            if human:
                entry["comment"] = human
            for name, value in list(entry.items()):
                if value in RESPELL:
                    entry[name] = RESPELL[value][-1]
    p = plan(device, intended, secret_key=KEY)
    assert not any(isinstance(op, Add) for op in p.ops)
    after = apply(device, p)
    assert_converged(after, intended)
    for path in (POOL, WG, FILTER, RADIUS):
        assert len(after.get(path, [])) == len(intended[path])


# --- examples: one per kind ---------------------------------------------------------------


def _dev(path: str, *entries: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    return {path: [{".id": f"*{n + 1:X}", **e} for n, e in enumerate(entries)]}


def test_settings_compare_only_the_fields_netops_states() -> None:
    current = _dev(
        DNS, {"servers": "10.0.0.1", "cache-size": "4096KiB", "allow-remote-requests": "true"}
    )
    p = plan(current, {DNS: [{"servers": "10.40.0.2", "allow-remote-requests": "yes"}]})
    assert p.ops == (Set(DNS, None, {"servers": "10.40.0.2"}),)
    assert plan(current, {DNS: [{"allow-remote-requests": "yes"}]}).empty


def test_keyed_entry_is_changed_in_place_and_dropped_fields_go_back_to_default() -> None:
    current = _dev(
        "/ip/dhcp-server",
        {
            "name": "dhcp-a",
            "interface": "vlan30",
            "lease-time": "2h",
            "disabled": "true",
            "comment": "a [netops]",
        },
    )
    p = plan(
        current, {"/ip/dhcp-server": [{"name": "dhcp-a", "interface": "vlan31", "comment": "a"}]}
    )
    assert p.ops == (
        Set(
            "/ip/dhcp-server",
            "*1",
            {"interface": "vlan31", "lease-time": "10m", "disabled": "false"},
        ),
    )


def test_keyed_owned_entry_dropped_from_the_inventory_is_removed_and_unowned_is_drift() -> None:
    current = _dev(
        POOL,
        {"name": "old", "ranges": "1.1.1.1", "comment": "[netops]"},
        {"name": "mine", "ranges": "2.2.2.2"},
    )
    p = plan(current, {POOL: []})
    assert p.ops == (Remove(POOL, "*1"),)
    assert [(d.kind, d.id) for d in p.drift] == [("changed", "*1"), ("only-on-device", "*2")]
    assert plan(current, {POOL: []}, prune=True).ops == (Remove(POOL, "*1"), Remove(POOL, "*2"))


def test_unmarked_entry_with_an_intended_key_is_adopted_not_added_twice() -> None:
    current = _dev(POOL, {"name": "pool-a", "ranges": "10.0.0.10-10.0.0.20", "comment": "pool a"})
    p = plan(
        current, {POOL: [{"name": "pool-a", "ranges": "10.0.0.10-10.0.0.20", "comment": "pool a"}]}
    )
    assert p.ops == (Set(POOL, "*1", {"comment": "pool a [netops]"}),)
    assert p.drift[0].kind == "adopted"
    refused = plan(current, {POOL: [{"name": "pool-a", "ranges": "x"}]}, adopt=False)
    assert refused.ops == () and refused.drift[0].kind == "conflict"


def test_fields_keyed_entry_that_changed_is_replaced_and_a_new_comment_is_set() -> None:
    current = _dev(
        WG, {"dst-address": "10.40.0.10", "action": "accept", "comment": "netops RADIUS [netops]"}
    )
    p = plan(
        current,
        {
            WG: [
                {
                    "dst-address": "10.40.0.5",
                    "protocol": "tcp",
                    "dst-port": "443",
                    "comment": "portal",
                }
            ]
        },
    )
    assert [type(op) for op in p.ops] == [Remove, Add]
    same = plan(current, {WG: [{"dst-address": "10.40.0.10/32", "comment": "RADIUS"}]})
    assert same.ops == (Set(WG, "*1", {"comment": "RADIUS [netops]"}),)


def test_ordered_rules_are_moved_into_order_and_new_ones_placed_before_their_successor() -> None:
    current = _dev(
        FILTER,
        {"chain": "input", "action": "drop", "comment": "drop the rest [netops]"},
        {"chain": "input", "action": "accept", "protocol": "icmp", "comment": "ICMP [netops]"},
    )
    want = [
        {"chain": "input", "action": "accept", "protocol": "icmp", "comment": "ICMP"},
        {
            "chain": "input",
            "action": "accept",
            "protocol": "tcp",
            "dst-port": "22",
            "comment": "SSH",
        },
        {"chain": "input", "action": "drop", "comment": "drop the rest"},
    ]
    p = plan(current, {FILTER: want})
    assert p.ops == (
        Move(FILTER, "*1", None),
        Add(FILTER, {**want[1], "comment": "SSH [netops]"}, "+1", "*1"),
    )
    after = apply(current, p)
    assert [e["comment"] for e in after[FILTER]] == [
        "ICMP [netops]",
        "SSH [netops]",
        "drop the rest [netops]",
    ]


def test_an_owned_rule_with_the_same_comment_is_changed_in_place() -> None:
    current = _dev(
        FILTER,
        {
            "chain": "input",
            "action": "accept",
            "protocol": "tcp",
            "dst-port": "22",
            "comment": "SSH [netops]",
        },
    )
    p = plan(
        current,
        {
            FILTER: [
                {
                    "chain": "input",
                    "action": "accept",
                    "protocol": "tcp",
                    "dst-port": "22,8729",
                    "comment": "SSH",
                }
            ]
        },
    )
    assert p.ops == (Set(FILTER, "*1", {"dst-port": "22,8729"}),)


def test_fields_a_device_adds_to_rules_and_routes_do_not_count_as_drift() -> None:
    """What `/ip/firewall/filter/print` and `/ip/route/print` show beyond what was written:
    counters, defaults, computed fields, and fields a newer RouterOS brings."""
    current = {
        **_dev(
            FILTER,
            {
                "chain": "input",
                "action": "accept",
                "protocol": "udp",
                "dst-port": "67,53",
                "bytes": "1234",
                "packets": "12",
                "log": "false",
                "log-prefix": "",
                "invalid": "false",
                "dynamic": "false",
                "disabled": "false",
                "hw-offload": "false",
                "new-in-7-99": "whatever",
                "comment": "DNS [netops]",
            },
        ),
        "/ip/route": [
            {
                ".id": "*9",
                "dst-address": "0.0.0.0/0",
                "gateway": "10.20.0.89",
                "distance": "1",
                "scope": "30",
                "target-scope": "10",
                "routing-table": "main",
                "active": "true",
                "immediate-gw": "10.20.0.89%ether1",
                "suppress-hw-offload": "false",
                "comment": "default [netops]",
            }
        ],
    }
    intended = {
        FILTER: [
            {
                "chain": "input",
                "action": "accept",
                "protocol": "udp",
                "dst-port": "53,67",
                "comment": "DNS",
            }
        ],
        "/ip/route": [{"dst-address": "0.0.0.0/0", "gateway": "10.20.0.89", "comment": "default"}],
    }
    assert plan(current, intended).empty
    changed = {**intended, "/ip/route": [{**intended["/ip/route"][0], "distance": "5"}]}
    assert plan(current, changed).ops == (Set("/ip/route", "*9", {"distance": "5"}),)


def test_removals_run_dependents_first_and_additions_dependencies_first() -> None:
    current = {
        **_dev(POOL, {"name": "pool-old", "ranges": "1.1.1.1", "comment": "[netops]"}),
        "/ip/dhcp-server": [
            {
                ".id": "*9",
                "name": "dhcp-old",
                "address-pool": "pool-old",
                "interface": "e",
                "comment": "[netops]",
            }
        ],
    }
    intended = {
        "/ip/dhcp-server": [{"name": "dhcp-new", "address-pool": "pool-new", "interface": "e"}],
        POOL: [{"name": "pool-new", "ranges": "2.2.2.2"}],
    }
    p = plan(current, intended)
    assert [(type(op).__name__, op.path) for op in p.ops] == [
        ("Remove", "/ip/dhcp-server"),
        ("Remove", POOL),
        ("Add", POOL),
        ("Add", "/ip/dhcp-server"),
    ]


def test_a_builtin_entry_is_only_set_on_the_fields_named_for_it() -> None:
    current = _dev("/snmp/community", {"name": "public", "addresses": "::/0", "default": "true"})
    p = plan(current, {"/snmp/community": [{"name": "public", "disabled": "yes"}]})
    assert p.ops == (Set("/snmp/community", "*1", {"disabled": "yes"}),)
    assert plan(current, {"/snmp/community": []}, prune=True).empty


def test_an_intended_default_entry_names_the_device_default_and_is_never_added() -> None:
    want = {"/snmp/community": [{"name": "public", "default": "yes", "disabled": "yes"}]}
    renamed = _dev("/snmp/community", {"name": "city", "default": "true", "disabled": "false"})
    assert plan(renamed, want).ops == (Set("/snmp/community", "*1", {"disabled": "yes"}),)
    gone = plan({"/snmp/community": []}, want)
    assert gone.ops == () and [d.kind for d in gone.drift] == ["missing"]


def test_fixed_menu_is_set_never_added_or_removed() -> None:
    current = _dev(
        "/ip/service",
        {"name": "telnet", "port": "23", "disabled": "false"},
        {"name": "ssh", "port": "22"},
    )
    p = plan(
        current,
        {
            "/ip/service": [
                {"name": "telnet", "disabled": "yes"},
                {"name": "nosuch", "disabled": "yes"},
            ]
        },
        prune=True,
    )
    assert p.ops == (Set("/ip/service", "*1", {"disabled": "yes"}),)
    assert [d.kind for d in p.drift] == ["changed", "missing"]


def test_prune_leaves_files_that_are_not_netops_own() -> None:
    current = _dev(
        "/file",
        {"name": "flash/backup-2026-12-01.backup", "type": "backup"},
        {"name": "hotspot-netops/old.html", "contents": "x"},
    )
    p = plan(current, {"/file": []}, prune=True)
    assert p.ops == (Remove("/file", "*2"),)
    assert [d.kind for d in p.drift] == ["only-on-device", "changed"]


# --- secrets ------------------------------------------------------------------------------


def test_secret_modes() -> None:
    want = {
        RADIUS: [{"address": "10.40.0.10", "service": "hotspot", "secret": "abc", "comment": "R"}]
    }
    device = apply({}, plan({}, want, secret_key=KEY))
    comment = device[RADIUS][0]["comment"]
    assert parse_comment(comment).fingerprint and "abc" not in comment
    assert plan(device, want, secret_key=KEY).empty
    assert not plan(device, want, secret_key=b"other key").empty  # another key: re-sent
    on_add = apply({}, plan({}, want, secrets="on-add"))
    assert on_add[RADIUS][0]["comment"] == "R [netops]"
    assert plan(on_add, {RADIUS: [{**want[RADIUS][0], "secret": "new"}]}, secrets="on-add").empty
    always = plan(on_add, want, secrets="always")
    assert always.ops == (Set(RADIUS, "*1", {"secret": "abc"}),)
    with pytest.raises(PlanError, match="secret_key"):
        plan({}, want)


def test_a_visible_secret_is_compared_directly() -> None:
    current = _dev(
        "/user", {"name": "netops", "password": "old", "group": "full", "comment": "[netops]"}
    )
    p = plan(
        current,
        {"/user": [{"name": "netops", "password": "new", "group": "full"}]},
        secrets="on-add",
    )
    assert p.ops == (Set("/user", "*1", {"password": "new"}),)
    assert "new" not in " ".join(str(d) for d in p.drift)


def test_plan_lines_read_like_the_routeros_cli_and_hide_secrets() -> None:
    current = {
        **_dev(RADIUS, {"address": "10.9.9.9", "service": "hotspot", "comment": "rogue"}),
        POOL: [{".id": "*2", "name": "p", "ranges": "1.1.1.1", "comment": "[netops]"}],
    }
    intended = {
        RADIUS: [
            {
                "address": "10.40.0.10",
                "service": "hotspot",
                "secret": "hunter2",
                "comment": "RADIUS 1",
            }
        ],
        POOL: [{"name": "p", "ranges": "2.2.2.2"}],
        DNS: [{"servers": "10.40.0.2"}],
    }
    lines = plan(current, intended, prune=True, secrets="on-add").lines()
    assert lines == [
        "/radius remove *1",
        "/ip pool set *2 ranges=2.2.2.2",
        '/radius add address=10.40.0.10 service=hotspot secret="<secret>"'
        ' comment="RADIUS 1 [netops]"  # +1',
        "/ip dns set servers=10.40.0.2",
    ]


# --- markers, errors, simulator -------------------------------------------------------------


def test_marker_keeps_the_human_comment_readable() -> None:
    assert mark("RADIUS 1") == "RADIUS 1 [netops]"
    assert mark("") == "[netops]"
    assert mark("RADIUS 1 [netops]", "0a1b2c3d") == "RADIUS 1 [netops:0a1b2c3d]"
    parsed = parse_comment("RADIUS 1 [netops:0a1b2c3d]")
    assert (parsed.human, parsed.owned, parsed.fingerprint) == ("RADIUS 1", True, "0a1b2c3d")
    assert not parse_comment("RADIUS 1").owned
    legacy = parse_comment("netops: established")
    assert (legacy.human, legacy.owned) == ("established", True)
    assert not parse_comment("netopsy").owned


def test_bad_intended_state_is_one_clear_error() -> None:
    with pytest.raises(PlanError, match="no schema for the RouterOS path /ip/nosuch"):
        plan({}, {"/ip/nosuch": []})
    with pytest.raises(PlanError, match="two intended entries"):
        plan({}, {POOL: [{"name": "a"}, {"name": "a"}]})
    with pytest.raises(PlanError, match="settings menu"):
        plan({}, {DNS: [{}, {}]})
    with pytest.raises(PlanError, match="no chain"):
        plan({}, {FILTER: [{"action": "drop"}]})


def test_apply_refuses_an_operation_on_a_missing_entry() -> None:
    with pytest.raises(PlanError, match="no entry \\*7"):
        apply({}, Plan((Remove(POOL, "*7"),)))


# --- a realistic hotspot gateway ---------------------------------------------------------------


def test_gateway_pushed_by_the_old_text_templates_converges_in_one_plan() -> None:
    """What `/export` showed after the old push: properties in RouterOS spelling and order,
    defaults added, secrets hidden, no ownership markers, and a rogue RADIUS server."""
    current = {
        "/ip/hotspot/profile": [
            {
                ".id": "*0",
                "name": "default",
                "default": "true",
                "dns-name": "",
                "login-by": "cookie,http-chap",
            },
            {
                ".id": "*1",
                "name": "hsprof-park",
                "dns-name": "wifi.example.go.id",
                "hotspot-address": "10.100.0.1",
                "html-directory": "hotspot-netops",
                "http-cookie-lifetime": "1d00:00:00",
                "login-by": "http-pap,http-chap",
                "radius-accounting": "true",
                "radius-interim-update": "00:05:00",
                "use-radius": "true",
                "nas-port-type": "wireless-802.11",
            },
        ],
        "/ip/hotspot/user/profile": [
            {
                ".id": "*2",
                "name": "plan-gratis",
                "rate-limit": "2000000/5000000",
                "shared-users": "1",
            },
        ],
        WG: [
            {
                ".id": "*3",
                "dst-address": "10.40.0.10",
                "action": "accept",
                "comment": "netops RADIUS",
                "disabled": "false",
            }
        ],
        RADIUS: [
            {
                ".id": "*4",
                "address": "10.40.0.10",
                "service": "hotspot",
                "timeout": "3s",
                "comment": "netops RADIUS 1",
                "src-address": "10.10.0.46",
                "accounting-port": "1813",
                "authentication-port": "1812",
            },
            {".id": "*5", "address": "203.0.113.66", "service": "hotspot", "timeout": "300ms"},
        ],
        "/ip/dns/static": [
            {".id": "*6", "name": "wifi.example.go.id", "address": "10.100.0.1", "dynamic": "true"}
        ],
    }
    intended = {
        "/ip/hotspot/profile": [
            {
                "name": "hsprof-park",
                "hotspot-address": "10.100.0.1",
                "dns-name": "",
                "html-directory": "hotspot-netops",
                "login-by": "http-chap,http-pap",
                "use-radius": "yes",
                "radius-accounting": "yes",
                "radius-interim-update": "5m",
                "nas-port-type": "wireless-802.11",
                "http-cookie-lifetime": "1d",
            }
        ],
        WG: [
            {
                "action": "accept",
                "protocol": "tcp",
                "dst-port": "443",
                "dst-host": "wifi.example.go.id",
                "comment": "netops portal",
            }
        ],
        RADIUS: [
            {
                "address": "10.40.0.10",
                "service": "hotspot",
                "secret": "s",
                "timeout": "3000ms",
                "src-address": "10.10.0.46",
                "comment": "RADIUS 1",
            }
        ],
    }
    p = plan(current, intended, secret_key=KEY)
    assert Set("/ip/hotspot/profile", "*1", {"dns-name": ""}) in p.ops  # nothing else differs
    kinds = {(d.path, d.kind, d.id) for d in p.drift}
    assert (RADIUS, "only-on-device", "*5") in kinds  # the rogue server is reported...
    assert Remove(RADIUS, "*5") not in p.ops  # ...and left alone without prune
    # netops's own leftovers of the old push: the per-plan profile and the walled-garden
    # entry that opened the RADIUS server to phones (legacy "netops …" comment) go.
    assert Remove("/ip/hotspot/user/profile", "*2") in p.ops
    assert Remove(WG, "*3") in p.ops
    assert not any(d.id in ("*0", "*6") for d in p.drift)  # built-in and dynamic: silent
    radius_set = next(op for op in p.ops if isinstance(op, Set) and op.path == RADIUS)
    assert radius_set.values["secret"] == "s"
    assert radius_set.values["comment"].startswith("RADIUS 1 [netops:")
    after = apply(current, p)
    assert plan(after, intended, secret_key=KEY).empty
    pruned = plan(after, intended, prune=True, secret_key=KEY)
    assert pruned.ops == (Remove(RADIUS, "*5"),)
