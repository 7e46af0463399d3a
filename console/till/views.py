"""The till: store staff find a member's card, record a purchase and see what it earned, and
confirm a redemption code or an event ticket, once.

Through the same calls as the point-of-sale API: the store actor of the staff login
(`current_store_actor`), `record_once` with the form's own idempotency key, the rewards'
`confirm`, the events' `check_in` (when the community package is on).
"""

from __future__ import annotations

from flask import Blueprint, current_app
from flask_babel import lazy_gettext as _l

from app.auth.guards import current_store_actor
from app.errors import ApiError
from app.extensions import db
from app.i18n import pick
from app.members.service import member_by_card
from app.program.service import get_program
from app.purchases.schemas import PurchaseCreateSchema
from app.purchases.service import PurchaseInput
from app.purchases.till import record_once
from app.rewards import service as rewards
from app.rewards.models import Reward
from app.schemas import to_minor
from app.stores.service import ensure_store_active
from console.forms import checked, refused
from console.i18n import current_language
from console.pages import page
from console.till.forms import CardForm, CodeForm, PurchaseForm, TicketForm, new_key
from console.web import requires

bp = Blueprint("till", __name__, url_prefix="/till")
requires(bp, "staff")
NAV = ((_l("Till"), "index", "staff"),)

TEMPLATE = "console/till/index.html"


def _tickets_on() -> bool:
    return "community" in current_app.config["FEATURES"]


def _actor():
    actor = current_store_actor()
    ensure_store_active(actor.store)
    return actor


def _purchase_form(member) -> PurchaseForm:
    form = PurchaseForm(formdata=None)
    form.card_number.data = member.card_number
    form.key.data = new_key()
    return form


def _screen(**context):
    """Every part of the till's screen, with blank forms for what is not given."""
    context.setdefault("card_form", CardForm(formdata=None))
    context.setdefault("code_form", CodeForm(formdata=None))
    if _tickets_on():
        context.setdefault("ticket_form", TicketForm(formdata=None))
    context.setdefault("store", _actor().store)
    context.setdefault("currency", get_program().currency)
    return context


@bp.route("/")
def index():
    return page(TEMPLATE, **_screen(title=_l("Till")))


@bp.route("/card", methods=["POST"])
def card():
    form = CardForm()
    member = purchase_form = None
    status = 200
    if form.validate_on_submit():
        try:
            member = member_by_card(form.card_number.data)
        except ApiError as error:
            refused(form, error, {"card_number": "card_number"})
            status = error.status
        else:
            purchase_form = _purchase_form(member)
    else:
        status = 422
    return page(
        TEMPLATE,
        "console/till/_member.html",
        status,
        **_screen(title=_l("Till"), card_form=form, member=member, purchase_form=purchase_form),
    )


@bp.route("/purchase", methods=["POST"])
def purchase():
    form = PurchaseForm()
    actor = _actor()
    member = result = replayed = None
    status = 200
    if form.validate_on_submit():
        payload = {
            "card_number": form.card_number.data,
            "amount": form.amount.data.strip().replace(",", "."),
            "currency": get_program().currency,
            "channel": "in_store",
            "receipt_id": form.receipt_id.data.strip(),
        }
        if form.offer_code.data:
            payload["offer_code"] = form.offer_code.data.strip()
        data = checked(form, PurchaseCreateSchema(), payload)
        if data is not None:
            entry = PurchaseInput(
                card_number=data["card_number"],
                amount_minor=to_minor(data["amount"]),
                currency=data["currency"],
                channel=data["channel"],
                receipt_id=data["receipt_id"],
                offer_code=data["offer_code"],
            )
            try:
                result, _, replayed = record_once(actor, entry, form.key.data, payload)
            except ApiError as error:
                refused(form, error)
                status = error.status
        else:
            status = 422
    else:
        status = 422
    try:
        member = member_by_card(form.card_number.data or "")
    except ApiError:
        member = None
    next_form = _purchase_form(member) if result is not None and member is not None else form
    return page(
        TEMPLATE,
        "console/till/_member.html",
        status,
        **_screen(
            title=_l("Till"),
            member=member,
            purchase_form=next_form,
            result=result,
            replayed=replayed,
        ),
    )


@bp.route("/redemption", methods=["POST"])
def redemption():
    form = CodeForm()
    actor = _actor()
    confirmed = reward = None
    status = 200
    if form.validate_on_submit():
        try:
            confirmed = rewards.confirm(form.code.data.strip(), actor.store)
        except ApiError as error:
            refused(form, error)
            status = error.status
        else:
            reward = db.session.get(Reward, confirmed.reward_id)
    else:
        status = 422
    return page(
        TEMPLATE,
        "console/till/_code.html",
        status,
        **_screen(title=_l("Till"), code_form=form, confirmed=confirmed, reward=reward),
    )


@bp.route("/ticket", methods=["POST"])
def ticket():
    if not _tickets_on():
        raise ApiError(404, "not_found", "No events here.")
    from community.events import service as events

    form = TicketForm()
    actor = _actor()
    checked_in = event_title = None
    status = 200
    if form.validate_on_submit():
        try:
            checked_in, event = events.check_in(form.ticket.data.strip(), actor.store)
        except ApiError as error:
            refused(form, error)
            status = error.status
        else:
            event_title = pick(event.title, current_language(), get_program().default_language)
    else:
        status = 422
    return page(
        TEMPLATE,
        "console/till/_ticket.html",
        status,
        **_screen(
            title=_l("Till"), ticket_form=form, checked_in=checked_in, event_title=event_title
        ),
    )
