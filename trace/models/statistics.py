"""Private values of records, aid-household status, and the statistics counters the pipeline keeps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trace.db import JSONDoc, Model, UTCDateTime, utcnow


class PrivateValues(Model):
    """A record's private values (a sale's price, amount, order, buyer, and its producer's aid status).

    The signed record holds ``commitment`` = SHA-256(salt ‖ JCS(values)); these rows are read by
    inspectors, administrators and the recording organization only, and the audit checks each.
    """

    __tablename__ = "private_values"

    event_id: Mapped[str] = mapped_column(sa.ForeignKey("events.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    salt: Mapped[str] = mapped_column(sa.String(32))  # 16 bytes, hex
    values: Mapped[dict[str, Any]] = mapped_column(JSONDoc)


class OrganizationAid(Model):
    """A producer marked as an aid household (脱贫户/帮扶对象) or a cooperative with such members; private."""

    __tablename__ = "organization_aid"

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # household | cooperative
    households: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StatisticsCounter(Model):
    """One figure of one period, township, category and organization, kept by the recording pipeline.

    ``grain`` d: ``period`` is a day (YYYY-MM-DD, Asia/Shanghai) of one organization; m: a month
    (YYYY-MM) of one organization; T, C, A: a month of the whole county (organization 0) by township,
    by category, or in all (township or category ``*``: the sum over all of them): what county-wide
    queries read, each grouping under its own grain so a query reads its rows and nothing else.
    Empty strings stand for no township, no category, no unit. Figures: docs/statistics.md. Sums are
    integers, exact and added alike on every engine: quantities in millionths of their unit, amounts in fen (0.01 CNY).
    """

    __tablename__ = "statistics_counters"

    # Clustered on the key in SQLite (WITHOUT ROWID): a period's rows are read in one sweep. The index
    # answers "which organizations recorded anything" (figure ``records``) without reading the sums.
    __table_args__ = (
        sa.Index("ix_statistics_counters_active", "grain", "figure", "period", "township_code", "category",
                 "organization_id"),
        {"sqlite_with_rowid": False},
    )

    grain: Mapped[str] = mapped_column(sa.String(1), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    township_code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    figure: Mapped[str] = mapped_column(sa.String(48), primary_key=True)
    uom: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    quantity_micro: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
