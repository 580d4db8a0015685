"""Personal data under UU 27/2022 (PDP): the data register, retention, data subject requests.

:mod:`~netops.privacy.register` declares what personal data netops holds, where, why and for
how long (the inventory's ``privacy:`` section gives the periods); :mod:`~netops.privacy.purge`
applies the periods; :mod:`~netops.privacy.requests` answers access and erasure requests;
:mod:`~netops.privacy.trace` answers a lawful request for who used a public address, helped
by the NAT log that :mod:`~netops.privacy.syslog` receives.
See ``docs/privacy.md``.
"""
