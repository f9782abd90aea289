"""usage report indexes: each count of a range answered by an index in its own order

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 06:00:00

The usage report counted a year's held slots by facility, weekday and slot, sorting every
row of the range; it now counts them by day and slot (the held-slot index's order), by
facility and by account (the unique index and the account index, one key at a time), and
reads only the cancelled reservations of the range. Each replaced index is a prefix of, or
has the same columns as, its replacement, so no other query loses its index.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("held_slots", schema=None) as batch_op:
        batch_op.drop_index("ix_held_slots_date_facility_slot")
        batch_op.create_index(
            "ix_held_slots_date_slot_facility", ["date", "slot", "facility_id"], unique=False
        )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_reservations_date")
        batch_op.drop_index("ix_reservations_account_id")
        batch_op.create_index("ix_reservations_date_status", ["date", "status"], unique=False)
        batch_op.create_index("ix_reservations_account_date", ["account_id", "date"], unique=False)


def downgrade():
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_reservations_account_date")
        batch_op.drop_index("ix_reservations_date_status")
        batch_op.create_index("ix_reservations_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_reservations_date", ["date"], unique=False)
    with op.batch_alter_table("held_slots", schema=None) as batch_op:
        batch_op.drop_index("ix_held_slots_date_slot_facility")
        batch_op.create_index(
            "ix_held_slots_date_facility_slot", ["date", "facility_id", "slot"], unique=False
        )
