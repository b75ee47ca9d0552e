"""signed batch and product facts: products.record_id; back-fill registration and product records

Revision ID: r1signed
Revises: e9hashid
Create Date: 2026-12-02 03:40:00

Batches and products made before registration records existed get back-filled records, signed
by the log key and marked ``backfilled`` (services/records/backfill.backfill): their organizations
never signed those facts, and the records say so.
"""
from alembic import op
import sqlalchemy as sa


revision = 'r1signed'
down_revision = 'e9hashid'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_id', sa.String(length=36), nullable=True))
    bind = op.get_bind()
    if not bind.scalar(sa.text("SELECT count(*) FROM batches")) and not bind.scalar(
            sa.text("SELECT count(*) FROM products")):
        return  # a new database: nothing to back-fill
    from flask import current_app
    from sqlalchemy.orm import Session

    from trace.services.records.backfill import backfill

    session = Session(bind=bind)
    backfill(session, current_app.extensions["trace.ledger"])
    session.flush()


def downgrade():
    # Back-filled records stay in the log: entries are never removed.
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('record_id')
