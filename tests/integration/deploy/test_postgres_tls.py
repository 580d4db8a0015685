"""The store's PostgreSQL URL from ``deploy/env/secrets.env.example`` verifies the server.

Real peer: a throwaway PostgreSQL 15 cluster with TLS on, its ``pg_hba.conf`` made of the
shipped ``deploy/postgresql/pg_hba-netops.conf`` lines (only the client address changed to
loopback). The server's certificate is signed by a test CA; the URL (only host, port,
password and the CA file's path changed) must connect, and the same URL must refuse a
server whose certificate another CA signed (a man in the middle), where ``sslmode=require``
would not have noticed.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from netops.environment import store_keys  # noqa: E402
from netops.errors import StoreError  # noqa: E402
from netops.lab.tls import LabTLS, make_lab_tls  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402
from tests.support.postgres import PostgresCluster, running_postgres  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
SECRETS = REPO / "deploy" / "env" / "secrets.env.example"
HBA = REPO / "deploy" / "postgresql" / "pg_hba-netops.conf"


def _install_cert(tls: LabTLS, folder: Path, owner: int, group: int) -> None:
    """The server's chain and key where postgresql.conf names them, owned by the server."""
    crt, pem = folder / "server.crt", folder / "server.key"
    shutil.copyfile(tls.cert, crt)
    shutil.copyfile(tls.key, pem)
    for path in (crt, pem):
        os.chown(path, owner, group)
    pem.chmod(0o600)


def _shipped_url() -> str:
    line = next(line for line in SECRETS.read_text().splitlines() if line.startswith("NETOPS_DB="))
    return line.removeprefix("NETOPS_DB=")


def _serve_tls(cluster: PostgresCluster, tls: LabTLS) -> None:
    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else pwd.getpwuid(os.getuid())
    _install_cert(tls, cluster.data, owner.pw_uid, owner.pw_gid)
    conf = cluster.data / "postgresql.conf"
    conf.write_text(
        conf.read_text()
        + "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
        + "ssl_min_protocol_version = 'TLSv1.2'\n"
    )
    rules = [
        re.sub(r"\s10\.40\.0\.\d+/32\s", " 127.0.0.1/32 ", line)
        for line in HBA.read_text().splitlines()
        if line.startswith("hostssl")
    ]
    # The superuser's local socket for the test harness itself; the netops lines as shipped.
    (cluster.data / "pg_hba.conf").write_text(
        "local all all scram-sha-256\n" + "\n".join(dict.fromkeys(rules)) + "\n"
    )


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    import psycopg

    with running_postgres() as started:
        dsn = f"host=127.0.0.1 port={started.port} user=netops password={started.password}"
        with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as conn:
            conn.execute('CREATE DATABASE "netops"')
        yield started


def test_the_shipped_url_verifies_the_servers_certificate_and_name(
    cluster: PostgresCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    shipped = _shipped_url()
    assert "sslmode=verify-full" in shipped and "sslrootcert=" in shipped
    # Two authorities, each with a server certificate for 127.0.0.1.
    city = make_lab_tls(tmp_path / "city", ("127.0.0.1",), days=1)
    rogue = make_lab_tls(tmp_path / "rogue", ("127.0.0.1",), days=1)
    root = city.ca_cert
    url = shipped.replace("CHANGE-ME", cluster.password).replace(
        "10.40.0.30:5432", f"127.0.0.1:{cluster.port}"
    )
    url = re.sub(r"sslrootcert=[^&]+", f"sslrootcert={root}", url)

    cluster.stop()
    _serve_tls(cluster, city)
    cluster.start()
    store = Store.open(url, keys=store_keys())
    try:
        store.create_vouchers("gratis", 1)
    finally:
        store.close()

    # Without TLS the shipped pg_hba.conf lets nobody in.
    plain = re.sub(r"\?.*$", "?sslmode=disable", url)
    with pytest.raises(StoreError):
        Store.open(plain, keys=store_keys()).close()

    # A server with a certificate from another CA: verify-full refuses it, require did not.
    cluster.stop()
    _serve_tls(cluster, rogue)
    cluster.start()
    with pytest.raises(StoreError, match=r"(?i)certificate"):
        Store.open(url, keys=store_keys()).close()
    lax = re.sub(r"\?.*$", "?sslmode=require", url)
    Store.open(lax, keys=store_keys()).close()
