"""RADIUS server for the free Wi-Fi hotspots: protocol, policy, accounting, CoA.

Layers, each importing only the ones above it in this list:

- :mod:`netops.radius.dictionary` finds and loads the FreeRADIUS-format dictionaries.
- :mod:`netops.radius.protocol` decodes and checks packets (pyrad), builds replies; no I/O.
- :mod:`netops.radius.policy` turns a subscriber, a plan and its usage into a decision and
  reply attributes for the NAS's platform; pure.
- :mod:`netops.radius.handler` runs authentication and accounting against the store.
- :mod:`netops.radius.server` is the asyncio UDP server, its NAS table and worker processes.
- :mod:`netops.radius.coa` sends Disconnect / CoA requests to a NAS (RFC 5176).
"""
