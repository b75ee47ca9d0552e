"""The log of account and permission changes that administrators read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import JSONDoc, Model, UTCDateTime, utcnow
from trace.models.organization import User


class AccountEvent(Model):
    """One change to an account or a permission (sign-in failures and lockouts too): who, to whom, what."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)  # None: the CLI or no one
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
