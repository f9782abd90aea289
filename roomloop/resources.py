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
        "created_at": iso_utc(facility.created_at),
        "updated_at": iso_utc(facility.updated_at),
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
        "created_at": iso_utc(reservation.created_at),
        "updated_at": iso_utc(reservation.updated_at),
    }


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
