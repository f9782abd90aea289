"""Each person's choice of emails (``people.notifications``), and the unsubscribe token
that turns one kind off without a sign-in."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from roomloop.auth.unsubscribe_tokens import SIGNING_SALT, unsubscribe_token
from roomloop.errors import NotFound, ValidationError
from roomloop.extensions import db
from roomloop.models import Account
from roomloop.outbox import KINDS, wants
from roomloop.people import (
    notification_choices,
    unsubscribe,
    unsubscribe_target,
    update_notifications,
)

NINE = datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("UTC"))
TEACHER_KINDS = [k for k in KINDS if k != "new_request"]


def loaded(account):
    db.session.rollback()
    return db.session.scalar(select(Account).where(Account.id == account.id))


def test_every_kind_is_on_until_turned_off_and_requests_are_for_approvers(create_account):
    teacher, approver = create_account(), create_account(role="approver")

    assert [(c.kind, c.on) for c in notification_choices(teacher)] == [
        (kind, True) for kind in TEACHER_KINDS
    ]
    assert [c.kind for c in notification_choices(approver)] == list(KINDS)
    assert not wants(teacher, "new_request")
    assert wants(approver, "digest")  # the digest follows the choice of new_request


def test_saving_keeps_exactly_the_kinds_ticked(create_account):
    teacher = loaded(create_account())

    update_notifications(teacher, ["confirmed", "cancelled"], None, NINE)

    teacher = loaded(teacher)
    assert [c.kind for c in notification_choices(teacher) if c.on] == ["confirmed", "cancelled"]
    assert not wants(teacher, "pending")


def test_a_disabled_account_wants_nothing(create_account):
    assert not wants(create_account(status="disabled"), "confirmed")


@pytest.mark.parametrize(
    ("role", "kinds", "hour", "field"),
    [
        ("teacher", ["confirmed", "newsletter"], None, "kinds"),
        ("teacher", ["new_request"], None, "kinds"),
        ("teacher", [], 7, "digest_hour"),
        ("approver", [], 24, "digest_hour"),
        ("approver", [], -1, "digest_hour"),
    ],
)
def test_choices_that_make_no_sense_are_refused_and_nothing_changes(
    create_account, role, kinds, hour, field
):
    account = loaded(create_account(role=role))

    with pytest.raises(ValidationError) as refused:
        update_notifications(account, kinds, hour, NINE)

    assert list(refused.value.fields) == [field]
    assert loaded(account).notifications is None


def test_a_digest_hour_not_yet_come_starts_today_and_one_past_tomorrow(create_account):
    approver = loaded(create_account(role="approver"))
    update_notifications(approver, ["new_request"], 10, NINE)
    assert loaded(approver).last_digest_on is None

    update_notifications(loaded(approver), ["new_request"], 8, NINE)
    assert loaded(approver).last_digest_on.isoformat() == "2026-06-01"


def test_an_unsubscribe_token_turns_off_its_kind_for_its_person_only(create_account):
    ada, ben = create_account(), create_account()

    assert unsubscribe_target(unsubscribe_token(ada, "confirmed"))[1] == "confirmed"
    unsubscribe(unsubscribe_token(ada, "confirmed"))

    assert loaded(ada).notifications == {"confirmed": False}
    assert loaded(ben).notifications is None
    assert wants(loaded(ada), "cancelled")


@pytest.mark.parametrize(
    "forge",
    [
        lambda ada: "",
        lambda ada: "not-a-token",
        lambda ada: unsubscribe_token(ada, "confirmed")[:-2],
        lambda ada: URLSafeSerializer("another-key", salt=SIGNING_SALT).dumps(
            [ada.public_id, "confirmed"]
        ),
        lambda ada: URLSafeSerializer("test-secret", salt="roomloop.calendar-feed").dumps(
            [ada.public_id, 0]
        ),
        lambda ada: unsubscribe_token(ada, "newsletter"),
        lambda ada: unsubscribe_token(type("Gone", (), {"public_id": "usr_0000000000"}), "pending"),
    ],
)
def test_a_token_this_app_did_not_sign_for_a_kind_and_a_person_is_refused(create_account, forge):
    ada = create_account()

    with pytest.raises(NotFound):
        unsubscribe(forge(ada))

    assert loaded(ada).notifications is None
