"""The privacy notice a citizen reads on the portal (``/privasi``), built from the register.

UU 27/2022 art. 21 asks the controller to tell a person, before their data is processed, what
is collected, why, on which basis, for how long and how to exercise their rights. The notice
says it in plain Bahasa Indonesia (and English) for each data class of
:data:`~netops.privacy.register.REGISTER` a citizen meets, with the inventory's periods in
words, the data protection officer's contact and the deadline for a request.

The notice has a **version**: the first 12 hex digits of SHA-256 over its content in both
languages. Any change to the register's classes, the periods, the DPO or the deadline gives a
new version, and each acceptance of the terms on the portal is recorded with the version the
citizen was shown.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal, Protocol

from netops.inventory.models import Privacy
from netops.privacy.register import (
    CONSENT,
    CONTRACT,
    LEGAL_OBLIGATION,
    PUBLIC_TASK,
    REGISTER,
    DataClass,
    period_of,
)

Lang = Literal["id", "en"]
DAY = 86_400

# What a citizen is told per data class: (what is collected, why), in both languages.
# The order is the order on the page: what the citizen meets first comes first.
TOLD: tuple[tuple[DataClass, dict[Lang, tuple[str, str]]], ...] = (
    (
        "clickthroughs",
        {
            "id": (
                "Tanda perangkat Anda (alamat MAC, disimpan hanya sebagai nama samaran "
                "terkunci), hotspot tempat Anda masuk, jatah harian, dan versi pemberitahuan "
                "ini yang Anda setujui.",
                "Memberi jatah internet gratis satu kali per perangkat per hari setelah Anda "
                "menyetujui syarat dan ketentuan.",
            ),
            "en": (
                "Your device's identifier (its MAC address, kept only as a keyed pseudonym), "
                "the hotspot you signed in at, the daily allowance, and the version of this "
                "notice you accepted.",
                "To give one free allowance per device and day after you accept the terms.",
            ),
        },
    ),
    (
        "vouchers",
        {
            "id": (
                "Kode voucher, waktu pertama dipakai, masa berlaku, dan perangkat (nama "
                "samaran) yang memakainya.",
                "Akses dengan voucher kertas untuk waktu terbatas, satu perangkat per kode.",
            ),
            "en": (
                "The voucher code, when it was first used, how long it is valid, and the "
                "device (pseudonym) using it.",
                "Time-limited access with a paper voucher, one device per code.",
            ),
        },
    ),
    (
        "subscriber_accounts",
        {
            "id": (
                "Nama pengguna (bisa berupa nomor telepon), paket, dan kata sandi (disimpan "
                "terenkripsi atau di-hash, tidak pernah terbaca).",
                "Agar warga atau pegawai yang terdaftar bisa masuk ke WiFi kota.",
            ),
            "en": (
                "Your user name (it may be a phone number), plan, and password (stored "
                "encrypted or hashed, never readable).",
                "To let registered residents and employees sign in to the city's Wi-Fi.",
            ),
        },
    ),
    (
        "accounting_sessions",
        {
            "id": (
                "Kapan dan berapa lama Anda memakai WiFi, di hotspot mana, dan berapa banyak "
                "data yang dipakai.",
                "Menjalankan batas paket (kuota harian dan total) dan menyusun laporan "
                "kapasitas jaringan.",
            ),
            "en": (
                "When and for how long you used the Wi-Fi, at which hotspot, and how much "
                "data you used.",
                "To apply the plan's limits (daily and total quotas) and report on the "
                "network's capacity.",
            ),
        },
    ),
    (
        "connection_records",
        {
            "id": (
                "Alamat IP yang diberikan ke perangkat Anda (nama samaran) dan kapan.",
                "Keamanan jaringan dan menjawab permintaan yang sah tentang sebuah alamat "
                "pada waktu tertentu.",
            ),
            "en": (
                "Which address your device (pseudonym) was given, and when.",
                "Network security, and answering lawful requests about an address at a given time.",
            ),
        },
    ),
    (
        "operator_audit",
        {
            "id": (
                "Catatan permintaan Anda atas data pribadi Anda: jenisnya, kapan diterima "
                "dan kapan dijawab.",
                "Menunjukkan bahwa setiap permintaan dijawab tepat waktu.",
            ),
            "en": (
                "The record of your requests about your personal data: which kind, when it "
                "came and when it was answered.",
                "To show that every request was answered in time.",
            ),
        },
    ),
)

BASIS: dict[str, dict[Lang, str]] = {
    CONSENT: {
        "id": "persetujuan Anda (UU 27/2022 Pasal 20 ayat (2) huruf a)",
        "en": "your consent (UU 27/2022 art. 20(2)(a))",
    },
    CONTRACT: {
        "id": "perjanjian dengan Anda (Pasal 20 ayat (2) huruf b)",
        "en": "an agreement with you (art. 20(2)(b))",
    },
    LEGAL_OBLIGATION: {
        "id": "kewajiban hukum Pemerintah Kota (Pasal 20 ayat (2) huruf c)",
        "en": "the city's legal obligation (art. 20(2)(c))",
    },
    PUBLIC_TASK: {
        "id": "pelayanan publik oleh Pemerintah Kota (Pasal 20 ayat (2) huruf e)",
        "en": "a public service of the city (art. 20(2)(e))",
    },
}


@dataclass(frozen=True)
class NoticeItem:
    """One data class as the citizen reads it."""

    what: str
    why: str
    basis: str
    kept: str


@dataclass(frozen=True)
class Notice:
    """The privacy notice in one language, with the version of its content."""

    lang: Lang
    controller: str
    dpo_name: str
    dpo_email: str
    dpo_phone: str | None
    dpo_address: str | None
    items: tuple[NoticeItem, ...]
    deadline: str
    version: str


def period_words(lang: Lang, seconds: int) -> str:
    """A period as a citizen reads it: ``1 tahun``, ``90 hari``, ``2 days``, ``12 jam``."""
    if seconds % DAY == 0 and seconds >= DAY:
        days = seconds // DAY
        if days % 365 == 0:
            years = days // 365
            return f"{years} tahun" if lang == "id" else f"{years} year{'s' * (years != 1)}"
        return f"{days} hari" if lang == "id" else f"{days} day{'s' * (days != 1)}"
    hours = max(1, -(-seconds // 3600))
    return f"{hours} jam" if lang == "id" else f"{hours} hour{'s' * (hours != 1)}"


def deadline_words(lang: Lang, seconds: int) -> str:
    """The request deadline: ``3×24 jam`` / ``3×24 hours`` when whole days, else a period."""
    if seconds % DAY == 0 and seconds >= DAY:
        days = seconds // DAY
        return f"{days}×24 jam" if lang == "id" else f"{days}×24 hours"
    return period_words(lang, seconds)


def _basis_of(data_class: DataClass) -> str:
    return next(item.legal_basis for item in REGISTER if item.data_class == data_class)


def _items(privacy: Privacy, lang: Lang) -> tuple[NoticeItem, ...]:
    out = []
    for data_class, words in TOLD:
        what, why = words[lang]
        seconds = period_of(privacy.retention, data_class)
        assert seconds is not None, data_class  # every told class has an inventory period
        out.append(
            NoticeItem(what, why, BASIS[_basis_of(data_class)][lang], period_words(lang, seconds))
        )
    return tuple(out)


def _content(privacy: Privacy, lang: Lang) -> dict[str, object]:
    dpo = privacy.dpo
    return {
        "lang": lang,
        "controller": privacy.controller,
        "dpo": [dpo.name, dpo.email, dpo.phone, dpo.address],
        "items": [asdict(item) for item in _items(privacy, lang)],
        "deadline": deadline_words(lang, privacy.request_deadline),
    }


def notice_version(privacy: Privacy) -> str:
    """The notice's version: 12 hex digits of SHA-256 over its content in both languages."""
    content = [_content(privacy, lang) for lang in ("id", "en")]
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def build_notice(privacy: Privacy, lang: Lang) -> Notice:
    """The privacy notice in ``lang`` from the register and the inventory's ``privacy:``."""
    dpo = privacy.dpo
    return Notice(
        lang=lang,
        controller=privacy.controller,
        dpo_name=dpo.name,
        dpo_email=dpo.email,
        dpo_phone=dpo.phone,
        dpo_address=dpo.address,
        items=_items(privacy, lang),
        deadline=deadline_words(lang, privacy.request_deadline),
        version=notice_version(privacy),
    )


class AcceptanceStore(Protocol):
    def record_acceptance(
        self, *, mac: str | None, hotspot: str | None, version: str, lang: str, at: datetime
    ) -> int: ...


def record_acceptance(
    store: AcceptanceStore,
    privacy: Privacy | None,
    *,
    mac: str | None,
    hotspot: str | None,
    lang: str,
    at: datetime,
) -> int:
    """Record that a device accepted the terms under the notice in force (version ``none``
    when the inventory publishes no notice); returns the record's number."""
    version = notice_version(privacy) if privacy is not None else "none"
    return store.record_acceptance(mac=mac, hotspot=hotspot, version=version, lang=lang, at=at)
