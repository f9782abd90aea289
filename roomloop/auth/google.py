"""Google sign-in: the one place where ID tokens are verified and mapped to accounts.

The browser callback and ``POST /v1/auth/google`` both call :func:`sign_in_with_google`.
Tokens are never logged.
"""

import logging
import time

import requests
from flask import current_app
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from ..errors import DomainError
from ..extensions import db
from ..models import Account

# Google's own issuer URL, and the bare host name it documents as equally valid in ``iss``.
GOOGLE_ISSUER = "https://accounts.google.com"
GOOGLE_BARE_ISSUER = "accounts.google.com"
FETCH_TIMEOUT = 5  # seconds: a sign-in waits at most this long for Google
# Keys and metadata are refetched at least hourly, so a key Google withdrew stops working.
CACHE_SECONDS = 3600
LEEWAY = 60  # seconds of clock skew tolerated on exp and iat

log = logging.getLogger(__name__)
_cache = {}  # url -> (monotonic time fetched, parsed value): discovery documents, key sets


class SignInRefused(DomainError):
    """Google sign-in failed; ``reason`` is a short code, the message is for the person."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def allowed_domains():
    """The Google Workspace domains (``hd``) allowed to sign in; empty: any."""
    value = current_app.config["ALLOWED_DOMAINS"] or ""
    return [domain.strip().lower() for domain in value.split(",") if domain.strip()]


def sign_in_with_google(id_token):
    """The account a Google ID token signs in, or ``SignInRefused`` saying why not."""
    try:
        return account_for_claims(verify_id_token(id_token))
    except SignInRefused as exc:
        log.info("Google sign-in refused: %s", exc.reason)
        raise


def verify_id_token(id_token):
    """Check an ID token's signature and claims; return the claims.

    Without a client id there is no audience to check a token against, and a token made for
    any other app would pass: every token is refused then.
    """
    client_id = current_app.config["GOOGLE_CLIENT_ID"]
    if not client_id or not isinstance(client_id, str):
        raise SignInRefused(
            "not_configured", "Google sign-in is not set up on this RoomLoop; ask an administrator."
        )
    metadata = _fetch(current_app.config["GOOGLE_METADATA_URL"], _parse_metadata)
    try:
        token = jwt.decode(id_token, _key_resolver(metadata["jwks_uri"]), algorithms=["RS256"])
    except (JoseError, ValueError, TypeError):
        raise SignInRefused(
            "invalid_token", "The Google sign-in could not be verified. Sign in again."
        ) from None
    claims = token.claims
    _check_registered_claims(claims, metadata["issuer"], client_id)
    if claims.get("email_verified") not in (True, "true"):  # older tokens send a string
        raise SignInRefused(
            "email_unverified", "Google has not verified the email address of this account."
        )
    domains = allowed_domains()
    if domains and str(claims.get("hd", "")).lower() not in domains:
        raise SignInRefused(
            "domain_not_allowed",
            f"RoomLoop accepts only school Google accounts ({', '.join(domains)}); "
            f"{claims['email']} is not one.",
        )
    return claims


def _check_registered_claims(claims, issuer, audience):
    issuers = [issuer, GOOGLE_BARE_ISSUER] if issuer == GOOGLE_ISSUER else [issuer]
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "values": issuers},
        aud={"essential": True, "value": audience},
        sub={"essential": True},
        email={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise SignInRefused("expired", "Your Google sign-in has expired. Sign in again.") from None
    except ClaimError as exc:
        if exc.claim == "aud":
            raise SignInRefused(
                "wrong_audience", "This Google sign-in was made for another application."
            ) from None
        if exc.claim == "iss":
            raise SignInRefused("wrong_issuer", "This sign-in did not come from Google.") from None
        raise SignInRefused(
            "invalid_token", "The Google sign-in is incomplete. Sign in again."
        ) from None


def account_for_claims(claims):
    """The active, provisioned account of verified claims; the first sign-in links its ``sub``."""
    sub, email = claims["sub"], claims["email"].lower()
    account = db.session.scalar(select(Account).where(Account.google_sub == sub))
    if account is None:
        account = db.session.scalar(select(Account).where(func.lower(Account.email) == email))
    if account is None:
        raise SignInRefused(
            "unknown_account",
            f"{email} has no RoomLoop account. An administrator must add you before you can "
            "sign in.",
        )
    if not account.is_active:
        raise SignInRefused("account_disabled", f"The RoomLoop account of {email} is disabled.")
    if account.google_sub is None:
        account.google_sub = sub
        db.session.commit()
    elif account.google_sub != sub:
        raise SignInRefused(
            "account_mismatch",
            f"The RoomLoop account of {email} belongs to a different Google account.",
        )
    return account


def _key_resolver(jwks_uri):
    """Pick the signing key set for a token, refetching it once for a ``kid`` not seen yet."""

    def resolve(token):
        kid = token.headers().get("kid")
        keys = _fetch(jwks_uri, KeySet.import_key_set)
        if kid is not None and all(key.kid != kid for key in keys):
            # Google rotates its keys. A caller can force this refetch with a made-up kid,
            # but only as often as the sign-in endpoint's per-address rate limit allows.
            keys = _fetch(jwks_uri, KeySet.import_key_set, refresh=True)
        return keys

    return resolve


def _parse_metadata(document):
    if not isinstance(document, dict) or not document.get("issuer") or not document.get("jwks_uri"):
        raise ValueError("discovery document lacks issuer or jwks_uri")
    return document


def _fetch(url, parse, refresh=False):
    """``parse(json at url)``, cached per URL for ``CACHE_SECONDS``."""
    fetched_at, value = _cache.get(url, (None, None))
    if not refresh and fetched_at is not None and time.monotonic() - fetched_at < CACHE_SECONDS:
        return value
    try:
        response = requests.get(url, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        value = parse(response.json())
    except (requests.RequestException, ValueError, TypeError, KeyError, JoseError) as exc:
        log.warning("Could not fetch %s for Google sign-in: %s", url, exc)
        raise SignInRefused(
            "provider_unreachable",
            "Google could not be reached to check your sign-in. Try again in a minute.",
        ) from None
    _cache[url] = (time.monotonic(), value)
    return value
