"""The board's words in English and Indonesian (Bahasa Indonesia).

Text is written in English in the templates and code, and looked up in
:data:`INDONESIAN` when the session's language is ``id``. State, event, role and outcome
names are shown through :meth:`Translator.label`: ``on_class`` reads "on class" in English
and "pembelajaran klasikal" in Indonesian; a name of a custom lifecycle the catalogue lacks
is shown as written. A test checks that every text the board shows has its translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["INDONESIAN", "LANGUAGES", "Translator", "language_of", "translator"]

LANGUAGES = ("id", "en")
"""The languages the board speaks."""

INDONESIAN: dict[str, str] = {
    # pages and forms
    "Cohort board": "Papan angkatan",
    "Cohorts": "Angkatan",
    "Cohort": "Angkatan",
    "Sign in": "Masuk",
    "Sign out": "Keluar",
    "Staff sign in with their staff id, mentors with their NIP.": (
        "Panitia masuk dengan id panitia, mentor dengan NIP."
    ),
    "Login": "Nama pengguna",
    "Password": "Kata sandi",
    "Wrong login or password.": "Nama pengguna atau kata sandi salah.",
    "Back": "Kembali",
    "Refused": "Ditolak",
    "Not found": "Tidak ditemukan",
    "Name": "Nama",
    "Dates": "Tanggal",
    "Your roles": "Peran Anda",
    "You hold no role in any cohort.": "Anda tidak memegang peran di angkatan mana pun.",
    "Board": "Papan",
    "Uploads": "Unggah berkas",
    "Audit check": "Pemeriksaan audit",
    "Lifecycle": "Alur",
    "{count} participants shown": "{count} peserta ditampilkan",
    "Advance the cohort": "Majukan angkatan",
    "Reason": "Alasan",
    "I confirm": "Saya yakin",
    "group {n}": "kelompok {n}",
    "overdue": "terlambat",
    "Schedule": "Jadwal",
    "Stage": "Tahap",
    "From": "Dari",
    "To": "Sampai",
    "Overdue on {day}": "Terlambat per {day}",
    "Nothing is overdue.": "Tidak ada yang terlambat.",
    "Participant": "Peserta",
    "Due": "Jatuh tempo",
    "Working days late": "Terlambat (hari kerja)",
    "Office": "Unit kerja",
    "Echelon": "Eselon",
    "Group": "Kelompok",
    "Change project": "Proyek perubahan",
    "Mentor": "Mentor",
    "Scores": "Nilai",
    "What you may do": "Yang dapat Anda lakukan",
    "Nothing: no event leaving this stage is yours to fire.": (
        "Tidak ada: tidak satu pun langkah dari tahap ini menjadi wewenang Anda."
    ),
    "History": "Riwayat",
    "When": "Waktu",
    "Command": "Perintah",
    "By": "Oleh",
    "Outcome": "Hasil",
    "None of the uploads is yours to make in this cohort.": (
        "Tidak ada unggahan yang menjadi wewenang Anda di angkatan ini."
    ),
    "Roster": "Daftar peserta",
    "Change projects": "Proyek perubahan",
    "Check only (write nothing)": "Periksa saja (tidak menyimpan apa pun)",
    "Upload": "Unggah",
    "Checked only: nothing was written.": "Hanya diperiksa: tidak ada yang disimpan.",
    "Line": "Baris",
    "Why": "Sebab",
    "The chain verifies: every stored fact matches its replay.": (
        "Rantai audit sah: setiap data tersimpan cocok dengan pemutaran ulangnya."
    ),
    "The chain does NOT verify.": "Rantai audit TIDAK sah.",
    "Entries": "Entri",
    "Head": "Ujung rantai",
    "First bad entry": "Entri rusak pertama",
    "Problem": "Masalah",
    "{event} done.": "{event} berhasil.",
    "{event} was refused:": "{event} ditolak:",
    "{event}: {moved} moved, {refused} refused.": "{event}: {moved} maju, {refused} ditolak.",
    # states of the default lifecycle
    "enrolled": "terdaftar",
    "on class": "pembelajaran klasikal",
    "proposal": "seminar rancangan",
    "laboratory": "laboratorium kepemimpinan",
    "seminar": "seminar hasil",
    "graduated": "lulus",
    "not passed": "tidak lulus",
    "withdrawn": "mengundurkan diri",
    "dropped": "dikeluarkan",
    # events and commands
    "start class": "mulai kelas",
    "present proposal": "presentasi rancangan",
    "revise proposal": "revisi rancangan",
    "approve proposal": "setujui rancangan",
    "present results": "presentasi hasil",
    "graduate": "luluskan",
    "fail": "nyatakan tidak lulus",
    "withdraw": "undurkan diri",
    "drop": "keluarkan",
    "reopen": "buka kembali",
    "enrol": "daftarkan",
    "create cohort": "buat angkatan",
    "add staff": "tambah panitia",
    "register project": "daftarkan proyek",
    "record assessment": "catat nilai",
    "form groups": "bentuk kelompok",
    "correct assessment": "koreksi nilai",
    "correct participant": "koreksi data peserta",
    "transfer office": "pindah unit kerja",
    "set schedule": "atur jadwal",
    "record attendance": "catat kehadiran",
    "migrate": "migrasi",
    "erase": "hapus data pribadi",
    # roles
    "organiser": "penyelenggara",
    "coach": "coach",
    "examiner": "penguji",
    "mentor": "mentor",
    # outcomes of commands and of file rows
    "accepted": "diterima",
    "refused": "ditolak",
    "already enrolled": "sudah terdaftar",
    "unchanged": "tidak berubah",
}
"""English text → Indonesian, for every text the board shows."""


@dataclass(frozen=True, slots=True)
class Translator:
    """Text in one language: call it with English text (and its ``{fields}``)."""

    language: str

    def __call__(self, text: str, **values: Any) -> str:
        """``text`` in this language, its ``{fields}`` filled from ``values``."""
        template = INDONESIAN.get(text, text) if self.language == "id" else text
        return template.format(**values) if values else template

    def label(self, name: object) -> str:
        """A state, event, role or outcome name for reading (``on_class``: "on class")."""
        return self(str(name).replace("_", " "))


def translator(language: str) -> Translator:
    """The translator for ``language`` (English unless ``id``)."""
    return Translator("id" if language == "id" else "en")


def language_of(request: Request) -> str:
    """The session's language; else Indonesian if the browser asks for it first; else English."""
    chosen = request.session.get("language")
    if chosen in LANGUAGES:
        return str(chosen)
    wanted = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return "id" if wanted.startswith(("id", "in")) else "en"
