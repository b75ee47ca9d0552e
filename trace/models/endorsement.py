"""Who vouches for a product: certifications (三品一标 and others) and regional public brands with their grants.

Every row here is made from a signed record (``record_id`` and the ``*_record_id`` columns name
it); the page's verdict holds the rows equal to those records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import JSONDoc, Model, UTCDateTime, utcnow
from trace.models.attachment import Attachment
from trace.models.organization import Organization


class Certification(Model):
    """A certificate an organization holds for some of its products, as it declared it; verified or not."""

    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    issuer: Mapped[str] = mapped_column(sa.String(200))
    number: Mapped[str] = mapped_column(sa.String(64))
    valid_from: Mapped[dt.date] = mapped_column(sa.Date())
    valid_until: Mapped[dt.date] = mapped_column(sa.Date())
    # The certificate's scan: an uploaded attachment (content-addressed), or none.
    scan_sha256: Mapped[str | None] = mapped_column(sa.ForeignKey("attachments.sha256"))
    record_id: Mapped[str] = mapped_column(sa.String(36))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The latest verification: ``verified`` or ``rejected``, by an inspector's or administrator's organization.
    check_result: Mapped[str | None] = mapped_column(sa.String(16))
    check_note: Mapped[str | None] = mapped_column(sa.String(1000))
    checked_by: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    check_record_id: Mapped[str | None] = mapped_column(sa.String(36))

    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    checker: Mapped[Organization | None] = relationship(foreign_keys=[checked_by])
    scan: Mapped[Attachment | None] = relationship()
    products: Mapped[list[CertificationProduct]] = relationship(
        back_populates="certification", cascade="all, delete-orphan", order_by="CertificationProduct.product_id")

    @property
    def product_ids(self) -> list[int]:
        return [p.product_id for p in self.products]


class CertificationProduct(Model):
    """A product a certification covers."""

    __tablename__ = "certification_products"

    certification_id: Mapped[int] = mapped_column(sa.ForeignKey("certifications.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), primary_key=True, index=True)

    certification: Mapped[Certification] = relationship(back_populates="products")


class RegionalBrand(Model):
    """A regional public brand (区域公用品牌), owned by an organization that grants its use."""

    __tablename__ = "regional_brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name_en: Mapped[str | None] = mapped_column(sa.String(100))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    # Its rules: the category codes it covers, the region its users must be in ({"province", "county"}),
    # the certification kinds a user must hold (one of them, verified and valid), and whether batches
    # sold under it need a passed test.
    categories: Mapped[list[str]] = mapped_column(JSONDoc)
    region: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    required_certifications: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    requires_test: Mapped[bool] = mapped_column(default=False)
    record_id: Mapped[str] = mapped_column(sa.String(36))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[Organization] = relationship()
    grants: Mapped[list[BrandGrant]] = relationship(back_populates="brand", order_by="BrandGrant.id")


class BrandGrant(Model):
    """The brand owner's permission for one organization to use the brand on some categories for a period."""

    __tablename__ = "brand_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(sa.ForeignKey("regional_brands.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    categories: Mapped[list[str]] = mapped_column(JSONDoc)
    valid_from: Mapped[dt.date] = mapped_column(sa.Date())
    valid_until: Mapped[dt.date] = mapped_column(sa.Date())
    record_id: Mapped[str] = mapped_column(sa.String(36))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    revocation_record_id: Mapped[str | None] = mapped_column(sa.String(36))

    brand: Mapped[RegionalBrand] = relationship(back_populates="grants")
    organization: Mapped[Organization] = relationship()
