"""The kinds of email RoomLoop sends, who may get each, and whether a person wants it.

Every kind is on until its person turns it off (``Account.notifications`` keeps only what
they chose). ``new_request`` is for the people who decide requests; an approver who chose
a daily digest (``Account.digest_hour``) gets the day's requests in one ``digest`` instead,
which the same choice turns on and off.
"""

from ..auth.permissions import ROLE_CAPABILITIES

# Kind -> what the Notifications page says of it, in the order the page lists them.
KINDS = {
    "confirmed": "Your booking is confirmed, with a calendar invite attached.",
    "pending": "Your booking is waiting for an approver.",
    "approved": "An approver confirmed your request.",
    "rejected": "An approver turned your request down.",
    "cancelled": "Someone else cancelled your booking, saying who and why.",
    "series_booked": "A repeating booking was made: the dates booked and those skipped.",
    "blackout_added": "The school or a room closed on a day you have booked, and what to do.",
    "new_request": "A request is waiting for your decision (approvers).",
}
APPROVER_KINDS = frozenset({"new_request"})
# The digest is the same news as new_request, gathered: one choice turns both on or off.
CHOICE_OF = {"digest": "new_request"}
# The roles that decide requests, from the one map of roles to capabilities.
APPROVER_ROLES = tuple(
    role for role, can in ROLE_CAPABILITIES.items() if "reservations:approve" in can
)


def kinds_for(account):
    """The kinds this person can get, as the Notifications page lists them."""
    return [k for k in KINDS if k not in APPROVER_KINDS or account.role in APPROVER_ROLES]


def wants(account, kind):
    """Whether ``account`` (an Account or a row with its columns) gets email of ``kind``:
    an active account, of a role the kind is for, that has not turned it off."""
    kind = CHOICE_OF.get(kind, kind)
    if account.status != "active":
        return False
    if kind in APPROVER_KINDS and account.role not in APPROVER_ROLES:
        return False
    return bool((account.notifications or {}).get(kind, True))
