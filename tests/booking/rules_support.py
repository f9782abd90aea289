"""What the rules tests share: the frozen week they book in, and the checks of a refusal
(its status, ``error.code``, ``error.rule``, the words of its message) and of a booking.
"""

from datetime import date

ALL_RULES = [f"R-{n:02d}" for n in range(1, 12)]

# A week the tests freeze the clock before: Thursday 4 June 2026, 07:00 UTC.
THU = date(2026, 6, 4)
MON, TUE, WED, NEXT_THU, FRI, SAT, SUN = (date(2026, 6, d) for d in (8, 9, 10, 11, 12, 13, 14))


def assert_refused(response, rule, *words, status=422, code="rule_violation"):
    """Check the error envelope of a rules refusal and return its ``error`` object."""
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == code
    assert error["rule"] == rule
    assert error["request_id"]
    for word in words:
        assert word in error["message"], (word, error["message"])
    return error


def assert_booked(response, status="confirmed"):
    assert response.status_code == 201, response.json
    assert response.json["status"] == status
    return response.json
