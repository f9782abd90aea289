"""The home page: the school's facilities at a glance."""

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import select

from ..extensions import db
from ..models import Facility

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """List facilities by building."""
    facilities = db.session.scalars(
        select(Facility).order_by(Facility.building, Facility.name)
    ).all()
    return render_template("home/index.html", facilities=facilities)
