"""Members: search, a member's profile, tier and ledger, adjust with a reason, end the
membership, erase and export a member's data (`app.privacy`)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit
from app.consents.models import ConsentRecord
from app.errors import ApiError
from app.extensions import db
from app.ledger import service as ledger
from app.members import service
from app.members.adjustments import adjust_once
from app.members.cardnumber import formatted
from app.members.pages import decode_cursor, encode_cursor
from app.members.schemas import AdjustmentSchema, MemberAuditSchema
from app.members.search import search as find_members
from app.privacy import service as privacy
from app.privacy.models import Erasure
from app.stores.models import Store
from app.tiers.service import points_standing
from console.forms import checked, refused
from console.members.forms import AdjustForm, ConfirmForm, SearchForm
from console.pages import htmx, page
from console.till.forms import new_key
from console.web import requires

bp = Blueprint("members", __name__, url_prefix="/members")
requires(bp, "admin")
NAV = ((_l("Members"), "index", "admin"),)
HISTORY_PAGE = 20


@bp.route("/")
def index():
    form = SearchForm(request.args)
    query = form.q.data or ""
    found = find_members(query) if form.validate() else []
    return page(
        "console/members/index.html",
        "console/members/_results.html",
        form=form,
        query=query,
        members=found,
        formatted=formatted,
        title=_l("Members"),
    )


def _history(member, before: str | None):
    entries = ledger.history(member.id, decode_cursor(before), HISTORY_PAGE + 1)
    more = len(entries) > HISTORY_PAGE
    entries = entries[:HISTORY_PAGE]
    return entries, (encode_cursor(entries[-1].id) if more else None)


def _ledger_context(member) -> dict:
    db.session.refresh(member)
    entries, cursor = _history(member, None)
    return {
        "member": member,
        "standing": points_standing(member),
        "expiring": ledger.expiring_soon(member.id),
        "entries": entries,
        "cursor": cursor,
    }


def _adjust_form() -> AdjustForm:
    form = AdjustForm(formdata=None)
    form.key.data = new_key()
    return form


@bp.route("/<member_id>")
def detail(member_id: str):
    member = service.member_by_public_id(member_id)
    return page("console/members/detail.html", **_detail_context(member))


def _detail_context(member, **extra) -> dict:
    consents = db.session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.member_id == member.id)
        .order_by(ConsentRecord.id.desc())
        .limit(20)
    ).all()
    home = db.session.get(Store, member.home_store_id) if member.home_store_id else None
    erasure = db.session.scalar(select(Erasure).where(Erasure.member_id == member.id))
    context = {
        **_ledger_context(member),
        "card": formatted(member.card_number),
        "home_store": home,
        "consents": consents,
        "erasure": erasure,
        "adjust_form": _adjust_form(),
        "end_form": ConfirmForm(formdata=None, prefix="end"),
        "erase_form": ConfirmForm(formdata=None, prefix="erase"),
        "export_form": ConfirmForm(formdata=None, prefix="export"),
        "title": member.name,
    }
    return {**context, **extra}


@bp.route("/<member_id>/history")
def history(member_id: str):
    member = service.member_by_public_id(member_id)
    entries, cursor = _history(member, request.args.get("before"))
    return page(
        "console/members/history.html",
        "console/members/_entries.html",
        member=member,
        entries=entries,
        cursor=cursor,
        title=member.name,
    )


@bp.route("/<member_id>/ledger")
def ledger_part(member_id: str):
    """The balances and the newest entries: reloaded after an adjustment."""
    member = service.member_by_public_id(member_id)
    return page("console/members/_ledger.html", **_ledger_context(member))


@bp.route("/<member_id>/adjust", methods=["POST"])
def adjust(member_id: str):
    member = service.member_by_public_id(member_id)
    form = AdjustForm()
    entry = replayed = None
    status = 200
    if form.validate_on_submit():
        data = checked(
            form, AdjustmentSchema(), {"points": form.points.data, "reason": form.reason.data}
        )
        if data is not None:
            try:
                entry, _, replayed = adjust_once(
                    g.user, member, data["points"], data["reason"], form.key.data
                )
            except ApiError as error:
                refused(form, error)
                status = error.status
        else:
            status = 422
    else:
        status = 422
    if entry is not None:
        form = _adjust_form()
    if not htmx():
        if entry is not None:
            flash(gettext("Points adjusted."), "ok")
            return redirect(url_for(".detail", member_id=member.public_id))
        return page(
            "console/members/detail.html",
            status=status,
            **_detail_context(member, adjust_form=form),
        )
    body, code = page(
        "console/members/_adjust.html",
        status=status,
        member=member,
        adjust_form=form,
        entry=entry,
        replayed=replayed,
    )
    headers = {"HX-Trigger": "ledger-changed"} if entry is not None else {}
    return body, code, headers


@bp.route("/<member_id>/end", methods=["POST"])
def end(member_id: str):
    member = service.member_by_public_id(member_id)
    form = ConfirmForm(prefix="end")
    if not form.validate_on_submit():
        flash(gettext("Tick the box to confirm: ending a membership cannot be undone."), "bad")
    elif member.ended_at is None:
        audit.record("member.end", member, schema=MemberAuditSchema)
        service.end_membership(member, "admin")
        flash(gettext("The membership has ended."), "ok")
    return redirect(url_for(".detail", member_id=member.public_id))


@bp.route("/<member_id>/erase", methods=["POST"])
def erase(member_id: str):
    member = service.member_by_public_id(member_id)
    form = ConfirmForm(prefix="erase")
    if not form.validate_on_submit():
        flash(gettext("Tick the box to confirm: an erasure cannot be undone."), "bad")
    else:
        privacy.erase_by_operator(member, g.user)
        flash(gettext("The member's personal data is being erased."), "ok")
    return redirect(url_for(".detail", member_id=member.public_id))


@bp.route("/<member_id>/export", methods=["POST"])
def export(member_id: str):
    """A POST, not a link: the export is recorded in the audit trail, and a page elsewhere
    must not be able to make an operator's browser ask for one."""
    member = service.member_by_public_id(member_id)
    return privacy.operator_export(member)
