"""Organizations, their users and API tokens."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import Model, UTCDateTime, utcnow


class OrganizationKind(enum.StrEnum):
    COOPERATIVE = "cooperative"
    FAMILY_FARM = "family_farm"
    ENTERPRISE = "enterprise"
    PROCESSOR = "processor"
    LOGISTICS = "logistics"
    RETAILER = "retailer"
    INSPECTION_AGENCY = "inspection_agency"
    AUTHORITY = "authority"
    STATION = "station"  # 乡镇服务站: records on behalf of the producers of its township


class Role(enum.StrEnum):
    ADMIN = "admin"
    PRODUCER = "producer"
    INSPECTOR = "inspector"
    LAB = "lab"  # staff of an inspection_agency: results of the tests their organization was asked to do
    STATION = "station"  # staff of a township service station: records on behalf of its township's producers


class Organization(Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    province: Mapped[str] = mapped_column(sa.String(64))
    county: Mapped[str] = mapped_column(sa.String(64))
    township: Mapped[str | None] = mapped_column(sa.String(64))
    village: Mapped[str | None] = mapped_column(sa.String(64))
    # The register's township and village (trace/models/township.py); ``township``/``village`` hold their names.
    township_code: Mapped[str | None] = mapped_column(sa.ForeignKey("townships.code"), index=True)
    village_code: Mapped[str | None] = mapped_column(sa.ForeignKey("villages.code"))
    contact_name: Mapped[str | None] = mapped_column(sa.String(100))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organization")


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Console sign-in (users without a username are API-only). The hash is argon2id's encoded string.
    username: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Failed sign-ins since the last good one, and until when sign-in is refused (back-off).
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Bumped when the password changes or is reset: sessions made before then are signed out.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    organization: Mapped[Organization] = relationship(back_populates="users")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)


class ApiToken(Model):
    """A bearer token; only its SHA-256 is stored, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")
