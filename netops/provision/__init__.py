"""Provisioning: render device configs from the inventory, diff, push with rollback, back up.

Layers, one direction: :mod:`render`, :mod:`configtree` and :mod:`platforms` are pure (no I/O);
:mod:`drivers` talks to devices, each driver (netmiko, napalm) behind one ``Session``
protocol; :mod:`operations` holds one function per device operation returning a
:class:`~netops.provision.result.Result`; :mod:`runner` runs an operation over many devices
in parallel; :mod:`backup` keeps running configs in git.
"""
