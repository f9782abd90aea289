"""config stamp: triggers record every change to settings, blackouts, endpoints, facilities

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 14:00:00

Each process keeps these four tables in memory (``roomloop/configured.py``) and reads them
again only when the stamp has changed. The triggers write a fresh random stamp for every
changing statement (row, on SQLite), so that no two changes, nor a change rolled back and
another made after it, ever share a stamp.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ("settings", "blackout_dates", "webhook_endpoints", "facilities")
UPSERT = (
    "INSERT INTO config_stamp (id, stamp) VALUES (1, {stamp}) "
    "ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp"
)
POSTGRESQL_STAMP = "replace(gen_random_uuid()::text, '-', '')"
SQLITE_STAMP = "lower(hex(randomblob(16)))"


def upgrade():
    op.create_table('config_stamp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION roomloop_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {UPSERT.format(stamp=POSTGRESQL_STAMP)}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_config_changed "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION roomloop_config_changed()"
            )
    else:
        for table in TABLES:
            for change in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_{change.lower()}_config_changed "
                    f"AFTER {change} ON {table} FOR EACH ROW "
                    f"BEGIN {UPSERT.format(stamp=SQLITE_STAMP)}; END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_config_changed ON {table}")
        op.execute("DROP FUNCTION roomloop_config_changed()")
    else:
        for table in TABLES:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_{change}_config_changed")
    op.drop_table('config_stamp')
