"""The one place below the CLI that reads the process environment.

The command line (``netops/cli/``) and this module are the edge: they read the variables
named in :mod:`netops.defaults` and hand the values down in the subsystems' settings
(``Store.open(keys=…)``, ``ServerConfig.dictionary``, ``PortalSettings.branding``,
``Options.templates``). No subsystem reads ``os.environ`` itself;
``tests/unit/test_environment_edge.py`` fails the suite when one does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from netops import defaults
from netops.store.credentials import StoreKeys


def _value(name: str, environ: Mapping[str, str] | None) -> str | None:
    return (os.environ if environ is None else environ).get(name) or None


def _path(name: str, environ: Mapping[str, str] | None) -> Path | None:
    value = _value(name, environ)
    return Path(value) if value else None


def store_keys(environ: Mapping[str, str] | None = None) -> StoreKeys:
    """``$NETOPS_STORE_KEY`` and ``$NETOPS_MAC_KEY`` (unset: the lab key file, a MAC key
    derived from the store key)."""
    return StoreKeys(
        store_key=_value(defaults.STORE_KEY_ENV, environ),
        mac_key=_value(defaults.MAC_KEY_ENV, environ),
    )


def radius_dictionary(environ: Mapping[str, str] | None = None) -> Path | None:
    """``$NETOPS_RADIUS_DICTIONARY``: another main RADIUS dictionary file."""
    return _path(defaults.RADIUS_DICTIONARY_ENV, environ)


def branding_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """``$NETOPS_BRANDING_DIR``: another folder of per-city portal branding."""
    return _path(defaults.BRANDING_ENV, environ)


def templates_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """``$NETOPS_TEMPLATES``: a device template folder searched after the inventory's."""
    return _path(defaults.TEMPLATES_ENV, environ)


def admin_token(environ: Mapping[str, str] | None = None) -> str | None:
    """``$NETOPS_ADMIN_TOKEN``: the deprecated break-glass console token."""
    return _value(defaults.ADMIN_TOKEN_ENV, environ)


def pg_host(environ: Mapping[str, str] | None = None) -> str | None:
    """``$PGHOST``: where libpq connects when a PostgreSQL URL names no host."""
    return _value("PGHOST", environ)
