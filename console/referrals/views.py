"""Referrals and partners (the referrals package): the review queue with approve and reject,
and each partner's report."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length, Optional

from app.errors import ApiError
from app.extensions import db
from app.idempotency import run_once
from app.members.models import Member
from app.models_base import utcnow
from app.schemas import from_minor
from console.forms import ConsoleForm, checked
from console.pages import page
from console.till.forms import new_key
from console.web import requires
from referrals import privacy, rules
from referrals.partners import report as reports
from referrals.partners import service as partners
from referrals.referrals.schemas import ApproveSchema, ReferralAdminSchema, RejectSchema
from referrals.review import service

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
requires(bp, "admin")
NAV = ((_l("Referrals and partners"), "index", "admin"),)
QUEUE = 100


class ReviewForm(ConsoleForm):
    key = HiddenField(validators=[InputRequired(), Length(max=64)])
    text = StringField(_l("Note or reason"), validators=[Optional(), Length(max=200)])


@bp.route("/")
def index():
    status = request.args.get("status", rules.FLAGGED)
    if status not in rules.STATUSES:
        status = rules.FLAGGED
    found = service.queue(status, None, QUEUE)
    ids = {r.friend_member_id for r in found} | {r.referrer_member_id for r in found}
    names = dict(db.session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all())
    return page(
        "console/referrals/index.html",
        referrals=found,
        names=names,
        current=status,
        statuses=rules.STATUSES,
        partners=partners.list_partners(),
        new_key=new_key,
        title=_l("Referrals and partners"),
    )


@bp.route("/<referral_id>/<action>", methods=["POST"])
def review(referral_id: str, action: str):
    """Approve or reject, once per form (the API's idempotency scope and audit entry)."""
    if action not in ("approve", "reject"):
        raise ApiError(404, "not_found", "No such action.")
    form = ReviewForm()
    found = service.get_referral(referral_id)
    text = (form.text.data or "").strip()
    if action == "approve":
        data = checked(form, ApproveSchema(), {"note": text} if text else {})
    else:
        data = checked(form, RejectSchema(), {"reason": text})
    if not form.validate_on_submit() or data is None:
        flash(gettext("Give a reason to reject a referral."), "bad")
        return redirect(url_for(".index"))
    admin = g.user

    def run():
        privacy.record_review(f"referral.{action}", found)
        if action == "approve":
            done = service.approve(found, admin.public_id, data["note"])
        else:
            done = service.reject(found, admin.public_id, data["reason"])
        return ReferralAdminSchema().dump(done), 200

    try:
        run_once(
            f"referral-review:{admin.public_id}",
            form.key.data,
            {"do": action, "r": referral_id, **data},
            run,
        )
    except ApiError as error:
        flash(gettext(error.message), "bad")
    else:
        flash(gettext("Approved.") if action == "approve" else gettext("Rejected."), "ok")
    return redirect(url_for(".index", status=request.args.get("status", rules.FLAGGED)))


@bp.route("/partners/<partner_id>")
def partner(partner_id: str):
    found = partners.get_partner(partner_id)
    return page(
        "console/referrals/partner.html",
        partner=found,
        report=reports.report(found, utcnow()),
        from_minor=from_minor,
        title=found.name,
    )
