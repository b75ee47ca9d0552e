"""Creating, rotating, enrolling and revoking keys, each change logged as a ``key`` record.

Keys are made here, explicitly: the recording pipeline asks for the log key and each signing
organization's key before it appends, and the key endpoints call the rest. The log itself
(``log.py``) only looks keys up (``keys.py``), so neither imports the other in a circle.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace import ledger
from trace.db import utcnow
from trace.errors import ConflictError, NotFoundError, ValidationError
from trace.models import SigningKey
from trace.services.signing.keys import LedgerConfig, find_log_key, find_organization_key, key_record, new_key
from trace.services.signing.log import append_key_record, lock_sequencer


def log_key(session: Session, cfg: LedgerConfig) -> SigningKey:
    """Return the log's key, creating it (and its own creation record) on first use."""
    key = find_log_key(session)
    if key is None:
        lock_sequencer(session)  # another node may be creating it: look again once it has committed
        key = find_log_key(session)
    if key is None:
        key, _ = new_key(session, cfg, "log", cfg.origin, None)
        append_key_record(session, cfg, key_record("create", key))
    return key


def _log_change(session: Session, cfg: LedgerConfig, record: dict[str, Any]) -> None:
    """Append a key change, signed by the log key (created first if this is the log's first record)."""
    log_key(session, cfg)
    append_key_record(session, cfg, record)


def organization_key(session: Session, cfg: LedgerConfig, organization_id: int) -> SigningKey:
    """Return the organization's current signing key, creating it on first use."""
    key = find_organization_key(session, organization_id)
    if key is None:
        lock_sequencer(session)  # two nodes recording the organization's first record: one key, made once
        key = find_organization_key(session, organization_id)
    if key is None:
        key = _create_organization_key(session, cfg, organization_id)
        session.info.setdefault("organization_keys", {})[organization_id] = key
    return key


def _create_organization_key(session: Session, cfg: LedgerConfig, organization_id: int, **extra: Any) -> SigningKey:
    key, _ = new_key(
        session, cfg, "organization", f"suyuan-org{organization_id}-{secrets.token_hex(4)}", organization_id
    )
    _log_change(session, cfg, key_record("create", key, **extra))
    return key


def rotate_organization_key(session: Session, cfg: LedgerConfig, organization_id: int) -> SigningKey:
    """Retire the organization's key (its signatures stay valid) and create a new one."""
    old = organization_key(session, cfg, organization_id)
    old.retired_at = utcnow()
    session.info.get("organization_keys", {}).pop(organization_id, None)
    session.flush()
    return _create_organization_key(session, cfg, organization_id, replaces=old.key_id)


def enroll_device_key(
    session: Session, cfg: LedgerConfig, organization_id: int, name: str, public: bytes
) -> SigningKey:
    """Publish a scanner device's public key for an organization."""
    if len(public) != 32:
        raise ValidationError("An Ed25519 public key is 32 bytes.", errors={"publicKey": ["Not 32 bytes."]})
    full = f"suyuan-device{organization_id}-{name}"
    try:
        ledger.check_key_name(full)
    except ledger.LedgerError as exc:
        raise ValidationError(str(exc), errors={"name": [str(exc)]}) from exc
    if session.scalar(sa.select(SigningKey.id).where(SigningKey.key_id == ledger.key_id(full, public))):
        raise ConflictError("This device key is enrolled already.")
    key, _ = new_key(session, cfg, "device", full, organization_id, public)
    _log_change(session, cfg, key_record("create", key))
    return key


def revoke_key(session: Session, cfg: LedgerConfig, key_id: str, reason: str) -> SigningKey:
    """Revoke a key: signatures it makes from now on are rejected, earlier ones stay valid."""
    key = session.scalar(sa.select(SigningKey).where(SigningKey.key_id == key_id))
    if key is None:
        raise NotFoundError(f"No key {key_id}.")
    if key.role == "log":
        raise ValidationError("The log key is rotated by operators, not revoked through the API.")
    if key.revoked_at is None:
        session.info.get("organization_keys", {}).pop(key.organization_id, None)
        key.revoked_at = utcnow()
        key.revocation_reason = reason
        session.flush()
        _log_change(session, cfg, key_record("revoke", key, reason=reason))
    return key
