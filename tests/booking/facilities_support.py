"""What the facilities tests share: a teacher and their key, a campus of five facilities of
mixed types, buildings and statuses, and the check of a refusal that names a field.
"""

import pytest

from conftest import assert_error


def assert_field_error(response, field):
    """Check a 400 validation_error that names ``field``."""
    error = assert_error(response, 400, "validation_error")
    assert field in error["fields"], error["fields"]
    return error


@pytest.fixture
def teacher(create_account):
    """Create a teacher named Ada Park."""
    return create_account(role="teacher", name="Ada Park")


@pytest.fixture
def teacher_headers(teacher, auth_headers):
    """Return a teacher's ``Authorization`` header."""
    return auth_headers(teacher)


@pytest.fixture
def campus(create_facility):
    """Create five facilities of mixed types, buildings and statuses."""
    return [
        create_facility(
            code="f1",
            name="STEM Lab Alpha",
            type="lab",
            building="North",
            capacity=24,
            amenities=["fume hood", "projector"],
            description="Chemistry lab",
            allowed_departments=["Science"],
            allowed_roles=["teacher"],
            max_slots_per_booking=2,
        ),
        create_facility(code="f2", name="Lab Beta", type="lab", building="South"),
        create_facility(code="gym", name="Main Gym", type="gym", building="South", capacity=200),
        create_facility(code="aud", name="Auditorium", type="auditorium", status="maintenance"),
        create_facility(code="old", name="Old Hut", type="classroom", status="closed"),
    ]
