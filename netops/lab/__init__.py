"""The simulated city on one machine: ``netops lab up`` / ``netops lab down``.

``snmprec`` (pure) turns inventory devices into SNMP agent data with moving counters,
``plan`` (pure) decides what runs where, ``runtime`` starts and removes it all: FRR routers
in network namespaces (``netops.provision.lab``), one SNMP agent per device, and the
simulated hotspot gateway with citizens browsing through it.
"""
