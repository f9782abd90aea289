"""Google sign-in for the API and the browser, against a local OpenID issuer over real HTTP.

Nothing about verification is mocked: the app fetches the issuer's discovery document and
JWKS over HTTP and checks every token with joserfc, exactly as it does with Google.
"""

import hashlib
import logging
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from roomloop.extensions import db
from roomloop.models import Account, ApiToken, utcnow

from conftest import make_app
from oidc_issuer import DEFAULT_USER, OIDCIssuer, browser_sign_in, new_key

HOUR_AGO = int(time.time()) - 3600


@pytest.fixture(scope="module")
def issuer():
    """Run a local OpenID issuer for this module's tests."""
    with OIDCIssuer() as issuer:
        yield issuer


@pytest.fixture(autouse=True)
def default_user(issuer):
    """Let the issuer sign in its default user unless a test says otherwise."""
    issuer.user = dict(DEFAULT_USER)


@pytest.fixture
def app_config(issuer):
    """Point Google sign-in at the local issuer."""
    return {
        "GOOGLE_CLIENT_ID": issuer.client_id,
        "GOOGLE_CLIENT_SECRET": issuer.client_secret,
        "GOOGLE_METADATA_URL": issuer.metadata_url,
    }


@pytest.fixture
def teacher(create_account):
    """Store the provisioned, not yet linked account of the issuer's default user."""
    return create_account(email=DEFAULT_USER["email"], name=DEFAULT_USER["name"])


def exchange(client, id_token, address="127.0.0.1"):
    """POST an ID token to the exchange endpoint from a client address."""
    return client.post(
        "/v1/auth/google", json={"id_token": id_token}, environ_base={"REMOTE_ADDR": address}
    )


def assert_refused(response, reason):
    """A 401 ``unauthorized`` naming ``reason``, and no session was started."""
    assert response.status_code == 401, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert (error["code"], error["reason"]) == ("unauthorized", reason)
    assert error["message"]
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    return error


def test_exchange_starts_a_session_that_logout_ends(client, issuer, teacher):
    """An ID token buys a hashed sess_ token that works as a bearer until logout."""
    response = exchange(client, issuer.mint())
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    token = body["token"]
    assert token.startswith("sess_")
    assert body["account"]["id"] == teacher.public_id
    assert body["account"]["email"] == teacher.email
    expires_at = datetime.fromisoformat(body["expires_at"].removesuffix("Z"))
    assert abs(expires_at - (utcnow() + timedelta(hours=12))) < timedelta(minutes=1)

    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/facilities", headers=bearer).status_code == 200

    rows = db.session.execute(select(ApiToken.__table__)).all()
    assert len(rows) == 1
    assert rows[0].kind == "session"
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in str(value) for value in rows[0])

    assert client.post("/v1/auth/logout", headers=bearer).status_code == 204
    again = client.get("/v1/facilities", headers=bearer)
    assert again.status_code == 401
    assert again.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "another-app.apps.example"}, "wrong_audience"),
        ({"aud": None}, "wrong_audience"),
        ({"iss": "https://accounts.evil.example"}, "wrong_issuer"),
        ({"iss": "accounts.google.com"}, "wrong_issuer"),  # only Google's issuer may drop https
        ({"iat": HOUR_AGO - 600, "exp": HOUR_AGO}, "expired"),
        ({"exp": None}, "invalid_token"),
        ({"sub": None}, "invalid_token"),
        ({"email_verified": False}, "email_unverified"),
        ({"email_verified": None}, "email_unverified"),
    ],
)
def test_exchange_refuses_bad_claims(client, issuer, teacher, claims, reason):
    """A genuinely signed token with a wrong or missing claim is refused with its reason."""
    assert_refused(exchange(client, issuer.mint(**claims)), reason)
    assert db.session.get(Account, teacher.id).google_sub is None


def test_exchange_refuses_a_forged_signature(client, issuer, teacher):
    """A token signed by another key under the issuer's kid is refused."""
    forged = issuer.mint(key=new_key(issuer.key.kid))
    assert_refused(exchange(client, forged), "invalid_token")


def test_exchange_refuses_an_unknown_kid(client, issuer, teacher):
    """A kid the issuer does not publish, even after a refetch, is refused."""
    assert_refused(exchange(client, issuer.mint(kid="not-published")), "invalid_token")


@pytest.mark.parametrize("body", [{}, {"id_token": ""}, {"id_token": 42}, {"token": "x"}])
def test_exchange_validates_the_body(client, body):
    """A body without a non-empty string id_token is a 400 validation error."""
    response = client.post("/v1/auth/google", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_exchange_refuses_a_garbage_token(client, garbage):
    """Something that is not a signed JWT is a 401 invalid_token, never a 500."""
    assert_refused(exchange(client, garbage), "invalid_token")


def test_exchange_enforces_allowed_domains(app, client, issuer, teacher):
    """With ALLOWED_DOMAINS set, only accounts of those Workspace domains get in."""
    app.config["ALLOWED_DOMAINS"] = "staff.example"
    error = assert_refused(exchange(client, issuer.mint()), "domain_not_allowed")
    assert "staff.example" in error["message"]
    assert_refused(exchange(client, issuer.mint(hd=None)), "domain_not_allowed")

    app.config["ALLOWED_DOMAINS"] = "staff.example, School.example"
    assert exchange(client, issuer.mint()).status_code == 200


def test_exchange_refuses_an_unknown_account(client, issuer):
    """A verified Google user whom no admin provisioned is refused, by email."""
    error = assert_refused(exchange(client, issuer.mint()), "unknown_account")
    assert DEFAULT_USER["email"] in error["message"]


def test_exchange_refuses_a_disabled_account(client, issuer, create_account):
    """A disabled account cannot sign in."""
    create_account(email=DEFAULT_USER["email"], status="disabled")
    assert_refused(exchange(client, issuer.mint()), "account_disabled")


def test_first_sign_in_links_the_google_account(client, issuer, teacher):
    """The first sign-in stores sub; then sub wins over email and another sub is refused."""
    assert exchange(client, issuer.mint()).status_code == 200
    assert db.session.get(Account, teacher.id).google_sub == DEFAULT_USER["sub"]

    renamed = exchange(client, issuer.mint(email="ada.park@school.example"))
    assert renamed.status_code == 200
    assert renamed.get_json()["account"]["id"] == teacher.public_id

    db.session.execute(db.delete(ApiToken))
    db.session.commit()
    assert_refused(exchange(client, issuer.mint(sub="someone-else")), "account_mismatch")


def test_jwks_rotation_is_picked_up(app, client, teacher):
    """After the issuer rotates its key, a token with the new kid verifies after a refetch."""
    with OIDCIssuer() as rotating:  # its own issuer, so the module's keeps its key
        app.config["GOOGLE_METADATA_URL"] = rotating.metadata_url
        assert exchange(client, rotating.mint()).status_code == 200  # caches the key set
        old_key = rotating.key
        rotating.rotate_key()
        assert rotating.key.kid != old_key.kid

        assert exchange(client, rotating.mint()).status_code == 200
        db.session.execute(db.delete(ApiToken))
        db.session.commit()
        assert_refused(exchange(client, rotating.mint(key=old_key)), "invalid_token")


def test_unreachable_provider_is_refused_clearly(app, client, teacher):
    """When the discovery document cannot be fetched the caller is told so."""
    app.config["GOOGLE_METADATA_URL"] = "http://127.0.0.1:9/.well-known/openid-configuration"
    assert_refused(exchange(client, "a.b.c"), "provider_unreachable")


def test_exchange_is_rate_limited_per_address(app, client, issuer):
    """The fourth exchange in a minute from one address gets 429; another address does not."""
    app.config["AUTH_RATE_LIMIT"] = "3/minute"
    for _ in range(3):
        assert exchange(client, "garbage").status_code == 401
    limited = exchange(client, "garbage")
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["RateLimit-Limit"] == "3"
    assert exchange(client, "garbage", address="10.0.0.2").status_code == 401


def test_sign_in_logs_no_token(client, issuer, teacher, caplog):
    """Neither the ID token nor the session token appears in any log line."""
    caplog.set_level(logging.DEBUG)
    id_token = issuer.mint()
    session_token = exchange(client, id_token).get_json()["token"]
    refused = issuer.mint(aud="another-app.apps.example")
    exchange(client, refused)
    for secret in (id_token, refused, session_token):
        assert secret not in caplog.text
        assert secret.split(".")[-1] not in caplog.text


def test_browser_sign_in_through_the_issuer(client, issuer, teacher):
    """Login page -> issuer -> callback signs the account in and returns to next."""
    assert 'href="/login/google' in client.get("/login").get_data(as_text=True)
    response = browser_sign_in(client, issuer, next_path="/?building=North")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?building=North"
    home = client.get("/")
    assert home.status_code == 200
    assert teacher.name in home.get_data(as_text=True)
    assert db.session.get(Account, teacher.id).google_sub == DEFAULT_USER["sub"]


def test_browser_sign_in_ignores_an_offsite_next(client, issuer, teacher):
    """A next pointing at another host is replaced by the home page."""
    response = browser_sign_in(client, issuer, next_path="//evil.example/")
    assert response.headers["Location"] == "/"


def test_browser_refusal_page_says_why_and_whom_to_ask(client, issuer, create_account):
    """An unknown person sees a 403 page with the reason and up to three active admins."""
    for name in ("Ann Admin", "Bob Admin", "Cy Admin", "Dee Admin"):
        create_account(role="admin", name=name, email=f"{name.split()[0].lower()}@school.example")
    create_account(role="admin", name="Al Gone", email="al@school.example", status="disabled")

    response = browser_sign_in(client, issuer)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "unknown_account" in page
    assert f"{DEFAULT_USER['email']} has no RoomLoop account" in page
    assert "mailto:ann@school.example" in page
    assert page.count("mailto:") == 3
    assert "al@school.example" not in page
    assert 'href="/login"' in page
    assert client.get("/").status_code == 302  # still signed out


def test_browser_sign_in_outside_the_school_domain_is_refused(app, client, issuer, teacher):
    """With one allowed domain Google is asked for it, and another domain is refused."""
    app.config["ALLOWED_DOMAINS"] = "school.example"
    start = client.get("/login/google")
    assert parse_qs(urlsplit(start.headers["Location"]).query)["hd"] == ["school.example"]

    issuer.user = {**DEFAULT_USER, "hd": None}
    response = browser_sign_in(client, issuer)
    assert response.status_code == 403
    assert "domain_not_allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("claims", "status", "reason"),
    [
        ({"aud": "another-app.apps.example"}, "active", "invalid_token"),
        ({"iat": HOUR_AGO - 600, "exp": HOUR_AGO}, "active", "invalid_token"),
        ({"email_verified": False}, "active", "email_unverified"),
        ({}, "disabled", "account_disabled"),
    ],
)
def test_browser_refusals_name_the_reason(client, issuer, create_account, claims, status, reason):
    """A bad ID token or a disabled account in the browser flow gets the 403 page."""
    create_account(email=DEFAULT_USER["email"], status=status)
    issuer.user = {**DEFAULT_USER, **claims}
    response = browser_sign_in(client, issuer)
    assert response.status_code == 403
    assert f"<code>{reason}</code>" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_browser_cancel_shows_the_refusal_page(client, create_account):
    """Google's ?error=access_denied (the person cancelled) shows the page, not an error."""
    create_account(role="admin", email="head@school.example")
    response = client.get("/login/google/callback?error=access_denied&state=x")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "cancelled" in page
    assert "head@school.example" in page


def test_browser_callback_with_a_forged_state_is_refused(client, issuer, teacher):
    """A callback whose state this browser never started is refused and signs no one in."""
    client.get("/login/google")
    response = client.get("/login/google/callback?code=stolen&state=forged")
    assert response.status_code == 403
    assert "sign_in_failed" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_google_routes_are_absent_without_a_client_id(database_url):
    """Without GOOGLE_CLIENT_ID there is no Google sign-in to start."""
    app = make_app(database_url)
    with app.app_context():
        assert app.test_client().get("/login/google").status_code == 404
        db.engine.dispose()


@pytest.mark.parametrize("aud", ["the issuer's client", "another-app.apps.example", None])
def test_without_a_client_id_every_token_is_refused(database_url, issuer, teacher, aud):
    """With no client id configured there is no audience to check: a genuinely signed token
    made for any app, or with no audience, is refused as ``not_configured``."""
    app = make_app(database_url, GOOGLE_METADATA_URL=issuer.metadata_url)
    claims = {} if aud == "the issuer's client" else {"aud": aud}
    with app.app_context():
        response = exchange(app.test_client(), issuer.mint(**claims))
        assert_refused(response, "not_configured")
        assert db.session.get(Account, teacher.id).google_sub is None
        db.engine.dispose()
