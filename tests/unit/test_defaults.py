"""netops/defaults.py is the one source of default ports and variable names: the code's
defaults and the production files under deploy/ agree with it."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import yaml

from netops import defaults
from netops.cli.radius_server import DEFAULT_METRICS
from netops.exporters.targets import RADIUS_METRICS_PORT
from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.radius.server import ServerConfig
from netops.service.stack import StackPorts
from tests.paths import BANJARMASIN, REPO

DEPLOY = REPO / "deploy"
D = defaults


def _exec_start(unit: str) -> list[str]:
    text = (DEPLOY / "systemd" / unit).read_text().replace("\\\n", " ")
    line = next(raw for raw in text.splitlines() if raw.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def _option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


def test_defaults_imports_nothing_from_netops() -> None:
    tree = ast.parse(Path(defaults.__file__).read_text())
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert not [m for m in imported if m.startswith("netops")]


def test_the_code_takes_its_defaults_from_one_place() -> None:
    config = ServerConfig()
    assert (config.bind, config.auth_port, config.acct_port) == (
        D.RADIUS_BIND,
        D.RADIUS_AUTH_PORT,
        D.RADIUS_ACCT_PORT,
    )
    ports = StackPorts()
    assert (ports.radius_auth, ports.radius_acct, ports.radius_metrics) == (1812, 1813, 9812)
    assert (ports.portal, ports.exporter, ports.health) == (8080, 9116, 9800)
    assert RADIUS_METRICS_PORT == D.RADIUS_METRICS_PORT
    assert D.RADIUS_METRICS_LISTEN == DEFAULT_METRICS == f"127.0.0.1:{RADIUS_METRICS_PORT}"
    fields = Inventory.model_fields["services"].annotation.model_fields  # type: ignore[union-attr]
    radius = fields["radius"].annotation.model_fields  # type: ignore[union-attr]
    assert radius["auth_port"].default == D.RADIUS_AUTH_PORT
    assert radius["acct_port"].default == D.RADIUS_ACCT_PORT
    from netops.inventory.models import RadiusProfile

    assert RadiusProfile.model_fields["coa_port"].default == D.RADIUS_COA_PORT
    assert fields["portal"].annotation.model_fields["url"].default == D.PORTAL_URL  # type: ignore[union-attr]


def test_systemd_units_use_the_default_ports() -> None:
    radius = _exec_start("netops-radius.service")
    assert int(_option(radius, "--auth-port")) == D.RADIUS_AUTH_PORT
    assert int(_option(radius, "--acct-port")) == D.RADIUS_ACCT_PORT
    assert _option(radius, "--metrics-listen").endswith(f":{D.RADIUS_METRICS_PORT}")
    portal = _exec_start("netops-portal.service")
    assert _option(portal, "--listen") == f"{D.LOCALHOST}:{D.PORTAL_PORT}"
    exporter = _exec_start("netops-exporter.service")
    assert _option(exporter, "--listen") == f"{D.LOCALHOST}:{D.EXPORTER_PORT}"


def test_the_sample_citys_nas_send_where_the_radius_unit_listens() -> None:
    radius = _exec_start("netops-radius.service")
    services = load_inventory(BANJARMASIN).services.radius
    assert int(_option(radius, "--auth-port")) == services.auth_port
    assert int(_option(radius, "--acct-port")) == services.acct_port


def test_firewall_prometheus_and_proxies_use_the_default_ports() -> None:
    nft = (DEPLOY / "nftables" / "netops.nft").read_text()
    auth, acct, metrics = D.RADIUS_AUTH_PORT, D.RADIUS_ACCT_PORT, D.RADIUS_METRICS_PORT
    assert f"udp dport {{ {auth}, {acct} }} ip saddr @nas_v4 accept" in nft
    assert f"tcp dport {metrics} ip saddr $MONITORING accept" in nft
    assert f"udp {D.RADIUS_COA_PORT}" in nft
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    targets = jobs["netops-radius"]["static_configs"][0]["targets"]
    assert targets and all(t.endswith(f":{metrics}") for t in targets)
    local = f"http://{D.LOCALHOST}:{D.PORTAL_PORT}"
    assert local in (DEPLOY / "keepalived" / "keepalived.conf").read_text()
    nginx = (DEPLOY / "nginx" / "netops-portal.conf").read_text()
    assert set(re.findall(r"proxy_pass (http://[^;/]+)", nginx)) == {"http://netops_portal"}
    upstream = re.search(r"upstream netops_portal \{([^}]*)\}", nginx)
    assert upstream is not None
    servers = re.findall(r"^\s*server ([^;]+);", upstream.group(1), re.M)
    assert [f"http://{s}" for s in servers] == [local]
    rsc = (DEPLOY / "mikrotik" / "radius-failover.rsc").read_text()
    assert set(re.findall(r"authentication-port=(\d+)", rsc)) == {str(auth)}
    assert set(re.findall(r"accounting-port=(\d+)", rsc)) == {str(acct)}
    assert f"port={D.RADIUS_COA_PORT}" in rsc


def test_every_variable_the_deploy_files_name_is_known() -> None:
    """Each NETOPS_* name in deploy/ is one the CLI reads, one only deploy/ uses, or a
    secret the sample inventory references (``env:NAME``)."""
    referenced = set()
    for path in BANJARMASIN.rglob("*.yml"):
        referenced |= set(re.findall(r"env:(NETOPS_[A-Z_]+)", path.read_text()))
    known = set(D.CLI_ENV) | set(D.DEPLOY_ENV) | referenced
    named: dict[str, set[str]] = {}
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            for name in re.findall(r"NETOPS_[A-Z_]*[A-Z]", path.read_text()):
                named.setdefault(name, set()).add(str(path.relative_to(DEPLOY)))
    unknown = {name: sorted(where) for name, where in named.items() if name not in known}
    assert unknown == {}
    secrets = (DEPLOY / "env" / "secrets.env.example").read_text()
    for name in (D.DB_ENV, D.STORE_KEY_ENV, D.PORTAL_SECRET_ENV, D.ADMIN_TOKEN_ENV):
        assert re.search(rf"^{name}=", secrets, re.M), name
    settings = (DEPLOY / "env" / "netops.env").read_text()
    assert re.search(rf"^{D.INVENTORY_ENV}=", settings, re.M)
