"""The operators' side of a real ``netops portal serve`` (uvicorn on loopback): wrong-token
limits, sign-out that ends a sign-in for every copy of its cookie, and the start-up refusal
of a short or placeholder token by ``netops portal serve`` and ``netops up``.

Sources are told apart by ``X-Forwarded-For``: uvicorn trusts it from 127.0.0.1, as it
does from the nginx in front of the portal in production.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from netops.store.credentials import generate_key
from tests.support.portal_peers import LAB, NETOPS, REPO, base_env, serving_portal

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TOKEN = "R7hVq2Lm9XcT4pZk0WnB6yDs3FjG8uEa5Ko1"


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[str]:
    db = f"sqlite:///{tmp_path / 'netops.db'}"
    with serving_portal(db, log_dir=tmp_path, env=base_env(generate_key(), TOKEN)) as url:
        yield url.rstrip("/")


def _api(url: str, token: str, source: str) -> httpx.Response:
    return httpx.get(
        f"{url}/api/admin/plans",
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": source},
        timeout=10,
    )


def test_thirty_wrong_tokens_then_the_right_one_is_429_with_retry_after(portal: str) -> None:
    statuses = [_api(portal, f"guess-{n:04d}" + "x" * 30, "10.40.10.5").status_code
                for n in range(30)]  # fmt: skip
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    right = _api(portal, TOKEN, "10.40.10.5")
    assert right.status_code == 429
    assert 500 < int(right.headers["Retry-After"]) <= 601
    assert _api(portal, TOKEN, "10.40.10.6").status_code == 200  # another operator


def test_wrong_tokens_spread_over_many_sources_lock_everyone(portal: str) -> None:
    for n in range(30):
        assert _api(portal, "wrong-" + "y" * 30, f"10.40.30.{n}").status_code == 401
    assert _api(portal, TOKEN, "10.40.10.9").status_code == 429


def test_a_console_cookie_copied_before_sign_out_is_refused_after_it(portal: str) -> None:
    with httpx.Client(base_url=portal, follow_redirects=False, timeout=10) as operator:
        form = operator.get("/admin/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf
        signed = operator.post("/admin/login", data={"csrf": csrf.group(1), "token": TOKEN})
        assert signed.status_code == 303
        copied = operator.cookies["netops_admin"]
        assert operator.get("/admin/vouchers").status_code == 200
        page = operator.get("/admin/vouchers").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        out = operator.post("/admin/logout", data={"csrf": csrf.group(1)})
        assert (out.status_code, out.headers["location"]) == (303, "/admin/login")
    with httpx.Client(base_url=portal, follow_redirects=False, timeout=10) as replay:
        replay.cookies.set("netops_admin", copied)
        again = replay.get("/admin/vouchers")
        assert (again.status_code, again.headers["location"]) == (303, "/admin/login")
        assert replay.get("/api/admin/plans").status_code == 401


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("CHANGE-ME", "NETOPS_ADMIN_TOKEN looks like a placeholder"),
        ("k3Jx9QvT0mWz5Lr8", "NETOPS_ADMIN_TOKEN is 16 characters long, shorter than 32"),
    ],
)
@pytest.mark.parametrize("command", [["portal", "serve", "--listen", "127.0.0.1:0"], ["up"]])
def test_a_short_or_placeholder_token_stops_the_start_with_one_sentence(
    tmp_path: Path, token: str, says: str, command: list[str]
) -> None:
    env = base_env(generate_key(), token)
    done = subprocess.run(
        [str(NETOPS), "-i", str(LAB), "--db", f"sqlite:///{tmp_path / 'netops.db'}", *command,
         *(["--state-dir", str(tmp_path / "state")] if command == ["up"] else [])],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "openssl rand -base64 32" in lines[0]
    assert "Traceback" not in done.stderr and token not in done.stderr
    assert not (tmp_path / "netops.db").exists() and not (tmp_path / "state").exists()
