"""The soak (``make soak``, tests/soak/soak.py) for 30 seconds: the same load, faults and
books as the ten-minute run, so that ``make test`` keeps the soak itself working.

Real peers: ``netops up`` (RADIUS server, portal, exporter, supervisor, purges) on SQLite;
the soak's own RADIUS load generator, portal phones, console, CoA stand-in and scrapes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SOAK = Path(__file__).resolve().parents[2] / "soak" / "soak.py"


def _soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("netops_soak", SOAK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["netops_soak"] = module
    spec.loader.exec_module(module)
    return module


def test_thirty_seconds_of_the_city_lose_nothing_acknowledged() -> None:
    soak = _soak()
    result = soak.run("sqlite", 30.0, 15.0, 8)
    assert soak.verdict(result) == []
    outcomes = result["outcomes"]
    assert result["lost_acknowledged_records"] == [] and result["wrong_accepts"] == 0
    assert outcomes["auth wrong-password reject"] > 0
    assert outcomes["acct Stop acked"] > 100
    assert outcomes.get("coa ack", 0) >= 1
    assert outcomes.get("portal wrong-voucher 400", 0) > 0
    assert result["restarts"]["radius"] >= 1  # killed with SIGKILL, restarted, still no loss
    # The twin: a record acknowledged but not in the store is reported as lost.
    books = soak.Books()
    books.acked.append(("Start", "never-stored", "127.0.0.1"))
    url = f"sqlite:///{Path(result['logs']) / 'netops.db'}"
    assert soak.cross_check(url, books) == ["Start never-stored"]
