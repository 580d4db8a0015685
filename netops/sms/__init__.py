"""Sending a text message: Kannel's HTTP ``sendsms`` interface or a provider's webhook.

The portal sends a citizen's sign-up code through one of these, server-side; the phone
never talks to the SMS gateway. :func:`gateway_for` builds the client the inventory's
``services.sms`` names. A failure is an :class:`SmsError`: one sentence, never the secret,
never the number or the text.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

from netops.errors import NetopsError
from netops.inventory.models import SmsService
from netops.logsafe import printable

__all__ = ["KannelGateway", "SmsError", "SmsGateway", "WebhookGateway", "gateway_for"]

TIMEOUT_S = 10.0


class SmsError(NetopsError):
    """The SMS gateway did not take a message (down, refused, or answered an error)."""


class SmsGateway(Protocol):
    """Something that sends one text message to an E.164 number."""

    def send(self, to: str, text: str) -> None: ...


def _post_or_get(request: urllib.request.Request, where: str, timeout: float) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read(2048).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        body = exc.read(2048).decode("utf-8", "replace") if exc.fp is not None else ""
        return int(exc.code), body
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SmsError(f"the SMS gateway at {where} cannot be reached: {reason}") from None


@dataclass(frozen=True)
class KannelGateway:
    """Kannel's smsbox ``/cgi-bin/sendsms`` (HTTP GET with the send-sms user's name and
    password). Kannel answers ``202 0: Accepted for delivery`` or ``3: Queued for later
    delivery``; anything else is a refusal."""

    url: str
    username: str
    password: str = field(repr=False)
    sender: str | None = None
    timeout: float = TIMEOUT_S

    def send(self, to: str, text: str) -> None:
        query = {"username": self.username, "password": self.password, "to": to, "text": text}
        if self.sender:
            query["from"] = self.sender
        query["charset"] = "UTF-8"
        sep = "&" if "?" in self.url else "?"
        request = urllib.request.Request(f"{self.url}{sep}{urllib.parse.urlencode(query)}")
        where = _where(self.url)
        status, body = _post_or_get(request, where, self.timeout)
        if status not in (200, 202) or not body.lstrip().startswith(("0:", "3:")):
            raise SmsError(
                f"the SMS gateway at {where} refused the message: HTTP {status} "
                f"{printable(body.strip(), 120)}"
            )


@dataclass(frozen=True)
class WebhookGateway:
    """A commercial provider's HTTP webhook: ``POST {"to": …, "text": …[, "from": …]}`` as
    JSON with ``Authorization: Bearer <secret>``; any 2xx answer is success."""

    url: str
    secret: str | None = field(default=None, repr=False)
    sender: str | None = None
    timeout: float = TIMEOUT_S

    def send(self, to: str, text: str) -> None:
        body: dict[str, str] = {"to": to, "text": text}
        if self.sender:
            body["from"] = self.sender
        headers = {"Content-Type": "application/json", "User-Agent": "netops-portal"}
        if self.secret:
            headers["Authorization"] = f"Bearer {self.secret}"
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        where = _where(self.url)
        status, answer = _post_or_get(request, where, self.timeout)
        if not 200 <= status < 300:
            raise SmsError(
                f"the SMS gateway at {where} refused the message: HTTP {status} "
                f"{printable(answer.strip(), 120)}"
            )


def _where(url: str) -> str:
    """The gateway's scheme, host and port, never its query (Kannel's carries a password)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


def gateway_for(service: SmsService) -> SmsGateway:
    """The client the inventory's ``services.sms`` describes; secrets are read now."""
    password = service.password.reveal() if service.password is not None else None
    if service.kind == "kannel":
        return KannelGateway(
            url=service.url,
            username=service.username or "",
            password=password or "",
            sender=service.sender,
            timeout=service.timeout,
        )
    return WebhookGateway(
        url=service.url, secret=password, sender=service.sender, timeout=service.timeout
    )
