"""Compliance findings: a rule a recorded event breaks, kept until an inspector resolves it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import JSONDoc, Model, UTCDateTime, utcnow
from trace.models.batch import Batch
from trace.models.event import Event


class ComplianceFinding(Model):
    """One rule broken by one event on one batch; checks never store the same triple twice."""

    __tablename__ = "compliance_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(32))
    severity: Mapped[str] = mapped_column(sa.String(8), index=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    event_id: Mapped[str] = mapped_column(sa.ForeignKey("events.id"), index=True)
    message_zh: Mapped[str] = mapped_column(sa.String(1000))
    message_en: Mapped[str] = mapped_column(sa.String(1000))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(sa.String(1000))

    batch: Mapped[Batch] = relationship()
    event: Mapped[Event] = relationship()

    __table_args__ = (sa.UniqueConstraint("rule", "event_id", "batch_id"),)
