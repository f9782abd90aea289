"""Command-line tools: ``flask --app roomloop <command>``. Each is usable from scripts."""

import signal
import threading

import click
from flask import current_app
from sqlalchemy import func, select

from .auth.permissions import ALL_CAPABILITIES
from .auth.tokens import create_api_key, list_api_keys, revoke_token
from .errors import ValidationError
from .extensions import db
from .models import Account, ApiToken
from .people import upsert_admin


def init_app(app):
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(create_api_key_command)
    app.cli.add_command(list_api_keys_command)
    app.cli.add_command(revoke_api_key_command)
    app.cli.add_command(deliver_webhooks)


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


@click.command("list-api-keys")
def list_api_keys_command():
    """List API keys: id, prefix, owner, label, scopes, last use and state."""
    for key in list_api_keys():
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        scopes = ",".join(key.scopes) if key.scopes is not None else "all"
        last_used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
        click.echo(
            f"{key.public_id}  {key.prefix}…  {key.account.email}  {key.label or '-'}  "
            f"scopes={scopes}  last-used={last_used}  {state}"
        )


@click.command("revoke-api-key")
@click.argument("key_id")
def revoke_api_key_command(key_id):
    """Revoke the API key KEY_ID (key_...): calls with it get 401 from now on."""
    key = db.session.scalar(
        select(ApiToken).where(ApiToken.public_id == key_id, ApiToken.kind == "api_key")
    )
    if key is None:
        raise click.UsageError(f"No API key with id {key_id!r}; see list-api-keys.")
    revoke_token(key)
    click.echo(f"Revoked {key.public_id} ({key.prefix}…, {key.account.email}).")


@click.command("deliver-webhooks")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron).")
def deliver_webhooks(once):
    """Send webhook deliveries and email until stopped (SIGTERM or Ctrl-C finish the
    current one), and write the approvers' daily digests.

    Run one or more of these beside the web processes when ROOMLOOP_WEBHOOK_SENDER=process.
    """
    from .outbox import deliver_due, run, run_tasks, send_due_mail

    app = current_app._get_current_object()
    if once:
        total = 0
        while sent := deliver_due():
            total += sent
        click.echo(f"Attempted {total} deliveries.")
        # Such as releasing the bookings nobody checked in, or the approvers' digests.
        click.echo(f"Background jobs made {run_tasks()} changes.")
        emails = 0
        while sent := send_due_mail():
            emails += sent
        click.echo(f"Attempted {emails} emails.")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo("Delivering webhooks and email; stop with Ctrl-C or SIGTERM.")
    run(app, stop)
