"""Enrolment codes: narrow, short-lived, used up by one enrolment; device changes in the account log."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from trace.errors import AuthenticationError, PermissionDeniedError
from trace.models import AccountEvent
from trace.services.devices.enrolment import enroll_device, issue_enrolment_code, revoke_device
from trace.services.organizations.organizations import ENROL_SCOPE, authenticate


def _public() -> bytes:
    return Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_an_enrolment_code_expires(make, session):
    producer = make.actor("producer")
    token, code = issue_enrolment_code(session, producer.user, "gate")
    assert token.scope == ENROL_SCOPE and authenticate(session, code).user.id == producer.user.id
    token.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with pytest.raises(AuthenticationError):
        authenticate(session, code)


def test_only_producers_get_enrolment_codes(make, session):
    with pytest.raises(PermissionDeniedError):
        issue_enrolment_code(session, make.actor("inspector").user, "gate")


def test_enrolling_with_a_code_uses_it_up_and_both_changes_are_logged(make, session):
    producer = make.actor("producer")
    token, code = issue_enrolment_code(session, producer.user, "gate")
    device = enroll_device(session, make.ledger, producer.user, "gate-1", _public(), via=token)
    assert token.revoked_at is not None
    with pytest.raises(AuthenticationError):
        authenticate(session, code)
    revoke_device(session, make.ledger, producer.user, device.id, "lost")
    revoke_device(session, make.ledger, producer.user, device.id, "lost again")  # once in the log
    actions = session.scalars(sa.select(AccountEvent.action).where(
        AccountEvent.organization_id == producer.user.organization_id)).all()
    assert actions.count("device_enrolled") == 1 and actions.count("device_revoked") == 1
