"""The language the CLI speaks: English, or Indonesian (``--lang id`` or an Indonesian locale).

The English text in the code is the key: a command calls :func:`tr` with an English
template (``"unknown cohort {key!r}"``) and its values; under Indonesian the template's
entry in :data:`INDONESIAN` is filled instead. A template without an entry prints in
English, and ``tests/cli/test_language.py`` fails on it, so a new message cannot ship
untranslated. State labels of the default lifecycle come from :data:`STATE_LABELS`; the
states of a custom lifecycle print as named. Only what people read changes: JSON keys,
codes, event and state identifiers stay English.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final

from changeflow.states.names import Stage

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ENGLISH",
    "INDONESIAN",
    "LANGUAGES",
    "LOCALE_VARIABLES",
    "STATE_LABELS",
    "choose",
    "current",
    "state_label",
    "tr",
    "translated",
    "use",
]

ENGLISH: Final = "en"
"""The default language: the text as written in the code."""

LANGUAGES: Final = (ENGLISH, "id")
"""The languages ``--lang`` accepts."""

LOCALE_VARIABLES: Final = ("CHANGEFLOW_LANG", "LC_ALL", "LC_MESSAGES", "LANG")
"""Environment variables consulted, first set wins, when ``--lang`` is not given.

``CHANGEFLOW_LANG`` takes ``en`` or ``id``; the POSIX ones a locale such as ``id_ID.UTF-8``
(in POSIX order: ``LC_ALL`` overrides ``LC_MESSAGES``, which overrides ``LANG``).
"""

_language: ContextVar[str] = ContextVar("changeflow_cli_language", default=ENGLISH)


def choose(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The language to speak: ``option`` if given, else the first locale variable set.

    A locale whose language part is ``id`` (or the legacy ``in``) means Indonesian; any
    other locale (``C``, ``en_US.UTF-8``, ``de_DE``) means English.
    """
    if option:
        return option
    found = os.environ if environ is None else environ
    for variable in LOCALE_VARIABLES:
        value = found.get(variable, "")
        if value:
            language = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return "id" if language in {"id", "in"} else ENGLISH
    return ENGLISH


def use(language: str) -> None:
    """Speak ``language`` from now on (in this context)."""
    _language.set(language if language in LANGUAGES else ENGLISH)


def current() -> str:
    """The language being spoken (``en`` or ``id``)."""
    return _language.get()


def tr(template: str, /, **values: Any) -> str:
    """``template`` in the current language, filled with ``values`` (``str.format``).

    The template is the English text (its entry's key); its Indonesian entry uses the same
    placeholders. Values are inserted as given: translate them first where they are words.
    """
    if _language.get() != ENGLISH:
        template = INDONESIAN.get(template, template)
    return template.format(**values)


def translated(text: str) -> str:
    """``text`` in the current language when the catalogue has it verbatim, else as given.

    For text a command built without :func:`tr` (a literal hint, a table heading): it is
    never formatted, so braces in a name or a JSON value print as they are.
    """
    if _language.get() == ENGLISH:
        return text
    return INDONESIAN.get(text, text)


def state_label(state: str | None) -> str:
    """How a state reads in the current language (a custom lifecycle's states as named)."""
    if state is None:
        return "-"
    if _language.get() == ENGLISH:
        return state
    return STATE_LABELS.get(state, state)


STATE_LABELS: Final[Mapping[str, str]] = {
    Stage.ENROLLED: "terdaftar",
    Stage.ON_CLASS: "pembelajaran klasikal",
    Stage.PROPOSAL: "seminar rancangan proyek perubahan",
    Stage.LABORATORY: "laboratorium kepemimpinan",
    Stage.SEMINAR: "seminar hasil",
    Stage.GRADUATED: "lulus",
    Stage.NOT_PASSED: "tidak lulus",
    Stage.WITHDRAWN: "mengundurkan diri",
    Stage.DROPPED: "dikeluarkan",
}
"""The Indonesian labels of the default lifecycle's states."""

INDONESIAN: Final[Mapping[str, str]] = {
    # -- the frame of every message ---------------------------------------------------------
    "error: {text}": "kesalahan: {text}",
    "hint: {text}": "saran: {text}",
    "{task} ...": "{task} ...",
    "done in {seconds:.1f} s": "selesai dalam {seconds:.1f} detik",
    "{what}: {done} {unit}, {seconds} s": "{what}: {done} {unit}, {seconds} detik",
    "{what}: {done} of {total} {unit}, {seconds} s": (
        "{what}: {done} dari {total} {unit}, {seconds} detik"
    ),
    " (done)": " (selesai)",
    " (stopped)": " (dihentikan)",
    "rows": "baris",
    "enrolling {code}": "mendaftarkan peserta {code}",
    "pass --force to overwrite it, or choose another --output": (
        "tambahkan --force untuk menimpanya, atau pilih --output lain"
    ),
    "no entries match": "tidak ada entri yang cocok",
    "write YYYY-MM-DD (that day in UTC) or ISO 8601 with a timezone, e.g. 2024-04-01T12:00+07:00": (
        "tulis YYYY-MM-DD (hari itu dalam UTC) atau ISO 8601 dengan zona waktu, misalnya "
        "2024-04-01T12:00+07:00"
    ),
    # -- the office registry ---------------------------------------------------------------
    "would create {count} office(s):": "akan membuat {count} unit kerja:",
    "use {code} to mean that office, or choose another {what}; "
    "`changeflow office list` shows the registry": (
        "gunakan {code} untuk unit kerja itu, atau pilih {what} lain; "
        "`changeflow office list` menampilkan daftar unit kerja"
    ),
    "office {code} ({name}){also}": "unit kerja {code} ({name}){also}",
    ", also known as {aliases}": ", juga disebut {aliases}",
    "no registered office is called {office!r}": (
        "tidak ada unit kerja terdaftar yang bernama {office!r}"
    ),
    "closed to unknown offices": "tertutup bagi unit kerja yang tidak terdaftar",
    "open (new offices are created on use)": "terbuka (unit kerja baru dibuat saat dipakai)",
    "no offices registered; the store is {state}": (
        "belum ada unit kerja terdaftar; basis data {state}"
    ),
    "{rows} row(s) read: {added} office(s) added, {total} in all": (
        "{rows} baris dibaca: {added} unit kerja ditambahkan, {total} seluruhnya"
    ),
    "office file: line 1 is {header!r:.120}": "berkas unit kerja: baris 1 berisi {header!r:.120}",
    "office file: line {line}: expected {expected} fields, found {found}": (
        "berkas unit kerja: baris {line}: seharusnya {expected} kolom, ada {found}"
    ),
    "office file: line {line}: {problem}": "berkas unit kerja: baris {line}: {problem}",
    "closed to unknown offices: register them with `changeflow office add`": (
        "tertutup bagi unit kerja yang tidak terdaftar: daftarkan dengan `changeflow office add`"
    ),
    "see `changeflow office list` (codes, names and aliases, case and spacing aside)": (
        "lihat `changeflow office list` (kode, nama dan nama lain; huruf besar/kecil dan spasi "
        "diabaikan)"
    ),
    "`changeflow office list` shows the registry; register it with office add": (
        "`changeflow office list` menampilkan daftar unit kerja; daftarkan dengan office add"
    ),
    "{count} office(s); the store is {state}": "{count} unit kerja; basis data {state}",
    "added at": "ditambahkan pada",
    "added by": "ditambahkan oleh",
    "aliases": "nama lain",
    "an office file is a UTF-8 CSV file whose first line names the columns code,name,aliases "
    "(aliases separated by | or ;)": (
        "berkas unit kerja adalah berkas CSV UTF-8 yang baris pertamanya menamai kolom "
        "code,name,aliases (nama lain dipisah | atau ;)"
    ),
    "try '{where} --help'": "coba '{where} --help'",
    # -- words that label an outcome (history, tick, roster, attendance) --------------------
    "accepted": "diterima",
    "refused": "ditolak",
    "REFUSED": "DITOLAK",
    "WOULD BE REFUSED": "AKAN DITOLAK",
    "would be accepted": "akan diterima",
    "already enrolled": "sudah terdaftar",
    "recorded": "dicatat",
    "would be recorded": "akan dicatat",
    "unchanged": "tidak berubah",
    "applied": "dijalankan",
    "already_applied": "sudah dijalankan",
    "flagged": "ditandai",
    "pending": "menunggu",
    "present": "hadir",
    "izin": "izin",
    "sakit": "sakit",
    "absent": "tidak hadir",
    "(no NIP)": "(tanpa NIP)",
    "nothing": "tidak ada",
    "nothing due": "tidak ada yang jatuh tempo",
    "flag only": "hanya ditandai",
    # -- table headings -----------------------------------------------------------------------
    "nip": "NIP",
    "name": "nama",
    "office": "unit kerja",
    "state": "tahap",
    "group": "kelompok",
    "project": "proyek perubahan",
    "scores": "nilai",
    "count": "jumlah",
    "per state": "per tahap",
    "outcome": "hasil",
    "detail": "rincian",
    "seq": "no.",
    "at": "waktu",
    "cohort": "angkatan",
    "event": "peristiwa",
    "from -> to": "dari -> ke",
    "from": "dari",
    "to": "ke",
    "actor (role)": "pelaku (peran)",
    "reason / change": "alasan / perubahan",
    "stage": "tahap",
    "start": "mulai",
    "end": "selesai",
    "working days": "hari kerja",
    "next": "berikutnya",
    "due": "tenggat",
    "late": "terlambat",
    "acts": "pelaksana",
    "warnings": "peringatan",
    "code": "kode",
    "capacity": "kapasitas",
    "participants": "peserta",
    "lifecycle": "alur tahapan",
    "hash": "hash",
    "last entry": "entri terakhir",
    "members": "anggota",
    "themes": "tema",
    "title": "judul",
    "id": "id",
    "pack": "paket aturan",
    "version": "versi",
    "rule": "aturan",
    "basis": "dasar hukum",
    "citation": "kutipan",
    "citations:": "kutipan:",
    "roles": "peran",
    # -- cohort views: status, history, verify, migrate, advance -----------------------------
    " as of {when}": " per {when}",
    "{cohort}{when}: {total} participant(s)": "{cohort}{when}: {total} peserta",
    "{event}: {accepted} accepted, {refused} refused, {skipped} skipped (in other states)": (
        "{event}: {accepted} diterima, {refused} ditolak, {skipped} dilewati (di tahap lain)"
    ),
    "no lifecycle": "tanpa alur tahapan",
    "{cohort}: migrated from {before} to {after}": (
        "{cohort}: dipindahkan dari {before} ke {after}"
    ),
    "{cohort}: would migrate from {before} to {after}": (
        "{cohort}: akan dipindahkan dari {before} ke {after}"
    ),
    "no participants": "tidak ada peserta",
    "dry run: nothing was written": "uji coba: tidak ada yang disimpan",
    " (dry run: nothing was written)": " (uji coba: tidak ada yang disimpan)",
    "no cohorts to verify": "tidak ada angkatan untuk diperiksa",
    "{cohort}: audit chain intact ({entries} entries, head {seq} {hash})": (
        "{cohort}: rantai audit utuh ({entries} entri, ujung {seq} {hash})"
    ),
    "{cohort}: audit chain BROKEN: {problem} (missing tail)": (
        "{cohort}: rantai audit RUSAK: {problem} (bagian akhir hilang)"
    ),
    "{cohort}: audit chain BROKEN at entry {seq}: {problem}": (
        "{cohort}: rantai audit RUSAK pada entri {seq}: {problem}"
    ),
    "{cohort}: audit chain BROKEN: {problem}": "{cohort}: rantai audit RUSAK: {problem}",
    "{cohort}: stored facts DIFFER from the audit chain ({count} difference(s)):": (
        "{cohort}: data tersimpan BERBEDA dari rantai audit ({count} perbedaan):"
    ),
    "the audit trail or the stored facts were altered outside changeflow; restore them from "
    "a backup": (
        "jejak audit atau data tersimpan diubah di luar changeflow; pulihkan dari cadangan"
    ),
    # -- a roster and an attendance sheet ------------------------------------------------------
    "line {line:<4} {label:<18} {who}": "baris {line:<4} {label:<18} {who}",
    "{accepted} accepted, {refused} refused, {already} already enrolled": (
        "{accepted} diterima, {refused} ditolak, {already} sudah terdaftar"
    ),
    "{accepted} recorded, {unchanged} unchanged, {refused} refused": (
        "{accepted} dicatat, {unchanged} tidak berubah, {refused} ditolak"
    ),
    "fix the refused rows and run the same roster again: enrolled rows are kept": (
        "perbaiki baris yang ditolak lalu jalankan daftar peserta yang sama lagi: baris yang "
        "sudah terdaftar tetap tersimpan"
    ),
    "fix the refused rows and run the same sheet again: recorded days are kept": (
        "perbaiki baris yang ditolak lalu jalankan lembar yang sama lagi: hari yang sudah "
        "dicatat tetap tersimpan"
    ),
    # -- one participant: fire, check, events, project, history ----------------------------------
    "{event} would be accepted for {nip} (now {state})": (
        "{event} akan diterima untuk {nip} (sekarang {state})"
    ),
    "{event} would be refused for {nip} (now {state}):": (
        "{event} akan ditolak untuk {nip} (sekarang {state}):"
    ),
    "{nip} is {state}; allowed now: {allowed}": (
        "{nip} berada di tahap {state}; yang dapat dilakukan sekarang: {allowed}"
    ),
    "events that need a reason (withdraw, drop, reopen) are listed only with --reason": (
        "peristiwa yang memerlukan alasan (withdraw, drop, reopen) hanya ditampilkan dengan "
        "--reason"
    ),
    "a proposal needs a mentor: add --mentor NAME --mentor-nip NIP": (
        "rancangan proyek perubahan memerlukan mentor: tambahkan --mentor NAMA --mentor-nip NIP"
    ),
    "the mentor approves acting as their NIP: add --mentor-nip NIP": (
        "mentor menyetujui atas NIP-nya sendiri: tambahkan --mentor-nip NIP"
    ),
    "check the NIP; `changeflow status COHORT` lists the participants": (
        "periksa NIP-nya; `changeflow status ANGKATAN` menampilkan daftar peserta"
    ),
    # -- refusals ----------------------------------------------------------------------------------
    " from {state!r}": " dari tahap {state!r}",
    "for {nip} in {cohort}": "untuk {nip} di angkatan {cohort}",
    "in {cohort}": "di angkatan {cohort}",
    "{event!r}{where} refused {whom}: {reasons}": "{event!r}{where} ditolak {whom}: {reasons}",
    "{event!r} refused {whom}": "{event!r} ditolak {whom}",
    "'form_groups' refused in {cohort}: nobody was regrouped": (
        "'form_groups' ditolak di angkatan {cohort}: tidak ada peserta yang dikelompokkan ulang"
    ),
    "a participant in a final state keeps the group recorded: form the groups before anyone "
    "graduates or fails (the refused attempts are in the audit trail)": (
        "peserta yang sudah di tahap akhir tetap di kelompok yang tercatat: bentuk kelompok "
        "sebelum ada peserta yang lulus atau tidak lulus (percobaan yang ditolak tercatat di "
        "jejak audit)"
    ),
    "`changeflow events {cohort} {nip}` lists what is allowed now": (
        "`changeflow events {cohort} {nip}` menampilkan apa yang dapat dilakukan sekarang"
    ),
    "nothing was written; erase a person once their enrolments have ended": (
        "tidak ada yang disimpan; hapus data pribadi seseorang setelah keikutsertaannya di "
        "semua angkatan berakhir"
    ),
    "the attempt is recorded in the audit trail; fix what the rules name and try again": (
        "percobaan ini tercatat di jejak audit; perbaiki yang disebutkan aturan lalu coba lagi"
    ),
    "migration of {cohort} refused: {reasons}": (
        "pemindahan alur tahapan angkatan {cohort} ditolak: {reasons}"
    ),
    "migration of {cohort} refused": "pemindahan alur tahapan angkatan {cohort} ditolak",
    "nothing was written; map each state the new lifecycle lacks with --map OLD=NEW": (
        "tidak ada yang disimpan; petakan setiap tahap yang tidak ada di alur tahapan baru "
        "dengan --map LAMA=BARU"
    ),
    # -- errors and their hints ------------------------------------------------------------------
    "unknown cohort {key!r}": "angkatan {key!r} tidak dikenal",
    "`changeflow cohort list` shows the cohorts; `changeflow cohort create` makes one": (
        "`changeflow cohort list` menampilkan daftar angkatan; `changeflow cohort create` "
        "membuat angkatan baru"
    ),
    "unknown participant {key!r}{where}": "peserta {key!r} tidak dikenal{where}",
    "`changeflow status COHORT` lists the participants of a cohort": (
        "`changeflow status ANGKATAN` menampilkan daftar peserta suatu angkatan"
    ),
    "unknown event {key!r}": "peristiwa {key!r} tidak dikenal",
    "pin it to its lifecycle: `changeflow cohort migrate {cohort} --lifecycle FILE`": (
        "tetapkan alur tahapannya: `changeflow cohort migrate {cohort} --lifecycle BERKAS`"
    ),
    "lifecycle {name!r}": "alur tahapan {name!r}",
    "the lifecycle": "alur tahapan ini",
    "the lifecycle definition": "definisi alur tahapan ini",
    "{where} names rules this changeflow has not registered: {rules}": (
        "{where} menyebut aturan yang belum terdaftar di changeflow ini: {rules}"
    ),
    "install the package that registers them (entry points in the group 'changeflow.rules'), "
    "or migrate the cohort to a lifecycle using registered rules": (
        "pasang paket yang mendaftarkannya (entry point di grup 'changeflow.rules'), atau "
        "pindahkan angkatan ke alur tahapan yang memakai aturan terdaftar"
    ),
    "{where} has {count} problem(s)": "{where} memiliki {count} masalah",
    "fix every problem listed (docs/lifecycle.md); rules are changeflow's own and those "
    "installed packages register as 'changeflow.rules' entry points": (
        "perbaiki setiap masalah yang tercantum (docs/lifecycle.md); aturan yang dikenal adalah "
        "milik changeflow sendiri dan yang didaftarkan paket terpasang sebagai entry point "
        "'changeflow.rules'"
    ),
    "choose another code; `changeflow cohort list` shows the ones taken": (
        "pilih kode lain; `changeflow cohort list` menampilkan kode yang sudah dipakai"
    ),
    "a --key identifies one command: use a new key for a different command": (
        "satu --key menandai satu perintah: gunakan kunci baru untuk perintah yang berbeda"
    ),
    "another writer changed it first: check the state and retry (with the same --key)": (
        "proses lain mengubahnya lebih dahulu: periksa tahapnya lalu coba lagi (dengan --key "
        "yang sama)"
    ),
    "another process holds the lock: retry": "proses lain sedang memegang kunci: coba lagi",
    "database unreachable: {problem}": "basis data tidak dapat dihubungi: {problem}",
    "check --db (or CHANGEFLOW_DB) and that the database is up, then retry": (
        "periksa --db (atau CHANGEFLOW_DB) dan pastikan basis data berjalan, lalu coba lagi"
    ),
    "free disk space and retry": "kosongkan ruang disk lalu coba lagi",
    "upgrade changeflow": "perbarui changeflow",
    "create a database with `changeflow init`, or point --db / CHANGEFLOW_DB at an existing "
    "changeflow database": (
        "buat basis data dengan `changeflow init`, atau arahkan --db / CHANGEFLOW_DB ke basis "
        "data changeflow yang sudah ada"
    ),
    "create it with `changeflow init`, or point --db / CHANGEFLOW_DB at an existing database": (
        "buat dengan `changeflow init`, atau arahkan --db / CHANGEFLOW_DB ke basis data yang "
        "sudah ada"
    ),
    "`changeflow init` creates schema {schema!r}; or check --schema, CHANGEFLOW_SCHEMA and "
    "the URL's schema=": (
        "`changeflow init` membuat skema {schema!r}; atau periksa --schema, CHANGEFLOW_SCHEMA "
        "dan schema= pada URL"
    ),
    "check the name in --db / CHANGEFLOW_DB, or have the database created (`createdb "
    "{database}`), then run `changeflow init`": (
        "periksa nama pada --db / CHANGEFLOW_DB, atau minta basis datanya dibuat (`createdb "
        "{database}`), lalu jalankan `changeflow init`"
    ),
    "run `changeflow init` to upgrade it (back the database up first: an upgrade cannot be "
    "undone); nothing was written": (
        "jalankan `changeflow init` untuk memperbaruinya (cadangkan basis data dahulu: "
        "pembaruan tidak dapat dibatalkan); tidak ada yang ditulis"
    ),
    "the database file is damaged: {problem}": "berkas basis data rusak: {problem}",
    "restore it from a backup, then check it with `changeflow verify` (and `changeflow verify "
    "--against` a checkpoint file taken before the damage)": (
        "pulihkan dari cadangan, lalu periksa dengan `changeflow verify` (dan `changeflow verify "
        "--against` berkas titik periksa yang diambil sebelum kerusakan)"
    ),
    "the row was written outside changeflow or the file is damaged: `changeflow verify` checks "
    "the whole record; restore the database from a backup": (
        "baris ini ditulis di luar changeflow atau berkasnya rusak: `changeflow verify` "
        "memeriksa seluruh catatan; pulihkan basis data dari cadangan"
    ),
    "use sqlite:///path/to/file.db or postgresql://user@host/dbname": (
        "gunakan sqlite:///path/ke/berkas.db atau postgresql://user@host/nama_basis_data"
    ),
    "point --db at a file, e.g. sqlite:///path/to/changeflow.db": (
        "arahkan --db ke sebuah berkas, misalnya sqlite:///path/ke/changeflow.db"
    ),
    "for PostgreSQL: pip install 'changeflow[postgres]'": (
        "untuk PostgreSQL: pip install 'changeflow[postgres]'"
    ),
    "write dates as YYYY-MM-DD, e.g. 2019-04-04": (
        "tulis tanggal sebagai TTTT-BB-HH, misalnya 2019-04-04"
    ),
    "stored offices are the ones of enrolled participants; codes are case-sensitive": (
        "unit kerja yang tersimpan adalah unit kerja peserta yang terdaftar; kode membedakan "
        "huruf besar dan kecil"
    ),
    "leave them out, or create the cohort without --rules to set your own": (
        "hapus opsi itu, atau buat angkatan tanpa --rules untuk menetapkannya sendiri"
    ),
    # -- cohorts -------------------------------------------------------------------------------
    "no cohorts": "belum ada angkatan",
    "no cohorts yet": "belum ada angkatan",
    "create one with `changeflow cohort create CODE --name ... --start ... --end ...`": (
        "buat dengan `changeflow cohort create KODE --name ... --start ... --end ...`"
    ),
    "  lifecycle: none (the cohort predates stored lifecycles)": (
        "  alur tahapan: tidak ada (angkatan ini lebih tua dari alur tahapan tersimpan)"
    ),
    "`changeflow rules show PACK` prints a pack's parameters and citations": (
        "`changeflow rules show PAKET` menampilkan parameter dan kutipan dasar hukum suatu paket"
    ),
    # -- the course calendar ----------------------------------------------------------------
    "{code}: schedule": "{code}: jadwal",
    " to {destination}": " ke {destination}",
    " (destination not set)": " (tujuan belum ditetapkan)",
    "benchmarking visit{where}: {start} to {end}": (
        "kunjungan benchmarking{where}: {start} sampai {end}"
    ),
    "closed {day}: {name}": "libur {day}: {name}",
    "OVERDUE {days} wd": "TERLAMBAT {days} hk",
    "{cohort} as of {as_of}: {active} active, {overdue} overdue, {warned} warned": (
        "{cohort} per {as_of}: {active} aktif, {overdue} terlambat, {warned} diperingatkan"
    ),
    "{nip}  {deadline} due {due}, {late} working day(s) late: {event} {outcome}": (
        "{nip}  {deadline} jatuh tempo {due}, terlambat {late} hari kerja: {event} {outcome}"
    ),
    " (without --apply: nothing was written)": " (tanpa --apply: tidak ada yang disimpan)",
    "{cohort} tick as of {as_of}: {counts}": "{cohort} pemeriksaan tenggat per {as_of}: {counts}",
    "STAGE visit": "TAHAP visit",
    "--destination is for the visit only": "--destination hanya untuk kunjungan (visit)",
    "`changeflow schedule CODE` shows the cohort's windows": (
        "`changeflow schedule KODE` menampilkan rentang waktu setiap tahap angkatan"
    ),
    "--with-due-dates needs --ics FILE": "--with-due-dates memerlukan --ics BERKAS",
    "--dry-run is for --csv FILE": "--dry-run hanya untuk --csv BERKAS",
    "give NIP DATE --status STATUS, or --csv FILE": (
        "berikan NIP TANGGAL --status STATUS, atau --csv BERKAS"
    ),
    "give NIP DATE --status, or --csv FILE, not both": (
        "berikan NIP TANGGAL --status, atau --csv BERKAS, tidak keduanya"
    ),
    "e.g. changeflow attendance CODE 197503152000031004 2019-04-04 --status present": (
        "misalnya changeflow attendance KODE 197503152000031004 2019-04-04 --status present"
    ),
    "--mentor-nip and --mentor-position need --mentor NAME": (
        "--mentor-nip dan --mentor-position memerlukan --mentor NAMA"
    ),
    # -- other commands: schedule, attendance, corrections, staff, rules, checkpoints, demo -------
    "wrote {count} event(s) to {file}": "{count} acara ditulis ke {file}",
    "--ics: cannot write {file!r}: {problem}": "--ics: tidak dapat menulis {file!r}: {problem}",
    "{code}: {stage} set to {first} - {last}": "{code}: tahap {stage} ditetapkan {first} - {last}",
    "STAGE {value!r} is not a stage of the schedule": "TAHAP {value!r} bukan tahap dalam jadwal",
    "use one of {stages}": "gunakan salah satu dari {stages}",
    "--end {last} is before --start {first}": "--end {last} lebih awal dari --start {first}",
    "{option} {day} is outside the cohort ({start} to {end})": (
        "{option} {day} di luar masa angkatan ({start} sampai {end})"
    ),
    "{day} is already closed ({name}): nothing changed": (
        "{day} sudah ditetapkan libur ({name}): tidak ada yang berubah"
    ),
    "{nip}: {day} {status} recorded, audit #{seq}": "{nip}: {day} {status} dicatat, audit #{seq}",
    "--status {value!r} is not one of {allowed}": (
        "--status {value!r} bukan salah satu dari {allowed}"
    ),
    "an attendance sheet is a UTF-8 CSV file whose first line names the columns nip,date,status "
    "(status: present, izin, sakit or absent)": (
        "lembar kehadiran adalah berkas CSV UTF-8 yang baris pertamanya menyebut kolom "
        "nip,date,status (status: present, izin, sakit atau absent)"
    ),
    "a roster is a CSV file (UTF-8 or Windows-1252; comma, semicolon or tab) or an .xlsx "
    "sheet whose header names the columns nip,name,office,echelon[,birth_date] "
    "(or NIP,Nama,Unit Kerja,Eselon[,Tanggal Lahir])": (
        "daftar peserta adalah berkas CSV (UTF-8 atau Windows-1252; pemisah koma, titik koma "
        "atau tab) atau lembar .xlsx yang judul kolomnya menyebut "
        "nip,name,office,echelon[,birth_date] (atau NIP,Nama,Unit Kerja,Eselon[,Tanggal Lahir])"
    ),
    # -- HR office files: workbooks, bulk projects and scores ----------------------------------
    "a projects file is CSV or an .xlsx sheet whose header names the columns "
    "nip,title,theme[,mentor_name,mentor_nip,mentor_position] "
    "(or NIP,Judul,Tema,Nama Mentor,NIP Mentor,Jabatan Mentor)": (
        "berkas proyek perubahan adalah CSV atau lembar .xlsx yang judul kolomnya menyebut "
        "nip,title,theme[,mentor_name,mentor_nip,mentor_position] "
        "(atau NIP,Judul,Tema,Nama Mentor,NIP Mentor,Jabatan Mentor)"
    ),
    "a scores file is CSV or an .xlsx sheet whose header names the columns "
    "nip,score[,component] (or NIP,Nilai,Komponen)": (
        "berkas nilai adalah CSV atau lembar .xlsx yang judul kolomnya menyebut "
        "nip,score[,component] (atau NIP,Nilai,Komponen)"
    ),
    "split the file, or allow more": "pecah berkasnya, atau izinkan lebih banyak",
    "fix the refused rows and run the same file again: applied rows are kept": (
        "perbaiki baris yang ditolak lalu jalankan berkas yang sama lagi: baris yang sudah "
        "diterapkan tetap tersimpan"
    ),
    "give NIP --score SCORE, or a file with --csv FILE or --xlsx FILE": (
        "berikan NIP --score NILAI, atau berkas dengan --csv BERKAS atau --xlsx BERKAS"
    ),
    "give NIP --title TITLE --theme THEME, or a file with --csv FILE or --xlsx FILE": (
        "berikan NIP --title JUDUL --theme TEMA, atau berkas dengan --csv BERKAS atau --xlsx BERKAS"
    ),
    "--encoding reads CSV: a workbook names its own": (
        "--encoding untuk CSV: buku kerja Excel menyebut pengodeannya sendiri"
    ),
    "--sheet reads a workbook: give the file with --xlsx": (
        "--sheet untuk buku kerja Excel: berikan berkasnya dengan --xlsx"
    ),
    "give one file: --csv FILE or --xlsx FILE, not both": (
        "berikan satu berkas: --csv BERKAS atau --xlsx BERKAS, bukan keduanya"
    ),
    "give the file with --csv FILE or --xlsx FILE": (
        "berikan berkasnya dengan --csv BERKAS atau --xlsx BERKAS"
    ),
    "install the xlsx extra to read .xlsx files: pip install 'changeflow[xlsx]'": (
        "pasang tambahan xlsx untuk membaca berkas .xlsx: pip install 'changeflow[xlsx]'"
    ),
    "(grade {band})": "(predikat {band})",
    "applying {file} to {code}": "menerapkan {file} ke {code}",
    "{options} go with a file: --csv FILE or --xlsx FILE": (
        "{options} hanya bersama berkas: --csv BERKAS atau --xlsx BERKAS"
    ),
    "a file gives every row's values: leave out {what}": (
        "berkas memberi nilai setiap baris: hilangkan {what}"
    ),
    "{command}: {accepted} accepted, {unchanged} unchanged, {refused} refused": (
        "{command}: {accepted} diterima, {unchanged} tidak berubah, {refused} ditolak"
    ),
    "split the roster, or allow more with --max-bytes N or --max-rows N": (
        "pecah daftar peserta, atau izinkan lebih banyak dengan --max-bytes N atau --max-rows N"
    ),
    "{nip}: {component} corrected {was} -> {score:g}, audit #{seq}": (
        "{nip}: nilai {component} dikoreksi {was} -> {score:g}, audit #{seq}"
    ),
    "passes": "lulus",
    "does not pass": "tidak lulus",
    "grade: {score:g} {band} ({verdict})": "nilai akhir: {score:g} {band} ({verdict})",
    "{nip}: corrected {change}, audit #{seq}": "{nip}: dikoreksi {change}, audit #{seq}",
    "{nip}: transferred to {code} ({name}), audit #{seq}": (
        "{nip}: pindah ke unit kerja {code} ({name}), audit #{seq}"
    ),
    "office {code!r} is not stored yet: give its name with --office-name": (
        "unit kerja {code!r} belum tersimpan: sebutkan namanya dengan --office-name"
    ),
    "{code}: {id} ({name}) is {roles}": "{code}: {id} ({name}) berperan sebagai {roles}",
    "{code} has no staff yet": "{code} belum memiliki penyelenggara, coach atau penguji",
    "{cohort}: personal data erased, audit #{seq}": (
        "{cohort}: data pribadi dihapus, audit #{seq}"
    ),
    "{id} v{version}: {title}": "{id} v{version}: {title}",
    "  regime: {regime}": "  ketentuan: {regime}",
    "  seats: {seats}, at most {most} per office": (
        "  kuota: {seats} peserta, paling banyak {most} per unit kerja"
    ),
    "  retirement: at {age}, more than {years} year(s) after the start": (
        "  pensiun: usia {age}, lebih dari {years} tahun setelah angkatan dimulai"
    ),
    "  eligible ranks: {ranks}": "  eselon yang memenuhi syarat: {ranks}",
    "  grading: {bands}; otherwise {failing}": "  predikat: {bands}; selain itu {failing}",
    "  calendar: {on_class} working days on class, laboratory at least {laboratory} days, "
    "attendance at least {attendance:.0%}": (
        "  kalender: {on_class} hari kerja klasikal, laboratorium kepemimpinan paling sedikit "
        "{laboratory} hari, kehadiran paling sedikit {attendance:.0%}"
    ),
    "  read: {title} <{address}>: {read}": "  dibaca: {title} <{address}>: {read}",
    "wrote {count} checkpoint(s) to {file}": "{count} titik periksa ditulis ke {file}",
    "cannot write {file!r}: {problem}": "tidak dapat menulis {file!r}: {problem}",
    "cannot read {file!r}: {problem}": "tidak dapat membaca {file!r}: {problem}",
    "cannot replace {file!r}: {problem}": "tidak dapat mengganti {file!r}: {problem}",
    "{file!r} is not a changeflow checkpoint file": (
        "{file!r} bukan berkas titik periksa changeflow"
    ),
    "{file!r} names cohort {cohort} twice": "{file!r} menyebut angkatan {cohort} dua kali",
    "{file!r} is larger than a checkpoint file can be ({mib} MiB)": (
        "{file!r} lebih besar dari ukuran maksimal berkas titik periksa ({mib} MiB)"
    ),
    "{file!r} is not valid JSON: {problem}": "{file!r} bukan JSON yang sah: {problem}",
    "give a file `changeflow checkpoints -o FILE` wrote": (
        "berikan berkas yang ditulis oleh `changeflow checkpoints -o BERKAS`"
    ),
    "the demo needs an SQLite file URL, not {url!r}": (
        "demo memerlukan URL berkas SQLite, bukan {url!r}"
    ),
    "e.g. --db {url}": "misalnya --db {url}",
    "the demo database is {path}; try: changeflow --db {url} status {code}": (
        "basis data demo adalah {path}; coba: changeflow --db {url} status {code}"
    ),
    # -- passwords for the web board -----------------------------------------------------------
    "no terminal to ask for the password on": "tidak ada terminal untuk menanyakan kata sandi",
    "give it on standard input with --password-stdin, e.g. "
    "printf '%s\\n' \"$PASSWORD\" | changeflow user set-password LOGIN --password-stdin": (
        "berikan lewat masukan standar dengan --password-stdin, misalnya "
        "printf '%s\\n' \"$PASSWORD\" | changeflow user set-password LOGIN --password-stdin"
    ),
    "no password on standard input": "tidak ada kata sandi pada masukan standar",
    "New password for {login}": "Kata sandi baru untuk {login}",
    "Repeat the password": "Ulangi kata sandi",
    "the two passwords differ: nothing was changed": (
        "kedua kata sandi berbeda: tidak ada yang diubah"
    ),
    "run the command again and type the same password twice": (
        "jalankan perintah itu lagi dan ketik kata sandi yang sama dua kali"
    ),
    "password set for {login}": "kata sandi untuk {login} sudah disimpan",
    "the web board is not installed ({problem})": "papan web belum terpasang ({problem})",
    "install it with: {command}": "pasang dengan: {command}",
    "--demo serves one process: leave --workers out": (
        "--demo dilayani satu proses: jangan beri --workers"
    ),
    "--workers needs --secret (or CHANGEFLOW_WEB_SECRET): every worker signs cookies": (
        "--workers memerlukan --secret (atau CHANGEFLOW_WEB_SECRET): setiap worker "
        "menandatangani cookie"
    ),
    "e.g. --secret \"$(python -c 'import secrets; print(secrets.token_urlsafe())')\"": (
        "misalnya --secret \"$(python -c 'import secrets; print(secrets.token_urlsafe())')\""
    ),
    "serving the board on http://{host}:{port}/ (Ctrl+C stops)": (
        "papan dilayani di http://{host}:{port}/ (Ctrl+C untuk berhenti)"
    ),
    "--demo serves the demo database only ({url}); leave --db out": (
        "--demo hanya melayani basis data demo ({url}); jangan beri --db"
    ),
    "demo database: {path}": "basis data demo: {path}",
    "demo accounts (password {password!r}):": "akun demo (kata sandi {password!r}):",
}
"""English template -> Indonesian template, for every text the CLI prints through :func:`tr`."""
