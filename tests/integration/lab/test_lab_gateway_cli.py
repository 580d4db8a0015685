"""``netops lab gateway`` and its old name ``netops portal gateway-sim``, as an operator runs
them: a real gateway process on loopback that redirects a browser to the portal with the
MikroTik parameters; the old name does the same and says once, on stderr, that it goes."""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.cli.main import main
from tests.paths import LAB, REPO

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

NETOPS = REPO / ".venv" / "bin" / "netops"
PORTAL = "http://127.0.0.1:9/"  # never contacted: the gateway only redirects to it here
DEPRECATION = (
    "warning: `netops portal gateway-sim` is deprecated and goes in the next release; "
    "use `netops lab gateway`"
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _run(command: list[str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    err = tmp_path / "stderr.log"
    env = {**os.environ, "NETOPS_INVENTORY": str(LAB)}
    listen = ["--listen", "127.0.0.1:0", "--coa-listen", "127.0.0.1:0", "--portal", PORTAL]
    proc = subprocess.Popen(
        [str(NETOPS), *command, *listen],
        stdout=subprocess.PIPE,
        stderr=err.open("w"),
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    try:
        deadline, line = time.monotonic() + 30, ""
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                line = proc.stdout.readline()
                if "hotspot lab-park at" in line:
                    break
        assert "hotspot lab-park at" in line, err.read_text()
        yield line, err
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=[["lab", "gateway"], ["portal", "gateway-sim"]], ids=["new", "old"])
def gateway(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    command: list[str] = request.param
    for line, err in _run(command, tmp_path):
        yield " ".join(command), line, err


def test_the_gateway_redirects_a_browser_to_the_portal_under_both_names(
    gateway: tuple[str, str, Path],
) -> None:
    name, line, err = gateway
    assert line.startswith("netops lab gateway (mikrotik): hotspot lab-park at http://127.0.0.1:")
    base = re.search(r"at (http://\S+?)/? ", line)
    assert base is not None
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(f"{base.group(1)}/generate_204", timeout=10)
    assert answer.value.code == 302
    target = urllib.parse.urlsplit(answer.value.headers["Location"])
    assert f"{target.scheme}://{target.netloc}/" == PORTAL
    query = urllib.parse.parse_qs(target.query)
    assert {"link-login-only", "mac", "ip", "chap-id", "chap-challenge"} <= set(query)
    warnings = [w for w in err.read_text().splitlines() if "deprecated" in w]
    assert warnings == ([DEPRECATION] if name == "portal gateway-sim" else [])


@pytest.mark.parametrize("command", [["lab", "gateway"], ["portal", "gateway-sim"]])
def test_an_unknown_hotspot_is_one_sentence_under_both_names(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-i", str(LAB), *command, "--hotspot", "alun-alun"]) == 1
    err = capsys.readouterr().err
    assert "error: hotspot 'alun-alun' is not in the inventory (lab-park)" in err
    assert (DEPRECATION in err) == (command[0] == "portal")
