"""The supervisor's /health and /metrics over real HTTP (httpx), and bad requests."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from netops.service.health import HealthServer
from netops.service.model import ComponentStatus, State
from tests.unit.service.conftest import run

pytestmark = pytest.mark.timeout(30)


def _serve_and_get(statuses: list[ComponentStatus], *paths: str) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        server = HealthServer(lambda: statuses, "127.0.0.1", 0, time.time())
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                return [await client.get(p) for p in paths]
        finally:
            await server.close()

    return run(go)


def test_health_is_200_with_every_component_when_all_are_up() -> None:
    (resp,) = _serve_and_get(
        [ComponentStatus("radius", State.UP, pid=10), ComponentStatus("portal", State.UP, pid=11)],
        "/health",
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert body["components"]["radius"]["pid"] == 10
    assert body["components"]["portal"]["up"] is True


def test_health_is_503_and_names_the_component_that_is_down() -> None:
    (resp,) = _serve_and_get(
        [
            ComponentStatus("radius", State.UP, pid=10),
            ComponentStatus("portal", State.BACKOFF, restarts=4, last_error="exit code 1"),
        ],
        "/health",
    )
    assert resp.status_code == 503
    portal = resp.json()["components"]["portal"]
    assert portal == portal | {
        "up": False,
        "state": "backoff",
        "restarts": 4,
        "last_error": "exit code 1",
    }


def test_metrics_expose_up_and_restarts_per_component() -> None:
    (resp,) = _serve_and_get(
        [ComponentStatus("radius", State.UP, restarts=2), ComponentStatus("portal", State.BACKOFF)],
        "/metrics",
    )
    text = resp.text
    assert 'netops_service_up{component="radius"} 1.0' in text
    assert 'netops_service_up{component="portal"} 0.0' in text
    assert 'netops_service_restarts{component="radius"} 2.0' in text
    assert 'netops_service_state{component="portal",state="backoff"} 1.0' in text


def test_unknown_path_is_404_and_index_lists_components() -> None:
    missing, index = _serve_and_get([ComponentStatus("radius", State.UP)], "/nope", "/")
    assert missing.status_code == 404
    assert "radius" in index.text and "/health" in index.text


def test_garbage_request_gets_400_and_the_server_keeps_answering() -> None:
    async def go() -> tuple[bytes, int]:
        server = HealthServer(lambda: [], "127.0.0.1", 0, time.time())
        await server.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"\x00\xff\r\n\r\n")
            await writer.drain()
            first = await reader.readline()
            writer.close()
            async with httpx.AsyncClient() as client:
                resp = await client.get(f"http://127.0.0.1:{server.port}/health")
            return first, resp.status_code
        finally:
            await server.close()

    first, code = run(go)
    assert first.startswith(b"HTTP/1.1 400")
    assert code == 200


def test_post_is_refused() -> None:
    server = HealthServer(lambda: [], "127.0.0.1", 0, time.time())
    assert server.respond("POST", "/health")[0] == 405
