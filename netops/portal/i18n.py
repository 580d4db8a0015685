"""The citizen pages' words in Bahasa Indonesia (default) and English.

One catalogue, keyed by message id. :func:`translator` returns a function the templates call
as ``t("key", name=value)``; a missing English text falls back to Indonesian, a missing key
is a bug and raises ``KeyError`` (the unit tests check both languages cover every key).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Literal

from netops.radius.messages import MESSAGES as REJECT_MESSAGES

Lang = Literal["id", "en"]
LANGUAGES: tuple[Lang, ...] = ("id", "en")
DEFAULT_LANG: Lang = "id"

CATALOGUE: Mapping[str, Mapping[Lang, str]] = {
    # page furniture
    "lang.name": {"id": "Bahasa Indonesia", "en": "English"},
    "lang.switch": {"id": "English", "en": "Bahasa Indonesia"},
    "lang.switch_label": {"id": "Ganti bahasa", "en": "Change language"},
    "title.login": {"id": "Masuk ke {ssid}", "en": "Sign in to {ssid}"},
    "title.status": {"id": "Status koneksi", "en": "Connection status"},
    "title.connecting": {"id": "Menghubungkan…", "en": "Connecting…"},
    "title.terms": {"id": "Syarat dan ketentuan", "en": "Terms of use"},
    "title.logged_out": {"id": "Anda sudah keluar", "en": "You are signed out"},
    "title.error": {"id": "Terjadi kesalahan", "en": "Something went wrong"},
    "intro": {
        "id": "Internet gratis dari {city}. Pilih cara masuk di bawah.",
        "en": "Free internet from {city}. Choose how to sign in below.",
    },
    "hotspot.at": {"id": "Lokasi: {name}", "en": "Location: {name}"},
    # the three ways in
    "voucher.heading": {"id": "Punya kode voucher?", "en": "Have a voucher code?"},
    "voucher.label": {"id": "Kode voucher", "en": "Voucher code"},
    "voucher.hint": {
        "id": "Contoh: K7QX-M3PA-RT. Huruf besar/kecil dan tanda hubung boleh diabaikan.",
        "en": "For example K7QX-M3PA-RT. Case and dashes do not matter.",
    },
    "voucher.submit": {"id": "Masuk dengan voucher", "en": "Sign in with voucher"},
    "user.heading": {"id": "Punya akun?", "en": "Have an account?"},
    "user.username": {"id": "Nama pengguna", "en": "Username"},
    "user.password": {"id": "Kata sandi", "en": "Password"},
    "user.submit": {"id": "Masuk", "en": "Sign in"},
    "phone.heading": {"id": "Masuk dengan nomor HP", "en": "Sign in with your phone number"},
    "phone.text": {
        "id": "Kami kirim kode lewat SMS. Nomor terverifikasi mendapat {allowance} per hari.",
        "en": "We send you a code by SMS. A verified number gets {allowance} a day.",
    },
    "phone.label": {"id": "Nomor HP", "en": "Mobile number"},
    "phone.hint": {
        "id": "Nomor seluler Indonesia, contoh 0857 1234 5678.",
        "en": "An Indonesian mobile number, for example 0857 1234 5678.",
    },
    "phone.send": {"id": "Kirim kode SMS", "en": "Send SMS code"},
    "phone.sent": {
        "id": "Kode 6 angka sudah dikirim ke {number}. Kode berlaku {minutes} menit.",
        "en": "A 6-digit code was sent to {number}. It is valid for {minutes} minutes.",
    },
    "phone.code_label": {"id": "Kode dari SMS", "en": "Code from the SMS"},
    "phone.verify": {"id": "Masuk dengan kode", "en": "Sign in with code"},
    "phone.resend": {"id": "Kirim kode baru", "en": "Send a new code"},
    "phone.other": {"id": "Pakai nomor lain", "en": "Use another number"},
    "phone.sms": {
        "id": "Kode WiFi {city}: {code}. Berlaku {minutes} menit. Jangan berikan kode ini "
        "kepada siapa pun.",
        "en": "{city} Wi-Fi code: {code}. Valid for {minutes} minutes. Do not share it.",
    },
    "free.heading": {"id": "Internet gratis harian", "en": "Free daily internet"},
    "free.text": {
        "id": "Tanpa daftar: {allowance} per hari untuk setiap perangkat.",
        "en": "No sign-up: {allowance} a day for every device.",
    },
    "free.accept": {
        "id": "Saya setuju dengan syarat dan ketentuan",
        "en": "I accept the terms of use",
    },
    "free.submit": {"id": "Mulai internet gratis", "en": "Start free internet"},
    "terms.link": {"id": "Baca syarat dan ketentuan", "en": "Read the terms of use"},
    # the privacy notice (/privasi)
    "title.privacy": {"id": "Pemberitahuan privasi", "en": "Privacy notice"},
    "privacy.link": {
        "id": "Pemberitahuan privasi: data apa yang kami simpan",
        "en": "Privacy notice: what data we keep",
    },
    "privacy.intro": {
        "id": "{controller} mengelola data pribadi Anda saat Anda memakai WiFi gratis ini, "
        "sesuai UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi.",
        "en": "{controller} processes your personal data when you use this free Wi-Fi, "
        "under Indonesia's Personal Data Protection Law (UU No. 27 of 2022).",
    },
    "privacy.what": {"id": "Data yang dikumpulkan", "en": "What is collected"},
    "privacy.why": {"id": "Untuk apa", "en": "Why"},
    "privacy.basis": {"id": "Dasar hukum", "en": "Legal basis"},
    "privacy.kept": {"id": "Disimpan selama", "en": "Kept for"},
    "privacy.deleted": {
        "id": "Setelah masa simpan lewat, data dihapus otomatis setiap malam. Alamat MAC "
        "perangkat Anda tidak pernah disimpan apa adanya.",
        "en": "When its period has passed, the data is deleted automatically every night. "
        "Your device's MAC address is never stored as it is.",
    },
    "privacy.rights": {"id": "Hak Anda", "en": "Your rights"},
    "privacy.rights_text": {
        "id": "Anda berhak meminta salinan data Anda, meminta perbaikan, atau meminta "
        "penghapusannya. Kirim permintaan ke Pejabat Pelindungan Data Pribadi di bawah ini, "
        "sebutkan kode voucher, nama pengguna, atau alamat MAC perangkat Anda (ada di "
        "pengaturan WiFi ponsel). Permintaan dijawab paling lambat {deadline} sejak diterima.",
        "en": "You may ask for a copy of your data, for it to be corrected, or for it to be "
        "erased. Send your request to the data protection officer below, naming your "
        "voucher code, user name, or your device's MAC address (shown in your phone's Wi-Fi "
        "settings). Requests are answered within {deadline} of their arrival.",
    },
    "privacy.dpo": {
        "id": "Pejabat Pelindungan Data Pribadi",
        "en": "Data protection officer",
    },
    "privacy.version": {"id": "Versi pemberitahuan: {version}", "en": "Notice version: {version}"},
    "privacy.missing": {
        "id": "Pemberitahuan privasi belum diterbitkan. Tanyakan kepada petugas {city}.",
        "en": "The privacy notice has not been published yet. Ask the staff of {city}.",
    },
    "or": {"id": "atau", "en": "or"},
    "connecting.text": {
        "id": "Sedang menghubungkan Anda ke internet. Jika tidak berpindah otomatis, tekan tombol.",
        "en": "Connecting you to the internet. If nothing happens, press the button.",
    },
    "connecting.submit": {"id": "Lanjutkan", "en": "Continue"},
    # status
    "status.connected": {"id": "Anda terhubung ke internet.", "en": "You are connected."},
    "status.done_hint": {
        "id": "Jika halaman ini terbuka di jendela masuk WiFi, ketuk “Selesai” di pojok atas "
        "untuk mulai berselancar.",
        "en": "If this page opened in the Wi-Fi sign-in window, tap “Done” at the top to start "
        "browsing.",
    },
    "status.not_connected": {
        "id": "Tidak ada sesi aktif untuk perangkat ini.",
        "en": "No active session for this device.",
    },
    "status.account": {"id": "Akun", "en": "Account"},
    "status.plan": {"id": "Paket", "en": "Plan"},
    "status.time_left": {"id": "Sisa waktu hari ini", "en": "Time left today"},
    "status.session_left": {"id": "Sisa waktu sesi ini", "en": "Time left this session"},
    "status.data_left": {"id": "Sisa kuota data", "en": "Data left"},
    "status.used_today": {"id": "Terpakai hari ini", "en": "Used today"},
    "status.valid_until": {"id": "Berlaku sampai", "en": "Valid until"},
    "status.unlimited": {"id": "Tanpa batas", "en": "Unlimited"},
    "status.continue": {"id": "Lanjut ke {url}", "en": "Continue to {url}"},
    "status.logout": {"id": "Keluar", "en": "Sign out"},
    "status.refresh": {"id": "Perbarui", "en": "Refresh"},
    "logged_out.text": {
        "id": "Terima kasih telah menggunakan internet gratis {city}.",
        "en": "Thank you for using {city}'s free internet.",
    },
    "login.again": {"id": "Masuk lagi", "en": "Sign in again"},
    # errors (the citizen's language)
    "error.voucher_empty": {"id": "Masukkan kode voucher.", "en": "Enter a voucher code."},
    "error.voucher_format": {
        "id": "Kode voucher terdiri dari 10 huruf dan angka, misalnya K7QX-M3PA-RT.",
        "en": "A voucher code has 10 letters and digits, for example K7QX-M3PA-RT.",
    },
    "error.voucher_unknown": {
        "id": "Kode voucher tidak dikenal. Periksa kembali kode Anda.",
        "en": "Unknown voucher code. Please check your code.",
    },
    "error.voucher_revoked": {
        "id": "Voucher ini sudah tidak berlaku.",
        "en": "This voucher is no longer valid.",
    },
    "error.voucher_expired": {
        "id": "Masa berlaku voucher ini sudah habis.",
        "en": "This voucher has expired.",
    },
    "error.voucher_bound": {
        "id": "Voucher ini sudah dipakai di perangkat lain.",
        "en": "This voucher is already used on another device.",
    },
    "error.moved_too_often": {
        "id": "Akses ini sudah dipindah ke perangkat baru 3 kali dalam 24 jam. "
        "Coba lagi nanti atau hubungi petugas.",
        "en": "This access has moved to a new device 3 times in 24 hours. "
        "Try again later or ask the staff.",
    },
    "error.credentials_empty": {
        "id": "Masukkan nama pengguna dan kata sandi.",
        "en": "Enter your username and password.",
    },
    "error.credentials": {
        "id": "Nama pengguna atau kata sandi salah.",
        "en": "Wrong username or password.",
    },
    "error.in_use": {
        "id": "Akun ini sedang dipakai di perangkat lain.",
        "en": "This account is already in use on another device.",
    },
    "error.time_used": {
        "id": "Batas waktu internet Anda sudah habis.",
        "en": "Your internet time is used up.",
    },
    "error.data_used": {
        "id": "Kuota data Anda sudah habis.",
        "en": "Your data quota is used up.",
    },
    "error.account_disabled": {
        "id": "Akun ini sudah tidak aktif.",
        "en": "This account is no longer active.",
    },
    "error.terms": {
        "id": "Centang persetujuan syarat dan ketentuan untuk melanjutkan.",
        "en": "Tick the box to accept the terms of use.",
    },
    "error.no_gateway": {
        "id": "Halaman ini harus dibuka dari jaringan {ssid}. Sambungkan ke WiFi lalu buka "
        "situs web apa saja.",
        "en": "Open this page from the {ssid} network: join the Wi-Fi, then open any website.",
    },
    "error.no_mac": {
        "id": "Perangkat Anda tidak dikenali oleh titik WiFi. Coba sambungkan ulang.",
        "en": "The hotspot did not identify your device. Please reconnect.",
    },
    "error.javascript": {
        "id": "Aktifkan JavaScript di browser Anda untuk masuk dengan voucher atau akun.",
        "en": "Turn on JavaScript in your browser to sign in with a voucher or an account.",
    },
    "error.rate_limited": {
        "id": "Terlalu banyak percobaan. Coba lagi dalam {minutes} menit.",
        "en": "Too many attempts. Try again in {minutes} minutes.",
    },
    "error.phone_empty": {
        "id": "Masukkan nomor HP Anda.",
        "en": "Enter your mobile number.",
    },
    "error.phone_format": {
        "id": "Itu bukan nomor seluler Indonesia. Tulis seperti 0857 1234 5678.",
        "en": "That is not an Indonesian mobile number. Write it like 0857 1234 5678.",
    },
    "error.phone_blocked": {
        "id": "Nomor ini tidak dapat dipakai untuk WiFi. Hubungi layanan pengaduan kota.",
        "en": "This number cannot be used for the Wi-Fi. Please contact the city's helpdesk.",
    },
    "error.phone_limit": {
        "id": "Sudah terlalu banyak SMS dikirim. Coba lagi dalam {minutes} menit.",
        "en": "Too many SMS have been sent. Try again in {minutes} minutes.",
    },
    "error.sms_down": {
        "id": "SMS tidak dapat dikirim saat ini. Coba lagi nanti atau pilih cara masuk lain.",
        "en": "The SMS cannot be sent right now. Try again later or choose another way in.",
    },
    "error.phone_unavailable": {
        "id": "Masuk dengan nomor HP tidak tersedia di titik WiFi ini.",
        "en": "Signing in with a phone number is not available at this hotspot.",
    },
    "error.code_format": {
        "id": "Masukkan 6 angka kode dari SMS.",
        "en": "Enter the 6 digits of the code from the SMS.",
    },
    "error.code_wrong": {
        "id": "Kode salah. Periksa SMS Anda lalu coba lagi.",
        "en": "Wrong code. Check your SMS and try again.",
    },
    "error.code_spent": {
        "id": "Kode salah terlalu sering. Minta kode baru.",
        "en": "Too many wrong codes. Ask for a new code.",
    },
    "error.code_expired": {
        "id": "Kode sudah kedaluwarsa. Minta kode baru.",
        "en": "The code has expired. Ask for a new code.",
    },
    "error.code_none": {
        "id": "Kode ini tidak berlaku lagi. Minta kode baru.",
        "en": "This code is no longer valid. Ask for a new code.",
    },
    "error.csrf": {
        "id": "Halaman sudah kedaluwarsa. Muat ulang halaman lalu coba lagi.",
        "en": "This page has expired. Reload it and try again.",
    },
    "error.gateway": {
        "id": "Titik WiFi menolak login: {message}",
        "en": "The hotspot refused the sign-in: {message}",
    },
    "error.unknown_gateway": {
        "id": "Titik WiFi yang mengarahkan Anda ke sini tidak terdaftar di jaringan {city}. "
        "Demi keamanan, kode dan kata sandi Anda tidak dikirim ke sana. Sambungkan ke WiFi "
        "resmi lalu buka situs web apa saja.",
        "en": "The hotspot that sent you here is not one of {city}'s. For your safety, your "
        "code and password were not sent to it. Join the official Wi-Fi, then open any "
        "website.",
    },
    "error.gateway_generic": {
        "id": "Login gagal. Silakan coba lagi.",
        "en": "Sign-in failed. Please try again.",
    },
    "error.unavailable": {
        "id": "Layanan sedang gangguan. Silakan coba beberapa saat lagi.",
        "en": "The service is having trouble. Please try again shortly.",
    },
    "error.not_found": {"id": "Halaman tidak ditemukan.", "en": "Page not found."},
    "error.bad_request": {
        "id": "Permintaan tidak valid: {detail}",
        "en": "Invalid request: {detail}",
    },
    # A malformed parameter from the hotspot's redirect: what it was, and what to do.
    "error.bad_param": {
        "id": "Titik WiFi mengirim {what} yang tidak valid. Sambungkan ulang ke WiFi, lalu buka "
        "situs web apa saja.",
        "en": "The hotspot sent an invalid {what}. Reconnect to the Wi-Fi, then open any website.",
    },
    "param.mac": {"id": "alamat perangkat (MAC)", "en": "device address (MAC)"},
    "param.ip": {"id": "alamat IP", "en": "IP address"},
    "param.url": {"id": "alamat halaman login", "en": "sign-in page address"},
    "param.chap": {"id": "kode keamanan login", "en": "sign-in security code"},
    "param.name": {"id": "nama titik WiFi", "en": "hotspot name"},
    "param.uam": {"id": "data pengalihan login", "en": "sign-in redirect data"},
    "param.other": {"id": "parameter “{name}”", "en": "parameter “{name}”"},
    "error.bad_method": {
        "id": "Pilih salah satu cara masuk: voucher, akun, atau internet gratis.",
        "en": "Choose a way to sign in: a voucher, an account or free internet.",
    },
    # What a RouterOS gateway itself writes into $(error) (English only on the device).
    "gateway.radius_down": {
        "id": "Server login tidak menjawab. Silakan coba beberapa saat lagi.",
        "en": "The sign-in server did not answer. Please try again shortly.",
    },
    # operator console
    "admin.console": {"id": "konsol", "en": "console"},
    "admin.nav": {"id": "Konsol", "en": "Console"},
    "admin.vouchers": {"id": "Voucher", "en": "Vouchers"},
    "admin.sessions": {"id": "Sesi aktif", "en": "Active sessions"},
    "admin.usage": {"id": "Pemakaian hari ini", "en": "Usage today"},
    "admin.sign_out": {"id": "Keluar", "en": "Sign out"},
    "admin.sign_in": {"id": "Masuk", "en": "Sign in"},
    "admin.sign_in_title": {"id": "Masuk operator", "en": "Operator sign-in"},
    "admin.token": {"id": "Token operator", "en": "Operator token"},
    "admin.operator_name": {"id": "Nama operator", "en": "Operator name"},
    "admin.password": {"id": "Kata sandi", "en": "Password"},
    "admin.otp": {
        "id": "Kode autentikator (jika diaktifkan)",
        "en": "Authenticator code (if enabled)",
    },
    "admin.audit": {"id": "Jejak audit", "en": "Audit trail"},
    "admin.audit_intact": {
        "id": "Rantai hash utuh: {rows} baris.",
        "en": "Hash chain intact: {rows} rows.",
    },
    "admin.audit_broken": {
        "id": "Rantai hash rusak di baris {row}: baris itu atau sebelumnya diubah atau dihapus.",
        "en": "Hash chain broken at row {row}: it or the row before was edited or deleted.",
    },
    "admin.when": {"id": "Waktu", "en": "When"},
    "admin.operator": {"id": "Operator", "en": "Operator"},
    "admin.from": {"id": "Dari", "en": "From"},
    "admin.action": {"id": "Tindakan", "en": "Action"},
    "admin.target": {"id": "Sasaran", "en": "Target"},
    "admin.detail": {"id": "Rincian", "en": "Detail"},
    "admin.forbidden": {
        "id": "Peran Anda tidak mengizinkan tindakan ini.",
        "en": "Your role does not allow this.",
    },
    "admin.disabled": {
        "id": "Konsol belum punya operator: buat dengan `netops operator add`.",
        "en": "The console has no operators yet: create one with `netops operator add`.",
    },
    "admin.token_invalid": {"id": "Token tersebut tidak valid.", "en": "That token is not valid."},
    "admin.too_many": {
        "id": "Terlalu banyak percobaan masuk; coba lagi dalam {minutes} menit.",
        "en": "Too many failed sign-ins; try again in {minutes} minutes.",
    },
    "admin.expired": {
        "id": "Formulir kedaluwarsa; muat ulang halaman lalu coba lagi.",
        "en": "The form expired; reload the page and try again.",
    },
    "admin.back": {"id": "Kembali", "en": "Back"},
    "admin.create_batch": {"id": "Buat batch", "en": "Create a batch"},
    "admin.plan": {"id": "Paket", "en": "Plan"},
    "admin.count": {"id": "Jumlah", "en": "Count"},
    "admin.validity": {
        "id": "Berlaku (jam sejak dipakai)",
        "en": "Valid for (hours from first use)",
    },
    "admin.plan_default": {"id": "bawaan paket", "en": "plan default"},
    "admin.batch_name": {"id": "Nama batch", "en": "Batch name"},
    "admin.automatic": {"id": "otomatis", "en": "automatic"},
    "admin.shared": {"id": "Bersama (banyak perangkat)", "en": "Shared (many devices)"},
    "admin.create_print": {"id": "Buat dan cetak", "en": "Create and print"},
    "admin.code_note": {
        "id": "Kode: 10 karakter dari 31 tanpa huruf kembar (tanpa 0/O, 1/I/L), "
        "{bits} bit per kode.",
        "en": "Codes: 10 characters from 31 without look-alikes (no 0/O, 1/I/L), {bits} bits each.",
    },
    "admin.batches": {"id": "Batch", "en": "Batches"},
    "admin.batch": {"id": "Batch", "en": "Batch"},
    "admin.print": {"id": "Cetak", "en": "Print"},
    "admin.print_cards": {"id": "cetak kartu", "en": "print cards"},
    "admin.newest": {"id": "Voucher terbaru ({total})", "en": "Newest vouchers ({total})"},
    "admin.code": {"id": "Kode", "en": "Code"},
    "status.voucher": {"id": "Voucher", "en": "Voucher"},
    "admin.voucher_name": {"id": "Nama RADIUS", "en": "RADIUS name"},
    "admin.first_used": {"id": "Pertama dipakai", "en": "First used"},
    "admin.valid_until": {"id": "Berlaku sampai", "en": "Valid until"},
    "admin.device": {"id": "Perangkat", "en": "Device"},
    "admin.private_mac": {"id": "privat", "en": "private"},
    "admin.private_mac_hint": {
        "id": "Alamat MAC privat (acak) dari ponsel: bisa berganti, perangkat yang sama "
        "bisa muncul dengan alamat baru.",
        "en": "A private (random) MAC from the phone: it can change, the same device may "
        "appear with a new address.",
    },
    "admin.unused": {"id": "belum dipakai", "en": "unused"},
    "admin.shared_tag": {"id": "bersama", "en": "shared"},
    "admin.revoke": {"id": "Cabut", "en": "Revoke"},
    "admin.revoked": {"id": "dicabut", "en": "revoked"},
    "admin.revoked_code": {"id": "{code} dicabut", "en": "revoked {code}"},
    "admin.no_voucher": {"id": "voucher tidak ditemukan", "en": "no such voucher"},
    "admin.print_note": {
        "id": "Batch {batch}: {count} kartu. Cetak dengan menu Print browser (A4) "
        "atau simpan sebagai PDF.",
        "en": "Batch {batch}: {count} cards. Use the browser's Print (A4) to print or save as PDF.",
    },
    "admin.back_list": {"id": "Kembali ke daftar", "en": "Back to the list"},
    "admin.user": {"id": "Pengguna", "en": "User"},
    "admin.address": {"id": "Alamat", "en": "Address"},
    "admin.started": {"id": "Mulai", "en": "Started"},
    "admin.time": {"id": "Waktu", "en": "Time"},
    "admin.down": {"id": "Unduh", "en": "Down"},
    "admin.up": {"id": "Unggah", "en": "Up"},
    "admin.disconnect": {"id": "Putuskan", "en": "Disconnect"},
    "admin.find_device": {"id": "Cari perangkat (MAC)", "en": "Find a device (MAC)"},
    "admin.find": {"id": "Cari", "en": "Find"},
    "admin.not_a_mac": {
        "id": "Itu bukan alamat MAC (tulis seperti AA-BB-CC-DD-EE-FF).",
        "en": "That is not a MAC address (write it like AA-BB-CC-DD-EE-FF).",
    },
    "admin.nobody": {"id": "Tidak ada yang terhubung.", "en": "No one connected."},
    "admin.since": {"id": "sejak {when}", "en": "since {when}"},
    "admin.hotspot": {"id": "Hotspot", "en": "Hotspot"},
    "admin.sessions_col": {"id": "Sesi", "en": "Sessions"},
    "admin.active": {"id": "Aktif", "en": "Active"},
    "admin.users": {"id": "Pengguna", "en": "Users"},
    "admin.all": {"id": "Semua", "en": "All"},
    "admin.disconnected": {
        "id": "sesi {session} di {nas}: {result}",
        "en": "session {session} at {nas}: {result}",
    },
    "admin.invalid_session": {"id": "sesi tidak valid", "en": "invalid session"},
    "admin.numbers": {
        "id": "jumlah dan masa berlaku harus berupa angka",
        "en": "count and validity must be numbers",
    },
    # units
    "unit.hours_minutes": {"id": "{h} jam {m} menit", "en": "{h} h {m} min"},
    "unit.minutes": {"id": "{m} menit", "en": "{m} min"},
}


def pick_language(requested: str | None, accept_language: str | None, default: Lang) -> Lang:
    """The page language: an explicit ``lang`` choice, else the city's default.

    The browser's Accept-Language is deliberately not followed: phones in Indonesia often
    ship set to English while their owners read Indonesian; the switch is one tap away.
    """
    del accept_language
    if requested in LANGUAGES:
        return requested
    return default


def text(lang: Lang, key: str, **values: object) -> str:
    """The message ``key`` in ``lang`` with ``{placeholders}`` filled."""
    entry = CATALOGUE[key]
    template = entry.get(lang) or entry[DEFAULT_LANG]
    return template.format(**values) if values else template


_PARAM_KIND = {
    "mac": "param.mac",
    "ip": "param.ip",
    "uamip": "param.uam",
    "uamport": "param.uam",
    "challenge": "param.uam",
    "res": "param.uam",
    "link-login-only": "param.url",
    "link-login": "param.url",
    "link-logout": "param.url",
    "link-status": "param.url",
    "link-orig": "param.url",
    "dst": "param.url",
    "userurl": "param.url",
    "chap-id": "param.chap",
    "chap-challenge": "param.chap",
    "server-name": "param.name",
    "identity": "param.name",
    "nasid": "param.name",
    "hotspot": "param.name",
}


def param_error(lang: Lang, field: str) -> str:
    """One sentence in ``lang`` for a malformed gateway parameter ``field``.

    Only the parameter's name is taken from the error, never its English wording: the whole
    sentence is in the page's language, and it tells the citizen what to do.
    """
    kind = _PARAM_KIND.get(field)
    what = text(lang, kind) if kind else text(lang, "param.other", name=field[:40])
    return text(lang, "error.bad_param", what=what)


# RouterOS's own $(error) texts (its hotspot writes them in English) → catalogue keys.
_ROUTEROS_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"invalid username or password|invalid password", re.I), "error.credentials"),
    (re.compile(r"radius server (is )?not responding", re.I), "gateway.radius_down"),
    (re.compile(r"no more sessions are allowed|already logged in", re.I), "error.in_use"),
    (re.compile(r"not allowed to log in from this mac", re.I), "error.voucher_bound"),
    (re.compile(r"uptime limit|session limit", re.I), "error.time_used"),
    (re.compile(r"traffic limit", re.I), "error.data_used"),
)


def gateway_error_known(message: str | None) -> bool:
    """Whether ``message`` is a refusal reason the portal has its own sentence for."""
    if not message:
        return False
    wanted = message.strip()
    if any(wanted in texts.values() for texts in REJECT_MESSAGES.values()):
        return True
    return any(pattern.search(wanted) for pattern, _ in _ROUTEROS_ERRORS)


def gateway_error(lang: Lang, message: str | None) -> str:
    """The gateway's reason for a refused login, wholly in ``lang``.

    The reason is the RADIUS server's Reply-Message (written in the city's language, see
    :mod:`netops.radius.messages`) or one of RouterOS's own English texts. Known sentences
    are given in ``lang``; anything else becomes the generic "sign-in failed" sentence
    rather than a foreign phrase inside the page.
    """
    if message:
        wanted = message.strip()
        for texts in REJECT_MESSAGES.values():
            if wanted in texts.values():
                return text(lang, "error.gateway", message=texts.get(lang) or texts["id"])
        for pattern, key in _ROUTEROS_ERRORS:
            if pattern.search(wanted):
                return text(lang, "error.gateway", message=text(lang, key))
    return text(lang, "error.gateway_generic")


def translator(lang: Lang) -> Callable[..., str]:
    """``t(key, **values)`` bound to ``lang``, for templates."""

    def t(key: str, **values: object) -> str:
        return text(lang, key, **values)

    return t


def format_duration(lang: Lang, seconds: int) -> str:
    """``5400`` → ``1 jam 30 menit`` / ``1 h 30 min`` (rounded down to the minute)."""
    seconds = max(0, seconds)
    hours, minutes = divmod(seconds // 60, 60)
    if hours:
        return text(lang, "unit.hours_minutes", h=hours, m=minutes)
    return text(lang, "unit.minutes", m=minutes)


def format_bytes(lang: Lang, octets: int) -> str:
    """Decimal units as phone plans use them: ``1.2 GB`` (``1,2 GB`` in Indonesian)."""
    octets = max(0, octets)
    value: float = octets
    unit = "B"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            break
        value /= 1000
    shown = f"{value:.0f}" if unit in ("B", "KB") or value >= 100 else f"{value:.1f}"
    if lang == "id":
        shown = shown.replace(".", ",")
    return f"{shown} {unit}"
