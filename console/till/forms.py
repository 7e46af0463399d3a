import secrets

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length, Optional

from console.forms import ConsoleForm


def new_key() -> str:
    """A form's idempotency key: a retried or double-clicked form is recorded once."""
    return secrets.token_urlsafe(18)


class CardForm(ConsoleForm):
    card_number = StringField(
        _l("Card number"), validators=[InputRequired(), Length(max=40)], id="till-card"
    )


class PurchaseForm(ConsoleForm):
    card_number = HiddenField(validators=[InputRequired(), Length(max=40)])
    key = HiddenField(validators=[InputRequired(), Length(max=64)])
    amount = StringField(_l("Amount"), validators=[InputRequired(), Length(max=12)])
    receipt_id = StringField(_l("Receipt id"), validators=[InputRequired(), Length(max=64)])
    offer_code = StringField(_l("Offer code"), validators=[Optional(), Length(max=20)])


class CodeForm(ConsoleForm):
    code = StringField(_l("Redemption code"), validators=[InputRequired(), Length(max=40)])


class TicketForm(ConsoleForm):
    ticket = StringField(_l("Ticket code"), validators=[InputRequired(), Length(max=40)])
