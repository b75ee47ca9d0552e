"""The county's register of townships and villages, by official division code (统计用区划代码)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import Model, UTCDateTime, utcnow

# A division code has 12 digits: province 2, prefecture 2, county 2, township 3, village 3.
CODE_LENGTH = 12


class Township(Model):
    """A township, town or sub-district (乡、镇、街道); its code ends in 000."""

    __tablename__ = "townships"

    code: Mapped[str] = mapped_column(sa.String(CODE_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    villages: Mapped[list[Village]] = relationship(back_populates="township", order_by="Village.code")

    @property
    def county_code(self) -> str:
        """The county's six-digit code (the first six digits)."""
        return self.code[:6]


class Village(Model):
    """A village or residents' committee (村、社区) of a township; its code starts with the township's nine digits."""

    __tablename__ = "villages"

    code: Mapped[str] = mapped_column(sa.String(CODE_LENGTH), primary_key=True)
    township_code: Mapped[str] = mapped_column(sa.ForeignKey("townships.code"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    township: Mapped[Township] = relationship(back_populates="villages")


class OrganizationTownship(Model):
    """Where an organization was placed, since when: statistics count a record in the township of its time."""

    __tablename__ = "organization_townships"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    township_code: Mapped[str | None] = mapped_column(sa.ForeignKey("townships.code"))
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_organization_townships_organization_since", "organization_id", "since"),)
