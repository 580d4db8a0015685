"""Workers sharing the ports by SO_REUSEPORT: one NAS's requests are spread over all of them
by RADIUS Identifier, and a retransmission reaches the worker that saw the first copy."""

from __future__ import annotations

import socket
import time

import pytest

from netops.radius.server import _socket, spread_program

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


def _drain(sock: socket.socket) -> list[int]:
    """Identifiers of the datagrams waiting on a non-blocking socket."""
    got: list[int] = []
    while True:
        try:
            got.append(sock.recv(4096)[1])
        except BlockingIOError:
            return got


def _received(socks: list[socket.socket], expected: int) -> list[list[int]]:
    seen: list[list[int]] = [[] for _ in socks]
    deadline = time.monotonic() + 5
    while sum(map(len, seen)) < expected and time.monotonic() < deadline:
        for i, sock in enumerate(socks):
            seen[i] += _drain(sock)
        time.sleep(0.01)
    return seen


@pytest.mark.parametrize("workers", [2, 3])
def test_one_nas_source_port_is_spread_over_every_worker_by_identifier(workers: int) -> None:
    first = _socket("127.0.0.1", 0, True, workers)
    port = first.getsockname()[1]
    socks = [first] + [_socket("127.0.0.1", port, True, workers) for _ in range(workers - 1)]
    nas = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for ident in range(30):
            nas.sendto(bytes((1, ident)) + bytes(18), ("127.0.0.1", port))
        seen = _received(socks, 30)
        assert sorted(i for got in seen for i in got) == list(range(30))
        assert all(got for got in seen), seen  # every worker has a share
        for got in seen:
            assert len({i % workers for i in got}) == 1, seen  # one residue per worker
        # A retransmission (same source, same Identifier) reaches the same worker again.
        owner = next(n for n, got in enumerate(seen) if 7 in got)
        nas.sendto(bytes((1, 7)) + bytes(18), ("127.0.0.1", port))
        again = _received(socks, 1)
        assert again[owner] == [7], again
    finally:
        nas.close()
        for sock in socks:
            sock.close()


def test_spread_program_rejects_a_worker_count_it_cannot_encode() -> None:
    assert len(spread_program(2)) == 24  # three 8-octet classic BPF instructions
    with pytest.raises(ValueError, match="cannot spread over 0 workers"):
        spread_program(0)
