"""Reply-Message texts for rejected logins, in Bahasa Indonesia and English."""

from __future__ import annotations

from typing import Literal

RejectReason = Literal[
    "credentials",
    "disabled",
    "expired",
    "daily_time",
    "daily_data",
    "quota",
    "simultaneous_use",
    "bound_mac",
    "device",
    "plan",
    "method",
]

MESSAGES: dict[RejectReason, dict[str, str]] = {
    "credentials": {
        "id": "Nama pengguna atau kata sandi salah.",
        "en": "Wrong username or password.",
    },
    "disabled": {
        "id": "Akun atau voucher ini sudah tidak aktif.",
        "en": "This account or voucher is no longer active.",
    },
    "expired": {
        "id": "Masa berlaku voucher ini sudah habis.",
        "en": "This voucher has expired.",
    },
    "daily_time": {
        "id": "Waktu internet gratis Anda hari ini sudah habis. Silakan coba lagi besok.",
        "en": "Your free internet time for today is used up. Please try again tomorrow.",
    },
    "daily_data": {
        "id": "Kuota data Anda hari ini sudah habis. Silakan coba lagi besok.",
        "en": "Your data allowance for today is used up. Please try again tomorrow.",
    },
    "quota": {
        "id": "Kuota data Anda sudah habis.",
        "en": "Your data quota is used up.",
    },
    "simultaneous_use": {
        "id": "Akun ini sedang dipakai di perangkat lain.",
        "en": "This account is already in use on another device.",
    },
    "bound_mac": {
        "id": "Voucher ini sudah dipakai di perangkat lain.",
        "en": "This voucher is already tied to another device.",
    },
    "device": {
        "id": (
            "Akses gratis ini terdaftar untuk perangkat lain. Buka halaman login di perangkat Anda."
        ),
        "en": (
            "This free access belongs to another device. Open the login page on your own device."
        ),
    },
    "plan": {
        "id": "Paket layanan akun ini tidak tersedia. Hubungi petugas.",
        "en": "This account's service plan is not available. Please contact the staff.",
    },
    "method": {
        "id": "Metode login ini tidak didukung.",
        "en": "This login method is not supported.",
    },
}


def reject_message(reason: RejectReason, language: str) -> str:
    """The citizen-facing sentence for ``reason`` (Bahasa Indonesia unless ``en``)."""
    texts = MESSAGES[reason]
    return texts.get(language, texts["id"])
