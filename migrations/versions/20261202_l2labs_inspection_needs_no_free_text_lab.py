"""inspection needs no free-text lab: each category whose current template requires lab gets a version without it

A result names its laboratory by being signed by it (stage inspection, basis 委托检测 / 监督抽检);
the free-text ``lab`` a producer types is never shown as the tester, so a template no longer
requires it. Records made before keep naming (and being checked against) the version they name.

Revision ID: l2labs
Revises: r1signed
Create Date: 2026-12-02 07:00:00

"""
import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "l2labs"
down_revision = "r1signed"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _tables() -> tuple[sa.Table, sa.Table]:
    meta = sa.MetaData()
    categories = sa.Table("categories", meta, sa.Column("id", sa.Integer), sa.Column("template_version", sa.Integer))
    templates = sa.Table("category_templates", meta, sa.Column("id", sa.Integer),
                         sa.Column("category_id", sa.Integer), sa.Column("version", sa.Integer),
                         sa.Column("stages", JSON), sa.Column("created_at", sa.DateTime(timezone=True)),
                         sa.Column("created_by", sa.Integer))
    return categories, templates


def _without_lab(stages: list[dict]) -> list[dict]:
    return [{**s, "requires": [f for f in s.get("requires", []) if f != "lab"]} if s.get("stage") == "inspection"
            else s for s in stages]


def _current(conn: sa.Connection) -> list[tuple[int, int, list[dict]]]:
    categories, templates = _tables()
    return [(c, v, s) for c, v, s in conn.execute(
        sa.select(templates.c.category_id, templates.c.version, templates.c.stages).join(
            categories, sa.and_(categories.c.id == templates.c.category_id,
                                categories.c.template_version == templates.c.version)))]


def upgrade():
    categories, templates = _tables()
    conn = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    for category_id, version, stages in _current(conn):
        changed = _without_lab(stages)
        if changed == stages:
            continue
        conn.execute(templates.insert().values(category_id=category_id, version=version + 1, stages=changed,
                                               created_at=now, created_by=None))
        conn.execute(categories.update().where(categories.c.id == category_id).values(template_version=version + 1))


def downgrade():
    categories, templates = _tables()
    conn = op.get_bind()
    for category_id, version, stages in _current(conn):
        before = conn.execute(sa.select(templates.c.stages).where(
            templates.c.category_id == category_id, templates.c.version == version - 1)).scalar()
        if before is None or _without_lab(before) != stages or before == stages:
            continue  # not a version this migration made
        conn.execute(categories.update().where(categories.c.id == category_id).values(template_version=version - 1))
        conn.execute(templates.delete().where(templates.c.category_id == category_id, templates.c.version == version))
