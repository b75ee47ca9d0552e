"""The feedback form's signed token: proof the form came from our page, and a nonce against double storing.

The public pages have no sessions (their one cookie is the viewer's language), so the token is
self-contained: the looked-up code and a random nonce, signed with the app's secret and timestamped.
A form is refused when the token is forged, older than FORM_MAX_AGE, or made for another code.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from itsdangerous import BadSignature, TimestampSigner

SALT = "suyuan-feedback/v2"
FORM_MAX_AGE = 2 * 24 * 3600


class FormTokenError(ValueError):
    """The form token is forged, expired or for another code."""


@lru_cache(maxsize=8)
def _signer(secret: str | bytes) -> TimestampSigner:
    return TimestampSigner(secret, salt=SALT)


def form_token(secret: str | bytes, code: str) -> str:
    """Return a fresh token for a feedback form on a code's page: ``code.nonce.timestamp.signature``."""
    return _signer(secret).sign(f"{code}.{secrets.token_urlsafe(12)}").decode()


def open_form_token(secret: str | bytes, token: str, code: str, max_age: int = FORM_MAX_AGE) -> str:
    """Return the nonce of a valid token for this code, or raise FormTokenError."""
    try:
        value = _signer(secret).unsign(token, max_age=max_age).decode()
    except BadSignature as exc:  # SignatureExpired is a BadSignature too
        raise FormTokenError(str(exc)) from exc
    made_for, _, nonce = value.partition(".")
    if not nonce:
        raise FormTokenError("malformed token")
    if made_for != code:
        raise FormTokenError("the token was made for another code")
    return nonce
