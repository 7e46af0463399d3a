"""The audit trail: operators' actions, newest first, filtered as the API filters them."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from app.audit import service
from app.errors import ApiError
from app.members.pages import decode_cursor, encode_cursor
from console.forms import ConsoleForm
from console.pages import page
from console.web import requires

bp = Blueprint("audit", __name__, url_prefix="/audit")
requires(bp, "admin")
NAV = ((_l("Audit trail"), "index", "admin"),)
PAGE = 50


class AuditFilter(ConsoleForm):
    class Meta:
        csrf = False  # reading only

    action = StringField(
        _l("Action (or a prefix ending in .)"), validators=[Optional(), Length(max=60)]
    )
    actor = StringField(_l("Actor id"), validators=[Optional(), Length(max=40)])
    target_type = StringField(_l("Target type"), validators=[Optional(), Length(max=30)])
    target_id = StringField(_l("Target id"), validators=[Optional(), Length(max=64)])


@bp.route("/")
def index():
    form = AuditFilter(request.args)
    filters = {
        name: (getattr(form, name).data or "").strip() or None
        for name in ("action", "actor", "target_type", "target_id")
    }
    if not form.validate():
        filters = dict.fromkeys(filters)
    try:
        before = decode_cursor(request.args.get("cursor"))
    except ApiError:
        before = None
    found = service.query(**filters, before_id=before, limit=PAGE + 1)
    events = found[:PAGE]
    cursor = encode_cursor(events[-1].id) if len(found) > PAGE else None
    return page(
        "console/audit/index.html",
        form=form,
        events=events,
        cursor=cursor,
        filters={k: v for k, v in filters.items() if v},
        title=_l("Audit trail"),
    )
