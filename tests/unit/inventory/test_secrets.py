from collections.abc import Callable
from pathlib import Path

import pytest

from netops.errors import SecretError
from netops.inventory import load_inventory
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


def _inventory_with_radius_secret(write_inventory: Callable[..., Path], reference: str) -> Path:
    return write_inventory(
        profiles_yml=f"""
        credentials:
          admin: {{username: netops, password: env:NETOPS_TEST_PW}}
        radius:
          nas:
            secret: {reference}
        """
    )


def test_file_secret_from_a_loaded_inventory_ignores_the_cwd(
    write_inventory: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _inventory_with_radius_secret(write_inventory, "file:keys/nas.key")
    (root / "keys").mkdir()
    (root / "keys" / "nas.key").write_text("nas-s3cret\n")
    monkeypatch.chdir(root.parent)
    inv = load_inventory(root.name)  # a relative folder, as a user types it
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a daemon may change directory after loading
    assert inv.radius["nas"].secret.reveal() == "nas-s3cret"


def test_absolute_and_home_file_secrets(
    write_inventory: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".netops").mkdir(parents=True)
    (home / ".netops" / "nas.key").write_text("from-home\n")
    monkeypatch.setenv("HOME", str(home))
    absolute = tmp_path / "abs.key"
    absolute.write_text("from-absolute\n")
    root = _inventory_with_radius_secret(write_inventory, "file:~/.netops/nas.key")
    assert load_inventory(root).radius["nas"].secret.reveal() == "from-home"
    root = _inventory_with_radius_secret(write_inventory, f"file:{absolute}")
    assert load_inventory(root).radius["nas"].secret.reveal() == "from-absolute"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda path: None, "No such file or directory"),
        (lambda path: path.mkdir(), "Is a directory"),
        (lambda path: path.write_bytes(b"\xff\xfe-not-text"), "it is not UTF-8 text"),
    ],
)
def test_unreadable_file_secret_names_reference_and_where_it_is_used(
    write_inventory: Callable[..., Path], make: Callable[[Path], None], reason: str
) -> None:
    root = _inventory_with_radius_secret(write_inventory, "file:nas.key")
    make(root / "nas.key")
    secret = load_inventory(root).radius["nas"].secret
    with pytest.raises(SecretError) as caught:
        secret.reveal()
    assert str(caught.value) == (
        f"secret file:nas.key cannot be read: {root / 'nas.key'}: {reason} "
        f"(used by RADIUS profile 'nas' field 'secret' at {root / 'profiles.yml'}:5)"
    )


def test_empty_file_secret_is_refused(write_inventory: Callable[..., Path]) -> None:
    root = _inventory_with_radius_secret(write_inventory, "file:nas.key")
    (root / "nas.key").write_text("\n")
    with pytest.raises(
        SecretError, match=r"secret file:nas.key is empty: .*nas.key \(used by RADIUS profile 'nas'"
    ):
        load_inventory(root).radius["nas"].secret.reveal()


def test_secret_error_never_holds_the_value(
    write_inventory: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _inventory_with_radius_secret(write_inventory, "env:NETOPS_T_UNSET")
    monkeypatch.delenv("NETOPS_T_UNSET", raising=False)
    with pytest.raises(SecretError) as caught:
        load_inventory(root).radius["nas"].secret.reveal()
    assert str(caught.value) == (
        "secret env:NETOPS_T_UNSET is not set in the environment "
        f"(used by RADIUS profile 'nas' field 'secret' at {root / 'profiles.yml'}:5)"
    )


def test_portal_uam_secret_names_its_line(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        meta_yml="""
        meta: {city: Testkota, lab: false}
        services:
          portal:
            url: http://127.0.0.1:8080/
            uam_secret: file:uam.key
        """
    )
    uam = load_inventory(root).services.portal.uam_secret
    assert uam is not None
    with pytest.raises(SecretError, match=r"services.portal field 'uam_secret' at .*meta.yml:5\)"):
        uam.reveal()
