"""What keeps the pages safe: security headers and HTTPS, CSRF, the sign-in pages and dev
login, and the admin's API keys page, where keys are created and revoked.

Each test uses a fresh app (``site``) and reads the pages the way a person does: the forms,
their hidden CSRF token, the links (helpers in ``access_support.py``). The API's side is in
``test_access.py``.
"""

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from roomloop.auth.tokens import create_api_key
from roomloop.extensions import db
from roomloop.models import ApiToken
from roomloop.sqlite import writing

from access_support import (
    assert_api_error,
    assert_redirect,
    bearer,
    count,
    fresh,
    home,
    page,
    school,
    sign_in,
    signed_in,
    site,
    snapshot,
)
from conftest import school_day

__all__ = ["school", "site"]  # fixtures of access_support.py

HTTPS = "https://localhost"
FULL_KEY = re.compile(r"sk_live_[A-Za-z0-9_-]{40,}")  # a whole key, not the listed prefix
# Policies that never send a page's path (which may hold ids) to another site.
PRIVATE_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


# --- Security headers and HTTPS ----------------------------------------------------------


def responses_of_every_kind(browser, school):
    """A signed-out page, a signed-in page, a 403 page, an API success and an API error."""
    yield "sign-in page", browser.get("/login")
    sign_in(browser, school["teacher"])
    yield "home page", home(browser)
    yield "403 page", browser.get("/admin/keys")
    with writing():  # signing in wrote since this test's read began: see conftest.store()
        _, key = create_api_key(school["teacher"])
    yield "API success", browser.get("/v1/facilities", headers=bearer(key))
    yield "API error", browser.get("/v1/facilities")


def test_every_response_carries_the_security_headers(site, school):
    """Pages and API answers carry the CSP (own scripts only), nosniff, DENY, a referrer policy."""
    for kind, response in responses_of_every_kind(site(), school):
        headers = response.headers
        policy = {
            part.split()[0]: part.split()[1:]
            for part in headers["Content-Security-Policy"].split(";")
            if part.strip()
        }
        assert policy["script-src"] == ["'self'"], kind
        assert policy["style-src"] == ["'self'"], kind
        assert policy["frame-ancestors"] == ["'none'"], kind
        assert headers["X-Content-Type-Options"] == "nosniff", kind
        assert headers["X-Frame-Options"] == "DENY", kind
        assert headers["Referrer-Policy"] in PRIVATE_REFERRER_POLICIES, kind
        assert "Strict-Transport-Security" not in headers, kind  # only when HTTPS is enforced


@pytest.mark.parametrize("path", ["/login", "/", "/admin/keys"])
def test_pages_work_under_the_csp(site, school, path):
    """Pages hold no inline script, style attribute or event handler that the CSP would block."""
    browser = site()
    sign_in(browser, school["admin"])
    response = browser.get(path, follow_redirects=True)
    assert response.status_code == 200
    assert page(response).inline_code == []


def test_plain_http_api_call_is_refused_when_https_is_enforced(site, school):
    """With ENFORCE_HTTPS a plain-HTTP /v1 call is 403 https_required, the token left unused."""
    row, key = create_api_key(school["admin"])
    browser = site(ENFORCE_HTTPS=True)
    before = snapshot()

    listing = browser.get("/v1/facilities", headers=bearer(key))
    creating = browser.post("/v1/facilities", json={"id": "x1", "name": "X", "type": "lab"},
                            headers=bearer(key))  # fmt: skip

    assert_api_error(listing, 403, "https_required")
    assert_api_error(creating, 403, "https_required")
    assert snapshot() == before
    assert db.session.get(ApiToken, row.id).last_used_at is None


def test_plain_http_page_redirects_to_https(site):
    """With ENFORCE_HTTPS a plain-HTTP page request is a 301 to the same URL over HTTPS."""
    response = site(ENFORCE_HTTPS=True).get("/login?next=%2F")
    assert response.status_code == 301
    target = urlsplit(response.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "localhost", "/login")
    assert parse_qs(target.query) == {"next": ["/"]}


def test_https_works_and_asks_for_https_from_now_on(site, school):
    """Over HTTPS the API and pages answer, with Strict-Transport-Security of a year or more."""
    _, key = create_api_key(school["teacher"])
    browser = site(ENFORCE_HTTPS=True)
    for response in (
        browser.get("/v1/facilities", headers=bearer(key), base_url=HTTPS),
        browser.get("/login", base_url=HTTPS),
    ):
        assert response.status_code == 200
        max_age = re.fullmatch(r"max-age=(\d+).*", response.headers["Strict-Transport-Security"])
        assert int(max_age.group(1)) >= 31536000


def test_session_cookie_is_secure_httponly_lax_over_https(site, school):
    """After a dev login over HTTPS the session cookie is Secure, HttpOnly and SameSite=Lax."""
    browser = site(ENFORCE_HTTPS=True)

    response = sign_in(browser, school["teacher"], base_url=HTTPS)

    assert_redirect(response, "/")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= attributes
    assert signed_in(browser, base_url=HTTPS)


@pytest.mark.parametrize(("proxies", "https"), [(1, True), (0, False)])
def test_forwarded_proto_counts_only_behind_a_trusted_proxy(site, school, proxies, https):
    """X-Forwarded-Proto: https counts as HTTPS with TRUSTED_PROXIES=1, and not without it."""
    _, key = create_api_key(school["teacher"])
    browser = site(ENFORCE_HTTPS=True, TRUSTED_PROXIES=proxies)
    forwarded = {"X-Forwarded-Proto": "https"}

    api = browser.get("/v1/facilities", headers={**forwarded, **bearer(key)})
    sign_in_page = browser.get("/login", headers=forwarded)

    if https:
        assert api.status_code == 200
        assert sign_in_page.status_code == 200
    else:
        assert_api_error(api, 403, "https_required")
        assert sign_in_page.status_code == 301


def test_https_redirect_goes_to_the_server_name_whatever_x_forwarded_host_says(site):
    """Behind a trusted proxy a client's X-Forwarded-Host names any host it likes: the HTTPS
    redirect goes to ROOMLOOP_SERVER_NAME, keeping the path and query, never there."""
    browser = site(ENFORCE_HTTPS=True, TRUSTED_PROXIES=1, SERVER_NAME="rooms.school.example")

    response = browser.get("/login?next=%2Fmy", headers={"X-Forwarded-Host": "evil.example"})

    assert response.status_code == 301
    target = urlsplit(response.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == (
        "https",
        "rooms.school.example",
        "/login",
    )
    assert parse_qs(target.query) == {"next": ["/my"]}


# --- CSRF --------------------------------------------------------------------------------


def test_dev_login_needs_the_csrf_token(site, school):
    """The dev sign-in form without (or with a forged) CSRF token is 400 and signs no one in."""
    browser = site()
    form = page(browser.get("/login")).form("/login/dev", account_id=school["teacher"].public_id)
    fields = form["fields"]

    missing = browser.post("/login/dev", data={**fields, "csrf_token": ""})
    forged = browser.post("/login/dev", data={**fields, "csrf_token": fields["csrf_token"][:-4]})

    assert (missing.status_code, forged.status_code) == (400, 400)
    assert not signed_in(browser)
    assert_redirect(browser.post("/login/dev", data=fields), "/")
    assert signed_in(browser)


def test_api_key_form_needs_the_csrf_token(site, school):
    """The create-key form without its CSRF token is 400 and creates nothing; with it, a key."""
    browser = site()
    sign_in(browser, school["admin"])
    fields = {"email": school["teacher"].email, "label": "door display"}

    refused = browser.post("/admin/keys", data=fields)

    assert refused.status_code == 400
    fresh()
    assert count(ApiToken) == 0
    token = page(browser.get("/admin/keys")).form("/admin/keys")["fields"]["csrf_token"]
    assert browser.post("/admin/keys", data={**fields, "csrf_token": token}).status_code == 200
    fresh()
    assert count(ApiToken) == 1


def test_revoke_and_logout_forms_need_the_csrf_token(site, school):
    """Revoking a key or signing out without the CSRF token is 400 and changes nothing."""
    row, key = create_api_key(school["teacher"])
    browser = site()
    sign_in(browser, school["admin"])

    assert browser.post(f"/admin/keys/{row.public_id}/revoke").status_code == 400
    assert browser.post("/logout").status_code == 400

    assert browser.get("/v1/facilities", headers=bearer(key)).status_code == 200
    assert signed_in(browser)


def test_api_posts_need_no_csrf_token(site, school):
    """/v1 takes bearer tokens only: a booking without any CSRF token is created (201)."""
    _, key = create_api_key(school["teacher"])
    body = {"facility_id": "f1", "date": school_day().isoformat(), "start_slot": 5,
            "end_slot": 5, "purpose": "Year 9 Biology"}  # fmt: skip

    response = site().post("/v1/reservations", json=body, headers=bearer(key))

    assert response.status_code == 201, response.get_data(as_text=True)


def test_api_ignores_the_session_cookie(site, school):
    """A signed-in browser calling /v1 without a bearer token gets 401: no CSRF way in."""
    browser = site()
    sign_in(browser, school["admin"])
    assert signed_in(browser)

    response = browser.post("/v1/facilities", json={"id": "x1", "name": "X", "type": "lab"})

    assert_api_error(response, 401, "unauthorized")


# --- Sign-in pages and dev login ---------------------------------------------------------


def test_signed_out_home_page_sends_to_sign_in(site):
    """Opening / signed out redirects to /login?next=%2F."""
    assert_redirect(site().get("/"), "/login?next=%2F")


def test_dev_login_page_lists_active_accounts_by_role(site, school, create_account):
    """With DEV_LOGIN the sign-in page lists every active account under its role's heading."""
    second = create_account(role="teacher", name="Dee Novak")
    create_account(role="teacher", name="Gone Away", status="disabled")

    sign_in_page = page(site().get("/login"))

    listed = {
        form["fields"]["account_id"]: form["heading"]
        for form in sign_in_page.forms
        if form["action"] == "/login/dev"
    }
    assert listed == {
        school["teacher"].public_id: "Teachers",
        second.public_id: "Teachers",
        school["approver"].public_id: "Approvers",
        school["admin"].public_id: "Admins",
    }


def test_dev_login_lands_on_next(site, school):
    """Signing in with next=/admin/keys lands there, signed in as the chosen admin."""
    browser = site()

    response = sign_in(browser, school["admin"], next_path="/admin/keys")

    assert_redirect(response, "/admin/keys")
    landing = browser.get("/admin/keys")
    assert landing.status_code == 200
    assert "Cy Diaz" in landing.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "https:evil.example",
        "/\t/evil.example",  # browsers drop tabs and newlines inside URLs
        "/\n/evil.example",
    ],
    ids=["absolute", "scheme-relative", "backslash", "scheme-only", "tab", "newline"],
)
def test_dev_login_never_leaves_the_site(site, school, target):
    """A ``next`` pointing at another host lands on / instead, signed in."""
    browser = site()

    response = sign_in(browser, school["teacher"], next_path=target)

    assert_redirect(response, "/")
    assert signed_in(browser)


def test_without_dev_login_there_is_no_account_list(site, school):
    """Without DEV_LOGIN the page lists no accounts and POST /login/dev is 404, even with CSRF."""
    browser = site(DEV_LOGIN=False)
    response = browser.get("/login")
    sign_in_page = page(response)
    csrf = json.loads(sign_in_page.body_attrs["hx-headers"])

    attempt = browser.post(
        "/login/dev", data={"account_id": school["admin"].public_id, "next": ""}, headers=csrf
    )

    assert attempt.status_code == 404
    assert not signed_in(browser)
    assert not [f for f in sign_in_page.forms if f["action"] == "/login/dev"]
    assert "Cy Diaz" not in response.get_data(as_text=True)


def test_disabled_account_cannot_dev_login(site, school, create_account):
    """Submitting a disabled account's id is refused with a message; nobody is signed in."""
    disabled = create_account(name="Gone Away", status="disabled")
    browser = site()
    form = page(browser.get("/login")).form("/login/dev", account_id=school["teacher"].public_id)

    response = browser.post("/login/dev", data={**form["fields"], "account_id": disabled.public_id})

    assert_redirect(response, "/login")
    assert "That account cannot sign in." in browser.get("/login").get_data(as_text=True)
    assert not signed_in(browser)


def test_account_disabled_while_signed_in_is_signed_out(site, school):
    """An admin disables a signed-in account: its very next request is sent to sign in."""
    browser = site()
    sign_in(browser, school["teacher"])
    assert signed_in(browser)

    with writing():  # signing in wrote since this test's read began: see conftest.store()
        school["teacher"].status = "disabled"
        db.session.commit()

    assert_redirect(browser.get("/"), "/login?next=%2F")


def test_a_signed_out_htmx_request_goes_to_sign_in_and_back_to_its_page(site, school):
    """Signed out in another tab, a click that asks htmx for a part of a page (the grid's
    next day) is not answered with the sign-in page to swap into that part: htmx is told to
    go to sign in (HX-Redirect), and signing in lands back on the page it was on."""
    browser = site()
    sign_in(browser, school["teacher"])
    browser.post("/logout", data=page(home(browser)).form("/logout")["fields"])
    day = school_day()
    part = {
        "HX-Request": "true",
        "HX-Target": "grid-region",
        "HX-Current-URL": f"http://localhost/?date={day}",
    }

    response = browser.get(f"/?date={day + timedelta(days=1)}", headers=part)

    assert response.status_code == 401
    assert response.get_data() == b""
    assert response.headers["HX-Redirect"] == f"/login?next=%2F%3Fdate%3D{day}"
    sign_in_page = browser.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert "Sign in to continue." in sign_in_page
    assert_redirect(sign_in(browser, school["teacher"], next_path=f"/?date={day}"), f"/?date={day}")


def test_a_signed_out_htmx_request_is_sent_back_to_this_site_only(site, school):
    """The page's address comes from a request header: another host in it counts as a path
    on this site, which signing in then follows no further than this site."""
    browser = site()
    part = {"HX-Request": "true", "HX-Current-URL": "https://evil.example//evil.example/x"}

    target = browser.get("/my", headers=part).headers["HX-Redirect"]

    assert target == "/login?next=%2F%2Fevil.example%2Fx"
    assert_redirect(sign_in(browser, school["teacher"], next_path="//evil.example/x"), "/")


def test_logout_signs_out(site, school):
    """The Sign out button (with its CSRF token) signs out and shows the sign-in page."""
    browser = site()
    sign_in(browser, school["teacher"])
    form = page(home(browser)).form("/logout")

    response = browser.post("/logout", data=form["fields"])

    assert_redirect(response, "/login")
    assert not signed_in(browser)


# --- The admin's API keys page -----------------------------------------------------------


def test_admin_sees_the_keys_page_and_its_nav_link(site, school):
    """An admin opens /admin/keys, and the nav on every page links to it as "API keys"."""
    browser = site()
    sign_in(browser, school["admin"])
    response = browser.get("/admin/keys")
    assert response.status_code == 200
    assert "<h1>API keys</h1>" in response.get_data(as_text=True)
    assert page(home(browser)).links.get("/admin/keys") == "API keys"


@pytest.mark.parametrize("role", ["teacher", "approver"])
def test_keys_page_is_403_for_others_and_not_in_their_nav(site, school, role):
    """A teacher or approver gets a 403 page naming keys:manage, and sees no nav link to it."""
    browser = site()
    sign_in(browser, school[role])

    response = browser.get("/admin/keys")

    assert response.status_code == 403
    assert "keys:manage" in response.get_data(as_text=True)
    assert "/admin/keys" not in page(home(browser)).links
    assert browser.post("/admin/keys", data={"email": school[role].email}).status_code in (
        400,
        403,
    )
    fresh()
    assert count(ApiToken) == 0


def test_signed_out_keys_page_sends_to_sign_in(site):
    """Opening /admin/keys signed out redirects to sign in, coming back afterwards."""
    assert_redirect(site().get("/admin/keys"), "/login?next=%2Fadmin%2Fkeys")


def create_key_on_page(browser, **fields):
    """Fill in and submit the create-key form; return the response."""
    token = page(browser.get("/admin/keys")).form("/admin/keys")["fields"]["csrf_token"]
    return browser.post("/admin/keys", data={"csrf_token": token, **fields})


def test_new_key_is_shown_once_and_works(site, school):
    """A created key appears on that response only; it works; the list shows just its prefix."""
    browser = site()
    sign_in(browser, school["admin"])

    # The owner's email as typed by someone in a hurry: case does not matter.
    response = create_key_on_page(
        browser, email=school["teacher"].email.upper(), label="door display"
    )

    assert response.status_code == 200
    keys = FULL_KEY.findall(response.get_data(as_text=True))
    assert len(set(keys)) == 1
    key = keys[0]
    assert browser.get("/v1/facilities", headers=bearer(key)).status_code == 200
    fresh()
    row = db.session.scalar(select(ApiToken))
    assert (row.account_id, row.label, row.scopes) == (school["teacher"].id, "door display", None)
    reloaded = browser.get("/admin/keys").get_data(as_text=True)
    assert key not in reloaded
    assert not FULL_KEY.search(reloaded)
    assert f"{key[:12]}…" in reloaded


def test_key_created_on_the_page_keeps_its_scopes(site, school):
    """Ticking facilities:read gives a key that reads facilities but cannot book."""
    browser = site()
    sign_in(browser, school["admin"])

    response = create_key_on_page(browser, email=school["teacher"].email, scopes="facilities:read")

    key = FULL_KEY.search(response.get_data(as_text=True)).group()
    assert browser.get("/v1/facilities", headers=bearer(key)).status_code == 200
    body = {"facility_id": "f1", "date": school_day().isoformat(), "start_slot": 5,
            "end_slot": 5, "purpose": "Year 9 Biology"}  # fmt: skip
    refused = browser.post("/v1/reservations", json=body, headers=bearer(key))
    assert assert_api_error(refused, 403, "forbidden")["capability"] == "reservations:book"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scopes": "facilities:manage"}, "A teacher's key cannot have: facilities:manage"),
        ({"email": "ghost@school.example"}, "No account has this email address."),
    ],
    ids=["scope-beyond-role", "unknown-owner"],
)
def test_refused_key_shows_why_and_creates_nothing(site, school, fields, message):
    """A scope beyond the owner's role or an unknown email: the form says why, no key is made."""
    browser = site()
    sign_in(browser, school["admin"])

    response = create_key_on_page(browser, **{"email": school["teacher"].email, **fields})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message.replace("'", "&#39;") in html or message in html
    assert not FULL_KEY.search(html)
    fresh()
    assert count(ApiToken) == 0


def test_admin_revokes_a_key_on_the_keys_page(site, school):
    """Revoke on /admin/keys (with its CSRF token): the key gets 401 and the list says revoked."""
    row, key = create_api_key(school["teacher"], label="door display")
    browser = site()
    assert browser.get("/v1/facilities", headers=bearer(key)).status_code == 200
    sign_in(browser, school["admin"])
    action = f"/admin/keys/{row.public_id}/revoke"
    form = page(browser.get("/admin/keys")).form(action)

    response = browser.post(action, data=form["fields"])

    assert_redirect(response, "/admin/keys")
    listing = browser.get("/admin/keys").get_data(as_text=True)
    key_row = rf"<tr>\s*<td[^>]*><code>{row.prefix}….*?</tr>"  # its cells carry data-label
    row_html = re.search(key_row, listing, re.DOTALL).group()
    assert "revoked" in row_html
    assert action not in listing  # no revoke button left for it
    assert_api_error(browser.get("/v1/facilities", headers=bearer(key)), 401, "unauthorized")
