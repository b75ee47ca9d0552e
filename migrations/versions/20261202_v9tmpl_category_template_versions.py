"""category_templates: versioned category templates with extra fields; categories point at their current version

Each existing category's template becomes its version 1 (each stage with an empty ``fields`` list).
The eight default categories then get version 2 with their seeded extra fields (the same ones a new
database gets in version 1), so records made before stay checked against version 1.

Revision ID: v9tmpl
Revises: t3logtip
Create Date: 2026-12-02 03:30:00

"""
import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from trace.services.catalog.template_seeds import with_extra_fields

revision = "v9tmpl"
down_revision = "t3logtip"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _tables() -> tuple[sa.Table, sa.Table]:
    meta = sa.MetaData()
    categories = sa.Table("categories", meta, sa.Column("id", sa.Integer), sa.Column("code", sa.String),
                          sa.Column("template", JSON), sa.Column("template_version", sa.Integer))
    templates = sa.Table("category_templates", meta, sa.Column("id", sa.Integer),
                         sa.Column("category_id", sa.Integer), sa.Column("version", sa.Integer),
                         sa.Column("stages", JSON), sa.Column("created_at", sa.DateTime(timezone=True)),
                         sa.Column("created_by", sa.Integer))
    return categories, templates


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    op.create_table(
        "category_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stages", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_category_templates_category_id_categories")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_category_templates_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_templates")),
        sa.UniqueConstraint("category_id", "version", name=op.f("uq_category_templates_category_id")),
    )
    # Plain ALTER TABLE (no batch rebuild): SQLite cannot rebuild categories while products point at it.
    op.add_column("categories", sa.Column("template_version", sa.Integer(), nullable=False, server_default="1"))
    categories, templates = _tables()
    conn = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    for category_id, code, steps in conn.execute(sa.select(categories.c.id, categories.c.code, categories.c.template)):
        first = [{"stage": s["stage"], "requires": list(s.get("requires", [])), "fields": []} for s in steps]
        rows = [{"category_id": category_id, "version": 1, "stages": first, "created_at": now, "created_by": None}]
        seeded = with_extra_fields(code, first)
        if seeded != first:
            rows.append({"category_id": category_id, "version": 2, "stages": seeded, "created_at": now,
                         "created_by": None})
        conn.execute(templates.insert(), rows)
        conn.execute(categories.update().where(categories.c.id == category_id).values(template_version=len(rows)))
    op.drop_column("categories", "template")


def downgrade():
    categories, templates = _tables()
    conn = op.get_bind()
    current = conn.execute(sa.select(templates.c.category_id, templates.c.stages).join(
        categories, sa.and_(categories.c.id == templates.c.category_id,
                            categories.c.template_version == templates.c.version))).all()
    op.drop_table("category_templates")
    op.add_column("categories", sa.Column("template", JSON, nullable=True))
    for category_id, stages in current:
        steps = [{"stage": s["stage"], "requires": s.get("requires", [])} for s in stages]
        conn.execute(categories.update().where(categories.c.id == category_id).values(template=steps))
    if not _sqlite():  # SQLite would have to rebuild the table other tables point at: it stays nullable there
        op.alter_column("categories", "template", nullable=False)
    op.drop_column("categories", "template_version")
