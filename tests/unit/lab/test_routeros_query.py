"""``print`` queries as MikroTik's API documentation describes them
(https://help.mikrotik.com/docs/display/ROS/API, "Queries"): ``?name`` / ``?-name`` /
``?name=x`` / ``?<name=x`` / ``?>name=x`` push a value, ``?#`` applies ``|``, ``&``, ``!``,
``.`` and stack indexes (top is 0); the result is the AND of everything left on the stack."""

from __future__ import annotations

import pytest

from netops.lab.routeros.query import QueryError, compile_query, matches

ETHER = {".id": "*1", "name": "ether1", "type": "ether", "mtu": "1500", "disabled": "false"}
VLAN = {".id": "*A", "name": "vlan10", "type": "vlan", "mtu": "1496", "disabled": "true"}
BRIDGE = {".id": "*B", "name": "bridge1", "type": "bridge", "comment": "uplink"}


def select(*words: str) -> list[str]:
    steps = compile_query(list(words))
    return [row["name"] for row in (ETHER, VLAN, BRIDGE) if matches(steps, row)]


def test_no_query_matches_everything() -> None:
    assert select() == ["ether1", "vlan10", "bridge1"]


def test_presence_and_absence() -> None:
    assert select("comment") == ["bridge1"]
    assert select("-comment") == ["ether1", "vlan10"]


def test_equality_in_both_spellings_and_yes_no_as_booleans() -> None:
    assert select("type=vlan") == ["vlan10"]
    assert select("=type=vlan") == ["vlan10"]
    assert select("disabled=yes") == ["vlan10"]


def test_less_and_greater_compare_numbers_and_ids_numerically() -> None:
    assert select("<mtu=1500") == ["vlan10"]
    assert select(">.id=*2") == ["vlan10", "bridge1"]


def test_documented_example_type_neither_ether_nor_vlan() -> None:
    """The documentation's example: ``?type=ether ?type=vlan ?#|!``."""
    assert select("type=ether", "type=vlan", "#|!") == ["bridge1"]


def test_librouteros_in_and_or_shapes() -> None:
    assert select("=name=ether1", "=name=bridge1", "#|") == ["ether1", "bridge1"]
    assert select("=type=ether", "=disabled=false", "#&") == ["ether1"]


def test_index_copies_and_index_at_end_replaces_stack() -> None:
    # stack: [type=ether, type=vlan]; "0" at end keeps only the top (type=vlan)
    assert select("type=ether", "type=vlan", "#0") == ["vlan10"]
    # "1." pushes a copy of index 1 (type=ether), "|" ors it with type=vlan:
    # left [ether, ether|vlan], whose AND is type=ether
    assert select("type=ether", "type=vlan", "#1.|") == ["ether1"]
    assert select("type=vlan", "#.|") == ["vlan10"]


def test_values_left_on_the_stack_are_anded() -> None:
    assert select("type=ether", "mtu=1500") == ["ether1"]


@pytest.mark.parametrize("words", [["#|"], ["#x"], ["<mtu"]])
def test_malformed_queries_raise(words: list[str]) -> None:
    with pytest.raises(QueryError):
        matches(compile_query(words), ETHER)
