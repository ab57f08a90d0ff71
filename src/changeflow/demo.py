"""The 2019 Probolinggo cohort (Diklat PIM III angkatan VII), told end to end.

Thirty eligible heads of division from Probolinggo regency offices (at most two per office),
nominations the rules refuse, three thematic groups, proposals (one sent back for revision),
the leadership laboratory, one withdrawal, the seminar and graduation with grade bands, a
fail whose grounds are the recorded grade, and one correction: a graduate's score entered
wrongly, corrected with a reason, shown in that participant's history. People's names are
invented; offices, dates and rules come from the source article.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from changeflow.clock import FixedClock
from changeflow.engine import Engine
from changeflow.errors import TransitionRejected
from changeflow.models import ChangeProject, Coach, Cohort, Mentor, Office, Participant
from changeflow.schedule import Visit
from changeflow.staff import StaffMember
from changeflow.states.names import DATA_COMMANDS, RECORD_ATTENDANCE

if TYPE_CHECKING:
    from changeflow.records import HistoryEntry

__all__ = ["COHORT", "nominations", "run"]

Say = Callable[[str], object]

COHORT = Cohort(
    code="PKA-III-VII-2019",
    name="Diklat Kepemimpinan Tingkat III angkatan VII tahun 2019",
    organiser="BKD Kabupaten Probolinggo with BPSDM Provinsi Jawa Timur",
    start=date(2019, 4, 4),
    end=date(2019, 7, 19),
    capacity=30,
    coach=Coach(name="Dr. Hary Wahyudi", agency="BPSDM Provinsi Jawa Timur"),
)

_OFFICES = [
    ("DINKES", "Dinas Kesehatan"),
    ("DISDIK", "Dinas Pendidikan"),
    ("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang"),
    ("DINSOS", "Dinas Sosial"),
    ("DISPENDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil"),
    ("DISTAN", "Dinas Pertanian"),
    ("DLH", "Dinas Lingkungan Hidup"),
    ("DISHUB", "Dinas Perhubungan"),
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika"),
    ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"),
    ("BKD", "Badan Kepegawaian Daerah"),
    ("BAPPEDA", "Badan Perencanaan Pembangunan Daerah"),
    ("BPKAD", "Badan Pengelolaan Keuangan dan Aset Daerah"),
    ("BAPENDA", "Badan Pendapatan Daerah"),
    ("DPMD", "Dinas Pemberdayaan Masyarakat dan Desa"),
    ("DISPARBUDPORA", "Dinas Pariwisata, Kebudayaan, Pemuda dan Olahraga"),
]

_NAMES = [
    "Agus Santoso",
    "Sri Wahyuni",
    "Bambang Hermawan",
    "Dewi Lestari",
    "Eko Prasetyo",
    "Endang Susilowati",
    "Hadi Purnomo",
    "Indah Permatasari",
    "Joko Widodo Saputro",
    "Kartika Sari",
    "Lukman Hakim",
    "Mega Puspitasari",
    "Nur Hidayat",
    "Oktaviani Rahayu",
    "Purwanto",
    "Rina Marlina",
    "Slamet Riyadi",
    "Tri Handayani",
    "Umar Faruq",
    "Vivi Anggraini",
    "Wahyu Nugroho",
    "Yuli Astuti",
    "Zainal Arifin",
    "Anik Mulyani",
    "Budi Setiawan",
    "Citra Kirana",
    "Dedi Kurniawan",
    "Erna Fitriani",
    "Fajar Ramadhan",
    "Gita Rahmawati",
]

_ORGANISER = "bkd-probolinggo"
_COACH = "coach-bpsdm-jatim"
_EXAMINER = "penguji-1"
_STAFF = (
    StaffMember(id=_COACH, name="Dr. Hary Wahyudi (BPSDM Jawa Timur)", roles={"coach"}),
    StaffMember(id=_EXAMINER, name="Tim penguji seminar", roles={"examiner"}),
)
_VISIT = "Kabupaten Kulon Progo, DI Yogyakarta"

_THEMES = [
    ("pelayanan kesehatan", "Antrean online puskesmas"),
    ("administrasi kependudukan", "Akta kelahiran terbit di desa"),
    ("ekonomi desa", "Pasar daring produk UMKM desa"),
]


def _nip(number: int, born: date, female: bool) -> str:
    appointed = born.year + 24
    return f"{born:%Y%m%d}{appointed:04d}03{2 if female else 1}{number:03d}"


def _roster() -> list[Participant]:
    people = []
    for i, name in enumerate(_NAMES):
        code, office = _OFFICES[i // 2]
        born = date(1968 + i % 12, 1 + i % 12, 1 + (i * 7) % 28)
        people.append(
            Participant(
                nip=_nip(i + 1, born, female=i % 2 == 1),
                name=name,
                office=Office(code=code, name=office),
                echelon="III.a" if i % 3 else "III.b",
            )
        )
    return people


def _refused_nominations() -> list[tuple[str, Participant]]:
    """The nominations the rules refuse, each with why, in the order the demo judges them."""
    dinkes = Office(code="DINKES", name="Dinas Kesehatan")
    inspektorat = Office(code="INSPEKTORAT", name="Inspektorat")
    perkim = Office(code="DISPERKIM", name="Dinas Perumahan dan Kawasan Permukiman")
    nominated = [
        ("a third from one office", 102, date(1976, 5, 5), True, "Lilik Suryani", dinkes, "III.b"),
        ("retirement too close", 101, date(1962, 1, 20), False, "Suparman", inspektorat, "III.a"),
        ("not echelon III", 103, date(1980, 8, 17), False, "Rudi Hartono", inspektorat, "IV.a"),
        ("a 31st nomination", 104, date(1979, 3, 3), False, "Teguh Prakoso", perkim, "III.b"),
    ]
    return [
        (why, Participant(nip=_nip(n, born, female), name=name, office=office, echelon=echelon))
        for why, n, born, female, name, office, echelon in nominated
    ]


def nominations() -> list[tuple[str | None, Participant]]:
    """Every nomination the demo judges, in its order, each with why the rules refuse it.

    Thirty eligible heads of division (``None``: accepted), three the rules refuse after
    the first ten (a third from one office, retirement too close, not echelon III) and a
    31st past the cohort's capacity. ``examples/probolinggo_2019/roster.csv`` is this list.
    """
    roster: list[tuple[str | None, Participant]] = [(None, person) for person in _roster()]
    *refused, late = _refused_nominations()
    return [*roster[:10], *refused, *roster[10:], late]


def run(say: Say = print, engine: Engine | None = None) -> Engine:
    """Tell the whole 2019 story on ``engine`` (a fresh in-memory one by default)."""
    engine = engine or Engine(clock=FixedClock(datetime(2019, 4, 1, 8, tzinfo=UTC)))
    clock = engine.clock
    engine.create_cohort(COHORT, actor=_ORGANISER)
    say(f"== {COHORT.name} ({COHORT.code}), {COHORT.start} to {COHORT.end}")
    for member in _STAFF:
        engine.add_staff(COHORT.code, member, actor=_ORGANISER)
    say(
        f"  staff: {_ORGANISER} (organiser, created the cohort), "
        + ", ".join(f"{m.id} ({', '.join(sorted(m.roles))})" for m in _STAFF)
        + "; each participant's mentor approves by NIP"
    )
    _schedule(engine, say)
    _enrolment(engine, say)
    _set_time(clock, 2019, 4, 4)
    report = engine.advance(COHORT.code, "start_class", actor=_ORGANISER)
    say(
        f"\n== On-class: {len(report.accepted)} participants start three weeks in class "
        "and a three-day benchmarking visit to Kulon Progo"
    )
    _attendance(engine, say)
    _proposals(engine, say)
    _laboratory(engine, say)
    _seminar(engine, say)
    _correction(engine, say)
    _summary(engine, say)
    return engine


def _schedule(engine: Engine, say: Say) -> None:
    """The schedule on Indonesian working days, with the organiser's visit to Kulon Progo."""
    plan = engine.schedule(COHORT.code)
    visit = Visit(start=date(2019, 4, 23), end=date(2019, 4, 25), destination=_VISIT)
    plan = engine.set_schedule(
        COHORT.code,
        plan.model_copy(update={"visit": visit}),
        actor=_ORGANISER,
        reason="benchmarking visit agreed with Kabupaten Kulon Progo",
    )
    days = plan.working_days()
    say("\n== Schedule on working days (election day 17 April and cuti bersama are off)")
    for window in plan.windows:
        count = days.count(window.start, window.end)
        say(f"  {window.stage:<11} {window.start} to {window.end} ({count} working day(s))")
    say(f"  visit       {visit.start} to {visit.end}, {visit.destination}")


def _attendance(engine: Engine, say: Say) -> None:
    """Everyone at the visit; one participant ill for two days (sakit, excused)."""
    members = engine.participants(COHORT.code)
    plan = engine.schedule(COHORT.code)
    assert plan.visit is not None  # noqa: S101 - set by _schedule
    days = list(plan.working_days().between(plan.visit.start, plan.visit.end))
    _set_time(engine.clock, 2019, 4, 16)
    ill = members[9]
    for day in (date(2019, 4, 15), date(2019, 4, 16)):
        engine.record_attendance(
            COHORT.code, ill.nip, day, "sakit", actor=_ORGANISER, reason="medical certificate"
        )
    _set_time(engine.clock, 2019, 4, 25)
    for member in members:
        for day in days:
            engine.record_attendance(COHORT.code, member.nip, day, "present", actor=_ORGANISER)
    say(
        f"  attendance: {len(members)} present on the {len(days)} visit days; "
        f"{ill.participant.name} excused (sakit) on 15-16 April"
    )


def _set_time(clock: object, year: int, month: int, day: int) -> None:
    if isinstance(clock, FixedClock):
        clock.set(datetime(year, month, day, 8, tzinfo=UTC))


def _enrolment(engine: Engine, say: Say) -> None:
    say("\n== Enrolment: nominations judged against the rules")
    for why, person in nominations():
        if why is not None:
            say(f"  ({why})")
        _nominate(engine, person, say)
    status = engine.status(COHORT.code)
    say(f"  {status.total} participants enrolled from {len(status.by_office)} offices")


def _nominate(engine: Engine, person: Participant, say: Say) -> None:
    try:
        engine.enrol(COHORT.code, person, actor=_ORGANISER)
    except TransitionRejected as refused:
        for violation in refused.violations:
            say(
                f"  REFUSED {person.name} ({person.office.code}): [{violation.code}] "
                f"{violation.message}"
            )


def _proposals(engine: Engine, say: Say) -> None:
    members = engine.participants(COHORT.code)
    for i, member in enumerate(members):
        theme, title = _THEMES[i % 3]
        mentor = Mentor(
            name=f"Kepala {member.participant.office.name}",
            nip=_nip(500 + i // 2, date(1966, 1 + i % 12, 10), female=False),
        )
        engine.register_project(
            COHORT.code,
            member.nip,
            ChangeProject(
                title=f"{title} ({member.participant.office.code})", theme=theme, mentor=mentor
            ),
            actor=_ORGANISER,
        )
    groups = engine.form_groups(COHORT.code, 3, actor=_COACH)
    say("\n== The coach forms 3 thematic groups")
    for group in groups:
        say(f"  group {group.number}: {', '.join(group.themes)} ({len(group.members)} members)")
    _set_time(engine.clock, 2019, 4, 29)
    report = engine.advance(COHORT.code, "present_proposal", actor=_ORGANISER)
    say(f"\n== Proposal presentation: {len(report.accepted)} change projects presented")
    revised = members[4]
    engine.fire(
        COHORT.code,
        revised.nip,
        "revise_proposal",
        actor=_COACH,
        reason="the stakeholder map is missing",
    )
    say(f"  {revised.participant.name}'s proposal is sent back for revision by the coach")
    first = engine.participant(COHORT.code, members[0].nip).project
    try:
        engine.fire(COHORT.code, members[0].nip, "approve_proposal", actor=_ORGANISER)
    except TransitionRejected as refused:
        say(f"  the organiser may not approve for a mentor: {refused.codes[0]}")
    for member in members:
        project = engine.participant(COHORT.code, member.nip).project
        mentor_nip = project.mentor.nip if project and project.mentor else None
        engine.fire(COHORT.code, member.nip, "approve_proposal", actor=mentor_nip)
    shown = first.mentor if first else None
    example = "-" if shown is None else f"{shown.name} ({shown.nip})"
    say(
        f"  every proposal approved by the participant's own mentor ({len(members)}), "
        f"acting as their NIP, e.g. {example}"
    )


def _laboratory(engine: Engine, say: Say) -> None:
    _set_time(engine.clock, 2019, 5, 10)
    leaving = engine.participants(COHORT.code)[17]
    engine.fire(
        COHORT.code,
        leaving.nip,
        "withdraw",
        actor=_ORGANISER,
        reason="long-term medical treatment",
    )
    say(
        f"\n== Leadership laboratory: about two months back at the office, across Lebaran "
        f"(Idul Fitri 5-6 June, cuti bersama 3, 4 and 7 June); "
        f"{leaving.participant.name} withdraws (health) and frees the seat"
    )
    _agenda(engine, say, date(2019, 6, 10))


def _agenda(engine: Engine, say: Say, as_of: date) -> None:
    """The agenda on one day of the laboratory: what is due, from whom, and by when."""
    agenda = engine.agenda(COHORT.code, as_of)
    due: dict[tuple[str, str, str], int] = {}
    for item in agenda.items:
        if item.next is not None:
            owed = (item.next.deadline.event, str(item.next.due), str(item.next.deadline.actor))
            due[owed] = due.get(owed, 0) + 1
    say(f"  agenda on {as_of}: {len(agenda.items)} active, {len(agenda.overdue())} overdue")
    for (event, when, actor), count in sorted(due.items()):
        say(f"    {count} x {event} due {when} (by the {actor})")


def _seminar(engine: Engine, say: Say) -> None:
    _set_time(engine.clock, 2019, 7, 1)
    report = engine.advance(COHORT.code, "present_results", actor=_ORGANISER)
    say(f"\n== Seminar: {len(report.accepted)} participants present their results")
    seminar = [m for m in engine.participants(COHORT.code) if m.state == "seminar"]
    for i, member in enumerate(seminar):
        score = 68.0 if i == 7 else round(72.5 + (i * 3.7) % 25, 1)
        engine.record_assessment(COHORT.code, member.nip, score, actor=_EXAMINER)
    _set_time(engine.clock, 2019, 7, 19)
    report = engine.advance(COHORT.code, "graduate", actor=_EXAMINER)
    for refused in report.refused:
        person = engine.participant(COHORT.code, refused.nip).participant
        say(f"  NOT GRADUATED {person.name}: {refused.violations[0].message}")
        # No reason needed: the recorded failing grade is the grounds, kept with the entry.
        failed = engine.fire(COHORT.code, refused.nip, "fail", actor=_EXAMINER)
        say(f"  {person.name} does not pass; the grounds recorded with 'fail': {_grade(failed)}")
    bands: dict[str, int] = {}
    for entry in report.accepted:
        band = str((entry.data or {}).get("grade"))
        bands[band] = bands.get(band, 0) + 1
    say(f"\n== Graduation, 19 July 2019: {len(report.accepted)} graduated")
    for band, n in sorted(bands.items(), key=lambda kv: -kv[1]):
        say(f"  {band}: {n}")


def _correction(engine: Engine, say: Say) -> None:
    """A graduate's score was entered wrongly: corrected with a reason, the band follows."""
    _set_time(engine.clock, 2019, 7, 24)
    member = engine.participants(COHORT.code)[3]
    person = member.participant
    entered = (member.scores or {})["overall"]
    actual = round(entered - 10, 1)  # one digit typed wrongly: 83.6 for 73.6
    say(
        f"\n== Correction, 24 July 2019: {person.name}'s score was entered as {entered}; "
        f"the examiners' sheet says {actual}"
    )
    corrected = engine.correct_assessment(
        COHORT.code,
        member.nip,
        actual,
        actor=_ORGANISER,
        reason=f"entered wrongly; the examiners' sheet says {actual}",
    )
    state = engine.state(COHORT.code, member.nip)
    say(f"  corrected to {_grade(corrected)}; still {state}, the grade band follows")
    say(f"  history of {person.name} ({member.nip}):")
    for entry in engine.history(member.nip, cohort=COHORT.code):
        say(f"    {_line(entry)}")


def _grade(entry: HistoryEntry) -> str:
    data = entry.data or {}
    return f"{data.get('score')} ({data.get('grade')})"


def _line(entry: HistoryEntry) -> str:
    """One history entry: sequence, date, command, states, actor, reason, grade."""
    if entry.source is None:
        states = f"-> {entry.target}"
    elif entry.event in DATA_COMMANDS or entry.event == RECORD_ATTENDANCE:
        states = f"({entry.source})"  # a data command: the state it happened in
    else:
        states = f"{entry.source} -> {entry.target}"
    actor = entry.actor or "-"
    if entry.role:
        actor = f"{actor} as {entry.role}"
    text = f"{entry.seq:>3} {entry.at:%Y-%m-%d} {entry.event:<18} {states:<22} by {actor}"
    if entry.reason:
        text += f', "{entry.reason}"'
    if not entry.accepted:
        text += f"; REFUSED {[v.code for v in entry.violations]}"
    elif entry.data and "grade" in entry.data:
        before = (entry.change or {}).get("scores", {}).get("before")
        was = f"{before['overall']} -> " if before and "overall" in before else ""
        text += f"; {was}{_grade(entry)}"
    return text


def _summary(engine: Engine, say: Say) -> None:
    status = engine.status(COHORT.code)
    say("\n== Status")
    for state, count in status.by_state.items():
        say(f"  {state:<12} {count:>3}")
    history = engine.history(cohort=COHORT.code)
    refused = sum(1 for e in history if not e.accepted)
    say(f"  audit trail: {len(history)} entries ({refused} refused attempts)")
