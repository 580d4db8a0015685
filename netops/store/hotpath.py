"""The fixed SQL of the RADIUS hot path, run on the driver by :mod:`netops.store.fastread`.

Written once for both engines (``?`` placeholders, which the fast reader turns into ``%s``
for psycopg; ``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` exists on SQLite >= 3.35 and
PostgreSQL), plus the pure helpers that read what these statements return. The store's
methods that run them are ``lookup``, ``auth_view``, ``usage`` and ``open_sessions``
(reads) and ``admit`` and ``account`` (writes); see ``docs/store.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

from netops.store.fastread import SESSION_COLUMNS, SUBSCRIBER_COLUMNS
from netops.store.types import Usage

SUBSCRIBER_LIST = ", ".join(SUBSCRIBER_COLUMNS)
SESSION_LIST = ", ".join(SESSION_COLUMNS)
SUB_WIDTH = len(SUBSCRIBER_COLUMNS)

# --- Access-Request: subscriber, usage, open sessions -----------------------------------------


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


@lru_cache(maxsize=8)
def select_subscribers(count: int) -> str:
    """The subscriber rows of ``count`` candidate spellings."""
    return f"SELECT {SUBSCRIBER_LIST} FROM subscribers WHERE username IN ({placeholders(count)})"


@lru_cache(maxsize=8)
def select_usernames(count: int) -> str:
    """Which of ``count`` candidate spellings are stored."""
    return f"SELECT username FROM subscribers WHERE username IN ({placeholders(count)})"


@lru_cache(maxsize=8)
def auth_view_sql(count: int) -> str:
    """The subscriber(s) a user name may stand for, one row per session of theirs open or
    ended since the given moment (no such session: one row, session columns NULL), and in
    the last column whether the calling device holds an admission that lasts past a given
    moment (parameters in :func:`auth_view_params`; the user's names are given in every
    part, so that each reads its index from the user name on, on both engines).

    The open sessions and those ended since are two ranges of the (username, stopped_at)
    index, read as two branches: ``stopped_at IS NULL OR stopped_at >= ?`` in one join
    condition made both engines read every session the user ever had and filter them (at
    1,000 sessions a user, a third of SQLite's rate)."""
    sub = ", ".join(f"s.{c}" for c in SUBSCRIBER_COLUMNS)
    session = ", ".join(f"e.{c}" for c in SESSION_COLUMNS)
    names = placeholders(count)
    return (  # the hold's check names the user too: else PostgreSQL may read every hold
        f"SELECT {sub}, {session}, EXISTS (SELECT 1 FROM admissions a "
        f"WHERE a.username = s.username AND a.username IN ({names}) "
        "AND a.device = ? AND a.expires_at > ?) "
        "FROM subscribers s LEFT JOIN ("
        f"SELECT {SESSION_LIST} FROM acct_sessions "
        f"WHERE username IN ({names}) AND stopped_at IS NULL UNION ALL "
        f"SELECT {SESSION_LIST} FROM acct_sessions "
        f"WHERE stopped_at >= ? AND username IN ({names})"
        ") e ON e.username = s.username "
        f"WHERE s.username IN ({names})"
    )


def auth_view_params(
    device: str | None, fresh: Any, since: Any, spellings: tuple[str, ...]
) -> tuple[Any, ...]:
    """The parameters of :func:`auth_view_sql`, in their places."""
    return (*spellings, device, fresh, *spellings, since, *spellings, *spellings)


# Every session still stored, plus what purged ones added up to (usage_totals).
USAGE_ALL = (
    "SELECT COALESCE(SUM(t), 0), COALESCE(SUM(o), 0), COALESCE(SUM(n), 0) FROM ("
    "SELECT session_time AS t, input_octets + output_octets AS o, 1 AS n "
    "FROM acct_sessions WHERE username = ? "
    "UNION ALL SELECT seconds, octets, sessions FROM usage_totals WHERE username = ?) u"
)
# Two index ranges (see auth_view_sql); parameters: the user, the user, the moment.
SESSIONS_SINCE = (
    "SELECT stopped_at, updated_at, session_time, input_octets + output_octets "
    "FROM acct_sessions WHERE username = ? AND stopped_at IS NULL UNION ALL "
    "SELECT stopped_at, updated_at, session_time, input_octets + output_octets "
    "FROM acct_sessions WHERE username = ? AND stopped_at >= ?"
)
OPEN_SESSIONS = (
    f"SELECT {SESSION_LIST} FROM acct_sessions "
    "WHERE username = ? AND stopped_at IS NULL ORDER BY started_at, id"
)


def first_spelling(
    candidates: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """The rows (username in column 1) of the first of ``candidates`` that has any: the name
    as sent wins over its reading as a MAC address or a voucher code."""
    if len(candidates) == 1:
        return rows
    names = {r[1] for r in rows}
    name = next((c for c in candidates if c in names), None)
    return [r for r in rows if r[1] == name]


def usage_since(
    sessions: Iterator[tuple[datetime | None, datetime | None, Any, Any]], since: datetime
) -> Usage:
    """Seconds (from ``since`` on) and octets of sessions open or ended since ``since``:
    (stopped_at, updated_at, session_time, octets) each."""
    seconds = octets = count = 0
    for stopped_at, updated_at, session_time, used in sessions:
        end = stopped_at or updated_at
        assert end is not None
        within = int((end - since).total_seconds())
        seconds += max(0, min(int(session_time), within))
        octets += int(used)
        count += 1
    return Usage(seconds=seconds, octets=octets, sessions=count)


# --- Simultaneous-Use admission ---------------------------------------------------------------

# The user name is a parameter in each subquery (not ``= s.username``): PostgreSQL turns a
# correlated EXISTS under OR into a hashed subplan that reads every hold of the device.
ALREADY_HELD = (
    "SELECT 1 FROM subscribers s WHERE s.username = ? AND ("
    "EXISTS (SELECT 1 FROM admissions a WHERE a.username = ? AND a.device = ? "
    "AND a.expires_at > ?) OR "
    "EXISTS (SELECT 1 FROM acct_sessions x WHERE x.username = ? AND x.mac = ? "
    "AND x.stopped_at IS NULL))"
)
DROP_LAPSED = "DELETE FROM admissions WHERE username = ? AND expires_at <= ?"
# The decision and the hold in one statement, so that no statement of the admission waits
# for an earlier one's answer (PostgreSQL sends them all in one round trip): the device is
# held when the subscriber exists and the device already holds a slot (an admission, an
# open session) or the devices with one (open sessions without a MAC count one each) are
# fewer than the limit. One row back: admitted. Run after the subscriber's lock and
# DROP_LAPSED; in READ COMMITTED each statement sees what committed before its lock.
# Parameters: (key, nas_ip, at, until, name, name, key, name, device, name, name, limit).
ADMIT_IF_ROOM = (
    "INSERT INTO admissions (username, device, nas_ip, created_at, expires_at) "
    "SELECT s.username, ?, ?, ?, ? FROM subscribers s WHERE s.username = ? AND ("
    "EXISTS (SELECT 1 FROM admissions a WHERE a.username = ? AND a.device = ?) "
    "OR EXISTS (SELECT 1 FROM acct_sessions x WHERE x.username = ? AND x.mac = ? "
    "AND x.stopped_at IS NULL) "
    "OR (SELECT COUNT(*) FROM ("
    "SELECT COALESCE(NULLIF(x.mac, ''), 'session:' || x.id) AS d FROM acct_sessions x "
    "WHERE x.username = ? AND x.stopped_at IS NULL "
    "UNION SELECT a.device FROM admissions a WHERE a.username = ?) held) < ?) "
    "ON CONFLICT (username, device) DO UPDATE "
    "SET expires_at = excluded.expires_at, nas_ip = excluded.nas_ip RETURNING 1"
)

# PostgreSQL: the lock, DROP_LAPSED and ADMIT_IF_ROOM in one call (migration 0014), one
# statement instead of a five-statement pipeline. Parameters: (name, key, device, nas_ip,
# at, until, limit). True: admitted.
ADMIT_PG = "SELECT netops_admit(?, ?, ?, ?, ?, ?, ?)"

# --- Accounting-Request -----------------------------------------------------------------------

ADMITTED = "DELETE FROM admissions WHERE username = ? AND device = ?"
_INSERTED = SESSION_COLUMNS[1:]  # every column but the generated id


def _greater(column: str) -> str:
    return (
        f"{column} = CASE WHEN excluded.{column} > acct_sessions.{column} "
        f"THEN excluded.{column} ELSE acct_sessions.{column} END"
    )


def _first(column: str) -> str:
    return f"{column} = COALESCE(acct_sessions.{column}, excluded.{column})"


# One statement merges any Start / Interim / Stop into its session: counters only grow, the
# first Stop wins, a lost Start is recreated.
UPSERT_SESSION = (
    f"INSERT INTO acct_sessions ({', '.join(_INSERTED)}) "
    f"VALUES ({', '.join('?' * len(_INSERTED))}) "
    "ON CONFLICT (nas_ip, acct_session_id, username) DO UPDATE SET "
    + ", ".join(
        [
            *(
                _greater(c)
                for c in (
                    "session_time",
                    "input_octets",
                    "output_octets",
                    "input_packets",
                    "output_packets",
                    "updated_at",
                    "stale_at",
                )
            ),
            # The first-known start stays: an interim's ``now - Acct-Session-Time`` is an
            # estimate (rounding, a NAS's own clock) and must not walk the start back.
            "started_at = acct_sessions.started_at",
            *(_first(c) for c in ("stopped_at", "terminate_cause", "mac", "nas_identifier")),
            "hotspot = COALESCE(acct_sessions.hotspot, excluded.hotspot)",
            "ip = COALESCE(excluded.ip, acct_sessions.ip)",
            "interim_interval = excluded.interim_interval",
        ]
    )
    + f" RETURNING {SESSION_LIST}"
)

# PostgreSQL: an Accounting-Start and the end of its admission's hold in one statement (a
# data-modifying WITH runs both or neither). Parameters: the admission's (user, device),
# then the upsert's. SQLite has no DELETE inside WITH: it runs the two in one transaction.
START_SESSION_PG = "WITH ended AS (" + ADMITTED + ") " + UPSERT_SESSION

# An Interim-Update's upsert that also answers its quota check (one statement, one round
# trip): the subscriber's plan, and the octets of the user's other sessions open or ended
# since a moment. Parameters after the upsert's: the user name (the row's own: SQLite scans
# a whole table for a subquery correlated with the returned row), again, again, and the
# moment: the open sessions and those ended since are two ranges of one index (see
# auth_view_sql). The row itself is left out, so whether a subquery sees it before or
# after the upsert does not matter.
_OTHER_OCTETS = (
    "(SELECT COALESCE(SUM(o.input_octets + o.output_octets), 0) FROM acct_sessions o "
    "WHERE o.username = ? AND o.stopped_at {} AND o.id <> acct_sessions.id)"
)
UPSERT_SESSION_USAGE = (
    UPSERT_SESSION
    + ", (SELECT s.plan FROM subscribers s WHERE s.username = ?), "
    + _OTHER_OCTETS.format("IS NULL")
    + " + "
    + _OTHER_OCTETS.format(">= ?")
)
