"""City-wide services that device configs point at (``services:``): RADIUS, the captive
portal and its SMS limits, the SMS gateway, the NAT log receiver and clients' DNS."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from netops.inventory.records import Record, Seconds
from netops.inventory.secrets import Secret


class RadiusService(Record):
    """Where the netops RADIUS servers listen, as the NAS sees them (primary first)."""

    servers: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...] = ()
    auth_port: int = Field(default=1812, ge=1, le=65535)
    acct_port: int = Field(default=1813, ge=1, le=65535)


class PhoneLimitsSettings(Record):
    """How many sign-up codes the portal texts and how long one lives (``services.portal.
    phone_limits``). Each SMS is the city's money: the defaults are the ones netops ships."""

    per_number_hour: int = Field(default=3, ge=1, le=100, description="SMS to one number an hour.")
    per_number_day: int = Field(default=5, ge=1, le=1000, description="SMS to one number a day.")
    per_device_hour: int = Field(
        default=3, ge=1, le=100, description="SMS asked for by one phone (MAC + IP) an hour."
    )
    per_hotspot_hour: int = Field(
        default=120, ge=1, le=100_000, description="SMS asked for through one hotspot an hour."
    )
    code_ttl: Seconds = Field(
        default=300, ge=60, le=3600, description="How long a code works (1 minute to 1 hour)."
    )
    tries: int = Field(default=3, ge=1, le=10, description="Wrong codes before a code is void.")

    @model_validator(mode="after")
    def _day_covers_hour(self) -> PhoneLimitsSettings:
        if self.per_number_day < self.per_number_hour:
            raise ValueError(
                f"per_number_day ({self.per_number_day}) is below per_number_hour "
                f"({self.per_number_hour}): a number could never get its hourly SMS"
            )
        return self


class PortalService(Record):
    """The captive portal as a phone reaches it."""

    url: str = "http://127.0.0.1:8080/"
    host: str | None = None
    uam_secret: Secret | None = None
    api_url: str | None = Field(
        default=None,
        description="The RFC 8908 API URI that DHCP option 114 hands phones (https only); "
        "default: url + api/captive when url is https.",
    )
    tls_cert: str | None = Field(
        default=None,
        description="PEM certificate chain `netops portal serve` presents (relative paths "
        "from the inventory folder).",
    )
    tls_key: str | None = Field(default=None, description="PEM private key of tls_cert.")
    phone_plan: str | None = Field(
        default=None,
        description="The plan of citizens who sign up with a verified Indonesian mobile "
        "number; without it the portal offers no phone sign-up.",
    )
    phone_limits: PhoneLimitsSettings = Field(
        default_factory=PhoneLimitsSettings,
        description="SMS sends per number, phone and hotspot; a code's lifetime and tries.",
    )

    @field_validator("api_url")
    @classmethod
    def _https_api(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith("https://"):
            raise ValueError(
                f"api_url {value!r} must be an https:// URL: phones reach the captive-portal "
                "API only over TLS (RFC 8908)"
            )
        return value

    @model_validator(mode="after")
    def _cert_with_key(self) -> PortalService:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: give both or neither")
        return self


class SmsService(Record):
    """The SMS gateway the portal sends sign-up codes through (server-side)."""

    kind: Literal["kannel", "webhook"]
    url: str = Field(pattern=r"^https?://")
    username: str | None = None
    password: Secret | None = None
    sender: str | None = Field(default=None, max_length=16)
    timeout: float = Field(default=10.0, gt=0, le=60)


class NatLogService(Record):
    """The receiver of the gateways' source-NAT logs (syslog), for `netops privacy trace`."""

    enabled: bool = Field(
        default=False,
        description="Run `netops privacy syslog` in `netops up` and add the logging rule to "
        "each RouterOS hotspot gateway.",
    )
    listen: str = Field(default="0.0.0.0:514", description="ADDR:PORT, UDP and TCP.")
    host: str | None = Field(
        default=None,
        description="The address gateways send syslog to (default: the first services.syslog).",
    )
    retention_days: int = Field(
        default=30, ge=1, description="How long NAT mappings are kept before `purge` drops them."
    )


class ClientDnsService(Record):
    """The resolvers public Wi-Fi clients must use: the city's own, which apply Kominfo's
    TRUST+ ("Internet Positif") filtering. Hotspot gateways hand them out by DHCP, forward
    their own DNS to them, and redirect clients' DNS addressed elsewhere to them."""

    resolvers: tuple[ipaddress.IPv4Address, ...] = Field(
        default=(),
        description="The city's filtering resolvers; empty: clients' DNS is not forced. A "
        "site's own `client_dns` replaces them there.",
    )
    block_dot: bool = Field(
        default=True,
        description="Refuse DNS over TLS and over QUIC (port 853) from clients, so a phone's "
        "private DNS falls back to the resolvers DHCP gave it.",
    )


class Services(Record):
    """City-wide services that device configs point at."""

    radius: RadiusService = RadiusService()
    portal: PortalService = PortalService()
    sms: SmsService | None = None
    ntp: tuple[str, ...] = ()
    syslog: tuple[str, ...] = ()
    natlog: NatLogService = NatLogService()
    dns: tuple[str, ...] = ()
    client_dns: ClientDnsService = ClientDnsService()
    domain: str | None = None
    ospf_area: str = "0.0.0.0"
    banner: str | None = None
