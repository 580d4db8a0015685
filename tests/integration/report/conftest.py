"""A real Prometheus (Debian ``prometheus``) whose TSDB is backfilled with synthetic traffic
by ``promtool tsdb create-blocks-from openmetrics``, on a free loopback port."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.postgres import postgres_cluster, postgres_url  # noqa: F401


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install prometheus (Debian ships it)")
    return path


@dataclass
class Counter:
    """A counter series built from a rate function of the sample time (bytes per second)."""

    name: str
    labels: dict[str, str]
    rate: Callable[[float], float]


def write_inventory(tmp_path: Path, files: dict[str, str]) -> Path:
    """An inventory folder ``tmp_path/inventory`` of ``files`` (name → YAML, dedented)."""
    root = tmp_path / "inventory"
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def snmp_port(device: str, if_name: str) -> dict[str, str]:
    """The labels the SNMP exporter gives one interface of ``device``."""
    return {"job": "snmp", "instance": device, "device": device, "ifName": if_name}


def bytes_per_s(mbps: Callable[[float], float], share: float = 1.0) -> Callable[[float], float]:
    """A traffic curve in Mbps (times ``share``) as the octet counter's rate."""
    return lambda ts: mbps(ts) * share * 1e6 / 8


def write_openmetrics(path: Path, counters: list[Counter], start: int, end: int, step: int) -> None:
    """Counters sampled every ``step`` seconds from ``start`` to ``end``, OpenMetrics text."""
    with path.open("w", encoding="utf-8") as out:
        for counter in counters:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(counter.labels.items()))
            total = 0.0
            for ts in range(start, end + 1, step):
                total += counter.rate(ts) * step
                out.write(f"{counter.name}{{{labels}}} {total:.0f} {ts}\n")
        out.write("# EOF\n")


@dataclass
class PrometheusPeer:
    url: str
    data: Path


def _ready(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"Prometheus at {url} did not become ready")


@contextlib.contextmanager
def prometheus_servers(workdir: Path) -> Iterator[Callable[[Path], PrometheusPeer]]:
    """Start Prometheus on TSDB blocks made from an OpenMetrics file; stopped on exit."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(openmetrics: Path) -> PrometheusPeer:
        data = workdir / "tsdb"
        data.mkdir()
        made = subprocess.run(
            [binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", "-q",
             "--max-block-duration=240h", str(openmetrics), str(data)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        config = workdir / "prometheus.yml"
        config.write_text(textwrap.dedent("global: {scrape_interval: 1m}\n"), encoding="utf-8")
        port = free_port()
        log = (workdir / "prometheus.log").open("wb")
        proc = subprocess.Popen(
            [
                binary("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                "--storage.tsdb.retention.time=3650d",
                f"--web.listen-address=127.0.0.1:{port}",
                "--query.lookback-delta=5m",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        _ready(url, time.monotonic() + 60)
        return PrometheusPeer(url=url, data=data)

    try:
        yield start
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def prometheus_with(tmp_path: Path) -> Iterator[Callable[[Path], PrometheusPeer]]:
    """Start Prometheus on TSDB blocks made from an OpenMetrics file; stopped afterwards."""
    with prometheus_servers(tmp_path) as start:
        yield start


ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "report"


def print_a4(html: Path, name: str) -> tuple[list[str], list[str]]:
    """Lay ``html`` out in a real Chromium at A4 width for print (210 mm less 14 mm margins:
    688 px), save a PDF and a screenshot under test-artifacts/report/, and return what sticks
    out past the right margin and the charts' visible titles."""
    from playwright.sync_api import sync_playwright

    from tests.support.portal_peers import CHROMIUM_ARGS, require_chromium

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 688, "height": 1000})
            tab.emulate_media(media="print")
            tab.goto(html.as_uri())
            overflow: list[str] = tab.evaluate(
                """() => [...document.querySelectorAll('body *')]
                     .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                     .map(e => e.tagName + ' ' + (e.textContent || '').slice(0, 40))"""
            )
            titles: list[str] = tab.evaluate(
                "() => [...document.querySelectorAll('svg > text')].map(t => t.textContent)"
            )
            tab.pdf(path=str(ARTIFACTS / f"{name}.pdf"), format="A4")
            tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        finally:
            browser.close()
    return overflow, titles
