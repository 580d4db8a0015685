import re

import pytest

from netops.errors import NetopsError
from netops.listen import parse_listen


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
