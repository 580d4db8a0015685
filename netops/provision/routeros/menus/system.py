"""System menus of every RouterOS device: identity, clock, addresses, DNS, SNMP, NTP,
logging, the automation user and the IP services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netops.inventory.models import Device, Inventory
from netops.provision.routeros.menus.common import (
    NATLOG_PREFIX,
    _Builder,
    _gateway_resolvers,
    _secret,
    _yes,
)


def _base(out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device, reveal: bool) -> None:
    """The menus every RouterOS device carries, whatever its role."""
    _addresses(out, ctx, inv, dev)
    _snmp(out, ctx, inv, dev, reveal)
    _ntp_and_logging(out, ctx, inv)
    _management_access(out, ctx, inv, dev, reveal)


def _addresses(out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device) -> None:
    """Identity, clock, port descriptions, addresses and the device's own DNS."""
    svc = inv.services
    out.settings("/system/identity", name=dev.hostname)
    out.settings("/system/clock", time_zone_name=inv.meta.timezone)
    for iface in ctx["interfaces"]:
        if iface["description"] and iface["name"].startswith(("ether", "sfp", "combo", "qsfp")):
            out.add("/interface/ethernet", default_name=iface["name"], comment=iface["description"])
    if dev.role != "access-point":
        out.add("/interface/bridge", name="loopback", comment="management address")
        out.add(
            "/ip/address", address=f"{dev.mgmt_ip}/32", interface="loopback", comment="management"
        )
    for iface in ctx["interfaces"]:
        if iface["ip"] and not iface["vlan"]:
            out.add(
                "/ip/address",
                address=iface["ip"],
                interface=iface["name"],
                comment=iface["description"],
            )
    # A hotspot gateway answers its clients' DNS itself (the hotspot redirects it there), so
    # it forwards to the resolvers the clients must use.
    resolvers = [str(r) for r in _gateway_resolvers(inv, ctx)] or list(svc.dns)
    out.settings(
        "/ip/dns", allow_remote_requests=_yes(bool(ctx["hotspots"])), servers=",".join(resolvers)
    )


def _snmp(out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device, reveal: bool) -> None:
    """netops's SNMP community (v2c) or user (v3) for polling, the default one disabled."""
    sources = ",".join(str(p) for p in ctx["mgmt_sources"])
    snmp = ctx["snmp"]
    if snmp is not None:
        if snmp.version == "3":
            name = str(snmp.user)
            out.add(
                "/snmp/community",
                name=name,
                security="private",
                addresses=sources,
                read_access="yes",
                write_access="no",
                authentication_protocol="SHA1"
                if snmp.auth == "sha"
                else (snmp.auth or "md5").upper(),
                authentication_password=_secret(snmp.auth_key, reveal, dev.hostname),
                encryption_protocol=(snmp.priv or "aes").upper(),
                encryption_password=_secret(snmp.priv_key, reveal, dev.hostname),
                comment="SNMP polling",
            )
        else:
            name = _secret(snmp.community, reveal, dev.hostname)
            out.add(
                "/snmp/community",
                name=name,
                addresses=sources,
                read_access="yes",
                write_access="no",
                disabled="no",
                comment="SNMP polling",
            )
        plain = snmp.community.raw if snmp.community and not snmp.community.is_reference else None
        if snmp.version == "3" or plain != "public":
            out.add("/snmp/community", name="public", default="yes", disabled="yes")
    out.settings(
        "/snmp",
        enabled="yes",
        contact=inv.meta.name or inv.meta.city,
        location=ctx["site"].name,
        trap_version="3" if snmp is not None and snmp.version == "3" else "2",
    )


def _ntp_and_logging(out: _Builder, ctx: Mapping[str, Any], inv: Inventory) -> None:
    """NTP servers, remote syslog, and the source-NAT log to its own receiver."""
    svc = inv.services
    out.settings("/system/ntp/client", enabled="yes")
    for server in svc.ntp:
        out.add("/system/ntp/client/servers", address=server)
    if svc.syslog:
        out.add(
            "/system/logging/action",
            name="netops",
            target="remote",
            remote=svc.syslog[0],
            remote_port="514",
        )
        # The source-NAT log (personal data) goes only to its own receiver, below.
        info = "info,!firewall" if svc.natlog.enabled and ctx["hotspots"] else "info"
        topics = [info, "warning", "error"] + (["hotspot,info,debug"] if ctx["hotspots"] else [])
        for topic in topics:
            out.add("/system/logging", action="netops", topics=topic)
    natlog = svc.natlog
    natlog_host = natlog.host or (svc.syslog[0] if svc.syslog else None)
    if natlog.enabled and ctx["hotspots"] and natlog_host:
        port = natlog.listen.rpartition(":")[2] or "514"
        out.add(
            "/system/logging/action",
            name=NATLOG_PREFIX,
            target="remote",
            remote=natlog_host,
            remote_port=port,
        )
        out.add("/system/logging", action=NATLOG_PREFIX, topics="firewall")


def _management_access(
    out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device, reveal: bool
) -> None:
    """The automation user, the IP services open from management, and the address lists
    the firewall matches management and RADIUS by."""
    svc = inv.services
    sources = ",".join(str(p) for p in ctx["mgmt_sources"])
    creds = ctx["credentials"]
    if creds is not None:
        out.add(
            "/user",
            name=creds.username,
            group="full",
            password=_secret(creds.password, reveal, dev.hostname),
            address=sources,
            comment="automation",
        )
    api = "api" if inv.meta.lab else "api-ssl"
    for service in ("telnet", "ftp", "www", "api", "api-ssl"):
        if service != api:
            out.add("/ip/service", name=service, disabled="yes")
    for service in ("ssh", "winbox", api):
        out.add("/ip/service", name=service, address=sources, disabled="no")
    for source in ctx["mgmt_sources"]:
        out.add("/ip/firewall/address-list", list="netops-mgmt", address=source)
    for radius_server in svc.radius.servers:
        out.add("/ip/firewall/address-list", list="netops-radius", address=radius_server)
