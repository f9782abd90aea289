"""door displays and check-in: display tokens, facilities that require check-in, check-ins

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 03:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('display_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_display_tokens_created_by_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_display_tokens_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_display_tokens')),
    sa.UniqueConstraint('public_id', name=op.f('uq_display_tokens_public_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_display_tokens_token_hash'))
    )
    op.create_index(op.f('ix_display_tokens_facility_id'), 'display_tokens', ['facility_id'], unique=False)
    with op.batch_alter_table('facilities') as batch_op:
        batch_op.add_column(sa.Column('check_in_required', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('release_after_minutes', sa.Integer(), server_default='15', nullable=False))
    op.add_column('reservations', sa.Column('checked_in_at', sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column('reservations', 'checked_in_at')
    with op.batch_alter_table('facilities') as batch_op:
        batch_op.drop_column('release_after_minutes')
        batch_op.drop_column('check_in_required')
    op.drop_index(op.f('ix_display_tokens_facility_id'), table_name='display_tokens')
    op.drop_table('display_tokens')
