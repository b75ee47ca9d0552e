"""The log of account and permission changes: written by the services that make them, read by admins."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.models import AccountEvent, User
from trace.models.organization import Role
from trace.services.organizations.permissions import require_role

# What an entry's action says (the console shows each in the reader's language).
ACTIONS = ("user_created", "signed_in", "sign_in_failed", "sign_in_locked", "signed_out", "password_changed",
           "password_reset", "role_changed", "user_disabled", "user_enabled", "token_created", "token_revoked",
           "device_enrolled", "device_revoked", "organization_created")


def log_account_event(session: Session, action: str, *, actor: User | None = None, user: User | None = None,
                      organization_id: int | None = None, detail: dict[str, Any] | None = None,
                      remote_addr: str | None = None) -> AccountEvent:
    """Append one entry to the account log."""
    assert action in ACTIONS, action
    if organization_id is None and user is not None:
        organization_id = user.organization_id
    entry = AccountEvent(action=action, actor_id=actor.id if actor else None, user_id=user.id if user else None,
                         organization_id=organization_id, detail=detail or {}, remote_addr=remote_addr)
    session.add(entry)
    return entry


def list_account_events(session: Session, admin: User, *, user_id: int | None = None, before: int | None = None,
                        limit: int = 100) -> list[AccountEvent]:
    """Return entries newest first, ``limit`` at a time below id ``before`` (admins only)."""
    require_role(admin, Role.ADMIN)
    query = sa.select(AccountEvent).order_by(AccountEvent.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(AccountEvent.user_id == user_id)
    if before is not None:
        query = query.where(AccountEvent.id < before)
    return list(session.scalars(query))
