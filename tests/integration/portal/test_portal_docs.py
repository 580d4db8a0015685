"""``/api/docs`` in headless Chromium: Swagger UI from the portal itself, nothing from elsewhere.

Real peers: ``netops portal serve`` (subprocess, with the RADIUS server the stack starts) and
Chromium. Every request the page makes is recorded; all must go to the portal's own origin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

from tests.support.portal_peers import Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def test_api_docs_render_the_api_with_no_request_to_any_other_host(stack: Stack, page: Any) -> None:
    own = urlsplit(stack.portal_url)
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))

    response = page.goto(f"{stack.portal_url}api/docs")
    assert response is not None and response.status == 200
    # The page renders the API: operations from the OpenAPI document, with their summaries.
    page.locator(".opblock-summary-path").first.wait_for(timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/admin/vouchers" in paths
    assert "/api/admin/sessions/disconnect" in paths
    assert page.get_by_text("Create a batch of vouchers").count() >= 1
    assert page.locator(".title").first.inner_text().startswith("netops portal")

    # Open one operation: its schema comes from the same document, still nothing external.
    page.locator(".opblock-summary", has_text="Create a batch of vouchers").click()
    page.locator(".opblock-body").first.wait_for(timeout=10_000)
    page.wait_for_load_state("networkidle")

    foreign = [u for u in requests if urlsplit(u).netloc != own.netloc]
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert any(u.endswith("/api/openapi.json") for u in requests)
    assert any(u.endswith("/api/docs/swagger-ui-bundle.js") for u in requests)
    blocked = [m for m in console if "Content Security Policy" in m or "pageerror" in m]
    assert blocked == [], blocked

    csp = response.headers["content-security-policy"]
    assert "http" not in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "style-src 'self';" in csp and "connect-src 'self';" in csp


def test_api_docs_assets_are_served_by_the_portal_and_nothing_else_is(stack: Stack) -> None:
    with urlopen(f"{stack.portal_url}api/docs/swagger-ui-bundle.js", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/javascript")
        assert b"SwaggerUIBundle" in r.read()
    for name in ("..%2Fstatic%2Fportal.css", "index.html", "swagger-editor-bundle.js"):
        with pytest.raises(Exception, match="404"):
            urlopen(f"{stack.portal_url}api/docs/{name}", timeout=10)
