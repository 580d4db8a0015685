from pathlib import Path

import pytest

from netops.errors import SecretError
from netops.inventory.secrets import Secret


def test_env_reference_resolves_at_use(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = Secret("env:NETOPS_T_SECRET")
    monkeypatch.setenv("NETOPS_T_SECRET", "s3cret")
    assert secret.reveal() == "s3cret"
    monkeypatch.setenv("NETOPS_T_SECRET", "rotated")
    assert secret.reveal() == "rotated"


def test_missing_env_names_the_reference_not_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETOPS_T_MISSING", raising=False)
    with pytest.raises(SecretError, match="env:NETOPS_T_MISSING is not set"):
        Secret("env:NETOPS_T_MISSING").reveal()


def test_file_reference_is_relative_to_the_inventory(tmp_path: Path) -> None:
    (tmp_path / "radius.key").write_text("k3y\n")
    assert Secret("file:radius.key").with_base(tmp_path).reveal() == "k3y"
    with pytest.raises(SecretError, match="file:nope cannot be read"):
        Secret("file:nope").with_base(tmp_path).reveal()


def test_secret_never_shows_a_plain_value() -> None:
    plain = Secret("testing123")
    assert "testing123" not in repr(plain)
    assert "testing123" not in str(plain)
    assert str(Secret("env:X")) == "<secret:env:X>"
    assert plain.placeholder() == "<secret:inline>"
    assert not plain.is_reference
