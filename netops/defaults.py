"""Every default port, environment variable name and path of netops, in one place.

The CLI's options, the RADIUS ``ServerConfig`` and the ``netops up`` stack read them from
here; ``tests/unit/test_defaults.py`` checks the inventory's defaults (the inventory imports
only ``errors``) and the files under ``deploy/`` against them. The CLI (``netops/cli/``)
reads the environment and hands what it found to the subsystems in their settings. This
module imports nothing from netops.
"""

from __future__ import annotations

from typing import Final

# Ports.
RADIUS_AUTH_PORT: Final = 1812  # RFC 2865
RADIUS_ACCT_PORT: Final = 1813  # RFC 2866
RADIUS_COA_PORT: Final = 3799  # RFC 5176, on the NAS
RADIUS_METRICS_PORT: Final = 9812  # the RADIUS server's /metrics (job netops-radius)
PORTAL_PORT: Final = 8080
EXPORTER_PORT: Final = 9116  # as Prometheus's snmp_exporter
HEALTH_PORT: Final = 9800  # ``netops up``'s /healthz
PROMETHEUS_PORT: Final = 9090

# Addresses.
RADIUS_BIND: Final = "0.0.0.0"
LOCALHOST: Final = "127.0.0.1"
RADIUS_METRICS_LISTEN: Final = f"{LOCALHOST}:{RADIUS_METRICS_PORT}"
PORTAL_URL: Final = f"http://{LOCALHOST}:{PORTAL_PORT}/"
EXPORTER_LISTEN: Final = f":{EXPORTER_PORT}"

# Environment variables the CLI reads (secrets in the inventory are ``env:NAME``
# references, resolved when used: netops/inventory/secrets.py).
INVENTORY_ENV: Final = "NETOPS_INVENTORY"
DB_ENV: Final = "NETOPS_DB"
STORE_KEY_ENV: Final = "NETOPS_STORE_KEY"
MAC_KEY_ENV: Final = "NETOPS_MAC_KEY"
ADMIN_TOKEN_ENV: Final = "NETOPS_ADMIN_TOKEN"
PORTAL_SECRET_ENV: Final = "NETOPS_PORTAL_SECRET"
RADIUS_METRICS_ENV: Final = "NETOPS_RADIUS_METRICS"
RADIUS_DICTIONARY_ENV: Final = "NETOPS_RADIUS_DICTIONARY"
BRANDING_ENV: Final = "NETOPS_BRANDING_DIR"
TEMPLATES_ENV: Final = "NETOPS_TEMPLATES"
PROMETHEUS_ENV: Final = "NETOPS_PROMETHEUS"

# Paths, relative to the folder a command runs in (made absolute by the CLI).
DB_PATH: Final = "var/netops.db"
DB_URL: Final = f"sqlite:///{DB_PATH}"
STATE_DIR: Final = "var"

#: Every variable the CLI reads itself (each is also named above).
CLI_ENV: Final = (
    INVENTORY_ENV,
    DB_ENV,
    STORE_KEY_ENV,
    MAC_KEY_ENV,
    ADMIN_TOKEN_ENV,
    PORTAL_SECRET_ENV,
    RADIUS_METRICS_ENV,
    RADIUS_DICTIONARY_ENV,
    BRANDING_ENV,
    TEMPLATES_ENV,
    PROMETHEUS_ENV,
)
#: Variables only the files under deploy/ use (systemd units, backup script).
DEPLOY_ENV: Final = ("NETOPS_METRICS_ADDRESS", "NETOPS_BACKUP_DIR", "NETOPS_BACKUP_KEEP_DAYS")
