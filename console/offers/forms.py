from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from app.offers.models import BENEFITS
from console.forms import ConsoleForm, options
from console.i18n import LANGUAGES
from console.program.forms import LOCAL

BENEFIT_LABELS = {
    "bonus_points": _l("Bonus points with a purchase"),
    "multiplier": _l("Points multiplier on a purchase"),
    "gift_points": _l("Points when claimed"),
    "discount": _l("A discount at the till"),
}


class OfferFormBase(ConsoleForm):
    starts_at = DateTimeLocalField(_l("Starts (UTC)"), format=LOCAL, validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends (UTC)"), format=LOCAL, validators=[InputRequired()])
    segment_id = SelectField(_l("Segment"), choices=[])
    benefit = SelectField(_l("Benefit"), choices=options((b, BENEFIT_LABELS[b]) for b in BENEFITS))
    points = IntegerField(_l("Points"), validators=[Optional()])
    multiplier = StringField(_l("Multiplier"), validators=[Optional()])
    discount_percent = IntegerField(_l("Discount (%)"), validators=[Optional()])
    per_member_limit = IntegerField(_l("Claims per member"), default=1, validators=[Optional()])
    total_cap = IntegerField(_l("Claims in total (empty: no cap)"), validators=[Optional()])
    holdout_percent = IntegerField(
        _l("Holdout: share of the audience held back (%)"), default=0, validators=[Optional()]
    )
    active = BooleanField(_l("Active"), default=True)


def _with_texts() -> type[OfferFormBase]:
    fields = {}
    for code, language in LANGUAGES.items():
        fields[f"title_{code}"] = StringField(_l("Title (%(language)s)", language=language))
        fields[f"body_{code}"] = TextAreaField(_l("Text (%(language)s)", language=language))
    return type("OfferForm", (OfferFormBase,), fields)


OfferForm = _with_texts()
