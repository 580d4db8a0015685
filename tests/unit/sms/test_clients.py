"""The SMS clients against a real HTTP server on loopback (Kannel itself: the portal's
integration test); what a provider's webhook receives, and failures as one sentence."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from netops.inventory.models import SmsService
from netops.inventory.secrets import Secret
from netops.sms import KannelGateway, SmsError, WebhookGateway, gateway_for


class Recorder(ThreadingHTTPServer):
    answer: tuple[int, str] = (202, "0: Accepted for delivery")
    seen: list[dict[str, Any]]


class Handler(BaseHTTPRequestHandler):
    server: Recorder

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.seen.append(
            {
                "method": self.command,
                "path": urlsplit(self.path).path,
                "query": parse_qs(urlsplit(self.path).query),
                "headers": dict(self.headers),
                "body": self.rfile.read(length).decode() if length else "",
            }
        )
        status, text = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(text.encode())

    do_GET = _reply
    do_POST = _reply

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Recorder]:
    srv = Recorder(("127.0.0.1", 0), Handler)
    srv.seen = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def _url(server: Recorder, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_kannel_sendsms_carries_user_number_and_text(server: Recorder) -> None:
    gateway = KannelGateway(_url(server, "/cgi-bin/sendsms"), "netops", "pw&=?", sender="PEMKOT")
    gateway.send("+6281234567890", "Kode WiFi: 123456")
    (req,) = server.seen
    assert (req["method"], req["path"]) == ("GET", "/cgi-bin/sendsms")
    q = {k: v[0] for k, v in req["query"].items()}
    assert q == {
        "username": "netops",
        "password": "pw&=?",
        "to": "+6281234567890",
        "text": "Kode WiFi: 123456",
        "from": "PEMKOT",
        "charset": "UTF-8",
    }


def test_kannel_refusal_is_one_sentence_without_the_password(server: Recorder) -> None:
    server.answer = (403, "Authorization failed for sendsms")
    gateway = KannelGateway(_url(server, "/cgi-bin/sendsms"), "netops", "s3cret-pw")
    with pytest.raises(SmsError) as caught:
        gateway.send("+6281234567890", "x")
    message = str(caught.value)
    assert "refused" in message and "HTTP 403" in message
    assert "s3cret-pw" not in message and "6281234567890" not in message


def test_webhook_posts_json_with_the_bearer_secret(server: Recorder) -> None:
    server.answer = (200, '{"id": "m-1"}')
    WebhookGateway(_url(server, "/v1/sms"), secret="tok-123", sender="BJM").send(
        "+6285712345678", "Kode: 654321"
    )
    (req,) = server.seen
    assert req["method"] == "POST"
    assert req["headers"]["Authorization"] == "Bearer tok-123"
    assert req["headers"]["Content-Type"] == "application/json"
    assert json.loads(req["body"]) == {
        "to": "+6285712345678",
        "text": "Kode: 654321",
        "from": "BJM",
    }


def test_webhook_error_status_is_an_sms_error(server: Recorder) -> None:
    server.answer = (401, "bad token")
    with pytest.raises(SmsError, match="HTTP 401"):
        WebhookGateway(_url(server, "/v1/sms"), secret="nope").send("+6285712345678", "x")


def test_a_gateway_that_is_down_is_an_sms_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = KannelGateway(f"http://127.0.0.1:{port}/cgi-bin/sendsms", "u", "p", timeout=2)
    with pytest.raises(SmsError, match="cannot be reached"):
        gateway.send("+6281234567890", "x")


def test_the_inventory_chooses_the_client_and_its_secret_is_a_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMS_TEST_SECRET", "from-env")
    kannel = gateway_for(
        SmsService(
            kind="kannel",
            url="http://127.0.0.1:13013/cgi-bin/sendsms",
            username="netops",
            password=Secret("env:SMS_TEST_SECRET"),
        )
    )
    assert isinstance(kannel, KannelGateway) and kannel.password == "from-env"
    assert "from-env" not in repr(kannel)
    hook = gateway_for(
        SmsService(
            kind="webhook", url="https://sms.example/v1", password=Secret("env:SMS_TEST_SECRET")
        )
    )
    assert isinstance(hook, WebhookGateway) and hook.secret == "from-env"
