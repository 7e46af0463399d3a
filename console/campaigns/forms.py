from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from console.forms import ConsoleForm
from console.i18n import LANGUAGES
from console.program.forms import LOCAL


class CampaignFormBase(ConsoleForm):
    name = StringField(_l("Name (for operators)"), validators=[InputRequired()])
    segment_id = SelectField(_l("Segment"), choices=[])
    offer_id = SelectField(_l("Offer it promotes"), choices=[])
    deep_link = StringField(_l("Deep link (e.g. loyalty://offers)"), validators=[Optional()])
    send_at = DateTimeLocalField(
        _l("Send at (UTC; empty: when you press Send)"), format=LOCAL, validators=[Optional()]
    )
    holdout_percent = IntegerField(
        _l("Holdout: share of the segment not sent to (%)"), default=0, validators=[Optional()]
    )


def _with_texts() -> type[CampaignFormBase]:
    fields = {}
    for code, language in LANGUAGES.items():
        fields[f"title_{code}"] = StringField(_l("Title (%(language)s)", language=language))
        fields[f"body_{code}"] = TextAreaField(_l("Text (%(language)s)", language=language))
    return type("CampaignForm", (CampaignFormBase,), fields)


CampaignForm = _with_texts()
