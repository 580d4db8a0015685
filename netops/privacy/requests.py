"""Data subject requests (UU 27/2022 art. 7–8: access; art. 8 and 16: erasure).

Each request is recorded with the day it came and the deadline (the inventory's
``privacy.request_deadline``, 3×24 hours by default), answered at once, and marked answered
with what was done. An erasure keeps what a lawful retention period still holds (connection
records within ``connection_records``) and names it in the answer.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from netops.inventory.models import Inventory
from netops.inventory.units import format_duration
from netops.privacy.purge import privacy_of
from netops.store import Store
from netops.store.privacy import Erased, RequestKind, Subject
from netops.timefmt import human, machine, zone_of


@dataclass(frozen=True)
class Answer:
    """What a request produced: its number, deadline, and the export or the erasure."""

    number: int
    subject: Subject
    received_at: datetime
    due_at: datetime
    data: dict[str, list[dict[str, Any]]] | None = None
    erased: Erased | None = None


def _receive(
    store: Store, inventory: Inventory, kind: RequestKind, subject: Subject, received: datetime
) -> tuple[int, datetime]:
    privacy = privacy_of(inventory)
    due = received + timedelta(seconds=privacy.request_deadline)
    number = store.record_request(kind, subject, received, due)
    return number, due


def export(
    store: Store, inventory: Inventory, subject: Subject, received: datetime, now: datetime
) -> Answer:
    """Everything the store holds about ``subject``; the request is recorded and answered."""
    number, due = _receive(store, inventory, "export", subject, received)
    data = store.subject_data(subject)
    total = sum(len(rows) for rows in data.values())
    store.complete_request(number, f"exported {total} record(s)", None, now)
    return Answer(number, subject, received, due, data=store.subject_data(subject))


def erase(
    store: Store, inventory: Inventory, subject: Subject, received: datetime, now: datetime
) -> Answer:
    """Delete what the store holds about ``subject`` except connection records within their
    lawful retention; the request is recorded and answered, naming what was kept."""
    privacy = privacy_of(inventory)
    number, due = _receive(store, inventory, "erase", subject, received)
    hold = privacy.retention.connection_records
    done = store.erase(subject, hold_after=now - timedelta(seconds=hold))
    outcome = "deleted " + ", ".join(f"{n} {t}" for t, n in done.deleted.items())
    held = held_text(done, hold, zone_of(inventory.meta.timezone), now)
    store.complete_request(number, outcome, held, now)
    return Answer(number, subject, received, due, erased=done)


def held_text(done: Erased, hold_s: int, zone: tzinfo, now: datetime) -> str | None:
    """What an erasure kept and why, in one sentence (None when nothing was kept)."""
    if not done.held:
        return None
    count = done.held.get("acct_sessions", 0)
    until = f" until {human(done.held_until, zone)}" if done.held_until else ""
    return (
        f"{count} connection record(s) kept{until}: lawful retention of connection records "
        f"({format_duration(hold_s)}, privacy.retention.connection_records)"
    )


def _jsonable(value: Any, zone: tzinfo) -> Any:
    if isinstance(value, datetime):
        return machine(value, zone)
    return value


def export_json(answer: Answer, inventory: Inventory) -> str:
    """The export as JSON: times ISO 8601 with the city's offset."""
    zone = zone_of(inventory.meta.timezone)
    privacy = privacy_of(inventory)
    doc = {
        "request": answer.number,
        "controller": privacy.controller,
        "data_protection_officer": privacy.dpo.model_dump(exclude={"origin"}),
        "subject": {"kind": answer.subject.kind, "as_stored": answer.subject.label},
        "received_at": machine(answer.received_at, zone),
        "due_at": machine(answer.due_at, zone),
        "data": {
            table: [{k: _jsonable(v, zone) for k, v in row.items()} for row in rows]
            for table, rows in (answer.data or {}).items()
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


_TABLES_ID = {
    "subscribers": "Akun, voucher dan izin klik-setuju",
    "acct_sessions": "Sesi pemakaian Wi-Fi",
    "usage_totals": "Jumlah pemakaian sesi yang sudah dihapus",
    "admissions": "Izin masuk yang sedang berlaku",
    "privacy_requests": "Permintaan data pribadi",
}


def export_html(answer: Answer, inventory: Inventory) -> str:
    """A readable summary of the export in Bahasa Indonesia (times in the city's zone)."""
    zone = zone_of(inventory.meta.timezone)
    privacy = privacy_of(inventory)
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="id"><head><meta charset="utf-8">',
        f"<title>Data pribadi Anda — permintaan #{answer.number}</title></head><body>",
        f"<h1>Data pribadi yang kami simpan tentang Anda (permintaan #{answer.number})</h1>",
        f"<p>Pengendali data: {esc(privacy.controller)}. Pejabat Pelindungan Data Pribadi: "
        f"{esc(privacy.dpo.name)}, {esc(privacy.dpo.email)}"
        + (f", {esc(privacy.dpo.phone)}" if privacy.dpo.phone else "")
        + ".</p>",
        f"<p>Permintaan diterima {esc(human(answer.received_at, zone))}; batas waktu "
        f"jawaban {esc(human(answer.due_at, zone))} (3×24 jam).</p>",
        "<p>Alamat MAC perangkat tidak kami simpan; yang tersimpan hanya nama samaran "
        "(pseudonim) yang dihitung dari alamat itu. Kata sandi tersimpan terenkripsi dan "
        "tidak ditampilkan.</p>",
    ]
    for table, rows in (answer.data or {}).items():
        parts.append(f"<h2>{esc(_TABLES_ID.get(table, table))} ({len(rows)})</h2>")
        if not rows:
            parts.append("<p>Tidak ada.</p>")
            continue
        columns = list(rows[0])
        parts.append("<table border=1><tr>" + "".join(f"<th>{esc(c)}</th>" for c in columns))
        for row in rows:
            cells = []
            for c in columns:
                value = row[c]
                shown = human(value, zone) if isinstance(value, datetime) else value
                cells.append(f"<td>{esc('' if shown is None else str(shown))}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table>")
    parts.append(
        "<p>Anda berhak meminta perbaikan atau penghapusan data ini (UU 27/2022 Pasal 6–8). "
        "Catatan koneksi disimpan selama masa retensi yang diwajibkan hukum.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
