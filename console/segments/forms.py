"""The segment form: a field for each criterion the app has registered (the core's with their
own controls, the features' as text), so a criterion added by a package shows up here too."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields as ma
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from app.segments.rules import criteria
from console.forms import ConsoleForm, options
from console.i18n import LANGUAGES
from console.program.forms import Checkboxes

# The core's criteria with controls of their own; every other registered one is a text field.
CORE = {
    "tiers",
    "languages",
    "regions",
    "home_stores",
    "points_min",
    "points_max",
    "purchased_within_days",
    "joined_from",
    "joined_to",
    "spend_min",
    "spend_days",
    "marketing_consent",
}
LABELS = {
    "tiers": _l("Tiers"),
    "languages": _l("Languages"),
    "regions": _l("Regions (home store)"),
    "points_min": _l("At least this many points"),
    "points_max": _l("At most this many points"),
    "purchased_within_days": _l("Bought something in the last … days"),
    "joined_from": _l("Joined on or after"),
    "joined_to": _l("Joined before"),
    "spend_min": _l("Spent at least"),
    "spend_days": _l("… over the last … days"),
    "marketing_consent": _l("Agreed to marketing pushes"),
}


class SegmentFormBase(ConsoleForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    tiers = Checkboxes(LABELS["tiers"], choices=[])
    languages = Checkboxes(LABELS["languages"], choices=options(LANGUAGES.items()))
    regions = Checkboxes(LABELS["regions"], choices=[])
    points_min = IntegerField(LABELS["points_min"], validators=[Optional()])
    points_max = IntegerField(LABELS["points_max"], validators=[Optional()])
    purchased_within_days = IntegerField(LABELS["purchased_within_days"], validators=[Optional()])
    joined_from = DateField(LABELS["joined_from"], validators=[Optional()])
    joined_to = DateField(LABELS["joined_to"], validators=[Optional()])
    spend_min = StringField(LABELS["spend_min"], validators=[Optional()])
    spend_days = IntegerField(LABELS["spend_days"], validators=[Optional()])
    marketing_consent = SelectField(
        LABELS["marketing_consent"],
        choices=options([("", _l("Either")), ("yes", _l("Yes")), ("no", _l("No"))]),
    )


def extra_criteria() -> dict[str, ma.Field]:
    """The criteria the feature packages registered (not the core's)."""
    return {name: c.field for name, c in criteria().items() if name not in CORE}


def form_class() -> type[SegmentFormBase]:
    """The form with a text field for each of the features' criteria."""
    extra: dict[str, Any] = {}
    for name, field in extra_criteria().items():
        hint = _l("Several: separate with commas") if isinstance(field, ma.List) else None
        extra[name] = StringField(
            name.replace("_", " ").capitalize(), validators=[Optional()], description=hint
        )
    return type("SegmentForm", (SegmentFormBase,), extra)
