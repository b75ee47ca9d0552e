"""Attachments: inspection reports and photos, stored by content hash."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trace.db import Model, UTCDateTime, utcnow


class Attachment(Model):
    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    mime: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    width: Mapped[int | None] = mapped_column(sa.Integer)  # images only: pixels as stored
    height: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
