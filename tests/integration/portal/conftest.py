"""The portal end to end: RADIUS server + portal (subprocesses), simulated gateway, Chromium.

The fixtures only; the helpers and constants are in ``tests/support/portal_peers.py``, which
the test modules import by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.portal_peers import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    Stack,
    phone_page,
    portal_stack,
    require_chromium,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with portal_stack(tmp_path_factory.mktemp("portal-e2e")) as running:
        yield running


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


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A fresh phone: a new browser context, so new cookies and a new MAC at the gateway."""
    with phone_page(browser) as page:
        yield page


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
