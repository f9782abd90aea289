"""The API reference page at ``/docs``, rendered from the OpenAPI document."""

import html
import json
import re

import pytest

from roomloop.api.openapi import openapi_document

from conftest import REPO_ROOT

METHODS = ("get", "post", "patch", "delete")
REFERENCE = REPO_ROOT.parent / "shared" / "seed" / "api-reference-v1.txt"
REFERENCE_COPY = REPO_ROOT / "docs" / "api-reference-v1.txt"


@pytest.fixture
def page(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def pre_block(page, element_id):
    """The text of ``<pre id=element_id>``, as a reader sees it."""
    match = re.search(rf'<pre[^>]*id="{element_id}"[^>]*><code>(.*?)</code></pre>', page, re.S)
    assert match, element_id
    return html.unescape(match.group(1))


def reference_example():
    """The reference's example request body for ``POST /v1/reservations``."""
    reference = REFERENCE if REFERENCE.exists() else REFERENCE_COPY
    text = reference.read_text(encoding="utf-8")
    body = text.split("Content-Type: application/json", 1)[1].split("// 201 Created", 1)[0]
    return json.loads(body)


def test_the_page_needs_no_sign_in_and_links_the_document(page):
    assert "<h1>RoomLoop API reference</h1>" in page
    assert 'href="/v1/openapi.json"' in page


def test_every_operation_is_on_the_page_with_its_summary(page):
    document = openapi_document()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            anchor = "op-" + operation["operationId"]
            section = page.split(f'id="{anchor}"', 1)[1].split("</article>", 1)[0]
            assert f">{method.upper()}</span> <code>{path}</code>" in section
            assert operation["summary"] in html.unescape(section)
            assert "<h4>Responses</h4>" in section
            for status in operation["responses"]:
                assert f'<th scope="row">{status}</th>' in section, (path, method, status)
            if "requestBody" in operation:
                assert "<h4>Request body" in section and '<pre class="code"' in section
            assert f'href="#{anchor}"' in page  # in the table of contents


def test_every_link_within_the_page_has_its_target(page):
    targets = set(re.findall(r'href="#([^"]+)"', page))
    ids = set(re.findall(r'id="([^"]+)"', page))
    assert targets and targets <= ids


def test_the_table_of_contents_goes_by_tag(page):
    toc = page.split('aria-labelledby="toc-title"', 1)[1].split("</nav>", 1)[0]
    for tag in openapi_document()["tags"]:
        assert f'<a href="#tag-{tag["name"].lower()}">{tag["name"]}</a>' in toc


def test_the_example_is_the_references(page):
    request = pre_block(page, "example-request")
    head, body = request.split("\n\n", 1)
    assert head.splitlines()[0] == "POST /v1/reservations"
    assert "Content-Type: application/json" in head
    assert json.loads(body) == reference_example()
    response = json.loads(pre_block(page, "example-response"))
    reference_fields = {"id", "status", "facility", "date", "slots", "created_at"}
    assert reference_fields <= set(response)
    assert response["slots"] == ["10:00–10:50", "11:00–11:50"]


def test_the_series_example_is_the_documents(page):
    """A weekly series with on_conflict skip, and its answer with the date it skipped."""
    operation = openapi_document()["paths"]["/v1/series"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    head, body = pre_block(page, "example-series-request").split("\n\n", 1)
    assert head.splitlines()[0] == "POST /v1/series"
    assert json.loads(body) == examples["weekly"]["value"]
    assert json.loads(body)["on_conflict"] == "skip"
    response = json.loads(pre_block(page, "example-series-response"))
    assert [(s["date"], s["error"]["rule"]) for s in response["skipped"]] == [
        ("2027-02-16", "R-07")
    ]
    assert len(response["reservations"]) == response["counts"]["confirmed"] == 12


def test_every_error_code_is_in_the_errors_table(page):
    errors = page.split('id="errors"', 1)[1].split("</section>", 1)[0]
    for code in openapi_document()["components"]["schemas"]["ErrorCode"]["enum"]:
        assert f"<td><code>{code}</code></td>" in errors, code
    for extra in (
        "fields",
        "rows",
        "capability",
        "rule",
        "conflicts",
        "suggestions",
        "occurrences",
    ):
        assert f"<code>{extra}</code>" in errors


def test_getting_a_key_names_the_page_and_the_command(page):
    section = page.split('id="getting-a-key"', 1)[1].split("</section>", 1)[0]
    assert 'href="/admin/keys"' in section
    assert "flask --app roomloop create-api-key" in section


def test_the_webhook_verification_example_is_python_with_standardwebhooks(page):
    code = pre_block(page, "webhook-verification")
    compile(code, "webhook-verification", "exec")
    assert "from standardwebhooks.webhooks import Webhook" in code
    events = page.split('id="webhook-events"', 1)[1].split("</section>", 1)[0]
    for event_type in openapi_document()["webhooks"]:
        assert f"<code>{event_type}</code>" in events
    for header in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert f"<code>{header}</code>" in events


def test_the_page_loads_nothing_from_elsewhere(page):
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_the_footer_links_the_docs(client):
    assert 'href="/docs">API docs</a>' in client.get("/login").get_data(as_text=True)
