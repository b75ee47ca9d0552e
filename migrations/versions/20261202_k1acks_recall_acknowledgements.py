"""recall acknowledgements: each holder's answer to a recall (returned, destroyed, not held)

Revision ID: k1acks
Revises: a1accounts
Create Date: 2026-12-02 10:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'k1acks'
down_revision = 'a1accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'recall_acknowledgements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recall_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['recall_id'], ['recalls.id'], name=op.f('fk_recall_acknowledgements_recall_id_recalls')),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_recall_acknowledgements_organization_id_organizations')),
        sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_recall_acknowledgements_batch_id_batches')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recall_acknowledgements_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_acknowledgements')),
        sa.UniqueConstraint('recall_id', 'organization_id', 'batch_id',
                            name=op.f('uq_recall_acknowledgements_recall_id')),
    )
    op.create_index(op.f('ix_recall_acknowledgements_recall_id'), 'recall_acknowledgements', ['recall_id'])
    op.create_index(op.f('ix_recall_acknowledgements_organization_id'), 'recall_acknowledgements', ['organization_id'])


def downgrade():
    op.drop_index(op.f('ix_recall_acknowledgements_organization_id'), table_name='recall_acknowledgements')
    op.drop_index(op.f('ix_recall_acknowledgements_recall_id'), table_name='recall_acknowledgements')
    op.drop_table('recall_acknowledgements')
