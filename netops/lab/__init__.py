"""Every simulator, in one room: the simulated city on one machine (``netops lab up`` /
``netops lab down``) and the peers the tests start.

``frr`` runs FRR routers in network namespaces behind their own sshd; ``gateway`` plays a
MikroTik (or CoovaChilli) hotspot gateway over real HTTP and RADIUS (``netops lab gateway``);
``hotspot`` and ``citizen`` drive phones through it; ``sshtargets`` serves the other
platforms over SSH; ``snmpagent`` and ``snmprec`` answer SNMP. Nothing outside
``netops.lab`` and ``netops.cli`` imports this package; it may import the subsystems it
simulates a peer of (the portal's CHAP helpers, the RADIUS dictionary).

``snmprec`` (pure) turns inventory devices into SNMP agent data with moving counters,
``plan`` (pure) decides what runs where, ``runtime`` starts and removes it all: FRR routers
in network namespaces (``netops.lab.frr``), one SNMP agent per device, and the
simulated hotspot gateway with citizens browsing through it.
"""
