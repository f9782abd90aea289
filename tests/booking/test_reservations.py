"""Reading reservations over ``/v1``: the list (who sees what, filters, pagination,
cursors) and one reservation.

Changing them is in ``test_reservations_changes.py``, a facility's slot-by-slot availability
in ``test_reservations_availability.py``; what they share is in ``reservations_support.py``.
"""

import base64
import json

import pytest

from reservations_support import FRI, MON, THU, TUE, WED, assert_error, ids, school

__all__ = ["school"]  # a fixture of reservations_support.py


# Listing ------------------------------------------------------------------------------


def test_list_teacher_sees_only_their_own(client, school):
    """A teacher's list holds exactly their reservations, in date and slot order."""
    res = school["res"]
    listed = client.get("/v1/reservations", headers=school["headers"]["ada"])
    assert ids(listed) == [res["ada_mon"], res["ada_wed"], res["ada_fri_cancelled"]]
    assert listed.json["has_more"] is False
    assert listed.json["next_cursor"] is None
    assert {r["user"]["name"] for r in listed.json["data"]} == {"Ada Park"}


def test_list_teacher_may_name_themselves_but_not_another_user(client, school):
    """``?user_id`` of oneself works; of another teacher it is 403 ``reservations:read_all``."""
    headers = school["headers"]["ada"]
    own = client.get(
        "/v1/reservations", query_string={"user_id": school["ada"].public_id}, headers=headers
    )
    assert len(ids(own)) == 3
    other = client.get(
        "/v1/reservations", query_string={"user_id": school["ben"].public_id}, headers=headers
    )
    assert_error(other, 403, "forbidden", capability="reservations:read_all")


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_list_approvers_and_admins_see_everyone(client, school, role):
    """Approvers and admins list every reservation, and can narrow it to one user."""
    res = school["res"]
    headers = school["headers"][role]
    assert ids(client.get("/v1/reservations", headers=headers)) == [
        res["ada_mon"],
        res["ben_tue"],
        res["ada_wed"],
        res["ben_wed_pending"],
        res["ada_fri_cancelled"],
    ]
    bens = client.get(
        "/v1/reservations", query_string={"user_id": school["ben"].public_id}, headers=headers
    )
    assert ids(bens) == [res["ben_tue"], res["ben_wed_pending"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"facility_id": "gym"}, ["ada_wed"]),
        ({"facility_id": "lab"}, ["ada_mon", "ben_tue", "ben_wed_pending", "ada_fri_cancelled"]),
        ({"from": "2026-06-09", "to": "2026-06-10"}, ["ben_tue", "ada_wed", "ben_wed_pending"]),
        ({"from": "2026-06-10"}, ["ada_wed", "ben_wed_pending", "ada_fri_cancelled"]),
        ({"to": "2026-06-08"}, ["ada_mon"]),
        ({"status": "pending"}, ["ben_wed_pending"]),
        ({"status": "cancelled"}, ["ada_fri_cancelled"]),
        ({"status": "confirmed", "facility_id": "lab"}, ["ada_mon", "ben_tue"]),
        ({"facility_id": "nowhere"}, []),
    ],
)
def test_list_filters(client, school, query, expected):
    """``facility_id``, ``from``/``to`` (inclusive) and ``status`` narrow the list."""
    listed = client.get("/v1/reservations", query_string=query, headers=school["headers"]["admin"])
    assert ids(listed) == [school["res"][name] for name in expected]


def test_list_filters_apply_to_a_teachers_own_list(client, school):
    """A teacher's filters narrow their own list and never reveal anyone else's."""
    listed = client.get(
        "/v1/reservations", query_string={"facility_id": "lab"}, headers=school["headers"]["ada"]
    )
    assert ids(listed) == [school["res"]["ada_mon"], school["res"]["ada_fri_cancelled"]]


def walk(client, headers, limit, **query):
    """Follow ``next_cursor`` to the end; return the ids and each page's ``has_more``."""
    seen, flags, cursor = [], [], None
    for _ in range(50):
        params = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/reservations", query_string=params, headers=headers)
        assert page.status_code == 200, page.json
        assert len(page.json["data"]) <= limit
        seen += ids(page)
        flags.append(page.json["has_more"])
        cursor = page.json["next_cursor"]
        assert (cursor is not None) == page.json["has_more"]
        if cursor is None:
            return seen, flags
    raise AssertionError("the cursor never ran out")


def test_list_pagination_walks_every_reservation_once(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """With ``limit=2`` the cursor visits every reservation once, in order, ``has_more`` right."""
    teacher = create_account()
    labs = [create_facility() for _ in range(3)]
    # Ties on date and start slot (three labs at the same time) are broken by creation order.
    for lab in labs:
        create_reservation(lab, teacher, WED, 2)
    create_reservation(labs[0], teacher, MON, 5)
    create_reservation(labs[1], teacher, FRI, 1)
    create_reservation(labs[2], teacher, TUE, 8, status="cancelled")
    headers = auth_headers(teacher)
    everything = ids(client.get("/v1/reservations", headers=headers))
    assert len(everything) == 6

    seen, flags = walk(client, headers, 2)

    assert seen == everything
    assert flags == [True, True, False]
    seen, flags = walk(client, headers, 4)
    assert seen == everything
    assert flags == [True, False]
    seen, flags = walk(client, headers, 6)
    assert (seen, flags) == (everything, [False])
    seen, _ = walk(client, headers, 1, **{"from": "2026-06-10"})
    assert seen == everything[2:]  # Wednesday onwards


def test_list_pagination_is_stable_while_rows_are_added(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """A reservation added before the cursor does not shift the next page into a duplicate."""
    teacher = create_account()
    lab = create_facility()
    for day in (TUE, WED, THU):
        create_reservation(lab, teacher, day, 2)
    headers = auth_headers(teacher)
    first = client.get("/v1/reservations", query_string={"limit": 2}, headers=headers)
    create_reservation(lab, teacher, MON, 2)
    rest = client.get(
        "/v1/reservations",
        query_string={"limit": 2, "cursor": first.json["next_cursor"]},
        headers=headers,
    )
    assert len(ids(rest)) == 1
    assert rest.json["data"][0]["date"] == THU.isoformat()
    assert not set(ids(rest)) & set(ids(first))


def cursor_of(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "é",
        cursor_of({"date": "2026-06-10"}),
        cursor_of(["2026-06-10", 2]),
        cursor_of(["yesterday", 2, 1]),
        cursor_of([None, 2, 1]),
        cursor_of(["2026-06-10", "two", 1]),
    ],
)
def test_list_garbage_cursor_is_a_validation_error(client, school, cursor):
    """A cursor this API did not hand out is 400 ``validation_error`` naming ``cursor``."""
    response = client.get(
        "/v1/reservations", query_string={"cursor": cursor}, headers=school["headers"]["admin"]
    )
    assert_error(response, 400, "validation_error", field="cursor")


@pytest.mark.parametrize(
    "cursor",
    [cursor_of(["2026-06-10", 2, 2**63]), cursor_of(["2026-06-10", 10**30, 1])],
    ids=["id-2**63", "slot-10**30"],
)
def test_list_cursor_with_out_of_range_numbers_is_a_validation_error(client, school, cursor):
    """A forged cursor whose numbers do not fit a database integer is a 400, never a 500."""
    response = client.get(
        "/v1/reservations", query_string={"cursor": cursor}, headers=school["headers"]["admin"]
    )
    assert_error(response, 400, "validation_error", field="cursor")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-06-10", "to": "2026-06-09"}, "to"),
        ({"status": "lost"}, "status"),
    ],
)
def test_list_bad_query_is_a_validation_error(client, school, query, field):
    """A bad ``limit``, date, range or status is 400 naming the parameter."""
    response = client.get(
        "/v1/reservations", query_string=query, headers=school["headers"]["admin"]
    )
    assert_error(response, 400, "validation_error", field=field)


# Reading one --------------------------------------------------------------------------


def test_show_own_reservation(client, school):
    """The owner reads their reservation: 200 with the same resource the list gives."""
    res_id = school["res"]["ada_mon"]
    shown = client.get(f"/v1/reservations/{res_id}", headers=school["headers"]["ada"])
    assert shown.status_code == 200
    assert shown.json["id"] == res_id
    assert shown.json["user"]["name"] == "Ada Park"
    assert shown.json["slots"] == ["10:00–10:50"]
    listed = client.get("/v1/reservations", headers=school["headers"]["ada"]).json["data"]
    assert shown.json == listed[0]


def test_another_teachers_reservation_is_not_found_for_a_teacher(client, school):
    """A teacher asking for a colleague's reservation gets the 404 an unknown id gets (a 403
    would tell that the id exists); an approver may read it."""
    res_id = school["res"]["ben_tue"]
    response = client.get(f"/v1/reservations/{res_id}", headers=school["headers"]["ada"])
    unknown = client.get("/v1/reservations/res_0000000000", headers=school["headers"]["ada"])
    error = assert_error(response, 404, "not_found")
    assert error["message"] == assert_error(unknown, 404, "not_found")["message"].replace(
        "res_0000000000", res_id
    )
    approver = client.get(f"/v1/reservations/{res_id}", headers=school["headers"]["approver"])
    assert approver.status_code == 200
    assert approver.json["user"]["name"] == "Ben Ortiz"


def test_show_unknown_reservation_is_not_found(client, school):
    """An unknown id is 404 ``not_found`` naming the id."""
    response = client.get("/v1/reservations/res_0000000000", headers=school["headers"]["admin"])
    error = assert_error(response, 404, "not_found")
    assert "res_0000000000" in error["message"]
