"""Categories with their versioned stage templates, and products."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from trace.db import JSONDoc, Model, UTCDateTime, utcnow
from trace.models.organization import Organization


class CategoryTemplate(Model):
    """One version of a category's template; versions are never changed, a change makes the next one."""

    __tablename__ = "category_templates"
    __table_args__ = (sa.UniqueConstraint("category_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    version: Mapped[int] = mapped_column()
    # [{"stage": "harvest", "requires": ["quantity", "uom"], "fields": [<extra field>, ...]}, ...]
    # in the expected order; an extra field is {"name", "labelZh", "labelEn", "type", "required", ...}.
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    category: Mapped[Category] = relationship(back_populates="versions")

    def step(self, stage: str) -> dict[str, Any] | None:
        """Return the template's entry for a stage, or None."""
        return next((step for step in self.stages if step["stage"] == stage), None)

    def extra_fields(self, stage: str) -> list[dict[str, Any]]:
        """Return the extra field definitions of a stage."""
        step = self.step(stage)
        return list(step.get("fields", [])) if step else []


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(64))
    # The current version of its template (category_templates.version).
    template_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Cold-chain range in °C for storage and transport, e.g. {"min": 0, "max": 8}.
    temperature_range: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    # What its sensors' readings are judged by: {"storage": {"min", "max"}, "transport": {"min", "max"},
    # "toleratedMinutes": 30} in °C (decimal strings); None: the category makes no cold-chain claim.
    # (Deferred here and below: migrations older than these columns read these rows through the models.)
    cold_chain: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, deferred=True)
    # {"days": 7, "kind": "best_before" | "shelf_life", "conditionsZh": "0–8 °C 冷藏", "conditionsEn": "..."}
    shelf_life: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, deferred=True)

    current_template: Mapped[CategoryTemplate] = relationship(
        primaryjoin=lambda: sa.and_(
            foreign(CategoryTemplate.category_id) == Category.id,
            foreign(CategoryTemplate.version) == Category.template_version,
        ),
        viewonly=True,
        uselist=False,
    )
    versions: Mapped[list[CategoryTemplate]] = relationship(
        back_populates="category", order_by=CategoryTemplate.version
    )

    @property
    def template(self) -> list[dict[str, Any]]:
        """Return the current template's stages in order."""
        return self.current_template.stages

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
    # The product's photo (an image attachment's SHA-256), signed with the rest of the master data.
    # Deferred: migration r1signed back-fills product records through these models before the column exists.
    photo: Mapped[str | None] = mapped_column(sa.ForeignKey("attachments.sha256"), deferred=True)
    # The product's own shelf life and storage conditions (the category's shape); None: its category's.
    shelf_life: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The product record (stage ``product``) that signs the master data above: pages check the row
    # against it; a change is a new record (services/records/registration.py).
    record_id: Mapped[str | None] = mapped_column(sa.String(36))

    category: Mapped[Category] = relationship()
    organization: Mapped[Organization] = relationship()
