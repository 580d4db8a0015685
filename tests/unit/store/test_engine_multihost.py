"""A multi-host PostgreSQL URL (a primary and its standbys) is accepted and printed plainly."""

from __future__ import annotations

from netops.store.engine import describe, make_engine, parse_url

URL = (
    "postgresql+psycopg://netops:secret@/radius"
    "?host=10.0.0.1:5432&host=10.0.0.2:5432&target_session_attrs=read-write"
)


def test_multi_host_url_reaches_psycopg_as_libpq_host_and_port_lists() -> None:
    engine = make_engine(parse_url(URL))
    try:
        _args, kwargs = engine.dialect.create_connect_args(engine.url)
    finally:
        engine.dispose()
    assert kwargs["host"] == "10.0.0.1,10.0.0.2"
    assert kwargs["port"] == "5432,5432"
    assert kwargs["target_session_attrs"] == "read-write"


def test_multi_host_url_is_described_without_password_or_python_syntax() -> None:
    text = describe(parse_url(URL))
    assert text == "PostgreSQL database radius at 10.0.0.1:5432, 10.0.0.2:5432"
    assert "secret" not in text
