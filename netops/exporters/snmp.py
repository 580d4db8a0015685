"""The SNMP adapter: GETBULK walks and GETs over v2c and v3 (USM authPriv).

One :class:`SnmpClient` lives as long as the exporter and holds one pysnmp engine (v3, and
v2c when asked) and one UDP socket per address family (the v2c fast path, which encodes
and decodes with :mod:`netops.exporters.ber`). Walks fetch every column a module needs in
one GETBULK per round (each column a var-bind), with max-repetitions sized so a response
stays under the agent's limits. Responses are never resolved against MIBs
(``lookupMib=False``); values become ints, bytes and OID tuples for
:mod:`netops.exporters.convert`.
"""

from __future__ import annotations

import abc
import asyncio
import ipaddress
import random
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pyasn1.type import univ  # type: ignore[import-untyped]
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    SnmpEngine,
    Udp6TransportTarget,
    UdpTransportTarget,
    UsmUserData,
)
from pysnmp.hlapi.v3arch.asyncio import auth as _auth
from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
from pysnmp.proto import errind, rfc1902, rfc1905

from netops.errors import SnmpError
from netops.exporters import ber, usm
from netops.exporters.convert import ScrapeData
from netops.exporters.modules import Module, Oid
from netops.exporters.udp import UdpClient, UdpTimeout
from netops.inventory.models import SnmpProfile

Reason = Literal["timeout", "auth", "protocol"]

_AUTH_PROTOCOLS = {
    "md5": _auth.usmHMACMD5AuthProtocol,
    "sha": _auth.usmHMACSHAAuthProtocol,
    "sha224": _auth.usmHMAC128SHA224AuthProtocol,
    "sha256": _auth.usmHMAC192SHA256AuthProtocol,
    "sha384": _auth.usmHMAC256SHA384AuthProtocol,
    "sha512": _auth.usmHMAC384SHA512AuthProtocol,
}
_PRIV_PROTOCOLS = {
    "des": _auth.usmDESPrivProtocol,
    "aes": _auth.usmAesCfb128Protocol,
    "aes192": _auth.usmAesCfb192Protocol,
    "aes256": _auth.usmAesCfb256Protocol,
}
_AUTH_ERRORS = (
    errind.WrongDigest,
    errind.UnknownUserName,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.AuthenticationFailure,
    errind.AuthenticationError,
    errind.DecryptionError,
    errind.UnknownCommunityName,
    errind.NoAuthentication,
    errind.NoEncryption,
)
_AUTH_STATUS = {"authorizationError", "noAccess"}
_MAX_GET = 40


class SnmpFailure(SnmpError):
    """A scrape failed; ``reason`` is ``timeout``, ``auth`` or ``protocol``."""

    def __init__(self, reason: Reason, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class SnmpTarget:
    """Where and how to poll: address, port and the inventory SNMP profile."""

    host: str
    port: int
    profile: SnmpProfile
    timeout: float | None = None
    retries: int | None = None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass
class ScrapeStats:
    """What a collection cost: var-binds returned, requests made, datagrams sent (retries
    included) and retried, walk time per module."""

    pdus: int = 0
    requests: int = 0
    packets: int = 0
    retried: int = 0
    walk_seconds: dict[str, float] = field(default_factory=dict)


def _to_value(value: Any) -> ber.Decoded:
    """A pysnmp value as the codec's plain value (or its exception marker)."""
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return tuple(value.asTuple())
    if isinstance(value, rfc1905.EndOfMibView):
        return ber.END_OF_MIB_VIEW
    if isinstance(value, rfc1905.NoSuchInstance):
        return ber.NO_SUCH_INSTANCE
    return ber.NO_SUCH_OBJECT


def _auth_data(profile: SnmpProfile) -> CommunityData | UsmUserData:
    """pysnmp credentials for ``profile``; secrets are revealed here, at the moment of use."""
    if profile.version == "2c":
        assert profile.community is not None
        return CommunityData(profile.community.reveal(), mpModel=1)
    assert profile.user is not None
    auth_key = profile.auth_key.reveal() if profile.auth and profile.auth_key else None
    priv_key = profile.priv_key.reveal() if profile.priv and profile.priv_key else None
    return UsmUserData(
        profile.user,
        authKey=auth_key,
        privKey=priv_key,
        authProtocol=_AUTH_PROTOCOLS[profile.auth] if profile.auth else _auth.usmNoAuthProtocol,
        privProtocol=_PRIV_PROTOCOLS[profile.priv] if profile.priv else _auth.usmNoPrivProtocol,
    )


def _timeout(target: SnmpTarget, timeout: float, retries: int) -> SnmpFailure:
    if target.profile.version == "2c":
        hint = "host down, no SNMP agent, or a wrong community"
    else:
        hint = "host down, no SNMP agent, or a wrong v3 privacy key"
    tries = retries + 1
    return SnmpFailure(
        "timeout",
        f"{target}: no SNMP response after {tries} attempt{'s' if tries > 1 else ''} "
        f"of {timeout:g}s ({hint})",
    )


def _fail(target: SnmpTarget, indication: Any, timeout: float, retries: int) -> SnmpFailure:
    profile = target.profile
    if isinstance(indication, errind.RequestTimedOut):
        return _timeout(target, timeout, retries)
    if isinstance(indication, _AUTH_ERRORS):
        return SnmpFailure(
            "auth",
            f"{target}: SNMP authentication failed for user {profile.user!r} "
            f"({indication}): wrong v3 user, password or protocol",
        )
    return SnmpFailure("protocol", f"{target}: SNMP error: {indication}")


def _status_failure(target: SnmpTarget, text: str) -> SnmpFailure:
    reason: Reason = "auth" if text in _AUTH_STATUS else "protocol"
    return SnmpFailure(reason, f"{target}: agent answered {text}")


def plan_walks(modules: Sequence[Module]) -> list[tuple[str, tuple[Oid, ...], int]]:
    """Columns each module walks (a column shared by modules is walked once, by the first)."""
    taken: set[Oid] = set()
    plans = []
    for module in modules:
        cols = tuple(c for c in module.columns if c not in taken)
        taken.update(cols)
        plans.append((module.name, cols, module.max_repetitions))
    return plans


VarBinds = list[tuple[Oid, ber.Decoded]]


class _Session(abc.ABC):
    """One scrape's requests to one target (a GET and a GETBULK primitive)."""

    def __init__(self, target: SnmpTarget, timeout: float, retries: int) -> None:
        self.target = target
        self.timeout = timeout
        self.retries = retries
        self.requests = 0
        self.packets = 0
        self.retried = 0

    def _sent(self, attempt: int) -> None:
        """Count a datagram; attempts after the first are retries."""
        self.packets += 1
        if attempt:
            self.retried += 1

    @abc.abstractmethod
    async def get(self, oids: list[Oid]) -> VarBinds:
        """GET ``oids`` (one PDU)."""

    @abc.abstractmethod
    async def bulk(self, oids: list[Oid], max_repetitions: int) -> VarBinds:
        """GETBULK from ``oids`` with ``max_repetitions``."""


class _FastSession(_Session):
    """SNMPv2c through netops' own codec and the shared UDP socket."""

    def __init__(
        self, client: UdpClient, address: str, target: SnmpTarget, timeout: float, retries: int
    ) -> None:
        super().__init__(target, timeout, retries)
        self._client = client
        self._address = address
        assert target.profile.community is not None
        self._community = target.profile.community.reveal().encode()

    async def _send(self, pdu_type: int, oids: list[Oid], reps: int) -> VarBinds:
        self.requests += 1
        community = self._community
        try:
            raw = await self._client.request(
                self._address,
                self.target.port,
                lambda rid: ber.encode_request(community, pdu_type, rid, oids, 0, reps),
                self.timeout,
                self.retries,
                self._sent,
            )
            pdu = ber.decode_message(raw)
        except UdpTimeout as exc:
            if exc.malformed:
                raise SnmpFailure("protocol", f"{self.target}: {exc.malformed}") from None
            raise _timeout(self.target, self.timeout, self.retries) from None
        except ber.BerError as exc:
            raise SnmpFailure("protocol", f"{self.target}: malformed response ({exc})") from None
        if pdu.pdu_type != ber.RESPONSE:
            raise SnmpFailure(
                "protocol", f"{self.target}: agent answered PDU type 0x{pdu.pdu_type:02x}"
            )
        if pdu.error_status:
            raise _status_failure(self.target, pdu.error_name)
        return pdu.varbinds

    async def get(self, oids: list[Oid]) -> VarBinds:
        return await self._send(ber.GET, oids, 0)

    async def bulk(self, oids: list[Oid], max_repetitions: int) -> VarBinds:
        return await self._send(ber.GETBULK, oids, max_repetitions)


@dataclass
class _EngineState:
    """What discovery learnt about an agent's SNMP engine, and when."""

    engine_id: bytes
    boots: int
    time: int
    learnt: float

    def clock(self) -> tuple[int, int]:
        return self.boots, min(2**31 - 1, self.time + int(time.monotonic() - self.learnt))


class _UsmSession(_Session):
    """SNMPv3 USM (HMAC-MD5/SHA/SHA-2, AES-128) through netops' codec and the shared socket."""

    def __init__(
        self,
        client: SnmpClient,
        address: str,
        target: SnmpTarget,
        timeout: float,
        retries: int,
    ) -> None:
        super().__init__(target, timeout, retries)
        self._client = client
        self._address = address
        profile = target.profile
        assert profile.user is not None
        self._user = profile.user.encode()
        # Secrets are revealed here, for this scrape, and only localized keys are kept.
        self._auth_password = profile.auth_key.reveal() if profile.auth and profile.auth_key else ""
        self._priv_password = profile.priv_key.reveal() if profile.priv and profile.priv_key else ""
        self._keys: usm.Keys | None = None

    @property
    def _peer(self) -> tuple[str, int]:
        return (self._address, self.target.port)

    async def _exchange(self, build: Any) -> bytes:
        try:
            return await self._client._udp.request(
                self._address, self.target.port, build, self.timeout, self.retries, self._sent
            )
        except UdpTimeout as exc:
            if exc.malformed:
                raise SnmpFailure("protocol", f"{self.target}: {exc.malformed}") from None
            raise _timeout(self.target, self.timeout, self.retries) from None

    async def _discover(self) -> _EngineState:
        raw = await self._exchange(
            lambda mid: usm.encode(
                mid, b"", 0, 0, b"", usm.Keys(None), ber.encode_pdu(ber.GET, mid, [])
            )
        )
        try:
            message = usm.decode(raw)
        except ber.BerError as exc:
            raise SnmpFailure("protocol", f"{self.target}: malformed v3 response ({exc})") from None
        if not message.engine_id:
            raise SnmpFailure("protocol", f"{self.target}: agent did not tell its engine ID")
        state = _EngineState(message.engine_id, message.boots, message.time, time.monotonic())
        self._client._engines[self._peer] = state
        self._keys = None
        return state

    def _localized(self, state: _EngineState) -> usm.Keys:
        if self._keys is None:
            profile = self.target.profile
            if not profile.auth:
                self._keys = usm.Keys(None)
            else:
                auth_key = usm.localize(profile.auth, self._auth_password, state.engine_id)
                priv_key = (
                    usm.localize(profile.auth, self._priv_password, state.engine_id)
                    if profile.priv
                    else b""
                )
                self._keys = usm.Keys(profile.auth, auth_key, priv_key)
        return self._keys

    async def _send(self, pdu_type: int, oids: list[Oid], reps: int) -> VarBinds:
        self.requests += 1
        state = self._client._engines.get(self._peer) or await self._discover()
        for attempt in range(3):
            keys = self._localized(state)
            boots, clock = state.clock()

            def build(
                mid: int,
                boots: int = boots,
                clock: int = clock,
                keys: usm.Keys = keys,
                engine_id: bytes = state.engine_id,
            ) -> bytes:
                pdu = ber.encode_pdu(pdu_type, mid, oids, 0, reps)
                salt = self._client.salt() if keys.priv_key else b""
                return usm.encode(mid, engine_id, boots, clock, self._user, keys, pdu, salt)

            raw = await self._exchange(build)
            try:
                message = usm.decode(raw)
                if message.flags & usm.FLAG_AUTH and not message.verify(keys):
                    raise SnmpFailure("protocol", f"{self.target}: response failed authentication")
                pdu = message.pdu(keys)
            except ber.BerError as exc:
                raise SnmpFailure(
                    "protocol", f"{self.target}: malformed v3 response ({exc})"
                ) from None
            if pdu.pdu_type == ber.REPORT:
                report = usm.REPORTS.get(pdu.varbinds[0][0]) if pdu.varbinds else None
                if report == "notInTimeWindow" and attempt < 2:
                    state = _EngineState(
                        message.engine_id, message.boots, message.time, time.monotonic()
                    )
                    self._client._engines[self._peer] = state
                    continue
                if report == "unknownEngineID" and attempt < 2:
                    state = await self._discover()
                    continue
                raise self._report_failure(report)
            if pdu.pdu_type != ber.RESPONSE:
                raise SnmpFailure(
                    "protocol", f"{self.target}: agent answered PDU type 0x{pdu.pdu_type:02x}"
                )
            if pdu.error_status:
                raise _status_failure(self.target, pdu.error_name)
            return pdu.varbinds
        raise SnmpFailure("protocol", f"{self.target}: agent kept refusing the v3 time window")

    def _report_failure(self, report: str | None) -> SnmpFailure:
        user = self.target.profile.user
        meaning = {
            "wrongDigest": f"wrong v3 authentication password for user {user!r}",
            "unknownUserName": f"the agent has no v3 user {user!r}",
            "unsupportedSecLevel": f"the agent refuses this security level for user {user!r}",
            "decryptionError": f"wrong v3 privacy key for user {user!r}",
        }
        if report in meaning:
            return SnmpFailure(
                "auth",
                f"{self.target}: SNMP authentication failed ({report}): {meaning[report]}",
            )
        return SnmpFailure("protocol", f"{self.target}: agent sent a report ({report})")

    async def get(self, oids: list[Oid]) -> VarBinds:
        return await self._send(ber.GET, oids, 0)

    async def bulk(self, oids: list[Oid], max_repetitions: int) -> VarBinds:
        return await self._send(ber.GETBULK, oids, max_repetitions)


class _PysnmpSession(_Session):
    """v3 (and v2c on request) through pysnmp's engine, below hlapi: no MIB resolution."""

    def __init__(
        self,
        engine: SnmpEngine,
        auth: CommunityData | UsmUserData,
        transport: Any,
        target: SnmpTarget,
        timeout: float,
        retries: int,
    ) -> None:
        super().__init__(target, timeout, retries)
        self._engine = engine
        self._addr_name, _ = LCD.configure(engine, auth, transport, b"")

    async def _run(self, generator: Any, oids: list[Oid], *bulk_args: int) -> VarBinds:
        self.requests += 1
        future: asyncio.Future[tuple[Any, Any, Any]] = asyncio.get_running_loop().create_future()

        def done(
            _engine: Any,
            _handle: Any,
            indication: Any,
            status: Any,
            _index: Any,
            vbs: Any,
            _ctx: Any,
        ) -> None:
            if not future.done():
                future.set_result((indication, status, vbs))

        varbinds = [(rfc1902.ObjectName(oid), _NULL) for oid in oids]
        generator.send_varbinds(
            self._engine, self._addr_name, None, b"", *bulk_args, varbinds, done, None
        )
        indication, status, vbs = await future
        if indication:
            raise _fail(self.target, indication, self.timeout, self.retries)
        if status:
            raise _status_failure(self.target, status.prettyPrint())
        return [(tuple(name.asTuple()), _to_value(value)) for name, value in vbs]

    async def get(self, oids: list[Oid]) -> VarBinds:
        return await self._run(cmdgen.GetCommandGenerator(), oids)

    async def bulk(self, oids: list[Oid], max_repetitions: int) -> VarBinds:
        return await self._run(cmdgen.BulkCommandGenerator(), oids, 0, max_repetitions)


_NULL = univ.Null("")


async def _get_scalars(session: _Session, oids: list[Oid], data: ScrapeData) -> int:
    count = 0
    for start in range(0, len(oids), _MAX_GET):
        varbinds = await session.get(oids[start : start + _MAX_GET])
        count += len(varbinds)
        for oid, value in varbinds:
            if not isinstance(value, ber._Exception):
                data.scalars[oid] = value
    return count


async def _walk_columns(
    session: _Session,
    columns: Iterable[Oid],
    max_repetitions: int,
    max_varbinds: int,
    data: ScrapeData,
) -> int:
    """Walk several table columns at once with GETBULK until each leaves its subtree."""
    cursor: dict[Oid, Oid] = {col: col for col in columns}
    count = 0
    for col in cursor:
        data.columns.setdefault(col, {})
    while cursor:
        active = list(cursor)
        width = len(active)
        reps = max(1, min(max_repetitions, max_varbinds // width))
        varbinds = await session.bulk([cursor[c] for c in active], reps)
        count += len(varbinds)
        if not varbinds:
            break
        answered = active[: min(width, len(varbinds))]
        finished: set[Oid] = set()
        advanced: set[Oid] = set()
        for position, (oid, value) in enumerate(varbinds):
            col = active[position % width]
            if col in finished:
                continue
            size = len(col)
            if (
                value is ber.END_OF_MIB_VIEW
                or len(oid) <= size
                or oid[:size] != col
                or oid <= cursor[col]
            ):
                finished.add(col)
                continue
            if not isinstance(value, ber._Exception):
                data.columns[col][oid[size:]] = value
            cursor[col] = oid
            advanced.add(col)
        for col in answered:
            if col in finished or col not in advanced:
                del cursor[col]
    return count


class SnmpClient:
    """Polls SNMP agents: one pysnmp engine and one UDP socket per family, shared by scrapes.

    ``v2c_engine`` chooses who speaks SNMPv2c: ``fast`` (netops' codec, the default) or
    ``pysnmp``; SNMPv3 always goes through pysnmp. A module's columns are walked in groups
    of ``columns_per_request`` (one var-bind each per GETBULK), up to ``parallel_walks``
    groups at once per target (kept low: access points have small CPUs); ``max_varbinds``
    caps repetitions × columns, since agents truncate larger answers to one UDP datagram
    anyway (net-snmp: about 1,500 bytes).
    """

    def __init__(
        self,
        v2c_engine: Literal["fast", "pysnmp"] = "fast",
        v3_engine: Literal["fast", "pysnmp"] = "fast",
        max_varbinds: int = 100,
        columns_per_request: int = 10,
        parallel_walks: int = 2,
    ) -> None:
        self._engine: SnmpEngine | None = None
        self._udp = UdpClient()
        self._engines: dict[tuple[str, int], _EngineState] = {}
        self._salt = random.getrandbits(64)
        self.v2c_engine = v2c_engine
        self.v3_engine = v3_engine
        self.max_varbinds = max_varbinds
        self.columns_per_request = columns_per_request
        self.parallel_walks = parallel_walks

    def salt(self) -> bytes:
        """A fresh 64-bit AES salt (a counter, as RFC 3826 suggests)."""
        self._salt = (self._salt + 1) & (2**64 - 1)
        return self._salt.to_bytes(8, "big")

    @property
    def engine(self) -> SnmpEngine:
        if self._engine is None:
            self._engine = SnmpEngine()
        return self._engine

    async def _address(self, target: SnmpTarget) -> str:
        try:
            ipaddress.ip_address(target.host)
            return target.host
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise SnmpFailure(
                "protocol", f"{target}: cannot resolve {target.host} ({exc.strerror})"
            ) from None
        return str(infos[0][4][0])

    async def _session(self, target: SnmpTarget) -> _Session:
        timeout = target.timeout if target.timeout is not None else target.profile.timeout
        retries = target.retries if target.retries is not None else target.profile.retries
        address = await self._address(target)
        profile = target.profile
        if profile.version == "2c" and self.v2c_engine == "fast":
            return _FastSession(self._udp, address, target, timeout, retries)
        if (
            profile.version == "3"
            and self.v3_engine == "fast"
            and usm.supported(profile.auth, profile.priv)
        ):
            return _UsmSession(self, address, target, timeout, retries)
        cls = Udp6TransportTarget if ":" in address else UdpTransportTarget
        transport = await cls.create((address, target.port), timeout=timeout, retries=retries)
        return _PysnmpSession(
            self.engine, _auth_data(target.profile), transport, target, timeout, retries
        )

    async def collect(
        self, target: SnmpTarget, modules: Sequence[Module]
    ) -> tuple[ScrapeData, ScrapeStats]:
        """Read everything ``modules`` need from ``target``; raise :class:`SnmpFailure`."""
        session = await self._session(target)
        data = ScrapeData()
        stats = ScrapeStats()

        async def run(name: str, columns: tuple[Oid, ...], reps: int, scalars: list[Oid]) -> None:
            started = time.perf_counter()
            if scalars:
                stats.pdus += await _get_scalars(session, scalars, data)
            if columns:
                size = self.columns_per_request
                groups = [columns[i : i + size] for i in range(0, len(columns), size)]
                gate = asyncio.Semaphore(self.parallel_walks)

                async def walk(group: tuple[Oid, ...]) -> int:
                    async with gate:
                        return await _walk_columns(session, group, reps, self.max_varbinds, data)

                counts = await asyncio.gather(*(walk(g) for g in groups))
                stats.pdus += sum(counts)
            stats.walk_seconds[name] = time.perf_counter() - started

        scalar_seen: set[Oid] = set()
        specs = []
        by_name = {m.name: m for m in modules}
        for name, columns, reps in plan_walks(modules):
            scalars = [s for s in by_name[name].scalars if s not in scalar_seen]
            scalar_seen.update(scalars)
            specs.append((name, columns, reps, scalars))
        if target.profile.version == "3" and len(specs) > 1:
            # The first v3 request discovers the agent's engine ID and clock; do it once.
            await run(*specs[0])
            specs = specs[1:]
        results = await asyncio.gather(*(run(*spec) for spec in specs), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        stats.requests = session.requests
        # pysnmp retries inside its engine, unseen: count one datagram per request there.
        stats.packets = session.packets or session.requests
        stats.retried = session.retried
        return data, stats

    def close(self) -> None:
        self._udp.close()
