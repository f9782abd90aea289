"""The public JSON shapes of RoomLoop's resources, shared by the API and webhook events."""

from .models import iso_utc


def facility_ref(facility):
    return {"id": facility.code, "name": facility.name}


def facility_resource(facility):
    return {
        "id": facility.code,
        "name": facility.name,
        "type": facility.type,
        "building": facility.building,
        "capacity": facility.capacity,
        "amenities": list(facility.amenities),
        "status": facility.status,
        "requires_approval": facility.requires_approval,
        "description": facility.description,
        "restrictions": {
            "departments": list(facility.allowed_departments),
            "roles": list(facility.allowed_roles),
            "max_slots_per_booking": facility.max_slots_per_booking,
        },
        "check_in_required": facility.check_in_required,
        "release_after_minutes": facility.release_after_minutes,
        "created_at": iso_utc(facility.created_at),
        "updated_at": iso_utc(facility.updated_at),
    }


def display_resource(display):
    """A door display's token as lists show it: never the token itself."""
    return {
        "id": display.public_id,
        "facility_id": display.facility.code,
        "label": display.label,
        "created_at": iso_utc(display.created_at),
        "last_seen_at": iso_utc(display.last_seen_at),
    }


def account_ref(account):
    return {"id": account.public_id, "name": account.name, "email": account.email}


def account_resource(account):
    return {
        "id": account.public_id,
        "email": account.email,
        "name": account.name,
        "department": account.department,
        "role": account.role,
        "status": account.status,
        "created_at": iso_utc(account.created_at),
    }


def reservation_resource(reservation, schedule):
    return {
        "id": reservation.public_id,
        "status": reservation.status,
        "facility": facility_ref(reservation.facility),
        "user": account_ref(reservation.account),
        "date": reservation.date.isoformat(),
        "start_slot": reservation.start_slot,
        "end_slot": reservation.end_slot,
        "slots": schedule.labels(reservation.start_slot, reservation.end_slot),
        "purpose": reservation.purpose,
        "attendees": reservation.attendees,
        "rules": dict(reservation.rules),
        "series_id": reservation.series.public_id if reservation.series is not None else None,
        "cancel_reason": reservation.cancel_reason,
        "checked_in_at": iso_utc(reservation.checked_in_at),
        "cancelled_by": (
            None if reservation.cancelled_by_id is None else account_ref(reservation.cancelled_by)
        ),
        "created_at": iso_utc(reservation.created_at),
        "updated_at": iso_utc(reservation.updated_at),
    }


def series_resource(series, schedule, counts):
    """A series as every answer and event shows it; ``counts`` of its dates by outcome."""
    return {
        "id": series.public_id,
        "status": series.status,
        "facility": facility_ref(series.facility),
        "user": account_ref(series.account),
        "start_slot": series.start_slot,
        "end_slot": series.end_slot,
        "slots": schedule.labels(series.start_slot, series.end_slot),
        "purpose": series.purpose,
        "attendees": series.attendees,
        "repeat": {
            "weekdays": list(series.weekdays),
            "every_weeks": series.every_weeks,
            "cycle_week": series.cycle_week,
        },
        "first_date": series.first_date.isoformat(),
        "until": series.until.isoformat(),
        "counts": counts,
        "skipped": list(series.skipped),
        "created_at": iso_utc(series.created_at),
        "updated_at": iso_utc(series.updated_at),
    }


def refusal_error(violation):
    """A rule's refusal of one date, as a series' ``skipped`` and ``occurrences`` show it."""
    code = "slot_conflict" if violation.rule == "R-03" else "rule_violation"
    return {"code": code, "rule": violation.rule, "message": violation.message}


def webhook_resource(endpoint, secret=None):
    """An endpoint; ``secret`` only in the answer that creates or rotates it."""
    resource = {
        "id": endpoint.public_id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason or None,
        "created_at": iso_utc(endpoint.created_at),
        "updated_at": iso_utc(endpoint.updated_at),
    }
    if secret is not None:
        resource["secret"] = secret
        resource["previous_secret_expires_at"] = iso_utc(endpoint.previous_secret_expires_at)
    return resource


def delivery_resource(delivery):
    return {
        "id": delivery.public_id,
        "webhook_id": delivery.endpoint.public_id,
        "event": {
            "id": delivery.event.public_id,
            "type": delivery.event.type,
            "created_at": iso_utc(delivery.event.created_at),
        },
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error or None,
        "last_attempt_at": iso_utc(delivery.last_attempt_at),
        "next_attempt_at": iso_utc(delivery.next_attempt_at)
        if delivery.status == "pending"
        else None,
        "delivered_at": iso_utc(delivery.delivered_at),
        "created_at": iso_utc(delivery.created_at),
    }
