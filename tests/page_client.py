"""Pages through the Flask test client, as a person uses them: a fresh app with dev login per
browser (``site``), signing in on the dev sign-in form, posting forms with the CSRF token
scraped from the page, and reading a page's words.

Shared by the admin pages' tests and the browser sessions' tests.
"""

import re
from html import unescape

import pytest

from roomloop.extensions import db

from conftest import make_app


@pytest.fixture
def site(app, database_url):
    """Return a function that starts a fresh app with dev login on and returns its client."""
    apps = []

    def open_site(**config):
        apps.append(make_app(database_url, DEV_LOGIN=True, **config))
        return apps[-1].test_client()

    yield open_site
    for site_app in apps:
        with site_app.app_context():
            db.engine.dispose()


def csrf_token(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def sign_in(client, account):
    """Pick ``account`` on the dev sign-in page, as a person does."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login/dev", data={"csrf_token": token, "account_id": account.public_id}
    )
    assert response.status_code == 302


def signed_in_as(site, account):
    client = site()
    sign_in(client, account)
    return client


def post_form(client, page_path, action, **fields):
    """Open ``page_path``, take its CSRF token and post ``fields`` to ``action``."""
    headers = fields.pop("_h", {})
    token = csrf_token(client.get(page_path).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **fields}, headers=headers)


def text(response):
    """The response's HTML with entities decoded, as a person reads the words."""
    return unescape(response.get_data(as_text=True))


def words(response):
    """The response's words alone, tags removed and spaces squeezed, as a page reads."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def fresh():
    """End the test's own transaction, so it reads what the requests committed."""
    db.session.rollback()
