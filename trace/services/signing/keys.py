"""Signing keys: the log key and per-organization keys, sealed at rest; looking them up.

Keys are created, rotated and revoked in ``key_admin.py``; those changes are themselves records
in the log, signed by the log key.
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from trace import ledger
from trace.db import utcnow
from trace.models import SigningKey
from trace.times import rfc3339

if TYPE_CHECKING:
    from trace.config import Config

MASTER_KEY_FILE = "master.key"


@dataclass(frozen=True)
class LedgerConfig:
    """What signing needs from the deployment: the log's origin and the master key."""

    origin: str
    master_key: bytes
    # The witnesses' verifier keys (type 0x04) and how many must cosign a checkpoint.
    witnesses: tuple[str, ...] = ()
    witness_quorum: int = 1


def load_ledger_config(config: Config) -> LedgerConfig:
    """Return the ledger settings; create the instance master key file (0600) on first run."""
    if config.master_key:
        try:
            key = bytes.fromhex(config.master_key)
        except ValueError as exc:
            raise ValueError("TRACE_MASTER_KEY must be 64 hex characters") from exc
    else:
        path = Path(config.instance_path) / MASTER_KEY_FILE
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        key = bytes.fromhex(path.read_text().strip())
    if len(key) != 32:
        raise ValueError("the master key must be 32 bytes (64 hex characters)")
    return LedgerConfig(origin=config.log_origin, master_key=key,
                        witnesses=tuple(vkey for vkey, _ in config.witnesses), witness_quorum=config.witness_quorum)


_private_cache: dict[str, Ed25519PrivateKey] = {}


@sa.event.listens_for(Session, "after_rollback")
def _forget_keys(session: Session) -> None:
    """Drop cached key rows that a rolled-back transaction may have created."""
    session.info.pop("organization_keys", None)
    session.info.pop("device_keys", None)


def private_key(cfg: LedgerConfig, key: SigningKey) -> Ed25519PrivateKey:
    """Return the unsealed private half of a server-held key."""
    cached = _private_cache.get(key.key_id)
    if cached is None:
        if key.sealed_private_key is None:
            raise ValueError(f"key {key.name} has no private half on this server")
        cached = ledger.open_private_key(key.sealed_private_key, cfg.master_key)
        _private_cache[key.key_id] = cached
    return cached


def _org(organization_id: int | None) -> str | None:
    return None if organization_id is None else str(organization_id)


def key_view(key: SigningKey) -> dict[str, Any]:
    """Return a key as GET /log/keys lists it."""
    return {
        "name": key.name,
        "keyId": key.key_id,
        "vkey": ledger.vkey(key.name, key.public_key),
        "role": key.role,
        "org": _org(key.organization_id),
        "createdAt": rfc3339(key.created_at),
        "retiredAt": rfc3339(key.retired_at) if key.retired_at else None,
        "revokedAt": rfc3339(key.revoked_at) if key.revoked_at else None,
    }


def new_key(
    session: Session, cfg: LedgerConfig, role: str, name: str, organization_id: int | None, public: bytes | None = None
) -> tuple[SigningKey, Ed25519PrivateKey | None]:
    priv = None
    if public is None:
        priv = ledger.generate_private_key()
        public = ledger.public_raw(priv)
    key = SigningKey(
        key_id=ledger.key_id(name, public),
        name=name,
        role=role,
        organization_id=organization_id,
        public_key=public,
        sealed_private_key=ledger.seal_private_key(priv, cfg.master_key) if priv else None,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    if priv is not None:
        _private_cache[key.key_id] = priv
    return key, priv


def key_record(action: str, key: SigningKey, **extra: Any) -> dict[str, Any]:
    return {
        "v": 1,
        "id": str(uuid.uuid4()),
        "stage": "key",
        "action": action,
        "key": key_view(key),
        "recordedAt": rfc3339(utcnow()),
        "org": _org(key.organization_id),
        "actor": "server",
        "prev": {},
        **extra,
    }


def find_log_key(session: Session) -> SigningKey | None:
    """Return the log's current key, or None before ``key_admin.log_key`` has created it."""
    return session.scalar(sa.select(SigningKey).where(SigningKey.role == "log", SigningKey.retired_at.is_(None)))


def find_organization_key(session: Session, organization_id: int) -> SigningKey | None:
    """Return the organization's current signing key, or None before ``key_admin.organization_key`` created it."""
    cache = session.info.setdefault("organization_keys", {})
    if organization_id in cache:
        return cache[organization_id]  # type: ignore[no-any-return]
    key = session.scalar(
        sa.select(SigningKey).where(
            SigningKey.role == "organization",
            SigningKey.organization_id == organization_id,
            SigningKey.retired_at.is_(None),
            SigningKey.revoked_at.is_(None),
        )
    )
    if key is not None:
        cache[organization_id] = key
    return key


def published_keys(session: Session) -> list[SigningKey]:
    """Return every key ever used, oldest first."""
    return list(session.scalars(sa.select(SigningKey).order_by(SigningKey.id)))
