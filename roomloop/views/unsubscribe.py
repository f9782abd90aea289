"""One-click unsubscribe from an email's link: no sign-in, the signed link is the proof.

``GET /unsubscribe?t=`` says what the link turns off and asks with a button; ``POST`` (the
button, or a mail client's one-click request, RFC 8058) turns it off. The POST needs no
CSRF token: a forged request would need the signed token, which only its email carries.
"""

from flask import Blueprint, render_template, request

from ..errors import NotFound
from ..extensions import csrf
from ..outbox import KINDS
from ..people import unsubscribe, unsubscribe_target

bp = Blueprint("unsubscribe", __name__)


@bp.get("/unsubscribe")
def confirm():
    """Ask whether to turn off the kind of email the link names."""
    return _answer("ask", unsubscribe_target)


@bp.post("/unsubscribe")
@csrf.exempt
def turn_off():
    """Turn off the kind of email the link names, for its person only."""
    return _answer("done", unsubscribe)


def _answer(state, act):
    """Run ``act`` on the link's token and say what it did, or that the link is bad."""
    token = request.args.get("t", "")
    try:
        account, kind = act(token)
    except NotFound:
        return render_template("account/unsubscribe.html", state="bad"), 404
    return render_template(
        "account/unsubscribe.html",
        state=state,
        email=account.email,
        description=KINDS[kind],
        token=token,
    )
