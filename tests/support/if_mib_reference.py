"""An if_mib module for snmp_exporter 0.21, written independently of netops' own module.

The compatibility tests run Debian's prometheus-snmp-exporter 0.21 with this module and
compare its series with netops' if_mib. So that the comparison means something, nothing here
is read from ``exporters/snmp/if_mib.yml``: the columns come from the IF-MIB itself
(RFC 2863: ``ifNumber``, ``ifTable`` 1.3.6.1.2.1.2.2.1.*, ``ifXTable`` 1.3.6.1.2.1.31.1.1.1.*)
and ``sysUpTime`` (RFC 3418), and each SMI syntax becomes a metric type the way
snmp_exporter's generator maps it (Counter32/Counter64 → counter; Integer32, Gauge32,
TimeTicks, TimeStamp and enumerations → gauge; DisplayString → DisplayString; PhysAddress →
PhysAddress48; OBJECT IDENTIFIER → OctetString). The generator options are those of the
generator's documented ``if_mib`` example: walk ``sysUpTime``, ``interfaces`` and ``ifXTable``;
label every ``ifIndex``-indexed metric with ``ifAlias``, ``ifDescr`` and ``ifName`` looked up
by ``ifIndex``; drop those three as metrics of their own; ``ifType`` as ``EnumAsInfo``.
"""

from __future__ import annotations

from typing import Any

SYS_UP_TIME = "1.3.6.1.2.1.1.3"
INTERFACES = "1.3.6.1.2.1.2"
IF_NUMBER = "1.3.6.1.2.1.2.1"
IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IF_X_ENTRY = "1.3.6.1.2.1.31.1.1.1"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1"

#: RFC 2863 ifAdminStatus / ifOperStatus, ifLinkUpDownTrapEnable and SNMPv2-TC TruthValue.
ADMIN_STATUS = {1: "up", 2: "down", 3: "testing"}
OPER_STATUS = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}
TRAP_ENABLE = {1: "enabled", 2: "disabled"}
TRUTH_VALUE = {1: "true", 2: "false"}

#: IANAifType (IANA's registry, the SYNTAX of ifType): the values net-snmp on Linux reports
#: for its usual links and those common on the switches, routers and access points of a city
#: network. Any other value is labelled with its number, by snmp_exporter as by netops.
IANA_IF_TYPE = {
    1: "other",
    6: "ethernetCsmacd",
    7: "iso88023Csmacd",
    23: "ppp",
    24: "softwareLoopback",
    32: "frameRelay",
    37: "atm",
    53: "propVirtual",
    62: "fastEther",
    69: "fastEtherFX",
    71: "ieee80211",
    117: "gigabitEthernet",
    131: "tunnel",
    135: "l2vlan",
    136: "l3ipvlan",
    150: "mplsTunnel",
    161: "ieee8023adLag",
    166: "mpls",
    199: "infiniband",
    209: "bridge",
}

#: (OID, name, SMI syntax, enumeration or None, short description from the MIB).
#: ``ifDescr``, ``ifName`` and ``ifAlias`` are left out: the generator example uses them
#: only as look-ups (:data:`LOOKUPS`).
IF_MIB: list[tuple[str, str, str, dict[int, str] | None, str]] = [
    (SYS_UP_TIME, "sysUpTime", "TimeTicks", None, "Time since the agent was re-initialized"),
    (IF_NUMBER, "ifNumber", "Integer32", None, "Number of network interfaces"),
    (f"{IF_ENTRY}.1", "ifIndex", "InterfaceIndex", None, "Interface index"),
    (f"{IF_ENTRY}.3", "ifType", "IANAifType", IANA_IF_TYPE, "Type of interface"),
    (f"{IF_ENTRY}.4", "ifMtu", "Integer32", None, "Largest packet size in octets"),
    (f"{IF_ENTRY}.5", "ifSpeed", "Gauge32", None, "Estimated bandwidth in bits per second"),
    (f"{IF_ENTRY}.6", "ifPhysAddress", "PhysAddress", None, "Protocol sub-layer address"),
    (f"{IF_ENTRY}.7", "ifAdminStatus", "INTEGER", ADMIN_STATUS, "Desired state"),
    (f"{IF_ENTRY}.8", "ifOperStatus", "INTEGER", OPER_STATUS, "Operational state"),
    (f"{IF_ENTRY}.9", "ifLastChange", "TimeTicks", None, "sysUpTime at the last state change"),
    (f"{IF_ENTRY}.10", "ifInOctets", "Counter32", None, "Octets received"),
    (f"{IF_ENTRY}.11", "ifInUcastPkts", "Counter32", None, "Unicast packets received"),
    (f"{IF_ENTRY}.12", "ifInNUcastPkts", "Counter32", None, "Non-unicast packets received"),
    (f"{IF_ENTRY}.13", "ifInDiscards", "Counter32", None, "Inbound packets discarded"),
    (f"{IF_ENTRY}.14", "ifInErrors", "Counter32", None, "Inbound packets with errors"),
    (f"{IF_ENTRY}.15", "ifInUnknownProtos", "Counter32", None, "Unknown-protocol packets"),
    (f"{IF_ENTRY}.16", "ifOutOctets", "Counter32", None, "Octets transmitted"),
    (f"{IF_ENTRY}.17", "ifOutUcastPkts", "Counter32", None, "Unicast packets sent"),
    (f"{IF_ENTRY}.18", "ifOutNUcastPkts", "Counter32", None, "Non-unicast packets sent"),
    (f"{IF_ENTRY}.19", "ifOutDiscards", "Counter32", None, "Outbound packets discarded"),
    (f"{IF_ENTRY}.20", "ifOutErrors", "Counter32", None, "Outbound packets with errors"),
    (f"{IF_ENTRY}.21", "ifOutQLen", "Gauge32", None, "Length of the output queue"),
    (f"{IF_ENTRY}.22", "ifSpecific", "OBJECT IDENTIFIER", None, "Media-specific MIB"),
    (f"{IF_X_ENTRY}.2", "ifInMulticastPkts", "Counter32", None, "Multicast received"),
    (f"{IF_X_ENTRY}.3", "ifInBroadcastPkts", "Counter32", None, "Broadcast received"),
    (f"{IF_X_ENTRY}.4", "ifOutMulticastPkts", "Counter32", None, "Multicast sent"),
    (f"{IF_X_ENTRY}.5", "ifOutBroadcastPkts", "Counter32", None, "Broadcast sent"),
    (f"{IF_X_ENTRY}.6", "ifHCInOctets", "Counter64", None, "Octets received"),
    (f"{IF_X_ENTRY}.7", "ifHCInUcastPkts", "Counter64", None, "Unicast received"),
    (f"{IF_X_ENTRY}.8", "ifHCInMulticastPkts", "Counter64", None, "Multicast received"),
    (f"{IF_X_ENTRY}.9", "ifHCInBroadcastPkts", "Counter64", None, "Broadcast received"),
    (f"{IF_X_ENTRY}.10", "ifHCOutOctets", "Counter64", None, "Octets transmitted"),
    (f"{IF_X_ENTRY}.11", "ifHCOutUcastPkts", "Counter64", None, "Unicast sent"),
    (f"{IF_X_ENTRY}.12", "ifHCOutMulticastPkts", "Counter64", None, "Multicast sent"),
    (f"{IF_X_ENTRY}.13", "ifHCOutBroadcastPkts", "Counter64", None, "Broadcast sent"),
    (f"{IF_X_ENTRY}.14", "ifLinkUpDownTrapEnable", "INTEGER", TRAP_ENABLE, "linkUp/Down traps"),
    (f"{IF_X_ENTRY}.15", "ifHighSpeed", "Gauge32", None, "Bandwidth in Mbit/s"),
    (f"{IF_X_ENTRY}.16", "ifPromiscuousMode", "TruthValue", TRUTH_VALUE, "Promiscuous"),
    (f"{IF_X_ENTRY}.17", "ifConnectorPresent", "TruthValue", TRUTH_VALUE, "Has a connector"),
    (f"{IF_X_ENTRY}.19", "ifCounterDiscontinuityTime", "TimeStamp", None, "Counter reset"),
]

#: Look-ups by ifIndex, in the generator example's order: (label, OID of the column).
LOOKUPS = [
    ("ifAlias", f"{IF_X_ENTRY}.18"),
    ("ifDescr", f"{IF_ENTRY}.2"),
    ("ifName", f"{IF_X_ENTRY}.1"),
]

#: The generator's metric type for each SMI syntax (textual conventions resolved to their
#: base type: InterfaceIndex is an Integer32, TimeStamp a TimeTicks, TruthValue and IANAifType
#: enumerated INTEGERs).
GENERATOR_TYPE = {
    "Integer32": "gauge",
    "INTEGER": "gauge",
    "InterfaceIndex": "gauge",
    "TruthValue": "gauge",
    "IANAifType": "gauge",
    "Gauge32": "gauge",
    "TimeTicks": "gauge",
    "TimeStamp": "gauge",
    "Counter32": "counter",
    "Counter64": "counter",
    "DisplayString": "DisplayString",
    "PhysAddress": "PhysAddress48",
    "OBJECT IDENTIFIER": "OctetString",
}

#: The generator example's per-metric ``overrides`` (apart from the ignored look-up columns).
OVERRIDES = {"ifType": "EnumAsInfo"}


def if_mib_module() -> dict[str, Any]:
    """The ``if_mib`` module as the 0.21 generator writes it into ``snmp.yml`` (without
    ``version``/``auth``, which the caller adds)."""
    metrics: list[dict[str, Any]] = []
    for oid, name, syntax, enum, description in IF_MIB:
        entry: dict[str, Any] = {
            "name": name,
            "oid": oid,
            "type": OVERRIDES.get(name, GENERATOR_TYPE[syntax]),
            "help": f"{description} - {oid}",
        }
        if oid.startswith((f"{IF_ENTRY}.", f"{IF_X_ENTRY}.")):
            entry["indexes"] = [{"labelname": "ifIndex", "type": "gauge"}]
            entry["lookups"] = [
                {"labels": ["ifIndex"], "labelname": label, "oid": col, "type": "DisplayString"}
                for label, col in LOOKUPS
            ]
        if enum:
            entry["enum_values"] = dict(enum)
        metrics.append(entry)
    return {"walk": [INTERFACES, IF_X_TABLE], "get": [f"{SYS_UP_TIME}.0"], "metrics": metrics}
