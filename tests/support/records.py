"""Accounting records for tests: only what a test cares about is spelled out."""

from __future__ import annotations

from datetime import datetime

from netops.store.types import AccountingRecord, AccountingStatus


def acct_record(
    *,
    status: AccountingStatus,
    nas_ip: str,
    username: str,
    acct_session_id: str,
    event_time: datetime,
    nas_identifier: str | None = None,
    hotspot: str | None = None,
    mac: str | None = None,
    ip: str | None = None,
    session_time: int = 0,
    input_octets: int = 0,
    output_octets: int = 0,
    input_packets: int = 0,
    output_packets: int = 0,
    terminate_cause: str | None = None,
    interim_interval: int = 300,
) -> AccountingRecord:
    """One Accounting-Request as the store takes it; counters zero, no device, interim 300 s
    unless given."""
    return AccountingRecord(
        status=status,
        nas_ip=nas_ip,
        nas_identifier=nas_identifier,
        username=username,
        acct_session_id=acct_session_id,
        hotspot=hotspot,
        mac=mac,
        ip=ip,
        session_time=session_time,
        input_octets=input_octets,
        output_octets=output_octets,
        input_packets=input_packets,
        output_packets=output_packets,
        terminate_cause=terminate_cause,
        interim_interval=interim_interval,
        event_time=event_time,
    )
