"""The timetable import page through the test client: upload, preview, confirm, refusals,
the example file.

Each test starts a fresh app with dev login, signs in as a person does and posts forms with
the CSRF token scraped from the page (helpers in ``page_client.py``). The
clock stands on Monday 1 June 2026, 07:00 UTC; the summer term runs to 31 August.
"""

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import select
from test_admin_pages import count, school

from roomloop.extensions import db
from roomloop.models import BlackoutDate, Event, Reservation, Series
from roomloop.sqlite import writing

from page_client import csrf_token, fresh, post_form, sign_in, signed_in_as, site, text

__all__ = ["school", "site"]  # fixtures of test_admin_pages.py and page_client.py

PAGE = "/admin/timetable/import"
HEADER = "facility_id,user_email,weekdays,cycle_week,start_slot,end_slot,first_date,until,purpose\n"


@pytest.fixture
def timetable(school, freeze):
    """A good file: Ada in the lab on Tuesdays of June, and on Thursdays of June."""
    freeze(2026, 6, 1, 7, 0)
    email = school["teacher"].email
    return (
        HEADER + f"f1,{email},tue,,2,3,2026-06-02,2026-06-30,Grade 10 Chemistry\n"
        f"f1,{email},thu,,4,4,2026-06-04,2026-06-25,Grade 10 Physics\n"
    )


def upload(client, content, filename="timetable.csv", headers=None):
    token = csrf_token(client.get(PAGE).get_data(as_text=True))
    return client.post(
        PAGE,
        data={"csrf_token": token, "file": (io.BytesIO(content.encode()), filename)},
        content_type="multipart/form-data",
        headers=headers or {},
    )


def confirm(client, preview):
    html = preview.get_data(as_text=True)
    content = re.search(r'name="content"[^>]*value="([^"]+)"', html).group(1)
    return client.post(
        PAGE + "/confirm",
        data={"csrf_token": csrf_token(html), "content": content, "filename": "timetable.csv"},
    )


def written():
    fresh()
    return count(Series), count(Reservation), count(Event)


def test_only_admins_reach_the_page_and_admins_find_it_from_settings(site, school):
    teacher = signed_in_as(site, school["teacher"])
    for path in (PAGE, PAGE + "/template.csv"):
        response = teacher.get(path)
        assert response.status_code == 403 and "reservations:manage" in text(response)
    token = csrf_token(teacher.get("/login").get_data(as_text=True))
    for path in (PAGE, PAGE + "/confirm"):
        assert teacher.post(path, data={"csrf_token": token}).status_code == 403, path
    admin = signed_in_as(site, school["admin"])
    for page in ("/admin/settings", "/admin/facilities"):
        assert f'href="{PAGE}"' in admin.get(page).get_data(as_text=True), page
    html = admin.get(PAGE).get_data(as_text=True)
    assert "<h1>Import a timetable</h1>" in html and 'type="file"' in html
    assert f'href="{PAGE}/template.csv"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", html)


def test_a_good_file_previews_every_line_then_confirm_books_it(site, school, timetable):
    with writing():
        db.session.add(BlackoutDate(start_date=date(2026, 6, 16), end_date=date(2026, 6, 16),
                                    reason="Sports day"))  # fmt: skip
        db.session.commit()
    client = signed_in_as(site, school["admin"])

    preview = upload(client, timetable)

    assert preview.status_code == 200
    page = text(preview)
    assert "Preview of timetable.csv" in page and "Confirm import" in page
    assert re.search(r"<strong>2</strong> series to create", page)
    assert re.search(r"<strong>8</strong> dates to book", page)  # 5 Tuesdays but one, 4 Thursdays
    assert re.search(r"<strong>1</strong> date skipped", page)
    assert "Tue 16 Jun: The school is closed for bookings on Tue 16 Jun 2026 (Sports day)." in page
    assert "periods 2–3" in page and "period 4" in page and "Ada Park" in page
    assert written() == (0, 0, 0)  # a dry run

    done = confirm(client, preview)

    assert done.status_code == 200
    assert "Imported timetable.csv." in text(done)
    assert re.search(r"<strong>2</strong> series created", text(done))
    assert written() == (2, 8, 2 + 8)
    fresh()
    assert sorted(db.session.scalars(select(Series.purpose))) == [
        "Grade 10 Chemistry",
        "Grade 10 Physics",
    ]


def test_a_refused_file_lists_every_bad_line_and_books_nothing(site, school, timetable):
    client = signed_in_as(site, school["admin"])
    approver = school["approver"].email
    clash = timetable + f"f1,{approver},tue,,3,3,2026-06-09,,Clash\nnowhere,x,,,,,,,\n"

    refused = upload(client, clash)

    assert refused.status_code == 400
    page = text(refused)
    assert "timetable.csv was refused." in page and "2 rows have errors" in page
    rows = re.findall(r"<tr><td>(\d+)</td><td>([\w—]+)</td><td>([^<]+)</td></tr>", page)
    assert ("4", "—") in {(line, field) for line, field, _ in rows}
    assert any("already booked by line 2 of this file" in m for _, _, m in rows)
    assert {field for line, field, _ in rows if line == "5"} >= {"facility_id", "weekdays"}
    assert 'name="content"' not in page  # no confirm step for a refused file
    assert written() == (0, 0, 0)
    assert "Choose a CSV file" in text(post_form(client, PAGE, PAGE))


def test_confirm_decides_every_line_again(site, school, timetable, create_reservation):
    """A booking made between the preview and the confirm refuses the file whole."""
    client = signed_in_as(site, school["admin"])
    preview = upload(client, timetable)
    create_reservation(school["lab"], school["approver"], date(2026, 6, 23), 3)

    refused = confirm(client, preview)

    assert refused.status_code == 400
    assert "already booked by Ben Ito" in text(refused)
    assert written() == (0, 1, 0)  # the approver's booking alone
    tampered = client.post(
        PAGE + "/confirm",
        data={"csrf_token": csrf_token(text(preview)), "content": "not base64!"},
    )
    assert tampered.status_code == 400 and "upload it again" in text(tampered)


def test_the_example_file_downloads_as_an_attachment(site, school, freeze):
    freeze(2026, 6, 1, 7, 0)
    client = signed_in_as(site, school["admin"])

    response = client.get(PAGE + "/template.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="roomloop-timetable-template.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == HEADER.strip().split(",")
    assert len(rows) == 3
    assert rows[1][:3] == ["f1", "teacher@school.example", "mon;wed"]
    assert rows[1][6] == "2026-06-08"  # next week's Monday


def test_htmx_gets_the_step_as_a_200_fragment(site, school, timetable):
    """htmx swaps only 2xx answers: a refusal comes back 200 for it, and nothing is saved."""
    client = signed_in_as(site, school["admin"])
    refused = upload(client, HEADER + "nowhere,x,tue,,2,2,2026-06-02,,x\n",
                     headers={"HX-Request": "true"})  # fmt: skip
    assert refused.status_code == 200 and 'id="import-step"' in text(refused)
    assert "Rows to correct" in text(refused)
    assert written() == (0, 0, 0)


@pytest.mark.parametrize("limit", [50])
def test_a_file_over_the_size_limit_is_refused(site, school, timetable, limit):
    client = site(TIMETABLE_IMPORT_MAX_BYTES=limit)
    sign_in(client, school["admin"])
    refused = upload(client, timetable)
    assert refused.status_code == 413 and "larger than 50 bytes" in text(refused)


def test_without_facilities_the_page_says_to_add_them_first(site, create_account):
    client = signed_in_as(site, create_account(role="admin"))
    page = text(client.get(PAGE))
    assert "There are no facilities yet." in page and 'type="file"' not in page
