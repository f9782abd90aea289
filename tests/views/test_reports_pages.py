"""The Reports page through the test client: who may open it, what it shows for a small
school week, the quick ranges, refused ranges, and the downloads, which must match the API's.

The clock is frozen on Wednesday 10 June 2026, so "this week" is Mon 8 - Sun 14 June. Helpers
and fixtures come from ``page_client.py`` and ``test_admin_pages.py``.
"""

import io
import re
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from test_admin_pages import nav_links, school

import roomloop.reporting.exports
from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.reporting.usage import school_term

from page_client import sign_in, signed_in_as, site, text

__all__ = ["school", "site"]  # fixtures of test_admin_pages.py and page_client.py

MON, TUE, WED = date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 10)
HTMX = {"HX-Request": "true", "HX-Target": "report"}
PAGES = ["/admin/reports", "/admin/reports/export.csv", "/admin/reports/export.xlsx"]


@pytest.fixture
def week(freeze, school, create_account, create_facility, create_reservation):
    """A small school week: two labs and a closed hut; Science (Ada) and Maths (Max) book.

    This week the labs hold 4 of their 80 bookable periods: Monday period 1 in both labs,
    Monday period 2 and Tuesday period 3 in the Alpha lab. Ada also cancelled a booking,
    and booked once in May, outside the week.
    """
    freeze(2026, 6, 10, 12, 0)
    lab, ada = school["lab"], school["teacher"]
    beta = create_facility(code="lab-beta", name="STEM Lab Beta", building="Curie")
    create_facility(code="hut", name="Old Hut", status="closed")
    max_ = create_account(name="Max Rowe", department="Maths")
    create_reservation(lab, ada, MON, start_slot=1, end_slot=2, purpose="Titration")
    create_reservation(lab, max_, TUE, start_slot=3, purpose="=1+1 statistics")
    create_reservation(beta, max_, MON, start_slot=1, status="pending", purpose="Probability")
    create_reservation(lab, ada, WED, start_slot=4, status="cancelled", purpose="Dropped")
    create_reservation(lab, ada, date(2026, 5, 20), start_slot=5, purpose="In May")
    return {**school, "beta": beta, "max": max_}


class Tables(HTMLParser):
    """Each table of a page, by its class, as rows of (tag, class, text) cells."""

    def __init__(self, html):
        super().__init__()
        self.tables, self._table, self._cell = {}, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("class", ""), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("th", "td") and self._table is not None:
            self._cell = [tag, attrs.get("class", ""), ""]
        elif tag == "svg" and self._cell is not None:
            self._cell[2] += "[bar]"

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[2] += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._cell[2] = " ".join(self._cell[2].split())
            self._table[-1].append(tuple(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def texts(self, css_class):
        return [[cell[2] for cell in row] for row in self.tables[css_class]]


def preset_links(html):
    """The quick ranges' words and (from, to) they link to, and which one is current."""
    nav = re.search(r'<nav class="report-presets".*?</nav>', html, re.S).group()
    links = {}
    for attrs, words in re.findall(r"<a ([^>]*)>([^<]+)</a>", nav):
        query = parse_qs(urlsplit(unescape_attr(attrs, "href")).query)
        links[words] = (query["from"][0], query["to"][0], 'aria-current="true"' in attrs)
    return links


def unescape_attr(attrs, name):
    return re.search(rf'{name}="([^"]+)"', attrs).group(1).replace("&amp;", "&")


def download_links(html):
    return {
        words: unescape_attr(attrs, "href")
        for attrs, words in re.findall(
            r'<a (class="button" [^>]*download)>(Download \w+)</a>', html
        )
    }


# --- Who may open it --------------------------------------------------------------------


def test_teacher_is_refused_the_page_and_the_downloads(site, week):
    """A teacher gets the admin pages' refusal, naming the capability, and no Reports link."""
    client = signed_in_as(site, week["teacher"])
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "reports:read" in text(response)
        assert "Titration" not in text(response)
    assert "Reports" not in nav_links(client)


def test_signed_out_is_sent_to_sign_in(site):
    response = site().get("/admin/reports?from=2026-06-01&to=2026-06-07")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_nav_shows_reports_to_approvers_and_admins(site, week, role):
    client = signed_in_as(site, week[role])
    assert nav_links(client)["Reports"] == "/admin/reports"
    page = text(client.get("/admin/reports"))
    current = r'<a href="/admin/reports" aria-current="page">(<svg[^>]*>.*?</svg>)?Reports</a>'
    assert re.search(current, page)  # after its icon
    assert "<h1>Reports</h1>" in page


# --- What it shows ----------------------------------------------------------------------


def test_approver_sees_totals_bars_heatmap_and_departments_for_this_week(site, week):
    """With no range given the page reports this week, in school time."""
    response = signed_in_as(site, week["approver"]).get("/admin/reports")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = text(response)
    assert "Mon 8 Jun 2026 – Sun 14 Jun 2026" in html
    assert 'value="2026-06-08"' in html and 'value="2026-06-14"' in html
    totals = dict(re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert totals == {
        "Reservations": "3",
        "Periods booked": "4",
        "Cancellations": "1",
        "Utilization": "5%",
    }
    assert "of 80 bookable periods" in html

    tables = Tables(html)
    # Busiest first, each percentage written out; the closed hut last, with no bar.
    assert tables.texts("table report-bars") == [
        ["Facility", "Utilization", "Periods booked", "No-shows"],
        ["STEM Lab AlphaNorth", "8% [bar]", "3 of 40", "0"],
        ["STEM Lab BetaCurie", "3% [bar]", "1 of 40", "0"],
        ["Old HutNorth", "closed", "0", "0"],
    ]
    assert '<rect class="bar-fill" width="7.50"' in html
    assert '<rect class="bar-fill" width="2.50"' in html

    heatmap = tables.tables["heatmap"]
    head = [cell[2] for cell in heatmap[0]]
    assert head[:3] == ["Day", "Period 1 09:00–09:50", "Period 2 10:00–10:50"]
    assert head[-1] == "Whole day" and len(head) == 1 + 8 + 1
    rows = {row[0][2]: row[1:] for row in heatmap[1:]}
    assert list(rows) == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Mon–Fri"]
    monday = [(css, words) for _, css, words in rows["Monday"]]
    assert monday[:3] == [("heat heat-4", "100%"), ("heat heat-3", "50%"), ("heat heat-0", "0%")]
    assert monday[-1] == ("heat-total", "19%")  # 3 of the 16 periods of both labs
    assert [words for _, _, words in rows["Tuesday"]][2] == "50%"
    assert all(words == "0%" for _, _, words in rows["Friday"])
    assert [words for _, _, words in rows["Mon–Fri"]][:3] == ["20%", "10%", "10%"]
    assert re.search(r"<caption[^>]*>Utilization by weekday and period", html)
    assert html.count('<th scope="row">') >= 5

    assert tables.texts("table report-departments") == [
        ["Department", "Periods booked", "Reservations", "Cancelled", "No-shows"],
        ["Maths", "2", "2", "0", "0"],
        ["Science", "2", "1", "1", "0"],
    ]
    assert set(download_links(html)) == {"Download CSV", "Download XLSX"}


def test_filters_narrow_the_report_and_the_downloads(site, week):
    client = signed_in_as(site, week["approver"])
    html = text(client.get("/admin/reports?from=2026-06-08&to=2026-06-14&facility_id=lab-beta"))
    assert "STEM Lab Beta · all departments" in html
    assert Tables(html).texts("table report-bars")[1:] == [
        ["STEM Lab BetaCurie", "3% [bar]", "1 of 40", "0"]
    ]
    assert '<option value="lab-beta" selected>STEM Lab Beta</option>' in html
    assert '<option value="hut">Old Hut (closed)</option>' in html
    links = download_links(html)
    assert "facility_id=lab-beta" in links["Download CSV"]
    assert "facility_id=lab-beta" in preset_links_raw(html)

    html = text(client.get("/admin/reports?from=2026-06-08&to=2026-06-14&department=Maths"))
    assert "All facilities · Maths" in html
    totals = dict(re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert (totals["Reservations"], totals["Periods booked"]) == ("2", "2")
    assert '<option value="Maths" selected>Maths</option>' in html


def preset_links_raw(html):
    return re.search(r'<nav class="report-presets".*?</nav>', html, re.S).group()


def test_empty_range_says_so_with_a_hint_and_offers_no_download(site, week):
    client = signed_in_as(site, week["approver"])
    html = text(client.get("/admin/reports?from=2026-07-06&to=2026-07-10"))
    assert "No reservations between Mon 6 Jul 2026 and Fri 10 Jul 2026." in html
    assert "Choose a longer range above" in html
    assert download_links(html) == {}
    assert "heatmap" not in html

    html = text(client.get("/admin/reports?from=2026-07-06&to=2026-07-10&department=Maths"))
    assert "No reservations between Mon 6 Jul 2026 and Fri 10 Jul 2026 for these filters." in html
    assert 'href="/admin/reports?from=2026-07-06&to=2026-07-10">show every facility' in html


def test_htmx_gets_only_the_report_region(site, week):
    """The form and quick ranges ask for ``#report``; only that region comes back."""
    client = signed_in_as(site, week["approver"])
    response = client.get("/admin/reports?from=2026-05-12&to=2026-06-10", headers=HTMX)
    html = text(response)
    assert response.status_code == 200
    assert '<div id="report">' in html and "<html" not in html and "<h1>" not in html
    assert "Tue 12 May 2026 – Wed 10 Jun 2026" in html

    # Back to a page htmx no longer holds: it asks for the whole page, to replace the body.
    restore_headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    restore = client.get("/admin/reports?from=2026-05-12&to=2026-06-10", headers=restore_headers)
    assert "<h1>Reports</h1>" in text(restore)


# --- Quick ranges -----------------------------------------------------------------------


def test_quick_ranges_follow_today_in_school_time(site, week, freeze):
    client = signed_in_as(site, week["approver"])
    assert preset_links(text(client.get("/admin/reports"))) == {
        "This week": ("2026-06-08", "2026-06-14", True),
        "Last 30 days": ("2026-05-12", "2026-06-10", False),
        "This term": ("2026-04-01", "2026-08-31", False),
    }
    last_30 = text(client.get("/admin/reports?from=2026-05-12&to=2026-06-10"))
    assert preset_links(last_30)["Last 30 days"][2] is True
    assert "Tue 12 May 2026 – Wed 10 Jun 2026" in last_30
    totals = dict(re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]+)</dd>", last_30))
    assert totals["Reservations"] == "4"  # May's booking too

    freeze(2026, 10, 3, 9, 0)  # a Saturday in the autumn term (the sign-in has expired)
    client = signed_in_as(site, week["approver"])
    assert preset_links(text(client.get("/admin/reports"))) == {
        "This week": ("2026-09-28", "2026-10-04", True),
        "Last 30 days": ("2026-09-04", "2026-10-03", False),
        "This term": ("2026-09-01", "2026-12-31", False),
    }
    freeze(2027, 2, 14, 9, 0)  # a Sunday in the spring term
    client = signed_in_as(site, week["approver"])
    assert preset_links(text(client.get("/admin/reports")))["This term"] == (
        "2027-01-01",
        "2027-03-31",
        False,
    )


def test_quick_ranges_use_the_school_time_zone(site, week, freeze):
    """Sunday evening in UTC is already Monday in Auckland: this week is the next one."""
    freeze(2026, 6, 7, 20, 0)
    client = signed_in_as(site, week["approver"])
    assert preset_links(text(client.get("/admin/reports")))["This week"][:2] == (
        "2026-06-01",
        "2026-06-07",
    )
    client = site(TIMEZONE="Pacific/Auckland")
    sign_in(client, week["approver"])
    assert preset_links(text(client.get("/admin/reports")))["This week"][:2] == (
        "2026-06-08",
        "2026-06-14",
    )


@pytest.mark.parametrize(
    ("day", "term"),
    [
        (date(2026, 8, 31), (date(2026, 4, 1), date(2026, 8, 31))),
        (date(2026, 9, 1), (date(2026, 9, 1), date(2026, 12, 31))),
        (date(2026, 12, 31), (date(2026, 9, 1), date(2026, 12, 31))),
        (date(2027, 1, 1), (date(2027, 1, 1), date(2027, 3, 31))),
        (date(2027, 3, 31), (date(2027, 1, 1), date(2027, 3, 31))),
        (date(2027, 4, 1), (date(2027, 4, 1), date(2027, 8, 31))),
    ],
)
def test_school_term_boundaries(app, day, term):
    """Until admins set terms, each year has the three terms the reports always used."""
    assert school_term(day) == term


def test_this_term_reads_the_terms_admins_set(app):
    """Between two terms "This term" is the next one; with no term ahead there is none."""
    set_setting(
        "terms",
        [
            {"name": "Autumn", "start": "2026-09-07", "end": "2026-12-18"},
            {"name": "Spring", "start": "2027-01-05", "end": "2027-03-26"},
        ],
    )
    assert school_term(date(2026, 10, 1)) == (date(2026, 9, 7), date(2026, 12, 18))
    assert school_term(date(2026, 12, 25)) == (date(2027, 1, 5), date(2027, 3, 26))
    assert school_term(date(2027, 6, 1)) is None
    db.session.rollback()


# --- Refused choices --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "from=2026-06-14&to=2026-06-08",
            "to",
            "The last day is before the first day: swap them.",
        ),
        ("from=2026-02-30&to=2026-03-01", "from", "Use a real date in the form YYYY-MM-DD."),
        ("from=2026-06-08&to=", "to", "Enter a date, or choose one of the ranges below."),
        (
            "from=2024-01-01&to=2026-06-10",
            "to",
            "A usage report covers at most 731 days; shorten the range.",
        ),
        (
            "from=2026-06-08&to=2026-06-14&facility_id=nope",
            "facility",
            "No facility with id 'nope'.",
        ),
    ],
)
def test_refused_choices_are_explained_next_to_their_field(site, week, query, field, message):
    """A full page answers 400 with the message by its field; htmx gets the region with 200."""
    client = signed_in_as(site, week["approver"])
    response = client.get(f"/admin/reports?{query}")
    html = text(response)
    assert response.status_code == 400
    assert f'<p class="field-error" id="report-{field}-error">{message}</p>' in html
    assert re.search(rf'id="report-{field}"[^>]*aria-invalid="true"', html)
    assert f'aria-describedby="report-{field}-error"' in html
    assert "No report for these choices." in html
    assert "report-totals" not in html and download_links(html) == {}
    assert "<h1>Reports</h1>" in html  # the page, nav and all, with the values as typed

    response = client.get(f"/admin/reports?{query}", headers=HTMX)
    assert response.status_code == 200
    assert f'id="report-{field}-error">{message}</p>' in text(response)


def test_refused_download_shows_the_page_with_the_reason(site, week):
    client = signed_in_as(site, week["approver"])
    response = client.get("/admin/reports/export.csv?from=2026-06-14&to=2026-06-08")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "The last day is before the first day" in text(response)


def test_workbook_too_long_for_a_sheet_points_to_csv(site, week, monkeypatch):
    monkeypatch.setattr(roomloop.reporting.exports, "XLSX_MAX_ROWS", 2)
    client = signed_in_as(site, week["approver"])
    response = client.get("/admin/reports/export.xlsx?from=2026-06-08&to=2026-06-14")
    html = text(response)
    assert response.status_code == 400
    assert "This download cannot be made." in html
    assert "The range holds 4 reservations and a sheet holds at most 2; choose a shorter " \
        "range or download CSV." in html  # fmt: skip
    assert "report-totals" in html  # the report itself is still shown


# --- Downloads --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-05-12&to=2026-06-10",
        "from=2026-06-08&to=2026-06-14&facility_id=f1&department=Science",
    ],
)
def test_downloads_match_the_api_for_the_same_range(site, week, auth_headers, query):
    """The page's CSV and XLSX links send the files ``/v1/reports/export.*`` sends."""
    client = signed_in_as(site, week["approver"])
    links = download_links(text(client.get(f"/admin/reports?{query}")))
    api = site()
    key = auth_headers(week["approver"])

    page_csv, page_body = download(client, links["Download CSV"])
    api_csv, api_body = download(api, f"/v1/reports/export.csv?{query}", headers=key)
    assert page_csv.status_code == api_csv.status_code == 200
    assert page_csv.mimetype == "text/csv"
    assert page_body == api_body
    for name in ("Content-Disposition", "Cache-Control"):
        assert page_csv.headers[name] == api_csv.headers[name]
    rows = page_body.decode().lstrip("\ufeff").splitlines()
    assert len(rows) > 1 and rows[0].startswith("id,facility_id,facility")

    page_xlsx, page_book = download(client, links["Download XLSX"])
    api_xlsx, api_book = download(api, f"/v1/reports/export.xlsx?{query}", headers=key)
    assert page_xlsx.status_code == api_xlsx.status_code == 200
    assert page_xlsx.mimetype == roomloop.reporting.exports.XLSX_MIMETYPE
    for name in ("Content-Disposition", "Cache-Control"):
        assert page_xlsx.headers[name] == api_xlsx.headers[name]
    assert sheet_rows(page_book) == sheet_rows(api_book)
    assert len(sheet_rows(page_book)) == len(rows)


def test_csv_download_lists_the_ranges_reservations(site, week):
    client = signed_in_as(site, week["approver"])
    response, body = download(client, "/admin/reports/export.csv?from=2026-06-08&to=2026-06-14")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="roomloop-reservations-2026-06-08-to-2026-06-14.csv"'
    )
    lines = body.decode().lstrip("\ufeff").splitlines()
    purposes = [line.split(",")[14] for line in lines[1:]]
    assert purposes == ["Titration", "Probability", "'=1+1 statistics", "Dropped"]


def test_streamed_csv_reads_its_facility_and_account_after_the_request(site, week, auth_headers):
    """The rows stream after the request's session has ended, as behind a real server."""
    query = f"from=2026-06-01&to=2026-06-30&facility_id=f1&user_id={week['max'].public_id}"
    response, body = download(
        site(), f"/v1/reports/export.csv?{query}", headers=auth_headers(week["admin"])
    )
    assert response.status_code == 200
    lines = body.decode().lstrip("\ufeff").splitlines()
    assert [line.split(",")[14] for line in lines[1:]] == ["'=1+1 statistics"]


def download(client, url, **kwargs):
    """A download's response and its bytes, the stream closed (its request context popped)."""
    with client.get(url, **kwargs) as response:
        return response, response.get_data()


def sheet_rows(content):
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]
