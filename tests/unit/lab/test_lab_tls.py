"""`netops lab tls`: the lab's CA and a portal certificate that verifies against it."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509

from netops.cli.main import main


def test_lab_tls_makes_a_ca_and_a_certificate_for_the_names_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tls"
    code = main(["lab", "tls", "--out", str(out), "--name", "portal.lab.test", "--name", "::1"])
    assert code == 0
    assert "netops lab tls: CA" in capsys.readouterr().out
    ca = x509.load_pem_x509_certificate((out / "lab-ca.pem").read_bytes())
    chain = x509.load_pem_x509_certificates((out / "portal.pem").read_bytes())
    leaf = chain[0]
    assert chain[1] == ca
    leaf.verify_directly_issued_by(ca)
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["portal.lab.test"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("::1")]
    assert stat.S_IMODE((out / "portal-key.pem").stat().st_mode) == 0o600
