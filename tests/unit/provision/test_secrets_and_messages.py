"""Secrets never reach a session log; failure sentences say what really happened.

The session-log and error paths against real devices are in
tests/integration/provision/test_lab_targets.py; these tests pin the pieces down.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from netops.inventory import load_inventory
from netops.provision import configtree
from netops.provision.drivers import strip_prompts
from netops.provision.drivers.netmiko import describe_change as _describe_change
from netops.provision.drivers.netmiko import drop_blank_lines
from netops.provision.platforms import platform
from netops.provision.render import Redactor, StreamRedactor
from netops.provision.sessionlog import MaskingSessionLog
from tests.paths import LAB

pytestmark = pytest.mark.timeout(60)

MASK = Redactor.MASK


def _redactor(*values: str) -> Redactor:
    redactor = Redactor()
    for value in values:
        redactor.add(value)
    return redactor


def _stream(redactor: Redactor, pieces: list[str]) -> str:
    stream = StreamRedactor(redactor)
    return "".join(stream.feed(piece) for piece in pieces) + stream.close()


def test_an_echoed_secret_is_masked_even_when_it_ends_like_another_begins() -> None:
    # The lab's password ends with "lab", the start of its SNMP keys: netmiko's own masking
    # writes this password in clear.
    redactor = _redactor("netops-lab", "labauthpass", "labprivpass")
    text = "/user add password=netops-lab address=10.0.0.0/8\r\nauth=labauthpass priv=labprivpass\n"
    assert _stream(redactor, list(text)) == (
        f"/user add password={MASK} address=10.0.0.0/8\r\nauth={MASK} priv={MASK}\n"
    )


def test_any_split_of_the_text_masks_exactly_like_the_whole_text() -> None:
    redactor = _redactor("netops-lab", "labauthpass", "testing123", "public")
    text = "x netops-lab labauthpass y testing123 public netops-la labaut z netops-labauthpass"
    whole = redactor(text)
    for a, b in itertools.combinations(range(1, len(text)), 2):
        out = _stream(redactor, [text[:a], text[a:b], text[b:]])
        assert out == whole, (a, b)
        for value in redactor.values:
            assert value not in out


def test_a_trailing_start_of_a_secret_is_masked_when_the_session_ends() -> None:
    assert _stream(_redactor("netops-lab"), ["password=netops-l"]) == f"password={MASK}"


def test_the_routeros_quoted_form_of_a_secret_is_masked_too() -> None:
    redactor = _redactor('lab"priv$key')
    line = 'encryption-password="lab\\"priv\\$key" comment=x'
    assert redactor(line) == f'encryption-password="{MASK}" comment=x'
    assert _stream(redactor, list(line)) == f'encryption-password="{MASK}" comment=x'


def test_session_log_masks_a_secret_learned_after_it_was_opened(tmp_path: Path) -> None:
    redactor = _redactor("netops-lab")
    log = MaskingSessionLog(tmp_path / "r1.log", redactor)
    log.open()
    log.write("login ok\n")
    redactor.add("rendered-later")  # a template secret resolved after the login
    for char in "secret rendered-later and netops-lab\n":
        log.write(char)
    log.close()
    text = (tmp_path / "r1.log").read_text()
    assert text == f"login ok\nsecret {MASK} and {MASK}\n"


def test_the_redactor_learns_every_secret_of_the_inventory_from_env_and_file_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "inv"
    shutil.copytree(LAB, root)
    profiles = root / "profiles.yml"
    text = profiles.read_text()
    for old, new in (
        (
            "lab-admin: {username: netops, password: netops-lab}",
            "lab-admin: {username: netops, password: 'env:NX_PASS', enable_secret: 'env:NX_EN'}",
        ),
        ("auth_key: labauthpass", "auth_key: 'file:/run/nx/snmp-auth.key'"),
        ("priv_key: labprivpass", "priv_key: 'env:NX_PRIV'"),
        ("secret: testing123", "secret: 'file:/run/nx/radius.key'"),
    ):
        assert old in text
        text = text.replace(old, new)
    profiles.write_text(text.replace("/run/nx/", f"{tmp_path}/"))
    (tmp_path / "snmp-auth.key").write_text("from-a-file-auth\n")
    (tmp_path / "radius.key").write_text("radius-from-file\n")
    monkeypatch.setenv("NX_PASS", "pass-from-env")
    monkeypatch.setenv("NX_EN", "enable-from-env")
    monkeypatch.setenv("NX_PRIV", 'priv"from$env')
    redactor = Redactor()
    redactor.add_inventory(load_inventory(root))
    assert {
        "pass-from-env",
        "enable-from-env",
        "from-a-file-auth",
        'priv"from$env',
        'priv\\"from\\$env',  # as RouterOS shows it inside quotes
        "radius-from-file",
        "public",
        "uamsecret",
    } <= redactor.values


def test_prompt_lines_around_routeros_output_are_not_part_of_it() -> None:
    body = "# by RouterOS 7.14.3\n/system identity set name=lab-hs-01"
    prompt = "[netops@lab-hs-01]"
    # What netmiko returned for `/export terse` from the lab's RouterOS target, one read in
    # three: the device repainted its prompt and netmiko left one copy in.
    assert strip_prompts(f"{body}\n[netops@lab-hs-01] >\n", prompt) == body
    assert strip_prompts(f"[netops@lab-hs-01] >\n{body}\n[netops@lab-hs-01] > \n\n", prompt) == body
    assert strip_prompts(body, prompt) == body
    assert strip_prompts("hostname r1\n!\nend", "r1") == "hostname r1\n!\nend"
    assert strip_prompts("hostname r1\nend\nr1#", "r1") == "hostname r1\nend"
    assert strip_prompts("end\nr1(config)#\n", "r1") == "end"


def test_a_change_that_did_not_take_effect_is_named_as_the_engineer_finds_it() -> None:
    ros = platform("mikrotik_routeros")
    changes = configtree.compare(
        configtree.parse("/system identity set name=x\n", ros),
        configtree.parse(
            "/system clock\nset time-zone-name=Asia/Makassar\n"
            "/ip service\nset telnet disabled=yes\n",
            ros,
        ),
        ros,
    )
    first = next(c for c in changes if c.path)
    assert (
        _describe_change(first, ros) == "/system clock set time-zone-name=Asia/Makassar (missing)"
    )
    frr = platform("frr")
    changes = configtree.compare(
        configtree.parse("interface eth1\n ip ospf bogus 7\n", frr),
        configtree.parse("interface eth1\n ip address 10.0.0.1/30\n", frr),
        frr,
    )
    assert [_describe_change(c, frr) for c in changes] == [
        "ip ospf bogus 7 (still there under interface eth1)",
        "ip address 10.0.0.1/30 (missing under interface eth1)",
    ]


def test_a_routeros_export_read_with_a_repainted_prompt_equals_a_clean_read() -> None:
    # What netmiko returned for `/export terse` from the lab's RouterOS target, one read in
    # eight: a prompt repainted during the read left an empty line in the middle.
    clean = "# by RouterOS 7.14.3\n# software id = LAB-0001\n/system identity set name=r1"
    repainted = "# by RouterOS 7.14.3\n# software id = LAB-0001\n\n/system identity set name=r1"
    assert drop_blank_lines(repainted) == drop_blank_lines(clean) == clean
