"""Enrol, list and revoke devices (scanners, sensors, gateways); enrolment and revocation are log records."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import NotFoundError, PermissionDeniedError, ValidationError
from trace.models import ApiToken, Device, Location, SigningKey, User
from trace.models.device import DEVICE_KINDS
from trace.models.organization import Role
from trace.services.organizations.account_log import log_account_event
from trace.services.organizations.organizations import ENROL_SCOPE, issue_token
from trace.services.signing import key_admin
from trace.services.signing.keys import LedgerConfig, key_view
from trace.times import rfc3339

# How long an enrolment code shown in the console may be used.
ENROLMENT_CODE_LIFETIME = dt.timedelta(hours=1)


def issue_enrolment_code(session: Session, user: User, label: str,
                         remote_addr: str | None = None) -> tuple[ApiToken, str]:
    """Return a one-use code (a narrow, short-lived token) a scanner PC enrols with; the secret is shown once."""
    if user.role != Role.PRODUCER:
        raise PermissionDeniedError("Devices are enrolled by producers for their own organization.")
    return issue_token(session, user, user, f"enrolment: {label}", scope=ENROL_SCOPE,
                       expires_at=utcnow() + ENROLMENT_CODE_LIFETIME, remote_addr=remote_addr)


def enroll_device(session: Session, cfg: LedgerConfig, user: User, name: str, public: bytes, *,
                  kind: str = "scanner", location_id: int | None = None, via: ApiToken | None = None) -> Device:
    """Publish a device key for the producer's organization; its records carry that producer's authority.

    A sensor or gateway names the place it is installed in (a location of the same organization).
    ``via``: the token the request came with; an enrolment code is used up by the enrolment.
    """
    if user.role != Role.PRODUCER:
        raise PermissionDeniedError("Devices are enrolled by producers for their own organization.")
    if kind not in DEVICE_KINDS:
        raise ValidationError(f"A device is one of {', '.join(DEVICE_KINDS)}.", errors={"kind": ["Unknown kind."]})
    if kind != "scanner" and location_id is None:
        raise ValidationError("A sensor or gateway names the place it is installed in.",
                              errors={"location": ["Required for sensors and gateways."]})
    if location_id is not None:
        place = session.get(Location, location_id)
        if place is None or place.organization_id != user.organization_id or place.retired_at is not None:
            raise ValidationError(f"Location {location_id} is not a current place of your organization.",
                                  errors={"location": ["Not a place of your organization."]})
    key = key_admin.enroll_device_key(session, cfg, user.organization_id, name, public)
    device = Device(key_id=key.id, organization_id=user.organization_id, name=name, enrolled_by=user.id,
                    kind=kind, location_id=location_id)
    session.add(device)
    if via is not None and via.scope == ENROL_SCOPE:
        via.revoked_at = utcnow()
    session.flush()
    log_account_event(session, "device_enrolled", actor=user, user=user,
                      detail={"device": device.id, "name": name, "key": key.key_id})
    return device


def list_devices(session: Session, user: User) -> list[Device]:
    """Return the devices an admin (all) or a producer (their organization's) may see, newest first."""
    query = sa.select(Device).join(Device.key).order_by(Device.id.desc())
    if user.role == Role.PRODUCER:
        query = query.where(Device.organization_id == user.organization_id)
    elif user.role != Role.ADMIN:
        raise PermissionDeniedError("Admins and producers list devices.")
    return list(session.scalars(query))


def revoke_device(session: Session, cfg: LedgerConfig, user: User, device_id: int, reason: str,
                  remote_addr: str | None = None) -> Device:
    """Revoke a device's key: records it signs from now on are refused (and logged)."""
    device = session.get(Device, device_id)
    if device is None:
        raise NotFoundError(f"No device {device_id}.")
    if user.role != Role.ADMIN and not (user.role == Role.PRODUCER and user.organization_id == device.organization_id):
        raise PermissionDeniedError("Admins, or the device organization's producers, revoke a device.")
    already = device.key.revoked_at is not None
    key_admin.revoke_key(session, cfg, device.key.key_id, reason)
    if not already:
        log_account_event(session, "device_revoked", actor=user, organization_id=device.organization_id,
                          remote_addr=remote_addr, detail={"device": device.id, "name": device.name, "reason": reason})
    return device


def device_by_key(session: Session, key_id: str) -> tuple[SigningKey | None, Device | None]:
    """Return the key with this id and its device row (either may be None)."""
    row = session.execute(sa.select(SigningKey, Device).outerjoin(Device, Device.key_id == SigningKey.id)
                          .where(SigningKey.key_id == key_id)).first()
    return (row[0], row[1]) if row else (None, None)


def device_view(device: Device) -> dict[str, Any]:
    """Return a device as the API shows it."""
    key = device.key
    return {
        "id": device.id,
        "name": device.name,
        "kind": device.kind,
        "location": device.location_id,
        "org": str(device.organization_id),
        "keyName": key.name,
        "keyId": key.key_id,
        "vkey": key_view(key)["vkey"],
        "enrolledBy": device.enrolled_by,
        "enrolledAt": rfc3339(device.enrolled_at),
        "lastSeenAt": rfc3339(device.last_seen_at) if device.last_seen_at else None,
        "revokedAt": rfc3339(key.revoked_at) if key.revoked_at else None,
    }
