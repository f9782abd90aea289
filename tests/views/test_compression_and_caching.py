"""Pages, fragments and static files travel compressed (brotli or gzip); static files carry
their content's hash in their URL and are kept by browsers for a year; what streams (CSV
exports) and calendar feeds go out as they are."""

import gzip
import hashlib
import re

import brotli
from flask import Response, stream_with_context

from roomloop.delivery import fingerprint_files

from conftest import school_day
from page_client import signed_in_as, site

__all__ = ["site"]  # a fixture of page_client.py


def without_csrf_tokens(html):
    """The page's bytes less its CSRF tokens, which are signed with the second they are made."""
    return re.sub(rb'(name="csrf_token" type="hidden" value=|"X-CSRFToken": )"[^"]+"', b"", html)


def decoded(response):
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    assert encoding is None, encoding
    return body


def test_the_grid_comes_back_compressed_as_asked_and_reads_the_same(
    site, create_account, create_facility
):
    create_facility(code="lab", name="STEM Lab Alpha")
    client = signed_in_as(site, create_account(name="Ada Park"))
    day = school_day().isoformat()

    plain = client.get(f"/?date={day}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    for encoding in ("br", "gzip"):
        response = client.get(f"/?date={day}", headers={"Accept-Encoding": encoding})

        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert len(response.get_data()) < len(plain.get_data()) / 3
        assert without_csrf_tokens(decoded(response)) == without_csrf_tokens(plain.get_data())


def test_brotli_is_preferred_when_the_browser_takes_both(site, create_account):
    client = signed_in_as(site, create_account())

    response = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})

    assert response.headers["Content-Encoding"] == "br"
    assert b"<html" in decoded(response)


def test_api_json_is_compressed_and_small_answers_are_not(client, create_account, auth_headers):
    ada = create_account(name="Ada Park")
    headers = auth_headers(ada) | {"Accept-Encoding": "gzip"}
    for n in range(8):
        create_account(name=f"Teacher {n}")
    admin = auth_headers(create_account(role="admin")) | {"Accept-Encoding": "gzip"}

    listing = client.get("/v1/accounts", headers=admin)
    small = client.get("/v1/me", headers=headers)

    assert listing.headers["Content-Encoding"] == "gzip"
    assert b'"data"' in decoded(listing)
    assert len(small.get_data()) < 500
    assert "Content-Encoding" not in small.headers


def test_a_streamed_page_is_sent_as_written_not_compressed(app):
    """Compressing a stream holds rows back until the compressor has enough to write."""

    @app.get("/test-stream")
    def stream():
        return Response(stream_with_context(f"<p>row {n}</p>\n" for n in range(500)))

    response = app.test_client().get("/test-stream", headers={"Accept-Encoding": "br, gzip"})

    assert response.is_streamed
    assert "Content-Encoding" not in response.headers
    assert response.get_data().count(b"<p>row") == 500


def test_the_accounts_export_streams_uncompressed(client, create_account, auth_headers):
    admin = auth_headers(create_account(role="admin")) | {"Accept-Encoding": "br, gzip"}
    for n in range(30):
        create_account(name=f"Teacher {n}")

    response = client.get("/v1/accounts/export", headers=admin)

    assert response.status_code == 200
    assert response.is_streamed
    assert "Content-Encoding" not in response.headers
    assert response.get_data().count(b"\n") == 32


def static_url(html, name):
    return re.search(rf'(?:href|src)="(/static/{re.escape(name)}[^"]*)"', html).group(1)


def content_hash(app, name):
    with open(f"{app.static_folder}/{name}", "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:12]


def test_pages_link_static_files_by_their_content_hash_and_they_are_kept_a_year(
    app, site, create_account
):
    client = signed_in_as(site, create_account())
    html = client.get("/").get_data(as_text=True)

    for name in ("css/roomloop.css", "js/roomloop.js", "vendor/htmx-2.0.11/htmx.min.js"):
        url = static_url(html, name)
        assert url == f"/static/{name}?v={content_hash(app, name)}"
        response = client.get(url, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Encoding"] == "br"
        with open(f"{app.static_folder}/{name}", "rb") as file:
            assert decoded(response) == file.read()


def test_the_door_display_links_fingerprinted_files_too(app):
    with app.test_request_context():
        from flask import url_for

        url = url_for("static", filename="css/display.css")

    assert url == f"/static/css/display.css?v={content_hash(app, 'css/display.css')}"


def test_static_urls_without_the_current_hash_work_but_are_checked_again(client):
    for url in ("/static/css/roomloop.css", "/static/css/roomloop.css?v=0123456789ab"):
        response = client.get(url)

        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache"
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


def test_a_fingerprint_changes_when_the_file_does(tmp_path):
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "site.css"
    sheet.write_text("body { color: black; }")
    (tmp_path / "app.js").write_text("let a = 1;")
    before = fingerprint_files(tmp_path)

    sheet.write_text("body { color: navy; }")
    after = fingerprint_files(tmp_path)

    assert set(before) == {"css/site.css", "app.js"}
    assert after["css/site.css"] != before["css/site.css"]
    assert after["app.js"] == before["app.js"]
