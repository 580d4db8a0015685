"""Dynamic Authorization client (RFC 5176): Disconnect-Request and CoA-Request to a NAS.

The server calls :func:`send` when a quota runs out during a session; the CLI
(``netops radius disconnect``) and the portal's operator console call
:func:`disconnect_session` / :func:`disconnect_session_sync`.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pyrad import packet as rp

from netops.errors import RadiusError, SecretError
from netops.inventory.models import Inventory
from netops.radius.dictionary import load_dictionary
from netops.radius.protocol import DECODE_ERRORS, value
from netops.store.codes import is_mac_pseudonym

CoaKind = Literal["disconnect", "coa"]
CoaOutcome = Literal["ack", "nak", "timeout"]


@dataclass(frozen=True)
class CoaResult:
    """What the NAS answered: ``ack``, ``nak`` (with its Error-Cause) or ``timeout``."""

    nas: str
    address: str
    port: int
    kind: CoaKind
    result: CoaOutcome
    error_cause: str | None = None
    session: str | None = None

    @property
    def ok(self) -> bool:
        return self.result == "ack"


class _Exchange(asyncio.DatagramProtocol):
    def __init__(self, request: rp.CoAPacket) -> None:
        self.request = request
        self.reply: asyncio.Future[rp.Packet] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.reply.done():
            return
        try:
            reply = self.request.CreateReply(packet=data)
            if self.request.VerifyReply(reply, data):
                self.reply.set_result(reply)
        except DECODE_ERRORS:
            return  # not an answer to us: keep waiting


def session_attributes(
    username: str | None,
    acct_session_id: str | None = None,
    mac: str | None = None,
    ip: str | None = None,
) -> list[tuple[str, Any]]:
    """The identification attributes of a session, as NAS expect them (RFC 5176 3)."""
    attrs: list[tuple[str, Any]] = []
    if username:
        attrs.append(("User-Name", username))
    if acct_session_id:
        attrs.append(("Acct-Session-Id", acct_session_id))
    # The store keeps a device as its keyed pseudonym, which no NAS knows: leave it out
    # (User-Name, Acct-Session-Id and the address identify the session).
    if mac and not is_mac_pseudonym(mac):
        attrs.append(("Calling-Station-Id", mac.upper().replace(":", "-")))
    if ip:
        attrs.append(("Framed-IP-Address", ip))
    return attrs


async def send(
    *,
    nas: str,
    address: str,
    port: int,
    secret: bytes,
    attributes: list[tuple[str, Any]],
    kind: CoaKind = "disconnect",
    timeout: float = 2.0,
    retries: int = 2,
    dictionary: Path | None = None,
) -> CoaResult:
    """Send a Disconnect-Request (or CoA-Request) and wait for the ACK or NAK, resending
    the same packet ``retries`` times on timeout. ``dictionary``: another main RADIUS
    dictionary file than the repository's."""
    code = rp.DisconnectRequest if kind == "disconnect" else rp.CoARequest
    request = rp.CoAPacket(code=code, secret=secret, dict=load_dictionary(dictionary))
    for name, val in attributes:
        request.AddAttribute(name, val)
    request.add_message_authenticator()
    data = request.RequestPacket()
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        transport, proto = await loop.create_datagram_endpoint(
            lambda: _Exchange(request), remote_addr=(address, port), family=family
        )
    except OSError as exc:
        raise RadiusError(f"cannot send to NAS {nas} at {address}:{port}: {exc.strerror}") from None
    session = next((str(v) for n, v in attributes if n == "Acct-Session-Id"), None)
    try:
        for _ in range(retries + 1):
            transport.sendto(data)
            try:
                reply = await asyncio.wait_for(asyncio.shield(proto.reply), timeout)
            except TimeoutError:
                continue
            ack = reply.code in (rp.DisconnectACK, rp.CoAACK)
            cause = None
            if not ack:
                try:
                    found = value(reply, "Error-Cause")
                    cause = str(found) if found is not None else None
                except Exception:
                    cause = None
            return CoaResult(nas, address, port, kind, "ack" if ack else "nak", cause, session)
        return CoaResult(nas, address, port, kind, "timeout", None, session)
    finally:
        transport.close()


async def disconnect_session(
    inventory: Inventory,
    *,
    nas_ip: str,
    username: str | None,
    acct_session_id: str | None = None,
    mac: str | None = None,
    ip: str | None = None,
    timeout: float = 2.0,
    retries: int = 2,
    port: int | None = None,
    dictionary: Path | None = None,
) -> CoaResult:
    """Disconnect a session at the NAS that reported it (its CoA port from the profile)."""
    clients = inventory.nas_clients()
    if nas_ip not in clients:
        raise RadiusError(f"NAS {nas_ip} is not a RADIUS client in the inventory")
    device, profile = clients[nas_ip]
    try:
        secret = profile.secret.reveal().encode()
    except SecretError as exc:
        raise RadiusError(f"NAS {device.hostname}: {exc}") from None
    return await send(
        nas=device.hostname,
        address=nas_ip,
        port=port or profile.coa_port,
        secret=secret,
        attributes=session_attributes(username, acct_session_id, mac, ip),
        timeout=timeout,
        retries=retries,
        dictionary=dictionary,
    )


def disconnect_session_sync(inventory: Inventory, **kwargs: Any) -> CoaResult:
    """:func:`disconnect_session` for callers without an event loop."""
    return asyncio.run(disconnect_session(inventory, **kwargs))
