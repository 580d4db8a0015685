"""The subscriber and accounting store the RADIUS server and the captive portal share.

One :class:`Store` per process; it is thread-safe (a pooled engine, one transaction per call)
and every call commits before it returns. Writes that decide something (Simultaneous-Use,
first use of a voucher, accounting counters) are single atomic statements or run under a row
lock (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two RADIUS
servers on one PostgreSQL behave as one.

:class:`Store` is composed of its parts, each over the one engine and key of
:class:`~netops.store.base.StoreBase`: :class:`~netops.store.subscribers.Subscribers` (who
may log in) and :class:`~netops.store.accounting.Accounting` (what they use). The hot path's
fixed SQL is in :mod:`netops.store.hotpath`, the row mappers in :mod:`netops.store.rows`.
"""

from __future__ import annotations

from netops.store.accounting import Accounting
from netops.store.devices import Devices
from netops.store.limits import Limits
from netops.store.natlog import NatLog
from netops.store.operators import Operators
from netops.store.phones import Phones
from netops.store.privacy import DataSubjects
from netops.store.purge import Purge
from netops.store.subscribers import Subscribers


class Store(
    Subscribers, Accounting, Purge, Operators, DataSubjects, Phones, NatLog, Devices, Limits
):
    """Subscribers (users, vouchers, MACs, click-throughs, verified phone numbers),
    accounting sessions, the operators who run the console with their audit trail, and
    data subject requests with retention housekeeping, the gateways' NAT log, bindings
    that follow a phone to its new private MAC, and the portal's rate limits that every
    portal process on this store shares."""
