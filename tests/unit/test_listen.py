import re

import pytest

from netops.errors import ExporterError, NetopsError, RadiusError
from netops.listen import bind_socket, ensure_free, parse_listen


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        (":9116", ("0.0.0.0", 9116)),
        ("[::1]:9200", ("::1", 9200)),
        ("0.0.0.0:0", ("0.0.0.0", 0)),
    ],
)
def test_addresses_and_ports_parse(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


def test_a_bare_host_takes_the_default_port_only_when_there_is_one() -> None:
    assert parse_listen("10.0.0.1", default_port=9116) == ("10.0.0.1", 9116)
    message = "--listen '10.0.0.1' must look like 127.0.0.1:8080"
    with pytest.raises(NetopsError, match=re.escape(message)):
        parse_listen("10.0.0.1")


@pytest.mark.parametrize("bad", [":http", "host:80x", "1.2.3.4:70000"])
def test_bad_ports_name_the_option(bad: str) -> None:
    with pytest.raises(NetopsError, match="--metrics-listen"):
        parse_listen(bad, option="--metrics-listen")


def test_a_taken_port_is_one_sentence_of_the_callers_error() -> None:

    first = bind_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    first.listen(1)
    try:
        with pytest.raises(RadiusError) as caught:
            bind_socket("127.0.0.1", port, what="the portal cannot listen on", error=RadiusError)
        assert str(caught.value) == (
            f"the portal cannot listen on 127.0.0.1:{port}: Address already in use"
        )
    finally:
        first.close()


def test_udp_sockets_never_share_a_port_unless_asked() -> None:

    first = bind_socket("127.0.0.1", 0, udp=True)
    port = first.getsockname()[1]
    try:
        with pytest.raises(NetopsError, match="Address already in use"):
            bind_socket("127.0.0.1", port, udp=True)
    finally:
        first.close()
    a = bind_socket("127.0.0.1", 0, udp=True, reuse_port=True)
    b = bind_socket("127.0.0.1", a.getsockname()[1], udp=True, reuse_port=True)
    a.close()
    b.close()


def test_ensure_free_names_what_holds_the_port_and_what_to_do() -> None:

    ensure_free("127.0.0.1", 0, what="portal", advice="choose another port")
    held = bind_socket("127.0.0.1", 0)
    held.listen(1)
    port = held.getsockname()[1]
    try:
        with pytest.raises(ExporterError) as caught:
            ensure_free(
                "127.0.0.1", port, error=ExporterError, what="portal", advice="choose another"
            )
        assert str(caught.value) == "portal is in use (Address already in use); choose another"
    finally:
        held.close()
