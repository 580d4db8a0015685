"""The simulated hotspot gateway's RFC 5176 listener (see :mod:`netops.lab.gateway`):
Disconnect-Requests answered with an ACK and Accounting-Stop, or a NAK when the session is
unknown; it follows the pushed ``/radius incoming`` port and ``accept`` setting."""

from __future__ import annotations

from pyrad import packet as rp

from netops.errors import NetopsError
from netops.lab.gateway_radius import GatewayRadius, log
from netops.lab.hotspot_config import HotspotNotConfigured
from netops.listen import bind_socket
from netops.radius.dictionary import load_dictionary


class GatewayCoA(GatewayRadius):
    """The gateway's RFC 5176 listener: Disconnect and CoA requests."""

    def _follow_incoming(self) -> None:
        """Listen for Disconnect/CoA where ``/radius incoming`` says, only while it accepts."""
        try:
            cfg = self.config()
        except HotspotNotConfigured:
            cfg = None
        wanted = (cfg.coa_accept, cfg.coa_port) if cfg is not None else (False, 0)
        if wanted == self._coa_bound:
            return
        if self._coa_sock is not None:
            self._coa_sock.close()
            self._coa_sock = None
        self._coa_bound = wanted
        accept, port = wanted
        if not accept:
            if cfg is not None:
                log.info("/radius incoming accept=no: not taking Disconnect or CoA requests")
            return
        try:
            sock = bind_socket(
                self.coa_host, port, udp=True, what="cannot take Disconnect/CoA requests on"
            )
        except NetopsError as exc:
            log.warning("%s (/radius incoming)", exc)
            return
        sock.settimeout(0.2)
        self._coa_sock = sock
        self.coa_port = port
        log.info("taking Disconnect/CoA requests on %s:%s (/radius incoming)", self.coa_host, port)

    def _coa_loop(self) -> None:
        while not self._stop.is_set():
            if self.pushed is not None:
                self._follow_incoming()
            sock = self._coa_sock
            if sock is None:
                self._stop.wait(0.2)
                continue
            try:
                data, addr = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                if self.pushed is not None and not self._stop.is_set():
                    continue
                return
            try:
                answer = self._coa_answer(data)
            except Exception as exc:  # a broken packet must not stop the listener
                log.warning("ignored a malformed CoA packet from %s: %s", addr[0], exc)
                continue
            if answer is not None:
                sock.sendto(answer, addr)

    def _coa_answer(self, data: bytes) -> bytes | None:
        _, _, _, secret, _ = self._radius_target()
        pkt = rp.CoAPacket(packet=data, secret=secret, dict=load_dictionary())
        if pkt.code not in (rp.DisconnectRequest, rp.CoARequest):
            return None
        if not pkt.VerifyCoARequest():
            log.warning("dropped a CoA request with a bad authenticator")
            return None
        wanted_id = pkt["Acct-Session-Id"][0] if "Acct-Session-Id" in pkt else None
        wanted_user = pkt["User-Name"][0] if "User-Name" in pkt else None
        with self._lock:
            match = next(
                (
                    s
                    for s in self.sessions.values()
                    if (wanted_id is None or s.acct_session_id == wanted_id)
                    and (wanted_user is None or s.username == wanted_user)
                ),
                None,
            )
        kind = "disconnect" if pkt.code == rp.DisconnectRequest else "coa"
        if match is None:
            self.coa_log.append((kind, "nak"))
            code = rp.DisconnectNAK if kind == "disconnect" else rp.CoANAK
            reply = pkt.CreateReply()
            reply.code = code
            reply.AddAttribute("Error-Cause", 503)
        else:
            self.coa_log.append((kind, "ack"))
            if kind == "disconnect":
                self.logout(match.mac, "Admin-Reset")
            reply = pkt.CreateReply()
            reply.code = rp.DisconnectACK if kind == "disconnect" else rp.CoAACK
        reply.add_message_authenticator()
        return bytes(reply.ReplyPacket())
