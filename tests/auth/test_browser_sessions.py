"""Browser sessions: the page cookie names a session row on the server, so that signing out,
disabling an account, changing its role or "Sign out everywhere" ends it for every copy of
the cookie.

Each browser is a fresh app's test client (``site``), signed in the way a person does; a
copied cookie is a second browser holding the first one's ``session`` cookie.
"""

import io
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from roomloop.auth.tokens import create_session_token, hash_token
from roomloop.extensions import db
from roomloop.models import BrowserSession, utcnow
from roomloop.sqlite import writing

from oidc_issuer import DEFAULT_USER, OIDCIssuer, browser_sign_in
from page_client import csrf_token, fresh, post_form, signed_in_as, site, text

__all__ = ["site"]  # a fixture of page_client.py


@pytest.fixture
def people(create_account):
    """Ada Park, a teacher, and Cy Diaz, the admin who manages her account."""
    return {
        "ada": create_account(name="Ada Park", email=DEFAULT_USER["email"]),
        "admin": create_account(role="admin", name="Cy Diaz"),
    }


@pytest.fixture
def admin_api(site, people, auth_headers):
    """Return a function that calls ``/v1`` as the admin, with an API key."""
    client, headers = site(), auth_headers(people["admin"])

    def call(method, path, **kwargs):
        response = client.open(path, method=method, headers=headers, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    return call


def copy_of(site, browser):
    """Another browser holding a copy of ``browser``'s session cookie, as a thief would."""
    thief = site()
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def assert_signed_in(browser):
    assert browser.get("/my").status_code == 200


def assert_signed_out(browser):
    """``/my`` sends the browser to the sign-in page, to come back afterwards."""
    response = browser.get("/my")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fmy"


def sign_out(browser):
    token = csrf_token(browser.get("/my").get_data(as_text=True))
    response = browser.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def sessions_of(account):
    """The account's browser session rows."""
    fresh()
    return db.session.scalars(
        select(BrowserSession).where(BrowserSession.account_id == account.id)
    ).all()


# --- What ends a session ------------------------------------------------------------------


def test_a_copied_cookie_stops_working_when_its_browser_signs_out(site, people):
    """Signing out deletes that session: a copy of the cookie taken before opens nothing,
    while the person's other browser stays signed in."""
    browser = signed_in_as(site, people["ada"])
    other_browser = signed_in_as(site, people["ada"])
    copy = copy_of(site, browser)
    assert_signed_in(copy)

    sign_out(browser)

    assert_signed_out(browser)
    assert_signed_out(copy)
    assert_signed_in(other_browser)


def test_disabling_then_enabling_an_account_does_not_bring_its_session_back(
    site, people, admin_api
):
    """Disabling ends the account's browser sessions; enabling it again leaves them ended."""
    ada = people["ada"]
    browser = signed_in_as(site, ada)

    admin_api("PATCH", f"/v1/accounts/{ada.public_id}", json={"status": "disabled"})
    assert_signed_out(browser)
    admin_api("PATCH", f"/v1/accounts/{ada.public_id}", json={"status": "active"})

    assert_signed_out(browser)
    assert sessions_of(ada) == []


def test_a_role_change_ends_the_browser_sessions(site, people, auth_headers):
    """An admin gives Ada another role on the accounts page: her browser signs in again.
    Her API key stays (it never exceeds the role she has now)."""
    ada = people["ada"]
    browser = signed_in_as(site, ada)
    ada_key = auth_headers(ada)
    admin = signed_in_as(site, people["admin"])
    path = f"/admin/accounts/{ada.public_id}/edit"

    saved = post_form(
        admin, path, path, name="Ada Park", department="Science", role="approver", status="active"
    )

    assert saved.status_code == 303
    assert_signed_out(browser)
    assert sessions_of(ada) == []
    assert_signed_in(admin)
    assert browser.get("/v1/reservations", headers=ada_key).status_code == 200


def test_a_csv_import_that_disables_an_account_ends_its_sessions(site, people, admin_api):
    """The CSV import disables the way the account form does, in the same transaction."""
    ada = people["ada"]
    browser = signed_in_as(site, ada)
    content = f"email,name,department,role,status\n{ada.email},Ada Park,Science,teacher,disabled\n"

    admin_api("POST", "/v1/accounts/bulk", data={"file": (io.BytesIO(content.encode()), "a.csv")})

    assert_signed_out(browser)
    assert sessions_of(ada) == []


def test_an_expired_session_is_refused_and_pruned_at_the_next_sign_in(app, site, people):
    """A session lasts PERMANENT_SESSION_LIFETIME at the most; past it the cookie signs no
    one in, and the account's next sign-in deletes the expired row."""
    ada = people["ada"]
    browser = signed_in_as(site, ada)
    (row,) = sessions_of(ada)
    assert row.expires_at - row.created_at == app.permanent_session_lifetime == timedelta(days=31)

    with writing():
        db.session.execute(
            update(BrowserSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert_signed_out(browser)

    signed_in_as(site, ada)
    (live,) = sessions_of(ada)  # the expired row is gone
    assert live.expires_at > utcnow()


def test_a_signed_in_page_reads_its_session_in_one_query_and_writes_nothing(site, people):
    """Finding who is signed in costs one SELECT (the session joined with its account), and
    opening a page writes nothing."""
    browser = signed_in_as(site, people["ada"])
    with browser.application.app_context():
        engine = db.engine
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert browser.get("/my").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)

    (lookup,) = [statement for statement in statements if "browser_sessions" in statement]
    assert lookup.startswith("SELECT accounts.id,") and "JOIN browser_sessions" in lookup
    writes = [s for s in statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_the_cookie_carries_a_session_token_not_the_account_id(app, site, people):
    """The cookie (signed, not encrypted) holds a random token; the server keeps its hash."""
    ada = people["ada"]
    browser = signed_in_as(site, ada)

    cookie = app.session_interface.get_signing_serializer(app).loads(
        browser.get_cookie("session").value
    )

    assert ada.public_id not in str(cookie)
    (row,) = sessions_of(ada)
    assert row.token_hash == hash_token(cookie["_user_id"])
    assert cookie["_user_id"] not in str(db.session.execute(select(BrowserSession.__table__)).all())


def test_google_sign_in_starts_a_session_that_signing_out_ends(site, people):
    """The Google callback starts its browser session in the same place as the dev sign-in."""
    with OIDCIssuer() as issuer:
        issuer.user = dict(DEFAULT_USER)
        browser = site(
            GOOGLE_CLIENT_ID=issuer.client_id,
            GOOGLE_CLIENT_SECRET=issuer.client_secret,
            GOOGLE_METADATA_URL=issuer.metadata_url,
        )
        assert browser_sign_in(browser, issuer).status_code == 302
    assert_signed_in(browser)
    assert len(sessions_of(people["ada"])) == 1
    copy = copy_of(site, browser)

    sign_out(browser)

    assert_signed_out(copy)
    assert sessions_of(people["ada"]) == []


# --- The account page and "Sign out everywhere" ------------------------------------------


def test_account_page_shows_who_is_signed_in_and_is_linked_from_the_header(site, people):
    ada = people["ada"]
    browser = signed_in_as(site, ada)

    assert '<a href="/account">Ada Park</a>' in text(browser.get("/my"))
    page = text(browser.get("/account"))

    assert "<h1>Your account</h1>" in page
    for fact in ("Ada Park", ada.email, "Teacher", "Science"):
        assert f"<dd>{fact}</dd>" in page
    assert '<a href="/account" aria-current="page">Ada Park</a>' in page
    assert site().get("/account").headers["Location"] == "/login?next=%2Faccount"


def test_sign_out_everywhere_ends_every_session_but_not_api_keys(site, people, auth_headers):
    """Every browser session and API session of the account ends, this browser's included;
    its API key still works, and other people stay signed in."""
    ada = people["ada"]
    browser, other_browser = signed_in_as(site, ada), signed_in_as(site, ada)
    someone_else = signed_in_as(site, people["admin"])
    with writing():  # see conftest.store()
        _, app_session = create_session_token(ada)
    app_session = {"Authorization": f"Bearer {app_session}"}
    ada_key = auth_headers(ada)
    assert browser.get("/v1/reservations", headers=app_session).status_code == 200

    token = csrf_token(browser.get("/account").get_data(as_text=True))
    response = browser.post("/account/sign-out-everywhere", data={"csrf_token": token})

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "You are signed out everywhere" in text(browser.get("/login"))
    assert_signed_out(browser)
    assert_signed_out(other_browser)
    assert sessions_of(ada) == []
    assert browser.get("/v1/reservations", headers=app_session).status_code == 401
    assert browser.get("/v1/reservations", headers=ada_key).status_code == 200
    assert_signed_in(someone_else)


def test_sign_out_everywhere_needs_the_csrf_token(site, people):
    browser = signed_in_as(site, people["ada"])

    assert browser.post("/account/sign-out-everywhere").status_code == 400

    assert_signed_in(browser)
    fresh()
    assert db.session.scalar(select(func.count()).select_from(BrowserSession)) == 1


def test_the_api_neither_reads_nor_touches_the_page_cookie(site, people, auth_headers):
    """A signed-in browser calling ``/v1`` is not signed in there by its cookie, and the
    API's answers set no cookie: the pages' session is theirs alone."""
    browser = signed_in_as(site, people["ada"])
    cookie = browser.get_cookie("session").value

    anonymous = browser.get("/v1/me")
    with_key = browser.get("/v1/me", headers=auth_headers(people["ada"]))

    assert anonymous.status_code == 401
    assert with_key.status_code == 200
    assert "Set-Cookie" not in anonymous.headers and "Set-Cookie" not in with_key.headers
    assert browser.get_cookie("session").value == cookie
    assert_signed_in(browser)
