"""Browser sessions: a row per sign-in to the pages, found by the SHA-256 hash of the random
token its cookie carries. Deleting the row ends the session for every copy of the cookie."""

import secrets

from flask import current_app
from sqlalchemy import bindparam, delete, select

from ..extensions import db
from ..models import Account, BrowserSession, utcnow
from ..sqlite import writing
from .tokens import account_batches, hash_token, revoke_tokens

# Built once: every signed-in page runs it. The session and its active account in one query.
SIGNED_IN_QUERY = (
    select(Account)
    .join(BrowserSession, BrowserSession.account_id == Account.id)
    .where(
        BrowserSession.token_hash == bindparam("token_hash"),
        BrowserSession.expires_at > bindparam("now"),
        Account.status == "active",
    )
)


def start_browser_session(account):
    """Store a new browser session of ``account``; return its token, which is never kept.

    It lasts ``PERMANENT_SESSION_LIFETIME`` at the most. The account's expired sessions are
    deleted on the way, so that rows do not pile up for people who never sign out.
    """
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with writing():  # the Google callback is a GET, whose transaction began with reads
        db.session.execute(
            delete(BrowserSession).where(
                BrowserSession.account_id == account.id, BrowserSession.expires_at <= now
            )
        )
        db.session.add(
            BrowserSession(
                account_id=account.id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + current_app.permanent_session_lifetime,
            )
        )
        db.session.commit()
    return token


def find_signed_in_account(token):
    """The active account whose live browser session ``token`` names, or ``None``."""
    return db.session.scalar(SIGNED_IN_QUERY, {"token_hash": hash_token(token), "now": utcnow()})


def end_browser_session(token):
    """End the browser session ``token`` names: no copy of its cookie signs in any more."""
    db.session.execute(delete(BrowserSession).where(BrowserSession.token_hash == hash_token(token)))
    db.session.commit()


def end_browser_sessions(account_ids):
    """End every browser session of these accounts, in the caller's transaction."""
    for batch in account_batches(account_ids):
        db.session.execute(delete(BrowserSession).where(BrowserSession.account_id.in_(batch)))


def end_all_sessions(account):
    """Sign ``account`` out everywhere: every browser session and API session (``sess_``)
    ends. Its API keys stay: an admin issued them to programs, not to a sign-in."""
    end_browser_sessions([account.id])
    revoke_tokens([account.id], kind="session")
    db.session.commit()
