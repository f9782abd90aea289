"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from roomloop.extensions import db


def test_models_and_migrations_do_not_drift(app):
    """Autogenerate finds nothing to add: every model change has shipped as a migration."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_held_slots_are_unique_per_facility_date_and_slot(app):
    """The database itself refuses a second holder of a slot (R-03 under concurrency)."""
    with db.engine.connect() as conn:
        constraints = db.inspect(conn).get_unique_constraints("held_slots")
    assert {"facility_id", "date", "slot"} in [set(c["column_names"]) for c in constraints]
