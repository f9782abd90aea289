"""email and calendar feeds: the email outbox, cancel reasons, revisions, notification choices

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:45:00

``reservations.cancelled_by_id`` is added in place, on SQLite with its foreign key inline
(as in 0006: recreating the table would copy every reservation).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_email_messages_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_messages')),
    sa.UniqueConstraint('public_id', name=op.f('uq_email_messages_public_id'))
    )
    op.create_index(op.f('ix_email_messages_account_id'), 'email_messages', ['account_id'], unique=False)
    op.create_index('ix_email_messages_due', 'email_messages', ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('accounts') as batch_op:
        batch_op.add_column(sa.Column('notifications', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('digest_hour', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_digest_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('calendar_salt', sa.String(length=32), nullable=True))

    op.add_column('reservations', sa.Column('cancel_reason', sa.String(length=500), nullable=True))
    op.add_column('reservations', sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE reservations ADD COLUMN cancelled_by_id INTEGER "
            "CONSTRAINT fk_reservations_cancelled_by_id_accounts REFERENCES accounts (id)"
        )
    else:
        op.add_column('reservations', sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_reservations_cancelled_by_id_accounts'), 'reservations', 'accounts',
            ['cancelled_by_id'], ['id'],
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE reservations DROP COLUMN cancelled_by_id")  # SQLite 3.35 and later
    else:
        op.drop_constraint(op.f('fk_reservations_cancelled_by_id_accounts'), 'reservations', type_='foreignkey')
        op.drop_column('reservations', 'cancelled_by_id')
    op.drop_column('reservations', 'revision')
    op.drop_column('reservations', 'cancel_reason')
    with op.batch_alter_table('accounts') as batch_op:
        batch_op.drop_column('calendar_salt')
        batch_op.drop_column('last_digest_on')
        batch_op.drop_column('digest_hour')
        batch_op.drop_column('notifications')
    op.drop_index('ix_email_messages_due', table_name='email_messages')
    op.drop_index(op.f('ix_email_messages_account_id'), table_name='email_messages')
    op.drop_table('email_messages')
