"""Roles map to capabilities here, and nowhere else. Pages and the API ask the same questions."""

from dataclasses import dataclass

from ..errors import Forbidden

TEACHER = frozenset(
    {
        "facilities:read",
        "reservations:book",  # book, edit and cancel one's own
    }
)
APPROVER = TEACHER | {
    "reservations:read_all",
    "reservations:approve",  # confirm or cancel any pending reservation
    "reports:read",
}
ADMIN = APPROVER | {
    "facilities:manage",
    "reservations:manage",  # edit or cancel any reservation, book for others
    "reservations:delete",
    "rules:override",
    "accounts:read",
    "accounts:manage",
    "webhooks:manage",
    "keys:manage",
    "settings:manage",
}

ROLE_CAPABILITIES = {"teacher": TEACHER, "approver": APPROVER, "admin": ADMIN}
ALL_CAPABILITIES = ADMIN


@dataclass(frozen=True)
class Actor:
    """Who is acting: an account, and the capabilities this credential grants it."""

    account: object
    capabilities: frozenset

    @classmethod
    def for_account(cls, account, scopes=None):
        """The account's role capabilities, narrowed to ``scopes`` when a key has them."""
        capabilities = ROLE_CAPABILITIES.get(account.role, frozenset())
        if scopes is not None:
            capabilities = capabilities & frozenset(scopes)
        return cls(account, frozenset(capabilities))

    def can(self, capability):
        return capability in self.capabilities

    def require(self, capability):
        if not self.can(capability):
            raise Forbidden(capability)

    def owns(self, reservation):
        return reservation.account_id == self.account.id


def can_view_reservation(actor, reservation):
    return actor.owns(reservation) or actor.can("reservations:read_all")


def can_edit_reservation(actor, reservation):
    """Change the purpose: the owner (who may book) or a manager."""
    return actor.can("reservations:manage") or (
        actor.owns(reservation) and actor.can("reservations:book")
    )


def require_edit_reservation(actor, reservation):
    if not can_edit_reservation(actor, reservation):
        raise Forbidden(
            "reservations:manage",
            "Only the person who booked it or an admin may change this reservation.",
        )


def can_cancel_reservation(actor, reservation):
    """Cancel: the owner or a manager, or an approver while it is pending. ``reservation``
    needs only ``status`` and ``account_id``: the grid asks this of every cell it shows."""
    return (
        reservation.status == "pending" and actor.can("reservations:approve")
    ) or can_edit_reservation(actor, reservation)


def require_cancel_reservation(actor, reservation):
    if not can_cancel_reservation(actor, reservation):
        require_edit_reservation(actor, reservation)  # says why


def may_confirm_own(actor, reservation, own_allowed):
    """An approver confirms their own request only where the school allows it
    (``own_allowed``); otherwise another approver or an admin decides."""
    return own_allowed or not actor.owns(reservation) or actor.can("reservations:manage")


def require_confirm_reservation(actor, reservation, own_allowed=False):
    """Confirm a pending request: an approver (see ``may_confirm_own``)."""
    actor.require("reservations:approve")
    if not may_confirm_own(actor, reservation, own_allowed):
        raise Forbidden(
            "reservations:manage",
            "Another approver or an admin must confirm your own request.",
        )


def require_check_in(actor, reservation):
    """Check in: the holder (who may book), an approver or an admin, e.g. at the door."""
    if actor.can("reservations:approve"):
        return
    if not (actor.owns(reservation) and actor.can("reservations:book")):
        raise Forbidden(
            "reservations:approve",
            "Only the person who booked it, an approver or an admin may check in.",
        )
