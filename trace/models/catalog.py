"""Categories with their stage templates, and products."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import JSONDoc, Model, UTCDateTime, utcnow
from trace.models.organization import Organization


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(64))
    # [{"stage": "harvest", "requires": ["quantity", "uom"]}, ...] in the expected order.
    template: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    # Cold-chain range in °C for storage and transport, e.g. {"min": 0, "max": 8}.
    temperature_range: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)

    def stage_names(self) -> list[str]:
        """Return the template's stages in order."""
        return [step["stage"] for step in self.template]

    def required_fields(self, stage: str) -> list[str]:
        """Return the data fields this category's template requires for a stage."""
        for step in self.template:
            if step["stage"] == stage:
                return list(step.get("requires", []))
        return []


class Product(Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    gtin: Mapped[str | None] = mapped_column(sa.String(14), unique=True)
    regional_brand: Mapped[str | None] = mapped_column(sa.String(100))
    brand: Mapped[str | None] = mapped_column(sa.String(100))
    certifications: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The product record (stage ``product``) that signs the master data above: pages check the row
    # against it; a change is a new record (services/registration.py).
    record_id: Mapped[str | None] = mapped_column(sa.String(36))

    category: Mapped[Category] = relationship()
    organization: Mapped[Organization] = relationship()
