"""The lab's services for phones (netops/lab/runtime.py ``_phone_services``): the stand-in
internet handed to every simulated gateway, and Kannel for phone sign-up, or one line
saying it is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.inventory import load_inventory
from netops.lab import kannel
from netops.lab.plan import plan_lab
from netops.lab.runtime import HotspotOptions, Lab
from tests.paths import LAB


def test_with_kannel_the_lab_runs_it_and_hands_the_internet_to_each_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kannel, "missing", lambda: None)
    inventory = load_inventory(LAB)
    lab = Lab(inventory, tmp_path / "lab")
    said: list[str] = []
    specs = {s.name: s for s in lab._phone_services(said.append)}
    assert set(specs) == {"internet", "kannel"}
    assert lab.internet_url is not None and lab.internet_url.startswith("http://127.0.0.1:")
    port = lab.internet_url.rsplit(":", 1)[1]
    assert specs["internet"].argv[-1] == f"127.0.0.1:{port}"
    argv = specs["kannel"].argv
    assert argv[argv.index("--sendsms") + 1] == "http://127.0.0.1:13013/cgi-bin/sendsms"
    assert "smssecret" not in " ".join(argv)  # the password goes by the environment
    assert specs["kannel"].env[kannel.PASSWORD_ENV] == "smssecret"
    assert said == [f"Kannel with a test SMSC: the SMS the lab sends are in {lab.sms_log}"]
    hotspots = lab._hotspots(plan_lab(inventory, "nxlab-"), HotspotOptions())
    for spec in hotspots:
        assert spec.argv[spec.argv.index("--internet") + 1] == lab.internet_url


def test_without_kannel_the_lab_says_so_in_one_line_and_runs_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    why = "bearerbox is missing; install the Debian package kannel"
    monkeypatch.setattr(kannel, "missing", lambda: why)
    lab = Lab(load_inventory(LAB), tmp_path / "lab")
    said: list[str] = []
    specs = lab._phone_services(said.append)
    assert [s.name for s in specs] == ["internet"]
    assert said == [
        "Kannel is not installed (bearerbox is missing; install the Debian package kannel): "
        "the lab runs without phone sign-up"
    ]


def test_missing_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kannel.shutil, "which", lambda _: None)
    assert kannel.missing() == "bearerbox and smsbox are missing; install the Debian package kannel"


def test_a_kannel_that_does_not_answer_is_one_line_and_the_lab_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    monkeypatch.setattr(kannel, "missing", lambda: None)
    lab = Lab(load_inventory(LAB), tmp_path / "lab")
    said: list[str] = []
    specs = lab._phone_services(said.append)
    with socket.socket() as internet, socket.socket() as closed:
        internet.bind(("127.0.0.1", 0))
        internet.listen()
        closed.bind(("127.0.0.1", 0))  # bound, never listening: nothing answers there
        lab._phone_ports = {
            "internet": internet.getsockname()[1],
            "kannel": closed.getsockname()[1],
        }
        lab._wait_phone_services(specs, said.append, wait=0.3)
    assert said[-1].startswith("Kannel did not start (") and said[-1].endswith(
        "): no phone sign-up"
    )
