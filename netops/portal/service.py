"""Running the portal: open the store, build the app, serve it with uvicorn."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from netops import listen
from netops.errors import NetopsError
from netops.inventory import load_inventory
from netops.listen import bind_socket
from netops.portal.branding import load_branding
from netops.store.credentials import NO_KEYS, StoreKeys

log = logging.getLogger("netops.portal")


class PortalError(NetopsError):
    """The portal cannot start (bad --listen, port taken, store unreachable)."""


def parse_listen(text: str) -> tuple[str, int]:
    """``ADDR:PORT`` (``[v6]:PORT``) → (address, port); a clear error otherwise."""
    return listen.parse_listen(text, error=PortalError)


def default_listen(portal_url: str) -> str:
    """Where to listen when --listen is not given: every address, the port of the portal URL."""
    parts = urlsplit(portal_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"0.0.0.0:{port}"


def check_tls(cert: Path, key: Path) -> None:
    """Refuse, in one sentence, a certificate or key that TLS could not use."""
    import ssl

    for what, path in (("certificate", cert), ("key", key)):
        if not path.is_file():
            raise PortalError(f"TLS {what} {path} is not a readable file")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise PortalError(
            f"TLS certificate {cert} and key {key} do not make a usable pair "
            f"({exc.reason or exc}): give the PEM certificate chain and its private key"
        ) from None


def tls_files(
    inventory_dir: Path, cert: Path | None, key: Path | None, from_inventory: tuple[str, str] | None
) -> tuple[Path, Path] | None:
    """The certificate and key to serve with: the command line's, else the inventory's
    (``services.portal.tls_cert`` / ``tls_key``, relative to the inventory folder), else
    None (plain HTTP)."""
    if (cert is None) != (key is None):
        raise PortalError("--tls-cert and --tls-key go together: give both or neither")
    if cert is not None and key is not None:
        return cert, key
    if from_inventory is None:
        return None
    base = inventory_dir if inventory_dir.is_dir() else inventory_dir.parent
    return base / from_inventory[0], base / from_inventory[1]


def serve(
    inventory_path: Path,
    db_url: str,
    listen: str,
    *,
    coa_port: int | None = None,
    chap_in_browser: bool = False,
    access_log: bool = False,
    announce: Callable[[str], None] = lambda _: None,
    limits: dict[str, int] | None = None,
    tls: tuple[Path, Path] | None = None,
    admin_token: str | None = None,
    secret_key: bytes | None = None,
    keys: StoreKeys = NO_KEYS,
    branding_dir: Path | None = None,
    radius_dictionary: Path | None = None,
) -> None:
    """Serve until interrupted. The store is opened (and migrated) before the port opens.
    ``limits`` overrides :class:`~netops.portal.state.PortalSettings` rate-limit fields;
    ``tls`` (certificate chain, key; PEM files) serves HTTPS instead of HTTP.
    ``admin_token`` is the operator console's token (None: the console refuses everyone);
    ``secret_key`` signs cookies (None: a random key for this process). ``keys`` are the
    store's keys, ``branding_dir`` and ``radius_dictionary`` other folders than the
    repository's (the CLI reads them from the environment)."""

    import uvicorn

    from netops.portal.app import ADMIN_TOKEN_ENV, PortalSettings, create_app
    from netops.store import Store

    host, port = parse_listen(listen)
    if tls is not None:
        check_tls(*tls)
    inventory = load_inventory(inventory_path)
    store = Store.open(db_url, keys=keys)
    try:
        extra: dict[str, Any] = dict(limits or {})
        if secret_key is not None:
            extra["secret_key"] = secret_key
        if radius_dictionary is not None:
            from netops.radius.coa import disconnect_session_sync

            extra["disconnect"] = partial(disconnect_session_sync, dictionary=radius_dictionary)
        settings = PortalSettings(
            inventory=inventory,
            store=store,
            admin_token=lambda: admin_token,
            branding=load_branding(inventory, branding_dir),
            coa_port=coa_port,
            chap_in_browser=chap_in_browser,
            **extra,
        )
        app = create_app(settings)
        if admin_token:
            log.warning(
                "%s is deprecated (a shared break-glass admin, removed in the next release): "
                "create named operators with `netops operator add`",
                ADMIN_TOKEN_ENV,
            )
        elif not store.operators():
            log.warning(
                "no operator accounts and no %s: the operator console refuses every sign-in "
                "(create one with `netops operator add`)",
                ADMIN_TOKEN_ENV,
            )
        sock = bind_socket(host, port, error=PortalError)
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        announce(f"{'https' if tls else 'http'}://{shown}:{bound}/")
        config = uvicorn.Config(
            app,
            log_level="info",
            access_log=access_log,
            proxy_headers=True,
            server_header=False,
            lifespan="off",
            log_config=None,  # uvicorn logs through netops' logging set-up (stderr)
            ssl_certfile=str(tls[0]) if tls else None,
            ssl_keyfile=str(tls[1]) if tls else None,
        )
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        store.close()
