"""``/v1/accounts``: list, provision, change and disable accounts; CSV upload and export.

Admins only: reads need ``accounts:read``, changes ``accounts:manage``. Access is checked
before the body is read, so a teacher learns nothing from a 400.
"""

from flask import Response, g, request, stream_with_context, url_for
from werkzeug.routing import BaseConverter

from ..booking import school_now
from ..models import Account
from ..people import (
    create_account,
    export_accounts_csv,
    find_accounts,
    get_account,
    import_accounts,
    update_account,
)
from ..resources import account_resource
from ..schemas import (
    ACCOUNT_ID,
    AccountCreate,
    AccountImportQuery,
    AccountListQuery,
    AccountUpdate,
    parse_json,
    parse_values,
)
from .blueprint import bp
from .pagination import cursor_int, cursor_text, envelope, paginate
from .uploads import uploaded_file

DEFAULT_IMPORT_MAX_BYTES = 5 * 1024 * 1024  # about 50,000 accounts


class AccountIdConverter(BaseConverter):
    """An account id in a path, so that ``/accounts/bulk`` and ``/accounts/export`` are never
    read as one: a wrong method on them answers 405, not 404 "no account 'bulk'"."""

    regex = ACCOUNT_ID.removeprefix("^").removesuffix("$")


@bp.get("/accounts")
def list_accounts():
    """List accounts by email; filter by department, role, status or part of a name or email."""
    g.actor.require("accounts:read")
    query = parse_values(AccountListQuery, request.args.to_dict())
    stmt = find_accounts(query.department, query.role, query.status, query.q)
    rows, has_more, cursor = paginate(
        stmt, [(Account.email, cursor_text), (Account.id, cursor_int)], query
    )
    return envelope([account_resource(a) for a in rows], has_more, cursor)


@bp.post("/accounts")
def create_account_endpoint():
    """Provision one account (active; the email must be new)."""
    g.actor.require("accounts:manage")
    data = parse_json(AccountCreate, request.get_data())
    account = create_account(g.actor, data)
    location = url_for("api.show_account", public_id=account.public_id)
    return account_resource(account), 201, {"Location": location}


@bp.get("/accounts/<account_id:public_id>")
def show_account(public_id):
    """Show one account."""
    g.actor.require("accounts:read")
    return account_resource(get_account(public_id))


@bp.patch("/accounts/<account_id:public_id>")
def update_account_endpoint(public_id):
    """Change an account's name, department, role or status; disabling revokes its tokens."""
    g.actor.require("accounts:manage")
    account = get_account(public_id)
    data = parse_json(AccountUpdate, request.get_data())
    return account_resource(update_account(g.actor, account, data))


@bp.post("/accounts/bulk")
def import_accounts_endpoint():
    """Create or update accounts from a CSV file (multipart field ``file``), all or none."""
    g.actor.require("accounts:manage")
    query = parse_values(AccountImportQuery, request.args.to_dict())
    raw = uploaded_file("ACCOUNT_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES)
    return import_accounts(g.actor, raw, dry_run=query.dry_run).summary()


@bp.get("/accounts/export")
def export_accounts():
    """Download every account as CSV, streamed; it uploads back with nothing changed."""
    g.actor.require("accounts:read")
    filename = f"roomloop-accounts-{school_now().date().isoformat()}.csv"
    return Response(
        stream_with_context(export_accounts_csv()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",  # personal data: no copy left in a shared cache
        },
    )
