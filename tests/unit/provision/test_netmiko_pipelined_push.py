"""The netmiko driver's pipelined push on an IOS-like CLI: the changed lines and the
read-back go down in one write, and the verify still catches a line the device did not take.

The device here is a small stand-in for FRR's vtysh behind netmiko's connection object: it
echoes every line after its prompt, keeps a running configuration of blocks, answers a
refused line with ``% Unknown command``, and can take a line silently without keeping it.
The same push against real FRR routers is in tests/integration/provision/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from netops.errors import PushError
from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.provision.drivers import login_for
from netops.provision.drivers.netmiko import NetmikoSession, not_taken, refused_line
from netops.provision.render import Redactor, render_device
from tests.paths import LAB

HOST = "lab-core-01"


class Vtysh:
    """What netmiko's connection object does against FRR's vtysh, in memory."""

    RETURN = "\n"

    def __init__(self, hostname: str) -> None:
        self.base_prompt = hostname
        self.blocks: dict[str, list[str]] = {f"hostname {hostname}": []}
        self.refuse: set[str] = set()
        self.drop: set[str] = set()
        self.writes: list[str] = []
        self.commands: list[str] = []
        self.saved = 0
        self._out = ""

    def running(self) -> str:
        lines = ["Building configuration...", "", "Current configuration:", "!"]
        for top, children in self.blocks.items():
            lines.append(top)
            if top.startswith(("interface ", "router ")):
                lines += [*children, "exit"]
            lines.append("!")
        return "\n".join([*lines, "end"])

    def send_command(self, command: str, **kwargs: Any) -> str:
        self.commands.append(command)
        if command == "show running-config":
            return self.running()
        if command == "write memory":
            self.saved += 1
            return "Note: this version of vtysh never writes vtysh.conf\n[OK]"
        raise AssertionError(f"unexpected command {command!r}")

    def write_channel(self, text: str) -> None:
        self.writes.append(text)
        mode, block = "", None
        for line in text.split(self.RETURN)[:-1]:
            self._out += f"{self.base_prompt}{mode}# {line}\n"
            stripped = line.strip()
            if line == "configure terminal":
                mode = "(config)"
            elif line == "end":
                mode, block = "", None
            elif line == "show running-config":
                self._out += self.running() + f"\n{self.base_prompt}# "
            elif stripped in self.refuse:
                self._out += f"% Unknown command: {stripped}\n"
            elif stripped in self.drop:
                pass
            elif line == "exit":
                mode, block = "(config)", None
            elif stripped.startswith(("interface ", "router ")):
                block = stripped
                self.blocks.setdefault(block, [])
                mode = "(config-if)" if block.startswith("interface") else "(config-router)"
            elif block is None:
                negated = stripped.removeprefix("no ")
                if negated != stripped:
                    self.blocks.pop(negated, None)
                else:
                    self.blocks.setdefault(stripped, [])
            else:
                children = self.blocks[block]
                if stripped.startswith("no "):
                    children[:] = [c for c in children if c.strip() != stripped[3:]]
                elif " " + stripped not in children:
                    children.append(" " + stripped)

    def read_until_pattern(self, pattern: str, read_timeout: float = 10, **kw: Any) -> str:
        assert re.search(pattern, self._out), f"the push would wait forever:\n{self._out}"
        out, self._out = self._out, ""
        return out

    def save_config(self) -> None:
        raise AssertionError("netmiko's save_config probes the enable mode first")

    def check_config_mode(self) -> bool:
        return False

    def disconnect(self) -> None:
        pass


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(LAB)


def _session(inv: Inventory) -> tuple[NetmikoSession, Vtysh]:
    device = inv.device(HOST)
    session = NetmikoSession(inv, login_for(inv, device), Redactor())
    vtysh = Vtysh(HOST)
    session.conn = vtysh
    return session, vtysh


def _intended(inv: Inventory) -> Any:
    return render_device(inv, inv.device(HOST), with_secrets=True)


def test_the_change_and_its_read_back_are_one_write(inv: Inventory) -> None:
    session, vtysh = _session(inv)
    found = session.diff(_intended(inv))
    assert found.changed
    session.push(found)
    assert len(vtysh.writes) == 1, "one write for mode, lines, end and read-back"
    script = vtysh.writes[0].splitlines()
    assert script[0] == "configure terminal" and script[-2:] == ["end", "show running-config"]
    # One read before (the diff), one save; no prompt probe or second read in between.
    assert vtysh.commands == ["show running-config", "write memory"]
    assert vtysh.saved == 1
    again = session.diff(_intended(inv))
    assert not again.changed, again.text


def test_a_line_the_device_takes_silently_but_does_not_keep_fails_the_verify(
    inv: Inventory,
) -> None:
    session, vtysh = _session(inv)
    found = session.diff(_intended(inv))
    dropped = next(c.line for c in found.plan if c.op == "+" and c.path)
    vtysh.drop.add(dropped.strip())
    with pytest.raises(PushError) as failed:
        session.push(found)
    assert failed.value.applied
    assert "1 line(s) did not take effect" in str(failed.value)
    assert dropped.strip() in str(failed.value)
    assert vtysh.saved == 0, "a change that did not verify must not be saved"


def test_a_refused_line_is_named_with_the_device_s_error(inv: Inventory) -> None:
    session, vtysh = _session(inv)
    found = session.diff(_intended(inv))
    refused = next(c.line for c in found.plan if c.op == "+" and c.path)
    vtysh.refuse.add(refused.strip())
    with pytest.raises(PushError) as failed:
        session.push(found)
    assert failed.value.applied
    assert str(failed.value).startswith("the device rejected a line: % Unknown command")
    assert refused.strip() in str(failed.value)
    assert vtysh.saved == 0


def test_the_verify_ignores_drift_the_push_did_not_touch(inv: Inventory) -> None:
    session, vtysh = _session(inv)
    found = session.diff(_intended(inv))
    # Someone else's line on the device, in a block this push does not own: reported by
    # the diff as drift, never a failed push.
    vtysh.blocks["interface eth9"] = [" description added by hand"]
    session.push(found)
    assert vtysh.saved == 1


def test_refused_line_reads_the_echo_in_order() -> None:
    echo = (
        "r1# configure terminal\nr1(config)# interface eth1\n"
        "r1(config-if)#  ip ospf bogus 7\n% Unknown command:  ip ospf bogus 7\n"
        "r1(config-if)#  description up\nr1(config-if)# end\n"
    )
    pattern = r"% ?(Invalid|Unknown)[^\n]*"
    assert refused_line(
        echo, ["interface eth1", " ip ospf bogus 7", " description up"], pattern
    ) == (
        "ip ospf bogus 7",
        "% Unknown command:  ip ospf bogus 7",
    )
    assert refused_line("r1(config)# interface eth1\n", ["interface eth1"], pattern) is None


def test_not_taken_keeps_only_lines_the_push_sent() -> None:
    from netops.provision.configtree import Change

    plan = [Change(" ", (), "interface eth1", True), Change("+", ("interface eth1",), " mtu 9000")]
    remaining = [
        Change(" ", (), "interface eth1", True),
        Change("+", ("interface eth1",), " mtu 9000"),
        Change("+", ("interface eth2",), " description other"),
    ]
    assert not_taken(plan, remaining) == [remaining[1]]
