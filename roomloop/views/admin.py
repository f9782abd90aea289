"""Admin pages. Each view names the capability it needs; the nav shows only those allowed."""

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import func, select

from ..auth.permissions import ALL_CAPABILITIES
from ..auth.tokens import create_api_key, list_api_keys, revoke_token
from ..errors import ValidationError
from ..extensions import db
from ..models import Account, ApiToken
from . import current_actor
from .forms import ApiKeyForm, RevokeForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def requires(capability):
    """Let the view run only for a signed-in account whose role grants ``capability``."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            current_actor().require(capability)
            return view(*args, **kwargs)

        return wrapped

    return decorate


@bp.route("/keys", methods=["GET", "POST"])
@requires("keys:manage")
def api_keys():
    """List API keys and create one; a new key is shown once, on this response only."""
    form = ApiKeyForm()
    form.scopes.choices = sorted(ALL_CAPABILITIES)
    new_key = None
    if form.validate_on_submit():
        owner = db.session.scalar(
            select(Account).where(func.lower(Account.email) == form.email.data.strip().lower())
        )
        if owner is None:
            form.email.errors.append("No account has this email address.")
        else:
            try:
                row, new_key = create_api_key(owner, form.scopes.data or None, form.label.data)
            except ValidationError as exc:
                for message in exc.fields.values():
                    form.scopes.errors.append(message)
            else:
                flash(f"Created key {row.prefix}… for {owner.email}.", "info")
                form = ApiKeyForm(formdata=None)
                form.scopes.choices = sorted(ALL_CAPABILITIES)
    return render_template(
        "admin/api_keys.html",
        keys=list_api_keys(),
        form=form,
        new_key=new_key,
        revoke_form=RevokeForm(),
    )


@bp.post("/keys/<public_id>/revoke")
@requires("keys:manage")
def revoke_api_key(public_id):
    """Revoke a key at once; calls with it get 401 from now on."""
    if not RevokeForm().validate_on_submit():
        abort(400)
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.public_id == public_id, ApiToken.kind == "api_key")
    )
    if row is None:
        abort(404)
    revoke_token(row)
    flash(f"Revoked key {row.prefix}… ({row.label or 'no label'}).", "info")
    return redirect(url_for("admin.api_keys"))
