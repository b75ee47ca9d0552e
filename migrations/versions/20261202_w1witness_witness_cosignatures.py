"""witness cosignatures: each witness's cosignature line on a log checkpoint

Revision ID: w1witness
Revises: k1acks
Create Date: 2026-12-02 10:00:00

The checkpoints a witness cosigned (c2sp.org/tlog-witness) are kept, one row per witness and
size, so audit bundles and the lookup page can carry the latest cosigned checkpoint.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'w1witness'
down_revision = 'k1acks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('witness_cosignatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('witness', sa.String(length=200), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('cosigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_witness_cosignatures')),
    sa.UniqueConstraint('witness', 'size', name=op.f('uq_witness_cosignatures_witness'))
    )
    with op.batch_alter_table('witness_cosignatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_witness_cosignatures_size'), ['size'], unique=False)


def downgrade():
    with op.batch_alter_table('witness_cosignatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_witness_cosignatures_size'))
    op.drop_table('witness_cosignatures')
