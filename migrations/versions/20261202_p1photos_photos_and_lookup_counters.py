"""photos and lookup counters: products.photo, attachments' image size, lookup_counts (unit scan counts move there)

A product's photo is part of its signed master data (product records carry ``photo``). Lookups
of batch pages and unit serials are counted per code and China day in ``lookup_counts``; the
running totals kept on ``unit_codes`` move there, each unit's on the day of its last scan.

Revision ID: p1photos
Revises: w1witness
Create Date: 2026-12-02 10:00:00

"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "p1photos"
down_revision = "w1witness"
branch_labels = None
depends_on = None

CHINA = dt.timezone(dt.timedelta(hours=8))
TS = sa.DateTime(timezone=True)


def _units() -> sa.Table:
    return sa.Table("unit_codes", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("batch_id", sa.Integer),
                    sa.Column("serial", sa.String(16)), sa.Column("scan_count", sa.Integer),
                    sa.Column("first_scanned_at", TS), sa.Column("last_scanned_at", TS))


def _counts() -> sa.Table:
    return sa.Table("lookup_counts", sa.MetaData(), sa.Column("code", sa.String(16)), sa.Column("day", sa.Date),
                    sa.Column("kind", sa.String(8)), sa.Column("batch_id", sa.Integer),
                    sa.Column("count", sa.BigInteger), sa.Column("first_at", TS), sa.Column("last_at", TS))


def _aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def upgrade():
    with op.batch_alter_table("attachments") as batch_op:
        batch_op.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("height", sa.Integer(), nullable=True))
    # In place (tables that others reference cannot be rebuilt by batch mode with SQLite's foreign keys on).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE products ADD COLUMN photo VARCHAR(64) "
                   "CONSTRAINT fk_products_photo_attachments REFERENCES attachments (sha256)")
    else:
        op.add_column("products", sa.Column("photo", sa.String(length=64), nullable=True))
        op.create_foreign_key(op.f("fk_products_photo_attachments"), "products", "attachments", ["photo"], ["sha256"])
    op.create_table(
        "lookup_counts",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_at", TS, nullable=False),
        sa.Column("last_at", TS, nullable=False),
        sa.CheckConstraint("count > 0", name=op.f("ck_lookup_counts_count_positive")),
        sa.CheckConstraint("kind IN ('page', 'scan')", name=op.f("ck_lookup_counts_kind_known")),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_lookup_counts_batch_id_batches")),
        sa.PrimaryKeyConstraint("code", "day", name=op.f("pk_lookup_counts")),
    )
    op.create_index(op.f("ix_lookup_counts_batch_id"), "lookup_counts", ["batch_id"], unique=False)
    op.create_index(op.f("ix_lookup_counts_day"), "lookup_counts", ["day"], unique=False)
    conn, units, counts = op.get_bind(), _units(), _counts()
    rows = [{"code": u.serial, "day": _aware(u.last_scanned_at).astimezone(CHINA).date(), "kind": "scan",
             "batch_id": u.batch_id, "count": u.scan_count, "first_at": _aware(u.first_scanned_at),
             "last_at": _aware(u.last_scanned_at)}
            for u in conn.execute(sa.select(units).where(units.c.scan_count > 0, units.c.last_scanned_at.is_not(None)))]
    if rows:
        conn.execute(counts.insert(), rows)
    for column in ("last_scanned_at", "first_scanned_at", "scan_count"):
        op.drop_column("unit_codes", column)  # SQLite ≥ 3.35 drops a plain column in place


def downgrade():
    op.add_column("unit_codes", sa.Column("scan_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("unit_codes", sa.Column("first_scanned_at", TS, nullable=True))
    op.add_column("unit_codes", sa.Column("last_scanned_at", TS, nullable=True))
    conn, units, counts = op.get_bind(), _units(), _counts()
    totals = conn.execute(sa.select(counts.c.code, sa.func.sum(counts.c.count), sa.func.min(counts.c.first_at),
                                    sa.func.max(counts.c.last_at))
                          .where(counts.c.kind == "scan").group_by(counts.c.code)).all()
    for code, total, first, last in totals:
        conn.execute(units.update().where(units.c.serial == code)
                     .values(scan_count=total, first_scanned_at=first, last_scanned_at=last))
    op.drop_index(op.f("ix_lookup_counts_day"), table_name="lookup_counts")
    op.drop_index(op.f("ix_lookup_counts_batch_id"), table_name="lookup_counts")
    op.drop_table("lookup_counts")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_products_photo_attachments"), "products", type_="foreignkey")
    op.drop_column("products", "photo")  # SQLite: a column referencing another table drops in place too
    with op.batch_alter_table("attachments") as batch_op:
        batch_op.drop_column("height")
        batch_op.drop_column("width")
