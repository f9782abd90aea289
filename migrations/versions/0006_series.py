"""series: one booking on a repeating pattern; each of its dates is a reservation

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 23:40:00

``reservations.series_id`` is added in place, on SQLite with its foreign key inline (SQLite
cannot add a constraint to a table later; recreating the table would copy every
reservation, and dropping the old one would cascade to the held slots).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('start_slot', sa.Integer(), nullable=False),
    sa.Column('end_slot', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=True),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('every_weeks', sa.Integer(), nullable=False),
    sa.Column('cycle_week', sa.Integer(), nullable=True),
    sa.Column('first_date', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_series_account_id_accounts')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_series_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series')),
    sa.UniqueConstraint('public_id', name=op.f('uq_series_public_id'))
    )
    op.create_index(op.f('ix_series_account_id'), 'series', ['account_id'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE reservations ADD COLUMN series_id INTEGER "
            "CONSTRAINT fk_reservations_series_id_series REFERENCES series (id)"
        )
    else:
        op.add_column('reservations', sa.Column('series_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_reservations_series_id_series'), 'reservations', 'series',
            ['series_id'], ['id'],
        )
    op.create_index(op.f('ix_reservations_series_id'), 'reservations', ['series_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_reservations_series_id'), table_name='reservations')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE reservations DROP COLUMN series_id")  # SQLite 3.35 and later
    else:
        op.drop_constraint(op.f('fk_reservations_series_id_series'), 'reservations', type_='foreignkey')
        op.drop_column('reservations', 'series_id')
    op.drop_index(op.f('ix_series_account_id'), table_name='series')
    op.drop_table('series')
