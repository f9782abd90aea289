"""The demo school behind ``flask --app roomloop seed-demo``.

Three buildings of rooms, a staff of teachers across nine departments, two blackouts and
about five weeks of bookings around today, so that every page and endpoint has something
realistic to show while a demo user can still find free slots.

Seeding is idempotent: facilities are upserted by code and accounts by e-mail; blackout dates,
reservations and series are only created while the database has none. Seeded rows are fixture data,
not changes, so no outbox events are written for them. Reservations are inserted directly
(not through ``booking.create_reservation``, whose R-01 would refuse the past weeks), and the
planner below keeps them within the same rules the engine enforces. A few weekly series are
then decided by the rules engine, as an admin's booking would be.
"""

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from .auth.permissions import Actor
from .booking import (
    RULES,
    WEEKDAYS,
    Repeat,
    get_schedule,
    get_setting,
    is_school_day,
    plan_series,
    school_now,
    term_of,
    week_of,
    write_series,
)
from .extensions import db
from .models import Account, BlackoutDate, Facility, HeldSlot, Reservation, Series, utcnow

SEED = 20260608  # fixed, so every demo database gets the same school
DOMAIN = "school.example"
DAYS_BEFORE, DAYS_AFTER = 14, 21

CURIE, MAIN, ELLIS = "Curie Science Building", "Main Building", "Ellis Arts & Sports Centre"

# code, name, type, building, capacity, amenities, other fields
FACILITIES = [
    ("f1", "STEM Lab Alpha", "lab", CURIE, 30,
     ["fume hood", "gas taps", "eyewash station", "projector"], {}),
    ("lab-beta", "STEM Lab Beta", "lab", CURIE, 30, ["gas taps", "projector", "sinks"], {}),
    ("chem-lab", "Chemistry Lab", "lab", CURIE, 28,
     ["fume cupboards", "gas taps", "safety shower"],
     {"allowed_departments": ["Science"],
      "description": "Hazardous chemicals store next door: Science department only."}),
    ("bio-lab", "Biology Lab", "lab", CURIE, 28, ["microscopes", "sinks", "projector"], {}),
    ("physics-lab", "Physics Lab", "lab", CURIE, 30, ["oscilloscopes", "projector"],
     {"status": "maintenance", "description": "Closed while the ventilation is replaced."}),
    ("comp-1", "Computer Lab 1", "computer_lab", CURIE, 32,
     ["32 desktops", "projector", "printer"], {}),
    ("comp-2", "Computer Lab 2", "computer_lab", CURIE, 32, ["32 desktops", "smart board"], {}),
    ("robotics", "Robotics Workshop", "computer_lab", CURIE, 20,
     ["robot kits", "3D printers", "soldering stations"],
     {"max_slots_per_booking": 2,
      "description": "Shared kit: at most two periods per booking."}),
    ("auditorium", "Main Auditorium", "auditorium", MAIN, 350,
     ["stage", "PA system", "stage lighting", "projector"],
     {"requires_approval": True, "description": "Bookings are confirmed by the office."}),
    ("lecture", "Lecture Theatre", "auditorium", MAIN, 120, ["tiered seating", "projector"],
     {"requires_approval": True}),
    ("library", "Library Reading Room", "library", MAIN, 60, ["books", "12 laptops"], {}),
    ("seminar", "Library Seminar Room", "library", MAIN, 16, ["round table", "screen"], {}),
    ("m101", "Room 101", "classroom", MAIN, 30, ["projector", "whiteboard"], {}),
    ("m102", "Room 102", "classroom", MAIN, 30, ["projector", "whiteboard"], {}),
    ("m103", "Room 103", "classroom", MAIN, 28, ["smart board"], {}),
    ("m201", "Room 201", "classroom", MAIN, 32, ["projector", "whiteboard"], {}),
    ("m202", "Room 202", "classroom", MAIN, 24, ["smart board"], {}),
    ("m203", "Room 203", "classroom", MAIN, 30, ["projector", "blackout blinds"], {}),
    ("lang-lab", "Language Lab", "classroom", MAIN, 24, ["headsets", "24 laptops"], {}),
    ("gym", "Main Gym", "gym", ELLIS, 60, ["basketball hoops", "changing rooms"], {}),
    ("dance", "Dance Studio", "gym", ELLIS, 30, ["mirrors", "sprung floor", "sound system"], {}),
    ("field", "Playing Field", "field", ELLIS, 120, ["football goals", "running track"], {}),
    ("music-1", "Music Room", "music_room", ELLIS, 30, ["grand piano", "keyboards"], {}),
    ("practice", "Practice Room", "music_room", ELLIS, 6, ["upright piano", "drum kit"], {}),
    ("art-1", "Art Studio", "art_studio", ELLIS, 28, ["easels", "sinks", "drying racks"], {}),
    ("ceramics", "Ceramics Studio", "art_studio", ELLIS, 20, ["kiln", "pottery wheels"], {}),
]  # fmt: skip

DEPARTMENTS = {
    "Science": ["Ben Carter", "Marcus Oyelaran", "Helen Fairweather", "Rajesh Iyer",
                "Chloe Bennett", "Tomasz Nowak"],
    "Mathematics": ["Fatima Haddad", "Daniel Whitaker", "Mei Chen", "Oliver Grant",
                    "Sofia Rossi", "Ngozi Eze"],
    "English": ["Grace O'Connor", "Jamal Wright", "Eleanor Hughes", "Priya Nair",
                "Patrick Byrne"],
    "History": ["Samuel Adeyemi", "Lucy Thornton", "Kenji Watanabe", "Margaret Doyle"],
    "Arts": ["Isabel Moreno", "Felix Brandt", "Amara Osei", "Rosa Jiménez"],
    "Music": ["Leon Fischer", "Hannah Kowalski", "Caleb Mensah"],
    "Physical Education": ["Jack Sullivan", "Aisha Rahman", "Ryan McAllister", "Nadia Petrova"],
    "Languages": ["Camille Dubois", "Javier Ortega", "Yuki Tanaka", "Anna Schmidt"],
    "Computing": ["Ethan Brooks", "Zara Ahmed", "Lukas Novák", "Divya Menon"],
}  # fmt: skip

# email, name, department, role, status: the accounts a demo is walked through with
WELL_KNOWN = [
    (f"admin@{DOMAIN}", "Alex Admin", "IT Services", "admin", "active"),
    (f"approver@{DOMAIN}", "Samira Okafor", "Leadership", "approver", "active"),
    (f"teacher@{DOMAIN}", "Ada Park", "Science", "teacher", "active"),
    (f"joan.mitchell@{DOMAIN}", "Joan Mitchell", "Facilities", "approver", "active"),
    (f"graham.pike@{DOMAIN}", "Graham Pike", "History", "teacher", "disabled"),  # has left
]

PURPOSES = {
    "Science": ["Biology — dissection", "Chemistry — titration lab",
                "Physics — circuits practical", "Chemistry — flame tests",
                "Biology — microscopy", "Physics — measuring g with pendulums",
                "Chemistry — rates of reaction"],
    "Mathematics": ["Maths — statistics project", "Maths — mock exam",
                    "Maths — geometry with GeoGebra", "Further Maths — problem-solving workshop"],
    "English": ["English — Macbeth read-through", "English — debate club heats",
                "English — poetry revision", "English — creative writing workshop"],
    "History": ["History — WW1 source analysis", "History — coursework research",
                "History — Cold War documentary", "History — local archive session"],
    "Arts": ["Art — still-life drawing", "Art — printmaking", "Art — coil pots",
             "Art — portfolio review"],
    "Music": ["Music — ensemble rehearsal", "Music — composing on keyboards",
              "Music — choir rehearsal", "Music — performance assessments"],
    "Physical Education": ["PE — basketball skills", "PE — gymnastics", "PE — fitness testing",
                           "PE — athletics relay changeovers", "PE — netball"],
    "Languages": ["French — oral exam practice", "Spanish — listening assessment",
                  "German — vocabulary quiz", "French — film club"],
    "Computing": ["Computing — Python programming", "Computing — robotics build",
                  "Computing — web design project", "Computing — coursework catch-up"],
}  # fmt: skip
EVENTS = ["assembly", "guest speaker: careers talk", "school play rehearsal",
          "concert rehearsal", "exam briefing"]  # fmt: skip

ALL_DEPARTMENTS = list(DEPARTMENTS)
# Who usually books which kind of room; anyone may take a classroom or the auditorium.
TYPE_DEPARTMENTS = {
    "lab": ["Science"],
    "computer_lab": ["Computing", "Mathematics", "Languages"],
    "gym": ["Physical Education"],
    "field": ["Physical Education"],
    "music_room": ["Music"],
    "art_studio": ["Arts"],
    "library": ["English", "History", "Languages"],
}
# Chance that a free period starts a booking: tuned for ~35% of bookable slots taken.
BUSYNESS = {"auditorium": 0.12, "field": 0.18, "library": 0.2, "classroom": 0.22}
DEFAULT_BUSYNESS = 0.26
LENGTHS, LENGTH_WEIGHTS = [1, 2, 3, 4], [45, 35, 12, 8]


def seed():
    """Fill the database with the demo school; return the totals now in the database."""
    today = school_now().date()
    facilities = _upsert_facilities()
    accounts = _upsert_accounts()
    db.session.flush()  # held slots need the ids of facilities and accounts
    blackouts = _ensure_blackouts(facilities, today)
    if db.session.scalar(select(func.count()).select_from(Reservation)) == 0:
        planner = _Planner(
            random.Random(SEED),
            get_schedule(),
            get_setting("max_consecutive_slots"),
            get_setting("weekly_quota_slots"),
        )
        db.session.add_all(planner.plan(facilities, accounts, blackouts, today))
    db.session.commit()
    if db.session.scalar(select(func.count()).select_from(Series)) == 0:
        _book_series(facilities, accounts, today)
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in (
            ("facilities", Facility),
            ("accounts", Account),
            ("reservations", Reservation),
        )
    }


# facility code, teacher's e-mail, weekday, periods, purpose: booked as real series
SERIES = [
    ("f1", "teacher@school.example", "tue", (2, 2), "Year 10 Chemistry: practical"),
    ("gym", None, "thu", (5, 6), "Year 8 PE"),
    ("auditorium", None, "wed", (7, 7), "Choir rehearsal"),
]


def _book_series(facilities, accounts, today):
    """A few weekly series from next week to the end of the term, for teachers, decided by
    the rules engine as an admin's booking (dates already taken are left out). One needs
    approval. Like the rest of the demo they are fixture data: no events."""
    admin = Actor.for_account(next(a for a in accounts if a.role == "admin"))
    teachers = [a for a in accounts if a.role == "teacher" and a.email != "teacher@school.example"]
    by_code = {f.code: f for f in facilities}
    next_monday = today + timedelta(days=7 - today.weekday())
    plans = []
    for n, (code, email, weekday, (start, end), purpose) in enumerate(SERIES):
        account = next((a for a in accounts if a.email == email), None) or teachers[n * 7]
        first = next_monday + timedelta(days=WEEKDAYS.index(weekday))
        if code not in by_code or term_of(first) is None:
            continue
        plan, _ = plan_series(
            admin, by_code[code], first, Repeat((weekday,)), start, end, purpose, account=account
        )
        if plan.booked:
            plans.append(plan)
    if plans:
        write_series(plans, events=False)
        db.session.commit()


def _assign(row, values):
    # Only touch what differs, so a second run leaves rows (and updated_at) alone.
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


def _upsert_facilities():
    existing = {f.code: f for f in db.session.scalars(select(Facility))}
    facilities = []
    for code, name, type_, building, capacity, amenities, extra in FACILITIES:
        values = {
            "name": name,
            "type": type_,
            "building": building,
            "capacity": capacity,
            "amenities": amenities,
            "status": "active",
            "requires_approval": False,
            "description": "",
            "allowed_departments": [],
            "allowed_roles": [],
            "max_slots_per_booking": None,
            **extra,
        }
        facility = existing.get(code)
        if facility is None:
            facility = Facility(code=code)
            db.session.add(facility)
        _assign(facility, values)
        facilities.append(facility)
    return facilities


def _email_for(name):
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    parts = ascii_name.lower().replace("'", "").split()
    return f"{parts[0]}.{parts[-1]}@{DOMAIN}"


def _account_specs():
    specs = list(WELL_KNOWN)
    for department, names in DEPARTMENTS.items():
        specs += [(_email_for(n), n, department, "teacher", "active") for n in names]
    return specs


def _upsert_accounts():
    specs = _account_specs()
    emails = [spec[0] for spec in specs]
    existing = {
        a.email.lower(): a
        for a in db.session.scalars(select(Account).where(func.lower(Account.email).in_(emails)))
    }
    accounts = []
    for email, name, department, role, status in specs:
        account = existing.get(email)
        if account is None:
            account = Account(email=email)
            db.session.add(account)
        values = {"email": email, "name": name, "department": department, "role": role}
        _assign(account, {**values, "status": status})
        accounts.append(account)
    return accounts


def _ensure_blackouts(facilities, today):
    """Create the two demo blackouts once; return every blackout the planner must avoid."""
    existing = db.session.scalars(select(BlackoutDate)).all()
    if existing:
        return existing
    next_monday = today + timedelta(days=7 - today.weekday())
    gym = next(f for f in facilities if f.code == "gym")
    blackouts = [
        BlackoutDate(
            start_date=next_monday + timedelta(days=4),  # Friday of next week
            end_date=next_monday + timedelta(days=4),
            reason="Staff training day",
        ),
        BlackoutDate(
            start_date=next_monday + timedelta(days=7),  # Monday and Tuesday the week after
            end_date=next_monday + timedelta(days=8),
            reason="Gym floor resurfacing",
            facility_id=gym.id,
        ),
    ]
    db.session.add_all(blackouts)
    return blackouts


@dataclass
class _Planner:
    """Lays out reservations that the rules engine would have accepted.

    It tracks held slots per facility and per teacher (R-03, R-10) and weekly totals (R-06),
    keeps every booking within R-04, and skips weekends and blackouts (R-07).
    """

    rng: random.Random
    schedule: object
    max_consecutive: int
    weekly_quota: int
    teacher_busy: set = field(default_factory=set)  # (account id, date, slot)
    weekly: Counter = field(default_factory=Counter)  # (account id, monday) -> slots held

    def plan(self, facilities, accounts, blackouts, today):
        teachers = [a for a in accounts if a.role == "teacher" and a.status == "active"]
        bookable = [f for f in facilities if f.status == "active"]
        reservations = []
        day = today - timedelta(days=DAYS_BEFORE)
        while day <= today + timedelta(days=DAYS_AFTER):
            for facility in bookable:
                if not _closed(facility, day, blackouts):
                    reservations += self._plan_day(facility, day, teachers, today)
            day += timedelta(days=1)
        return reservations

    def _plan_day(self, facility, day, teachers, today):
        """Walk one facility's day period by period; some free periods start a booking."""
        chance = BUSYNESS.get(facility.type, DEFAULT_BUSYNESS)
        limit = facility.max_slots_per_booking or self.max_consecutive
        numbers = [slot.number for slot in self.schedule.slots]
        reservations, i = [], 0
        while i < len(numbers):
            if self.rng.random() >= chance:
                i += 1
                continue
            length = self.rng.choices(LENGTHS, LENGTH_WEIGHTS)[0]
            slots = numbers[i : i + min(length, limit)]
            teacher = self._pick_teacher(facility, day, slots, teachers)
            if teacher is not None:
                reservations.append(self._reserve(facility, teacher, day, slots, today))
            i += len(slots)
        return reservations

    def _pick_teacher(self, facility, day, slots, teachers):
        """A teacher of a fitting department who is free for ``slots`` and within quota."""
        departments = facility.allowed_departments or TYPE_DEPARTMENTS.get(facility.type)
        if not departments or (not facility.allowed_departments and self.rng.random() < 0.1):
            departments = ALL_DEPARTMENTS
        candidates = [t for t in teachers if t.department in departments]
        monday = week_of(day)[0]
        for teacher in self.rng.sample(candidates, min(5, len(candidates))):
            free = all((teacher.id, day, n) not in self.teacher_busy for n in slots)
            if free and self.weekly[teacher.id, monday] + len(slots) <= self.weekly_quota:
                return teacher
        return None

    def _reserve(self, facility, teacher, day, slots, today):
        outcome = self._outcome(facility, day, today)
        status = "cancelled" if self.rng.random() < 0.06 else outcome
        created_at = self._created_at(day)
        reservation = Reservation(
            facility_id=facility.id,  # ids, not relationships: far cheaper for ~1000 rows
            account_id=teacher.id,
            date=day,
            start_slot=slots[0],
            end_slot=slots[-1],
            purpose=self._purpose(facility, teacher),
            attendees=self.rng.randint(max(1, facility.capacity // 2), facility.capacity),
            status=status,
            # A cancelled booking keeps the outcome it last had, as booking/operations.py leaves it.
            rules={"outcome": outcome, "checked": [c.code for c in RULES], "overridden": []},
            created_at=created_at,
            updated_at=created_at,
        )
        if status != "cancelled":  # a cancelled reservation holds no slots
            reservation.held_slots = [
                HeldSlot(facility_id=facility.id, account_id=teacher.id, date=day, slot=n)
                for n in slots
            ]
            self.teacher_busy.update((teacher.id, day, n) for n in slots)
            self.weekly[teacher.id, week_of(day)[0]] += len(slots)
        return reservation

    def _outcome(self, facility, day, today):
        # Past requests were answered long ago; upcoming ones may still await an approver.
        if facility.requires_approval and day > today and self.rng.random() < 0.6:
            return "pending"
        return "confirmed"

    def _purpose(self, facility, teacher):
        year = self.rng.randint(7, 13)
        if facility.type == "auditorium":
            return f"Year {year} {self.rng.choice(EVENTS)}"
        return f"Year {year} {self.rng.choice(PURPOSES[teacher.department])}"

    def _created_at(self, day):
        """Booked a few days to three weeks ahead, in school hours, never later than now."""
        booked_on = day - timedelta(days=self.rng.randint(1, 21))
        moment = datetime.combine(booked_on, time(self.rng.randint(7, 17), self.rng.randint(0, 59)))
        return min(moment, utcnow())


def _closed(facility, day, blackouts):
    if not is_school_day(day):
        return True
    return any(
        b.start_date <= day <= b.end_date and b.facility_id in (None, facility.id)
        for b in blackouts
    )
