"""batches.log_tip (each batch's latest leaf hash); drop event_batches indexes the composite ones cover

Appending read every batch's latest leaf hash with a MAX over all its events, which grew with
the batch's history; the tip is now kept on the batch. ix_event_batches_event_id and
ix_event_batches_batch_id are prefixes of uq_event_batches_event_id_batch_id_role and
ix_event_batches_batch_event.

Revision ID: t3logtip
Revises: u4labels
Create Date: 2026-11-29 20:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = "t3logtip"
down_revision = "u4labels"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("log_tip", sa.LargeBinary(length=32), nullable=True))
    op.execute(
        """
        UPDATE batches SET log_tip = (
            SELECT le.leaf_hash FROM event_batches eb JOIN log_entries le ON le.event_id = eb.event_id
            WHERE eb.batch_id = batches.id ORDER BY le."index" DESC LIMIT 1
        )
        """
    )
    with op.batch_alter_table("event_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_batches_event_id"))
        batch_op.drop_index(batch_op.f("ix_event_batches_batch_id"))


def downgrade():
    with op.batch_alter_table("event_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_batches_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_batches_event_id"), ["event_id"], unique=False)
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_column("log_tip")
