"""Door display tokens over ``/v1``: created by admins and shown once, stored hashed, and
good for reading one facility's display and nothing else."""

from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import DisplayToken

from reservations_support import assert_error


def create(client, code, headers, **body):
    return client.post(f"/v1/facilities/{code}/displays", json=body, headers=headers)


def test_an_admin_creates_a_display_and_sees_its_token_once(
    client, create_account, create_facility, auth_headers
):
    create_facility(code="lab-a", name="Lab A")
    headers = auth_headers(create_account(role="admin"))

    created = create(client, "lab-a", headers, label="Door by the stairs")
    listed = client.get("/v1/facilities/lab-a/displays", headers=headers)

    assert created.status_code == 201, created.json
    body = created.json
    assert body["id"].startswith("dsp_") and body["facility_id"] == "lab-a"
    assert body["label"] == "Door by the stairs"
    assert body["url"].endswith(f"/display/lab-a?token={body['token']}")
    assert created.headers["Location"].endswith(f"/v1/facilities/lab-a/displays/{body['id']}")
    assert [d["id"] for d in listed.json["data"]] == [body["id"]]
    assert "token" not in listed.json["data"][0]
    stored = db.session.scalars(select(DisplayToken.token_hash)).one()
    assert len(stored) == 64 and body["token"] not in stored  # only its SHA-256


def test_a_display_token_opens_its_facility_s_display_only(
    client, create_account, create_facility, auth_headers
):
    create_facility(code="lab-a", name="Lab A")
    create_facility(code="lab-b", name="Lab B")
    headers = auth_headers(create_account(role="admin"))
    token = create(client, "lab-a", headers).json["token"]

    own = client.get("/display/lab-a", query_string={"token": token})
    other = client.get("/display/lab-b", query_string={"token": token})
    none = client.get("/display/lab-a")
    as_bearer = client.get("/v1/facilities", headers={"Authorization": f"Bearer {token}"})

    assert own.status_code == 200 and "Lab A" in own.text
    assert other.status_code == 404
    assert none.status_code == 404
    assert_error(as_bearer, 401, "unauthorized")


def test_a_revoked_display_shows_nothing(client, create_account, create_facility, auth_headers):
    create_facility(code="lab-a")
    headers = auth_headers(create_account(role="admin"))
    created = create(client, "lab-a", headers).json

    revoked = client.delete(f"/v1/facilities/lab-a/displays/{created['id']}", headers=headers)
    again = client.delete(f"/v1/facilities/lab-a/displays/{created['id']}", headers=headers)

    assert revoked.status_code == 204
    assert_error(again, 404, "not_found")
    assert client.get("/display/lab-a", query_string={"token": created["token"]}).status_code == 404


def test_only_admins_manage_displays(client, create_account, create_facility, auth_headers):
    create_facility(code="lab-a")
    teacher = auth_headers(create_account())

    assert_error(create(client, "lab-a", teacher), 403, "forbidden")
    listed = client.get("/v1/facilities/lab-a/displays", headers=teacher)
    assert_error(listed, 403, "forbidden")
    admin = auth_headers(create_account(role="admin"))
    assert_error(create(client, "nowhere", admin), 404, "not_found")
    assert_error(create(client, "lab-a", admin, label="x" * 121), 400, "validation_error")
