"""Every panel of the RADIUS dashboard ``hotspot-usage`` returns data from a real Prometheus
that scrapes a real ``netops radius serve`` (``--metrics-listen``), with the scrape
configuration and recording rules `netops prometheus config` / `rules` generate.

radclient produces what each panel shows: accepted and rejected logins, Accounting-Starts
(sessions open on two hotspots), a packet dropped for its wrong shared secret, and an
Interim-Update that uses up the plan's daily data so the server itself sends a
Disconnect-Request (RFC 5176) to a test NAS listener, which ACKs it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from tests.paths import REPO
from tests.support.snmp_peers import NETOPS, free_port, need, running_prometheus

_RADIUS_HELPERS = str(REPO / "tests" / "integration" / "radius")
if _RADIUS_HELPERS not in sys.path:
    # Appended, not put first: a folder put first would shadow modules of the same name.
    sys.path.append(_RADIUS_HELPERS)

from radius_peers import (  # noqa: E402
    SECRET,
    RadiusProcess,
    TestNas,
    make_inventory,
    pap,
    radclient,
    start_server,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

BOARD = REPO / "exporters" / "grafana" / "dashboards" / "hotspot-usage.json"
MACROS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}
HOTSPOT = "lab-park"  # the hotspot of lab-hs-01 (127.0.0.1)
PARK_USERS = ("ani", "budi", "citra")  # one session each at lab-park
CHILLI_USER = "dedi"  # one session at lab-chilli (lab-hs-02, 127.0.0.2)


def netops(*args: str) -> str:
    out = subprocess.run([NETOPS, *args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def query(url: str, promql: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10)
    assert response.status_code == 200, f"{promql}: {response.text}"
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


def fill(expr: str, hotspot: str = HOTSPOT) -> str:
    """``expr`` as Grafana sends it: macros and ``$hotspot`` replaced."""
    for macro, value in MACROS.items():
        expr = expr.replace(macro, value)
    expr = expr.replace("$hotspot", hotspot)
    assert "$" not in expr, f"unfilled variable in {expr}"
    return expr


def panel_queries() -> list[tuple[str, str]]:
    """(panel [refId] or variable, PromQL with Grafana's variables filled in)."""
    board = json.loads(BOARD.read_text())
    out = [
        (f"{panel['title']} [{target['refId']}]", fill(target["expr"]))
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]
    for var in board["templating"]["list"]:
        metric = var["query"]["query"].removeprefix("label_values(").split(",")[0]
        out.append((f"variable {var['name']}", metric))
    return out


def start(user: str, sid: str, *, source: str | None = None) -> list[tuple[str, str]]:
    """An Accounting-Start for ``user``'s session ``sid``; each user has their own phone."""
    n = (*PARK_USERS, CHILLI_USER).index(user) + 1
    attrs = [
        ("User-Name", f'"{user}"'),
        ("Acct-Status-Type", "Start"),
        ("Acct-Session-Id", f'"{sid}"'),
        ("Calling-Station-Id", f'"02-00-00-00-10-{n:02d}"'),
        ("Framed-IP-Address", f"10.254.200.{n + 10}"),
    ]
    if source:
        attrs.append(("Packet-Src-IP-Address", source))
    return attrs


@dataclass
class Traffic:
    server: RadiusProcess
    nas: TestNas
    inventory: Path


@pytest.fixture(scope="module")
def radius_traffic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traffic]:
    """A RADIUS server on a temporary SQLite database that has seen every kind of traffic
    the dashboard shows."""
    tmp = tmp_path_factory.mktemp("hotspot-usage")
    nas = TestNas()
    inventory = make_inventory(tmp / "inventory", coa_port=nas.port)
    db = f"sqlite:///{tmp / 'netops.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NETOPS_STORE_KEY", generate_key())
        store = Store.open(db, keys=store_keys())
        try:
            for user in (*PARK_USERS, CHILLI_USER):
                store.add_user(user, f"pw-{user}", "gratis")
        finally:
            store.close()
        server = start_server(inventory, db, tmp / "server")
        try:
            auth, acct = server.auth_port, server.acct_port
            accepted = radclient(auth, "auth", pap("ani", "pw-ani"))
            assert accepted.code == "Access-Accept", accepted.output
            rejected = radclient(auth, "auth", pap("ani", "wrong-password"))
            assert rejected.code == "Access-Reject", rejected.output
            dropped = radclient(auth, "auth", pap("ani", "pw-ani"), secret="not-" + SECRET)
            assert dropped.code is None, dropped.output
            for n, user in enumerate(PARK_USERS):
                reply = radclient(acct, "acct", start(user, f"park-{n}"))
                assert reply.code == "Accounting-Response", reply.output
            reply = radclient(acct, "acct", start(CHILLI_USER, "chilli-0", source="127.0.0.2"))
            assert reply.code == "Accounting-Response", reply.output
            interim = [
                *start("budi", "park-1"),
                ("Acct-Session-Time", "120"),
                ("Acct-Output-Octets", "1000"),
                ("Acct-Output-Gigawords", "1"),  # 4.29 GB > the plan's 1 GB a day
            ]
            interim[1] = ("Acct-Status-Type", "Interim-Update")
            reply = radclient(acct, "acct", interim)
            assert reply.code == "Accounting-Response", reply.output
            assert len(nas.wait_for(1)) == 1, "the server sent no Disconnect-Request"
            deadline = time.monotonic() + 10
            while not server.counter("netops_radius_coa_total", kind="disconnect"):
                assert time.monotonic() < deadline, "the Disconnect-Request was never counted"
                time.sleep(0.1)
            assert server.counter("netops_radius_dropped_total") >= 1
            yield Traffic(server, nas, inventory)
        finally:
            server.stop()
            nas.close()


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory, radius_traffic: Traffic) -> Iterator[str]:
    """Prometheus with the generated config and rules, scraping the server every second."""
    binary = need("prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")
    conf = tmp / "conf"
    inventory = str(radius_traffic.inventory)
    metrics = urlsplit(radius_traffic.server.metrics_url)
    netops("prometheus", "targets", "-i", inventory, "-o", str(conf))
    netops("prometheus", "rules", "-i", inventory, "-o", str(conf / "netops-rules.yml"))
    netops(
        "prometheus", "config", "-i", inventory, "-o", str(conf / "prometheus.yml"),
        "--radius", str(metrics.netloc), "--exporter", f"127.0.0.1:{free_port(kind=1)}",
        "--scrape-interval", "1s", "--scrape-timeout", "1s",
    )  # fmt: skip
    with running_prometheus(binary, conf / "prometheus.yml", tmp) as url:
        yield url


def test_every_panel_of_hotspot_usage_returns_data_from_a_radius_server(prometheus: str) -> None:
    queries = panel_queries()
    assert len(queries) >= 11
    empty = queries
    deadline = time.monotonic() + 45
    while empty and time.monotonic() < deadline:
        time.sleep(1)
        empty = [(t, e) for t, e in empty if not query(prometheus, e)]
    assert not empty, "panels without data:\n" + "\n".join(f"{t}: {e}" for t, e in empty)


def test_users_now_is_the_number_of_sessions_started_at_the_hotspot(prometheus: str) -> None:
    """Three Accounting-Starts at lab-park, one at lab-chilli: the panel shows 3 for
    lab-park and 4 for All (Grafana's ``.*``); the disconnected session stays open until
    the NAS sends its Stop."""
    board = json.loads(BOARD.read_text())
    (expr,) = (
        p["targets"][0]["expr"]
        for p in board["panels"]
        if p["title"] == "Pengguna sekarang / Users now"
    )

    def value(hotspot: str) -> float:
        result = query(prometheus, fill(expr, hotspot))
        assert len(result) == 1, result
        return float(result[0]["value"][1])

    deadline = time.monotonic() + 30
    while not query(prometheus, "netops_radius_active_sessions"):
        assert time.monotonic() < deadline, "netops_radius_active_sessions never arrived"
        time.sleep(1)
    assert value(HOTSPOT) == len(PARK_USERS)
    assert value(".*") == len(PARK_USERS) + 1
    assert value("lab-chilli") == 1
