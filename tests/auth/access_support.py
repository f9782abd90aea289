"""What the access tests share: a small school with a reservation, and the checks of an API
refusal and of what an admin would notice changing; and, for the pages' tests, pages read
the way a person reads them (``Page``: forms, their hidden CSRF token, links) on a fresh app
per test (``site``), whose requests each run in their own app context as on a server.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from roomloop.extensions import db
from roomloop.models import Account, ApiToken, Facility, Reservation

from conftest import make_app, school_day


class Page(HTMLParser):
    """What a person or a browser finds in a page: forms, links, headings, inline code."""

    def __init__(self, html):
        super().__init__()
        self.forms = []  # {"action": ..., "fields": {name: value}, "heading": the h3 above it}
        self.links = {}  # href -> text
        self.inline_code = []  # inline <script>, style="..." and on...="..." attributes
        self.body_attrs = {}
        self._heading = self._capture = None
        self._text = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body_attrs = attrs
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action"), "fields": {}, "heading": self._heading}
            )
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")
        elif tag in ("h3", "a"):
            self._capture, self._text = (tag, attrs.get("href")), []
        if tag == "script" and not attrs.get("src"):
            self.inline_code.append("<script>")
        self.inline_code += [
            f"{tag} {name}" for name in attrs if name == "style" or name.startswith("on")
        ]

    def handle_data(self, data):
        if self._capture:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._capture and self._capture[0] == tag:
            text = " ".join("".join(self._text).split())
            if tag == "h3":
                self._heading = text
            else:
                self.links[self._capture[1]] = text
            self._capture = None

    def form(self, action, **fields):
        """The form posting to ``action`` whose fields include ``fields``."""
        for form in self.forms:
            if form["action"] == action and fields.items() <= form["fields"].items():
                return form
        raise AssertionError(f"no form for {action} with {fields}")


def page(response):
    return Page(response.get_data(as_text=True))


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def fresh():
    """End the test's own transaction, so it reads what the requests committed."""
    db.session.rollback()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot():
    """What an admin would notice changing: the rows of each table and facility f1's name."""
    fresh()
    counts = {m.__tablename__: count(m) for m in (Account, ApiToken, Facility, Reservation)}
    return counts, db.session.scalar(select(Facility.name).where(Facility.code == "f1"))


def assert_api_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def assert_redirect(response, path):
    """A redirect that stays on this site and lands on ``path`` (path and query)."""
    assert response.status_code in (301, 302, 303), response.status_code
    target = urlsplit(response.headers["Location"])
    assert target.netloc in ("", "localhost"), response.headers["Location"]
    assert target.path + (f"?{target.query}" if target.query else "") == path


@pytest.fixture
def site(app, database_url):
    """Return a function that starts a fresh app (dev login on unless told); return its client."""
    apps = []

    def open_site(**config):
        config.setdefault("DEV_LOGIN", True)
        apps.append(make_app(database_url, **config))
        return apps[-1].test_client()

    yield open_site
    for site_app in apps:
        with site_app.app_context():
            db.engine.dispose()


def sign_in(client, account, next_path="", base_url="http://localhost"):
    """Pick ``account`` on the dev sign-in page and submit its form; return the response."""
    form = page(client.get("/login", base_url=base_url)).form(
        "/login/dev", account_id=account.public_id
    )
    return client.post(
        "/login/dev",
        data={**form["fields"], "next": next_path},
        base_url=base_url,
        headers={"Referer": f"{base_url}/login"},
    )


def signed_in(client, base_url="http://localhost"):
    """Whether the home page opens (signed in) rather than sending to the sign-in page."""
    response = client.get("/", base_url=base_url)
    assert response.status_code < 400, response.status_code
    return urlsplit(response.headers.get("Location", "")).path != "/login"


def home(client):
    """The page a signed-in person lands on at /."""
    response = client.get("/", follow_redirects=True)
    assert response.status_code == 200
    return response


@pytest.fixture
def school(create_account, create_facility, create_reservation):
    """Create facility f1, a teacher, an approver and an admin, and the teacher's reservation."""
    facility = create_facility(code="f1", name="STEM Lab Alpha")
    people = {
        role: create_account(role=role, name=name)
        for role, name in (("teacher", "Ada Park"), ("approver", "Ben Ito"), ("admin", "Cy Diaz"))
    }
    people["reservation"] = create_reservation(facility, people["teacher"], school_day())
    return people
