"""Console accounts at the service level: argon2id hashes, usernames, lockout back-off, reset, roles."""

from __future__ import annotations

import datetime as dt

import pytest

from trace.errors import ConflictError, PermissionDeniedError, ValidationError
from trace.services.organizations.accounts import (
    FIRST_LOCK,
    LOCK_AFTER,
    LONGEST_LOCK,
    LockedError,
    SignInError,
    add_account,
    change_role,
    check_username,
    lock_duration,
    reset_password,
    sign_in,
)

PASSWORD = "a long enough password"


def test_passwords_are_stored_as_argon2id_hashes_only(make, session):
    user = add_account(session, None, make.org(), "hash.me", "producer", PASSWORD)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert sign_in(session, "HASH.me ", PASSWORD).id == user.id  # usernames are case-insensitive


@pytest.mark.parametrize("name", ["ab", "has space", "名字", "x" * 65, "semi;colon"])
def test_usernames_outside_the_grammar_are_refused(name):
    with pytest.raises(ValidationError):
        check_username(name)


def test_a_username_is_taken_once_across_organizations(make, session):
    add_account(session, None, make.org(), "only.once", "producer", PASSWORD)
    with pytest.raises(ConflictError):
        add_account(session, None, make.org(), "Only.Once", "producer", PASSWORD)


def test_short_passwords_and_the_username_as_password_are_refused(make, session):
    with pytest.raises(ValidationError):
        add_account(session, None, make.org(), "shorty", "producer", "123456789")
    with pytest.raises(ValidationError):
        add_account(session, None, make.org(), "same.as.name", "producer", "same.as.name")


def test_the_lock_doubles_with_each_failure_up_to_an_hour():
    assert lock_duration(LOCK_AFTER) == FIRST_LOCK
    assert lock_duration(LOCK_AFTER + 1) == 2 * FIRST_LOCK
    assert lock_duration(LOCK_AFTER + 3) == 8 * FIRST_LOCK
    assert lock_duration(LOCK_AFTER + 40) == LONGEST_LOCK


def test_a_locked_account_refuses_the_right_password_until_the_lock_ends(make, session):
    user = add_account(session, None, make.org(), "locked.out", "producer", PASSWORD)
    for attempt in range(LOCK_AFTER - 1):
        with pytest.raises(SignInError):
            sign_in(session, "locked.out", f"wrong {attempt}")
    with pytest.raises(LockedError):
        sign_in(session, "locked.out", "wrong again")
    with pytest.raises(LockedError):
        sign_in(session, "locked.out", PASSWORD)
    user.locked_until = user.locked_until - dt.timedelta(hours=2)  # the lock has run out
    assert sign_in(session, "locked.out", PASSWORD).failed_logins == 0


def test_only_admins_reset_passwords_and_the_reset_bumps_the_session_epoch(make, session):
    org = make.org()
    user = add_account(session, None, org, "forgetful", "producer", PASSWORD)
    peer = add_account(session, None, org, "peer", "producer", PASSWORD)
    admin = add_account(session, None, make.org("authority"), "the.admin", "admin", PASSWORD)
    with pytest.raises(PermissionDeniedError):
        reset_password(session, peer, user)
    epoch = user.session_epoch
    password = reset_password(session, admin, user)
    assert user.session_epoch == epoch + 1 and user.must_change_password
    assert sign_in(session, "forgetful", password).id == user.id


def test_roles_must_fit_the_organization_kind(make, session):
    admin = add_account(session, None, make.org("authority"), "role.admin", "admin", PASSWORD)
    user = add_account(session, None, make.org("cooperative"), "grower", "producer", PASSWORD)
    for misfit in ("lab", "station"):
        with pytest.raises(ValidationError):
            change_role(session, admin, user, misfit)
    station = add_account(session, None, make.org("station"), "township.clerk", "station", PASSWORD)
    assert station.role == "station"
    with pytest.raises(ValidationError):
        change_role(session, admin, admin, "producer")
