from conftest import school_day


def test_example_request_books_then_conflicts(
    client, create_account, create_facility, auth_headers
):
    """The reference's example: 201 with the documented fields, then 409 R-03 on a repeat."""
    teacher = create_account(name="Ada Park")
    create_facility(code="f1", name="STEM Lab Alpha")
    body = {
        "facility_id": "f1",
        "date": school_day().isoformat(),
        "start_slot": 2,
        "end_slot": 3,
        "purpose": "Grade 10 Chemistry — titration lab",
    }
    headers = auth_headers(teacher)
    first = client.post("/v1/reservations", json=body, headers=headers)
    assert first.status_code == 201
    assert first.json["slots"] == ["10:00–10:50", "11:00–11:50"]
    second = client.post("/v1/reservations", json=body, headers=headers)
    assert second.status_code == 409
    assert second.json["error"]["rule"] == "R-03"
