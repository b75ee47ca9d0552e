"""Console accounts: usernames and argon2id passwords, sign-in with lockout and back-off, change and reset."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import AuthenticationError, ConflictError, NotFoundError, ValidationError
from trace.models import Organization, User
from trace.models.organization import Role
from trace.services.organizations.account_log import log_account_event
from trace.services.organizations.organizations import add_member
from trace.services.organizations.permissions import require_role

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes).
HASHER = PasswordHasher()

MIN_PASSWORD, MAX_PASSWORD = 10, 128
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")
# Failures in a row before sign-in is refused for a while; each further failure doubles the wait.
LOCK_AFTER = 5
FIRST_LOCK = dt.timedelta(minutes=1)
LONGEST_LOCK = dt.timedelta(hours=1)


class SignInError(AuthenticationError):
    """The username or password is wrong (which of them is not said)."""


class LockedError(AuthenticationError):
    """Too many failures: sign-in is refused until ``until``."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(f"Too many failed sign-ins; try again after {until.isoformat()}.")
        self.until = until


def check_username(username: str) -> str:
    """Return a username in canonical form (lower case), or raise ValidationError."""
    name = username.strip().lower()
    if not 3 <= len(name) <= 64 or not set(name) <= USERNAME_CHARS:
        raise ValidationError("A username is 3–64 letters, digits, dots, dashes or underscores.",
                              errors={"username": ["3–64 of a-z 0-9 . _ -"]})
    return name


def check_password(password: str, username: str | None = None) -> None:
    """Raise ValidationError unless the password is long enough and not the username."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(f"A password has {MIN_PASSWORD}–{MAX_PASSWORD} characters.",
                              errors={"password": ["length"]})
    if username and password.strip().lower() == username.lower():
        raise ValidationError("The password must not be the username.", errors={"password": ["username"]})


def random_password() -> str:
    """Return a new random password (about 100 bits), to be shown once."""
    return secrets.token_urlsafe(12)


def add_account(session: Session, actor: User | None, org: Organization, username: str, role: str,
                password: str, *, must_change: bool = False, remote_addr: str | None = None) -> User:
    """Create a user who signs in to the console (admins only; ``actor=None`` is the CLI or the demo)."""
    name = check_username(username)
    check_password(password, name)
    if session.scalar(sa.select(User.id).where(User.username == name)):
        raise ConflictError(f"The username {name} is taken.", errors={"username": ["Taken."]})
    user = add_member(session, actor, org, name, role)
    user.username = name
    _store(user, password, must_change)
    log_account_event(session, "user_created", actor=actor, user=user, detail={"role": role, "username": name},
                      remote_addr=remote_addr)
    return user


def _store(user: User, password: str, must_change: bool) -> None:
    user.password_hash = HASHER.hash(password)
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    user.failed_logins = 0
    user.locked_until = None
    user.session_epoch = (user.session_epoch or 0) + 1


def sign_in(session: Session, username: str, password: str, remote_addr: str | None = None) -> User:
    """Return the user whose password this is, or raise SignInError or LockedError (failures are counted)."""
    name = username.strip().lower()
    user = session.scalar(sa.select(User).where(User.username == name)) if name else None
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        log_account_event(session, "sign_in_locked", user=user, remote_addr=remote_addr)
        raise LockedError(user.locked_until)
    if user is None or user.password_hash is None or user.disabled_at is not None:
        _verify(_dummy_hash(), password)  # a miss takes as long as a wrong password
        raise SignInError("The username or the password is wrong.")
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        detail: dict[str, object] = {"failures": user.failed_logins}
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until = now + lock_duration(user.failed_logins)
            detail["lockedUntil"] = user.locked_until.isoformat()
        log_account_event(session, "sign_in_failed", user=user, detail=detail, remote_addr=remote_addr)
        session.flush()
        if user.locked_until is not None and user.locked_until > now:
            raise LockedError(user.locked_until)
        raise SignInError("The username or the password is wrong.")
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    log_account_event(session, "signed_in", user=user, remote_addr=remote_addr)
    session.flush()
    return user


def lock_duration(failures: int) -> dt.timedelta:
    """Return how long sign-in is refused after this many failures in a row (doubling, capped)."""
    doublings = min(failures - LOCK_AFTER, 12)
    return min(FIRST_LOCK * 2**doublings, LONGEST_LOCK)


@cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def _verify(encoded: str, password: str) -> bool:
    try:
        return HASHER.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(session: Session, user: User, current: str, new: str, remote_addr: str | None = None) -> None:
    """Change one's own password (the current one must be right); other sessions are signed out."""
    if user.password_hash is None or not _verify(user.password_hash, current):
        raise ValidationError("The current password is wrong.", errors={"current": ["wrong"]})
    check_password(new, user.username)
    if new == current:
        raise ValidationError("The new password is the current one.", errors={"password": ["same"]})
    _store(user, new, must_change=False)
    log_account_event(session, "password_changed", actor=user, user=user, remote_addr=remote_addr)
    session.flush()


def reset_password(session: Session, admin: User, user: User, remote_addr: str | None = None) -> str:
    """Give a user a new random password to change at next sign-in (admins only); return it, to show once.

    Also lifts a lockout and signs out the user's sessions.
    """
    require_role(admin, Role.ADMIN)
    if user.username is None:
        raise ValidationError("This user has no console sign-in.", errors={"user": ["no username"]})
    password = random_password()
    _store(user, password, must_change=True)
    log_account_event(session, "password_reset", actor=admin, user=user, remote_addr=remote_addr)
    session.flush()
    return password


def set_disabled(session: Session, admin: User, user: User, disabled: bool, remote_addr: str | None = None) -> None:
    """Disable (or enable again) a user: no sign-in, no API token works (admins only, never themselves)."""
    require_role(admin, Role.ADMIN)
    if user.id == admin.id:
        raise ValidationError("You cannot disable yourself.", errors={"user": ["self"]})
    if disabled and user.disabled_at is None:
        user.disabled_at = utcnow()
        user.session_epoch += 1
    elif not disabled:
        user.disabled_at = None
    log_account_event(session, "user_disabled" if disabled else "user_enabled", actor=admin, user=user,
                      remote_addr=remote_addr)
    session.flush()


def change_role(session: Session, admin: User, user: User, role: str, remote_addr: str | None = None) -> None:
    """Give a user another role that fits their organization (admins only, never themselves)."""
    from trace.ledger.policy import ROLE_KINDS, role_fits

    require_role(admin, Role.ADMIN)
    if user.id == admin.id:
        raise ValidationError("You cannot change your own role.", errors={"role": ["self"]})
    if role not in {r.value for r in Role}:
        raise ValidationError(f"No role {role}.", errors={"role": ["unknown"]})
    if not role_fits(role, user.organization.kind):
        raise ValidationError(f"The {role} role is for organizations of kind {', '.join(sorted(ROLE_KINDS[role]))}.",
                              errors={"role": [f"Not for a {user.organization.kind}."]})
    before = user.role
    if before != role:
        user.role = role
        user.session_epoch += 1
        log_account_event(session, "role_changed", actor=admin, user=user, detail={"from": before, "to": role},
                          remote_addr=remote_addr)
    session.flush()


def list_accounts(session: Session, admin: User, organization_id: int | None = None) -> list[User]:
    """Return users (of one organization, or all) by organization and name (admins only)."""
    require_role(admin, Role.ADMIN)
    query = sa.select(User).join(User.organization).order_by(Organization.name, User.name)
    if organization_id is not None:
        query = query.where(User.organization_id == organization_id)
    return list(session.scalars(query))


def get_account(session: Session, admin: User, user_id: int) -> User:
    """Return a user by id (admins only) or raise NotFoundError."""
    require_role(admin, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"No user {user_id}.")
    return user
