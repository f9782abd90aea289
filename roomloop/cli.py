"""Command-line tools: ``flask --app roomloop <command>``. Each is usable from scripts."""

import click
from flask import current_app
from sqlalchemy import func, select

from .accounts import upsert_admin
from .auth.permissions import ALL_CAPABILITIES
from .auth.tokens import create_api_key
from .errors import ValidationError
from .extensions import db
from .models import Account


def init_app(app):
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(create_api_key_command)


@click.command("seed-demo")
def seed_demo():
    """Fill the database with a demo school (safe to run again)."""
    from .demo import seed

    summary = seed()
    click.echo(
        f"Demo school ready: {summary['facilities']} facilities, {summary['accounts']} accounts, "
        f"{summary['reservations']} reservations."
    )


@click.command("create-admin")
@click.argument("email")
@click.option("--name", required=True, help="The admin's full name.")
def create_admin(email, name):
    """Create an admin account, or make an existing account an active admin."""
    try:
        account, created = upsert_admin(email, name)
    except ValidationError as exc:
        raise click.UsageError("; ".join(exc.fields.values())) from None
    click.echo(
        f"{'Created' if created else 'Updated'} admin {account.email} ({account.public_id})."
    )


@click.command("create-api-key")
@click.argument("email")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(sorted(ALL_CAPABILITIES)),
    help="Limit the key to this capability (repeat for several); default: all of the owner's.",
)
@click.option("--label", default="", help="What the key is for, shown in key lists.")
def create_api_key_command(email, scopes, label):
    """Create an API key for an account; the key is printed once, alone on the last line."""
    account = db.session.scalar(select(Account).where(func.lower(Account.email) == email.lower()))
    if account is None:
        raise click.UsageError(f"No account with email {email!r}; create it first.")
    try:
        row, key = create_api_key(account, scopes=list(scopes) or None, label=label)
    except ValidationError as exc:
        raise click.UsageError("; ".join(exc.fields.values())) from None
    current_app.logger.info("Created API key %s for %s", row.public_id, account.email)
    click.echo(f"API key {row.public_id} for {account.email}; store it now, it is not shown again:")
    click.echo(key)
