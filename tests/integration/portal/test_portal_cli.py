"""``netops portal serve`` / ``gateway-sim`` as an operator runs them: clear errors, exit 1."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest

from netops.cli.main import main
from netops.store.credentials import generate_key
from tests.support.portal_peers import ADMIN_TOKEN, LAB, base_env, start_portal

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the netops CLI in this process; (exit code, stderr)."""
    code = main(list(args))
    return code, capsys.readouterr().err


def test_a_malformed_listen_address_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _cli(
        capsys,
        "-i",
        str(LAB),
        "--db",
        f"sqlite:///{tmp_path}/db",
        "portal",
        "serve",
        "--listen",
        "nonsense",
    )
    assert code == 1
    assert "error: --listen 'nonsense' must look like 127.0.0.1:8080" in err


def test_a_taken_port_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = _cli(
            capsys,
            "-i",
            str(LAB),
            "--db",
            f"sqlite:///{tmp_path}/db",
            "portal",
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
        )
    assert code == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in err


def test_an_unreachable_database_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql+psycopg://netops:x@127.0.0.1:{port}/netops"
    code, err = _cli(
        capsys, "-i", str(LAB), "--db", url, "portal", "serve", "--listen", "127.0.0.1:0"
    )
    assert code == 1
    assert "error:" in err and "unavailable" in err


def test_gateway_sim_names_an_unknown_hotspot(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _cli(capsys, "-i", str(LAB), "portal", "gateway-sim", "--hotspot", "alun-alun")
    assert code == 1
    assert "hotspot 'alun-alun' is not in the inventory (lab-park)" in err


def test_served_portal_answers_health_and_metrics_and_never_logs_the_token(
    tmp_path: Path,
) -> None:
    env = base_env(generate_key(), ADMIN_TOKEN)
    portal, url = start_portal(
        f"sqlite:///{tmp_path}/netops.db", "--access-log", "--verbose", log_dir=tmp_path, env=env
    )
    try:
        with httpx.Client(base_url=url) as http:
            assert http.get("/healthz").text == "ok\n"
            made = http.post(
                "/api/admin/vouchers",
                json={"plan": "gratis", "count": 2},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            assert made.status_code == 201
            form = http.get("/admin/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert csrf
            http.post("/admin/login", data={"csrf": csrf.group(1), "token": ADMIN_TOKEN})
            assert http.get("/admin/vouchers").status_code == 200
            metrics = http.get("/metrics").text
        assert "netops_portal_vouchers_created_total 2.0" in metrics
        assert "netops_portal_request_duration_seconds_count" in metrics
    finally:
        portal.stop()
    log = portal.log.read_text()
    assert "POST /api/admin/vouchers" in log  # the access log is on …
    assert ADMIN_TOKEN not in log  # … and the token is in no line of it
