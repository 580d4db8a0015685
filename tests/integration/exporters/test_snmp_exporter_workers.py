"""`netops exporter serve --workers N` against net-snmp's snmpd: every worker answers scrapes
correctly, /metrics counts the whole exporter whichever worker answers, a reload reaches every
worker, a killed worker is started again (one that keeps dying stops the exporter with one
sentence), and Ctrl-C stops them all."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.snmp_peers import (
    NETOPS,
    ExporterProcess,
    Snmpd,
    make_inventory,
    process_tree,
    start_exporter,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

IF_SERIES = "\nifHCInOctets{"


def _workers(exporter: ExporterProcess) -> list[int]:
    """The worker processes (spawned children running the exporter, not the resource
    tracker)."""
    out = []
    for pid in process_tree(exporter.proc.pid)[1:]:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"multiprocessing.spawn" in cmdline and b"resource_tracker" not in cmdline:
            out.append(pid)
    return sorted(out)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for whoever adopted it to reap it counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _cpu(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _scrape(url: str, target: str = "lab-hs-01") -> httpx.Response:
    # a new connection each time, as many Prometheus servers would open
    return httpx.get(
        f"{url}/snmp",
        params={"target": target, "module": "if_mib"},
        headers={"X-Prometheus-Scrape-Timeout-Seconds": "10"},
        timeout=20,
    )


def _scrapes_total(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith("netops_snmp_scrapes_total "))
    return float(line.split()[1])


def _wait_for(check: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def two(tmp_path: Path, snmpd: Snmpd) -> Iterator[tuple[ExporterProcess, Path]]:
    inventory = make_inventory(tmp_path / "lab", snmpd.port)
    exporter = start_exporter(inventory, "--workers", "2")
    try:
        yield exporter, inventory
    finally:
        exporter.stop()


def test_two_workers_both_answer_scrapes_and_metrics_count_them_all(
    two: tuple[ExporterProcess, Path],
) -> None:
    exporter, _ = two
    workers = _workers(exporter)
    assert len(workers) == 2, workers
    before = {pid: _cpu(pid) for pid in workers}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _scrape(exporter.url), range(80)))
    assert [a.status_code for a in answers] == [200] * 80
    # the same device from either worker (the root namespace's interfaces come and go with
    # other tests, so its loopback stands for the table)
    assert all(IF_SERIES in a.text and 'ifName="lo"' in a.text for a in answers)
    busy = [pid for pid in workers if _cpu(pid) > before[pid]]
    assert busy == workers, "one worker did all the work"
    # /metrics sums the workers' counters, whichever of them answers it
    assert {_scrapes_total(exporter.url) for _ in range(6)} == {80.0}


def test_a_reload_reaches_every_worker(two: tuple[ExporterProcess, Path]) -> None:
    exporter, inventory = two

    def probe(_: object) -> httpx.Response:
        return httpx.get(f"{exporter.url}/probe", params={"target": "127.0.0.9"}, timeout=20)

    devices = inventory / "devices.yml"
    devices.write_text(
        devices.read_text().rstrip("\n")
        + "\n- hostname: lab-sw-09\n  site: lab-park\n  role: switch\n  platform: eos\n"
        "  mgmt_ip: 127.0.0.9\n"
    )
    with ThreadPoolExecutor(8) as pool:  # both workers have answered with the old inventory
        assert not any("lab-sw-09" in a.text for a in pool.map(probe, range(16)))
    reloaded = httpx.post(f"{exporter.url}/-/reload", timeout=30)
    assert reloaded.status_code == 200, reloaded.text
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(probe, range(24)))
    assert all('device="lab-sw-09"' in a.text for a in answers), [a.text for a in answers][:2]
    text = httpx.get(f"{exporter.url}/metrics", timeout=10).text
    assert 'netops_exporter_reloads_total{result="success"} 1.0' in text  # one reload, once


def test_a_killed_worker_is_started_again_and_its_counts_are_kept(
    two: tuple[ExporterProcess, Path],
) -> None:
    exporter, _ = two
    for _ in range(4):
        assert _scrape(exporter.url).status_code == 200
    victim = _workers(exporter)[0]
    os.kill(victim, signal.SIGKILL)
    _wait_for(lambda: len(_workers(exporter)) == 2 and victim not in _workers(exporter))
    _wait_for(lambda: _scrape(exporter.url).status_code == 200)
    answers = [_scrape(exporter.url) for _ in range(10)]
    assert [a.status_code for a in answers] == [200] * 10
    assert _scrapes_total(exporter.url) >= 14  # the killed worker's scrapes still counted
    assert exporter.proc.poll() is None


def test_a_worker_that_keeps_dying_stops_the_exporter_with_one_sentence(
    two: tuple[ExporterProcess, Path],
) -> None:
    exporter, _ = two
    killed: set[int] = set()
    deadline = time.monotonic() + 120
    while exporter.proc.poll() is None and time.monotonic() < deadline:
        current = _workers(exporter)
        fresh = [pid for pid in current if pid not in killed]
        if len(current) == 2 and fresh:
            os.kill(fresh[0], signal.SIGKILL)
            killed.add(fresh[0])
        time.sleep(0.1)
    assert exporter.proc.wait(10) == 1
    assert exporter.proc.stdout is not None
    out = exporter.proc.stdout.read()
    assert "exited 5 times within 60 s" in out, out
    assert "Traceback" not in out
    assert not [pid for pid in killed if Path(f"/proc/{pid}").exists()]


def test_ctrl_c_stops_every_worker(tmp_path: Path, snmpd: Snmpd) -> None:
    """Ctrl-C in a terminal: SIGINT to the whole foreground process group."""
    inventory = make_inventory(tmp_path / "lab", snmpd.port)
    proc = subprocess.Popen(
        [NETOPS, "exporter", "serve", "--listen", "127.0.0.1:0", "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NETOPS_INVENTORY": str(inventory)},
        start_new_session=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert "2 workers" in first, first
    url = "http://" + first.split("http://", 1)[1].split("/", 1)[0]
    assert _scrape(url).status_code == 200
    tree = process_tree(proc.pid)
    assert len(tree) >= 3
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(15) == 0
    _wait_for(lambda: not [pid for pid in tree if Path(f"/proc/{pid}").exists()], 10)
    assert "Traceback" not in proc.stdout.read()


def test_workers_do_not_outlive_a_killed_parent(two: tuple[ExporterProcess, Path]) -> None:
    exporter, _ = two
    workers = _workers(exporter)
    assert len(workers) == 2
    environ = Path(f"/proc/{workers[0]}/environ").read_bytes().split(b"\0")
    (folder,) = [v.split(b"=", 1)[1] for v in environ if v.startswith(b"PROMETHEUS_MULTIPROC_DIR=")]
    exporter.proc.kill()
    exporter.proc.wait(5)
    try:
        _wait_for(lambda: not [pid for pid in workers if _alive(pid)], 10)
    finally:  # a parent killed outright cannot remove its metrics folder
        shutil.rmtree(folder.decode(), ignore_errors=True)
