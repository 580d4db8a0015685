"""The portal end to end: RADIUS server + portal (subprocesses), simulated gateway, Chromium."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

for _path in (str(Path(__file__).resolve().parents[3]), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from portal_peers import (  # noqa: E402
    ARTIFACTS,
    CHROMIUM_ARGS,
    REPO,
    Service,
    base_env,
    require_chromium,
    start_service,
)

from netops.environment import store_keys  # noqa: E402
from netops.lab.gateway import GatewaySim  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402

ADMIN_TOKEN = "e2e-operator-token-7f3a9c1d5b-Kq2wYx8n"
LAB = REPO / "inventory" / "lab"
GATEWAY_HOST = "127.0.0.1"  # lab-hs-01's mgmt_ip: the lab gateway's address


@dataclass
class Stack:
    """Everything running for one test module."""

    db: str
    env: dict[str, str]
    store: Store
    radius: Service
    portal: Service
    portal_url: str
    auth_port: int
    acct_port: int
    gateway: GatewaySim


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("portal-e2e")
    key = generate_key()
    env = base_env(key, ADMIN_TOKEN)
    db = f"sqlite:///{work / 'netops.db'}"
    common = ["-i", str(LAB), "--db", db]
    started: list[Service] = []
    gateway: GatewaySim | None = None
    store: Store | None = None
    env_patch = pytest.MonkeyPatch()
    # The test's own Store decrypts click-through passwords with the servers' key.
    env_patch.setenv("NETOPS_STORE_KEY", key)
    try:
        radius = start_service(
            "radius",
            [
                *common,
                "radius",
                "serve",
                "--bind",
                "127.0.0.1",
                "--auth-port",
                "0",
                "--acct-port",
                "0",
                "--metrics-listen",
                "off",
                "--reject-delay",
                "0",
                "--sweep-interval",
                "0",
            ],
            log_dir=work,
            env=env,
            pattern=r"auth \d+ acct \d+",
        )
        started.append(radius)
        found = re.search(r"auth (\d+) acct (\d+)", radius.line)
        assert found
        auth_port, acct_port = int(found.group(1)), int(found.group(2))
        # The gateway sits at lab-hs-01's address in the inventory (127.0.0.1): the portal
        # hands logins only to the inventory's gateways. Its RADIUS packets come from there
        # too, the lab NAS address.
        gateway = GatewaySim(
            portal_url="http://127.0.0.1:1/",
            auth_port=auth_port,
            acct_port=acct_port,
            secret="testing123",
            listen_host=GATEWAY_HOST,
        )
        gateway.start()
        portal = start_service(
            "portal",
            [
                *common,
                "portal",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--coa-port",
                str(gateway.coa_port),
            ],
            log_dir=work,
            env=env,
            pattern=r"serving http://",
        )
        started.append(portal)
        url = re.search(r"serving (\S+)", portal.line)
        assert url
        gateway.portal_url = url.group(1)
        store = Store.open(db, keys=store_keys())
        yield Stack(db, env, store, radius, portal, url.group(1), auth_port, acct_port, gateway)
    finally:
        if gateway is not None:
            gateway.stop()
        for service in reversed(started):
            service.stop()
        if store is not None:
            store.close()
        env_patch.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as play:
        chromium = play.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
