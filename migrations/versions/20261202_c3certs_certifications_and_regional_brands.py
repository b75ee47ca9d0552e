"""certifications and regional public brands: certifications (with the products they cover), regional_brands,
brand_grants

Revision ID: c3certs
Revises: r1signed
Create Date: 2026-12-02 06:18:03.761912

Every row is made from a signed record (certification, certification_check, brand, brand_grant,
brand_revocation); free-text certifications already in products stay where they are and are
shown as self-declared.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'c3certs'
down_revision = 's5locations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('regional_brands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('categories', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('region', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('required_certifications', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('requires_test', sa.Boolean(), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['organizations.id'], name=op.f('fk_regional_brands_owner_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regional_brands')),
    sa.UniqueConstraint('code', name=op.f('uq_regional_brands_code')),
    sa.UniqueConstraint('name', name=op.f('uq_regional_brands_name'))
    )
    with op.batch_alter_table('regional_brands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regional_brands_owner_id'), ['owner_id'], unique=False)

    op.create_table('brand_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('categories', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=1000), nullable=True),
    sa.Column('revocation_record_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['regional_brands.id'], name=op.f('fk_brand_grants_brand_id_regional_brands')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_brand_grants_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brand_grants'))
    )
    with op.batch_alter_table('brand_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_brand_grants_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_brand_grants_organization_id'), ['organization_id'], unique=False)

    op.create_table('certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('scan_sha256', sa.String(length=64), nullable=True),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('check_result', sa.String(length=16), nullable=True),
    sa.Column('check_note', sa.String(length=1000), nullable=True),
    sa.Column('checked_by', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('check_record_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['checked_by'], ['organizations.id'], name=op.f('fk_certifications_checked_by_organizations')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_certifications_organization_id_organizations')),
    sa.ForeignKeyConstraint(['scan_sha256'], ['attachments.sha256'], name=op.f('fk_certifications_scan_sha256_attachments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certifications'))
    )
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certifications_organization_id'), ['organization_id'], unique=False)

    op.create_table('certification_products',
    sa.Column('certification_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['certification_id'], ['certifications.id'], name=op.f('fk_certification_products_certification_id_certifications')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_certification_products_product_id_products')),
    sa.PrimaryKeyConstraint('certification_id', 'product_id', name=op.f('pk_certification_products'))
    )
    with op.batch_alter_table('certification_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_products_product_id'), ['product_id'], unique=False)



def downgrade():
    with op.batch_alter_table('certification_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_products_product_id'))

    op.drop_table('certification_products')
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certifications_organization_id'))

    op.drop_table('certifications')
    with op.batch_alter_table('brand_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_brand_grants_organization_id'))
        batch_op.drop_index(batch_op.f('ix_brand_grants_brand_id'))

    op.drop_table('brand_grants')
    with op.batch_alter_table('regional_brands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regional_brands_owner_id'))

    op.drop_table('regional_brands')
