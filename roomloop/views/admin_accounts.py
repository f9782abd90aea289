"""Admin pages: the accounts list (search, filters, pages), add and edit an account, the CSV
export, and the CSV import with a preview and a confirm step.

The forms build the same ``AccountCreate`` / ``AccountUpdate`` as ``/v1/accounts`` and call the
same domain functions; the import calls ``import_accounts`` as ``POST /v1/accounts/bulk`` does,
in the check-then-confirm steps every CSV import page shares (``imports.py``).
"""

import re

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import func, select

from ..booking import school_now
from ..errors import NotFound, ValidationError
from ..extensions import db, htmx
from ..models import ACCOUNT_STATUSES, ROLES, Account
from ..people import (
    create_account,
    export_accounts_csv,
    find_accounts,
    get_account,
    import_accounts,
    update_account,
)
from ..schemas import AccountCreate, AccountListQuery, AccountUpdate, parse_values
from . import current_actor
from .admin import requires
from .forms import AccountCreateForm, AccountForm
from .imports import CsvImportSteps

bp = Blueprint("admin_accounts", __name__, url_prefix="/admin/accounts")

PER_PAGE = 25
DEFAULT_IMPORT_MAX_BYTES = 5 * 1024 * 1024  # as ``POST /v1/accounts/bulk``
IMPORT = CsvImportSteps(
    "admin/accounts_import.html",
    import_accounts,
    "ACCOUNT_IMPORT_MAX_BYTES",
    DEFAULT_IMPORT_MAX_BYTES,
    "POST /v1/accounts/bulk",
)
FILTERS = ("q", "role", "status", "department")
# Pydantic's words about a form's text boxes, in a person's words.
FRIENDLIER = [
    (r"^String should have at least 1 character$", "This cannot be empty."),
    (r"^String should have at most (\d+) characters$", r"At most \1 characters."),
    (r"^Input should be (.*)$", r"Choose one of \1."),
]


@bp.get("")
@requires("accounts:manage")
def index():
    """The accounts by email, filtered and a page at a time, with the form that adds one."""
    return _render_index(AccountCreateForm(formdata=None))


@bp.post("")
@requires("accounts:manage")
def create():
    """Add an active account; nothing is stored unless every field is valid."""
    form = AccountCreateForm()
    if not form.validate_on_submit():
        return _render_create(form, status=400)
    try:
        data = parse_values(
            AccountCreate,
            {
                "email": form.email.data or "",
                "name": form.name.data or "",
                "department": form.department.data or "",
                "role": form.role.data or "",
            },
        )
        account = create_account(current_actor(), data)
    except ValidationError as exc:
        _show_errors(form, exc.fields)
        return _render_create(form, status=400)
    return _saved(f"Added {account.name} ({account.email}).")


@bp.route("/<public_id>/edit", methods=["GET", "POST"])
@requires("accounts:manage")
def edit(public_id):
    """Change an account's name, department, role or status."""
    try:
        account = get_account(public_id)
    except NotFound:
        abort(404)
    form = AccountForm(
        data={name: getattr(account, name) for name in ("name", "department", "role", "status")}
    )
    if not form.validate_on_submit():
        return _render_edit(form, account, status=400 if form.is_submitted() else 200)
    try:
        data = parse_values(
            AccountUpdate,
            {
                name: getattr(form, name).data or ""
                for name in ("name", "department", "role", "status")
            },
        )
        update_account(current_actor(), account, data)
    except ValidationError as exc:
        db.session.rollback()  # the refused values must not linger on the account
        _show_errors(form, exc.fields)
        return _render_edit(form, account, status=400)
    return _saved(f"Saved {account.name}.")


@bp.get("/export")
@requires("accounts:manage")
def export():
    """Every account as CSV, the same file as ``GET /v1/accounts/export``."""
    filename = f"roomloop-accounts-{school_now().date().isoformat()}.csv"
    return Response(
        stream_with_context(export_accounts_csv()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",  # personal data: no copy left in a shared cache
        },
    )


@bp.route("/import", methods=["GET", "POST"])
@requires("accounts:manage")
def upload():
    """Step 1: upload a CSV file and see what importing it would do; nothing is written."""
    return IMPORT.upload()


@bp.post("/import/confirm")
@requires("accounts:manage")
def confirm():
    """Step 2: import the previewed file; every row is checked again before any is written."""
    return IMPORT.confirm()


def _filters():
    """The list's filters from the query string; empty values (the "All" choices) are none."""
    values = {name: request.args.get(name, "").strip() for name in FILTERS}
    sent = {name: value for name, value in values.items() if value}
    try:
        query = parse_values(AccountListQuery, sent)
    except ValidationError as exc:
        return values, {}, exc.fields
    return values, {name: getattr(query, name) for name in FILTERS if name in sent}, {}


def _page_number():
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _listing():
    values, filters, errors = _filters()
    stmt = find_accounts(
        filters.get("department"), filters.get("role"), filters.get("status"), filters.get("q")
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(_page_number(), pages)
    accounts = db.session.scalars(
        stmt.order_by(Account.email, Account.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    departments = db.session.scalars(
        select(Account.department)
        .where(Account.department != "")
        .distinct()
        .order_by(Account.department)
    ).all()
    args = {name: value for name, value in values.items() if value}
    return {
        "accounts": accounts,
        "total": total,
        "page": page,
        "pages": pages,
        "filters": values,
        "filter_errors": errors,
        "filtered": bool(args),
        "page_args": args,
        "roles": ROLES,
        "statuses": ACCOUNT_STATUSES,
        "departments": departments,
    }


def _render_index(form, status=200):
    context = {"form": form, **_listing()}
    if htmx and htmx.target == "accounts-list":  # the search and filters update the list only
        return render_template("admin/partials/accounts_list.html", **context)
    return render_template("admin/accounts.html", **context), status


def _render_create(form, status):
    if htmx:  # htmx swaps only 2xx answers: the form with its messages replaces itself
        return render_template("admin/partials/accounts_create_form.html", form=form)
    return _render_index(form, status=status)


def _render_edit(form, account, status=200):
    context = {
        "form": form,
        "account": account,
        "is_self": account.id == current_actor().account.id,
    }
    if htmx:
        return render_template("admin/partials/accounts_edit_form.html", **context)
    return render_template("admin/accounts_edit.html", **context), status


def _show_errors(form, fields):
    for name, message in fields.items():
        for pattern, words in FRIENDLIER:
            message = re.sub(pattern, words, message)
        field = getattr(form, name, None)
        if field is None or not hasattr(field, "errors"):
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def _saved(message):
    flash(message, "info")
    target = url_for("admin_accounts.index")
    if htmx:
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)
