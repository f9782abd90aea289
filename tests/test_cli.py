"""The command-line tools an IT admin scripts: seed-demo, create-admin, create-api-key."""

import hashlib
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from roomloop.booking.rules import RULES
from roomloop.booking.schedule import school_now, week_of
from roomloop.demo import DAYS_AFTER, DAYS_BEFORE
from roomloop.extensions import db
from roomloop.models import (
    Account,
    ApiToken,
    BlackoutDate,
    Event,
    Facility,
    HeldSlot,
    Reservation,
)

from conftest import school_day


def run(app, *args):
    """Run ``flask --app roomloop <args>`` as a script would and return click's result."""
    db.session.commit()  # end our transaction, so we see what the command commits
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


def count(model, *conditions):
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def account_by_email(email):
    return db.session.scalar(select(Account).where(Account.email == email))


def closed_on(day, facility, blackouts):
    return day.weekday() >= 5 or any(
        b.start_date <= day <= b.end_date and b.facility_id in (None, facility.id)
        for b in blackouts
    )


@pytest.fixture
def seeded(app):
    """Seed the demo school once through the command line."""
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    return result


# seed-demo


def test_seed_demo_creates_the_demo_school(app, seeded):
    """seed-demo creates f1 "STEM Lab Alpha", ~25 facilities, ~40 teachers and bookings."""
    assert "Demo school ready:" in seeded.output
    f1 = db.session.scalar(select(Facility).where(Facility.code == "f1"))
    assert (f1.name, f1.type, f1.status, f1.requires_approval) == (
        "STEM Lab Alpha",
        "lab",
        "active",
        False,
    )
    assert 20 <= count(Facility) <= 30
    assert len(set(db.session.scalars(select(Facility.building)))) == 3
    assert count(Facility, Facility.requires_approval.is_(True)) >= 1
    assert count(Facility, Facility.status == "maintenance") == 1
    assert count(Account, Account.role == "teacher", Account.status == "active") >= 40
    assert count(Account, Account.status == "disabled") >= 1
    assert count(Reservation) > 0
    summary = f"{count(Facility)} facilities, {count(Account)} accounts, {count(Reservation)}"
    assert summary in seeded.output


def test_seed_demo_creates_the_well_known_demo_accounts(app, seeded):
    """The admin, approver and teacher a demo is walked through exist with their roles."""
    admin = account_by_email("admin@school.example")
    approver = account_by_email("approver@school.example")
    teacher = account_by_email("teacher@school.example")
    assert (admin.name, admin.role, admin.status) == ("Alex Admin", "admin", "active")
    assert (approver.role, approver.status) == ("approver", "active")
    assert (teacher.name, teacher.role, teacher.department) == ("Ada Park", "teacher", "Science")
    assert all(e.endswith("@school.example") for e in db.session.scalars(select(Account.email)))
    departments = set(db.session.scalars(select(Account.department)))
    assert {"Science", "Mathematics", "English", "History", "Arts", "Music"} <= departments
    assert {"Physical Education", "Languages", "Computing"} <= departments
    today = school_now().date()
    ada_days = db.session.scalars(select(Reservation.date).where(Reservation.account == teacher))
    assert {d > today for d in ada_days} == {True, False}  # Ada has past and upcoming bookings


def test_seed_demo_twice_changes_nothing(app, seeded):
    """A second seed-demo reports the same totals and leaves every row as it was."""

    def snapshot():
        return (
            db.session.execute(select(Facility.code, Facility.name, Facility.updated_at)).all(),
            db.session.execute(select(Account.email, Account.role, Account.updated_at)).all(),
            db.session.execute(select(Reservation.public_id, Reservation.status)).all(),
            db.session.execute(select(BlackoutDate.start_date, BlackoutDate.reason)).all(),
            count(HeldSlot),
        )

    before = snapshot()
    again = run(app, "seed-demo")
    assert again.exit_code == 0, again.output
    assert again.output == seeded.output
    assert sorted(map(tuple, snapshot()[0])) == sorted(map(tuple, before[0]))
    assert [sorted(map(tuple, part)) for part in snapshot()[1:4]] == [
        sorted(map(tuple, part)) for part in before[1:4]
    ]
    assert snapshot()[4] == before[4]
    emails = db.session.scalars(select(func.lower(Account.email))).all()
    assert len(emails) == len(set(emails))


def test_seed_demo_resets_edited_demo_rows_without_duplicating(app, seeded):
    """Seeding again upserts by code and email: an edited row is reset, never duplicated."""
    facilities, accounts = count(Facility), count(Account)
    db.session.scalar(select(Facility).where(Facility.code == "f1")).name = "Old Lab"
    account_by_email("teacher@school.example").email = "Teacher@School.Example"
    db.session.commit()
    assert run(app, "seed-demo").exit_code == 0
    assert db.session.scalar(select(Facility.name).where(Facility.code == "f1")) == (
        "STEM Lab Alpha"
    )
    assert account_by_email("teacher@school.example").name == "Ada Park"
    assert (count(Facility), count(Account)) == (facilities, accounts)


def test_seeded_held_slots_never_conflict(app, seeded):
    """No facility slot is held twice, and no teacher is in two rooms at once."""
    same_room = (
        select(HeldSlot.facility_id, HeldSlot.date, HeldSlot.slot)
        .group_by(HeldSlot.facility_id, HeldSlot.date, HeldSlot.slot)
        .having(func.count() > 1)
    )
    same_teacher = (
        select(HeldSlot.account_id, HeldSlot.date, HeldSlot.slot)
        .group_by(HeldSlot.account_id, HeldSlot.date, HeldSlot.slot)
        .having(func.count() > 1)
    )
    assert db.session.execute(same_room).all() == []
    assert db.session.execute(same_teacher).all() == []
    assert count(HeldSlot) > 0


def test_seeded_reservations_follow_the_booking_rules(app, seeded):
    """Seeded bookings keep R-04, R-06, R-07 and R-08, and their held slots match their status."""
    blackouts = db.session.scalars(select(BlackoutDate)).all()
    assert any(b.facility_id is None for b in blackouts)
    assert any(b.facility_id is not None for b in blackouts)
    weekly = Counter()
    for r in db.session.scalars(select(Reservation)):
        limit = r.facility.max_slots_per_booking or 4
        assert r.end_slot - r.start_slot + 1 <= limit, r
        assert not closed_on(r.date, r.facility, blackouts), r
        assert r.facility.status == "active"
        assert r.account.status == "active"
        if r.facility.allowed_departments:
            assert r.account.department in r.facility.allowed_departments
        assert r.rules["checked"] == [check.code for check in RULES]
        held = sorted(h.slot for h in r.held_slots)
        if r.status == "cancelled":
            assert held == []
        else:
            assert held == list(range(r.start_slot, r.end_slot + 1))
            assert r.rules["outcome"] == r.status
            weekly[r.account_id, week_of(r.date)[0]] += len(held)
        if r.status == "pending":
            assert r.facility.requires_approval
    assert max(weekly.values()) <= 20
    statuses = set(db.session.scalars(select(Reservation.status)))
    assert statuses == {"pending", "confirmed", "cancelled"}


def test_seeded_school_is_moderately_busy(app, seeded):
    """Seeding books roughly a third of the bookable slots, before and after today."""
    today = school_now().date()
    blackouts = db.session.scalars(select(BlackoutDate)).all()
    active = db.session.scalars(select(Facility).where(Facility.status == "active")).all()
    days = [today + timedelta(days=n) for n in range(-DAYS_BEFORE, DAYS_AFTER + 1)]
    bookable = 8 * sum(not closed_on(d, f, blackouts) for d in days for f in active)
    assert 0.25 <= count(HeldSlot) / bookable <= 0.45
    dates = db.session.scalars(select(Reservation.date)).all()
    assert min(dates) < today < max(dates)
    assert max(dates) - today >= timedelta(days=14)


def test_seeded_f1_availability_over_the_api(app, client, seeded, auth_headers):
    """A teacher's key sees f1's slots on an upcoming school day, free and booked as seeded."""
    f1 = db.session.scalar(select(Facility).where(Facility.code == "f1"))
    blackouts = db.session.scalars(select(BlackoutDate)).all()
    day = school_now().date() + timedelta(days=1)
    while closed_on(day, f1, blackouts):
        day += timedelta(days=1)
    held = set(
        db.session.scalars(
            select(HeldSlot.slot).where(HeldSlot.facility_id == f1.id, HeldSlot.date == day)
        )
    )
    headers = auth_headers(account_by_email("teacher@school.example"))

    response = client.get(f"/v1/facilities/f1/availability?date={day.isoformat()}", headers=headers)

    assert response.status_code == 200
    body = response.json
    assert body["facility"] == {"id": "f1", "name": "STEM Lab Alpha"}
    assert [s["slot"] for s in body["slots"]] == list(range(1, 9))
    assert body["slots"][1]["label"] == "10:00–10:50"
    assert {s["slot"] for s in body["slots"] if s["status"] == "booked"} == held
    assert any(s["status"] == "free" for s in body["slots"])
    assert all(s["reservation"]["user"]["name"] for s in body["slots"] if s["status"] == "booked")


def test_seed_demo_writes_no_webhook_events(app, seeded):
    """Demo data is fixture data, not changes: nothing lands in the webhook outbox."""
    assert count(Event) == 0


# create-admin


def test_create_admin_creates_an_active_admin(app):
    """create-admin creates an active admin and stores the email in lower case."""
    result = run(app, "create-admin", "Hana.Head@School.Example", "--name", "Hana Head")
    assert result.exit_code == 0, result.output
    assert "Created admin hana.head@school.example" in result.output
    admin = account_by_email("hana.head@school.example")
    assert (admin.name, admin.role, admin.status) == ("Hana Head", "admin", "active")


def test_create_admin_again_updates_the_name(app):
    """A second create-admin for the same email updates the name instead of duplicating."""
    run(app, "create-admin", "hana@school.example", "--name", "Hana Head")
    result = run(app, "create-admin", "HANA@school.example", "--name", "Hana Headteacher")
    assert result.exit_code == 0, result.output
    assert "Updated admin hana@school.example" in result.output
    assert account_by_email("hana@school.example").name == "Hana Headteacher"
    assert count(Account) == 1


def test_create_admin_promotes_and_reactivates_an_existing_teacher(app, create_account):
    """create-admin on a disabled teacher's email makes that account an active admin."""
    create_account(email="kim@school.example", status="disabled")
    result = run(app, "create-admin", "kim@school.example", "--name", "Kim Lee")
    assert result.exit_code == 0, result.output
    kim = account_by_email("kim@school.example")
    assert (kim.name, kim.role, kim.status) == ("Kim Lee", "admin", "active")


def test_create_admin_rejects_a_bad_email(app):
    """An address without a domain fails with a clear message and creates nothing."""
    result = run(app, "create-admin", "not-an-email", "--name", "Nobody")
    assert result.exit_code != 0
    assert "'not-an-email' is not an email address" in result.output
    assert count(Account) == 0


# create-api-key


def test_create_api_key_prints_a_working_key_on_the_last_line(app, client, create_account):
    """The key is alone on the last line of output and works as a bearer token."""
    create_account(role="teacher", email="ada@school.example")
    result = run(app, "create-api-key", "Ada@School.Example", "--label", "door display")
    assert result.exit_code == 0, result.output
    key = result.output.splitlines()[-1]
    assert key.startswith("sk_live_") and " " not in key
    assert result.stdout.splitlines()[-1] == key

    response = client.get("/v1/facilities", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 200
    assert response.json["data"] == []
    assert db.session.scalar(select(ApiToken.label)) == "door display"


def test_create_api_key_stores_only_a_hash(app, create_account):
    """The database holds the key's SHA-256 hash and the plaintext in no column of any table."""
    create_account(role="admin", email="it@school.example")
    key = run(app, "create-api-key", "it@school.example").output.splitlines()[-1]
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == hashlib.sha256(key.encode()).hexdigest()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            assert not any(key in str(value) for value in row), table.name


def test_create_api_key_with_a_scope_limits_the_key(app, client, create_account, create_facility):
    """A facilities:read key can list facilities but gets 403 forbidden when it tries to book."""
    create_account(role="teacher", email="ada@school.example")
    create_facility(code="f1", name="STEM Lab Alpha")
    result = run(app, "create-api-key", "ada@school.example", "--scope", "facilities:read")
    assert result.exit_code == 0, result.output
    headers = {"Authorization": f"Bearer {result.output.splitlines()[-1]}"}
    body = {"facility_id": "f1", "date": school_day().isoformat(), "start_slot": 2, "end_slot": 2,
            "purpose": "Year 9 Biology — dissection"}  # fmt: skip

    assert client.get("/v1/facilities", headers=headers).status_code == 200
    response = client.post("/v1/reservations", json=body, headers=headers)

    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert response.json["error"]["capability"] == "reservations:book"
    assert count(Reservation) == 0


def test_create_api_key_refuses_scopes_beyond_the_owners_role(app, create_account):
    """A teacher cannot be given a facilities:manage key: clear refusal, no key stored."""
    create_account(role="teacher", email="ada@school.example")
    result = run(app, "create-api-key", "ada@school.example", "--scope", "facilities:manage")
    assert result.exit_code != 0
    assert "A teacher's key cannot have: facilities:manage" in result.output
    assert "sk_live_" not in result.output
    assert count(ApiToken) == 0


def test_create_api_key_for_an_unknown_email_fails(app):
    """An email with no account fails with a message saying to create the account first."""
    result = run(app, "create-api-key", "ghost@school.example")
    assert result.exit_code != 0
    assert "No account with email 'ghost@school.example'" in result.output
    assert count(ApiToken) == 0


def test_create_api_key_for_a_disabled_account_fails(app, create_account):
    """A disabled account gets no key: it could never authenticate."""
    account = create_account(status="disabled")
    result = run(app, "create-api-key", account.email)
    assert result.exit_code != 0
    assert "disabled" in result.output


def test_list_and_revoke_api_keys(app, client, create_account):
    """list-api-keys shows a key by id and prefix only; revoke-api-key makes it answer 401."""
    account = create_account(role="admin")
    key = run(app, "create-api-key", account.email, "--label", "door display").output.splitlines()[
        -1
    ]
    listing = run(app, "list-api-keys")
    assert listing.exit_code == 0
    assert key[:12] in listing.output and key not in listing.output
    assert "door display" in listing.output and "active" in listing.output
    key_id = next(word for word in listing.output.split() if word.startswith("key_"))
    revoked = run(app, "revoke-api-key", key_id)
    assert revoked.exit_code == 0, revoked.output
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/facilities", headers=headers).status_code == 401
    assert "revoked" in run(app, "list-api-keys").output
    assert run(app, "revoke-api-key", "key_nope").exit_code != 0
