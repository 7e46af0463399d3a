from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from console.forms import ConsoleForm, options
from console.i18n import LANGUAGES

LOCAL = "%Y-%m-%dT%H:%M"


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProgramForm(ConsoleForm):
    name = StringField(_l("Program name"), validators=[InputRequired()])
    base_points_per_unit = StringField(_l("Points per currency unit"), validators=[InputRequired()])
    return_window_days = IntegerField(_l("Return window (days)"), validators=[InputRequired()])
    points_validity_days = IntegerField(_l("Points valid for (days)"), validators=[InputRequired()])
    tier_window_days = IntegerField(
        _l("Tier qualification window (days)"), validators=[InputRequired()]
    )
    rollout = SelectField(
        _l("Rollout"),
        choices=options(
            [("all", _l("Every store")), ("pilot", _l("Pilot stores and regions only"))]
        ),
    )
    default_language = SelectField(_l("Default language"), choices=options(LANGUAGES.items()))
    terms = TextAreaField(_l("Terms"))


class TierForm(ConsoleForm):
    code = StringField(_l("Code"), validators=[InputRequired()])
    name = StringField(_l("Name"), validators=[InputRequired()])
    rank = IntegerField(_l("Rank"), validators=[InputRequired()])
    threshold_points = IntegerField(_l("Points to qualify"), validators=[InputRequired()])
    multiplier = StringField(_l("Earning multiplier"), validators=[Optional()])
    discount_percent = IntegerField(_l("Discount (%)"), validators=[Optional()])
    privileges = TextAreaField(_l("Privileges, one per line"))
    color = StringField(_l("Colour (#rrggbb)"), validators=[Optional()])


class RegionForm(ConsoleForm):
    name = StringField(_l("Name"), validators=[InputRequired()])
    code = StringField(_l("Code"), validators=[InputRequired()])
    pilot = BooleanField(_l("Pilot region"))


class StoreForm(ConsoleForm):
    name = StringField(_l("Name"), validators=[InputRequired()])
    code = StringField(_l("Code"), validators=[InputRequired()])
    region_id = SelectField(_l("Region"), choices=[])
    kind = SelectField(
        _l("Kind"), choices=options([("physical", _l("Shop")), ("online", _l("Online"))])
    )
    pilot = BooleanField(_l("Pilot store"))


class RewardForm(ConsoleForm):
    name = StringField(_l("Name"), validators=[InputRequired()])
    description = TextAreaField(_l("Description"))
    cost_points = IntegerField(_l("Cost in points"), validators=[InputRequired()])
    stock_remaining = IntegerField(_l("Stock (empty: unlimited)"), validators=[Optional()])
    tiers = Checkboxes(_l("Only for tiers (none ticked: everyone)"), choices=[])
    active = BooleanField(_l("In the catalog"), default=True)


class RuleForm(ConsoleForm):
    name = StringField(_l("Name"), validators=[InputRequired()])
    kind = SelectField(
        _l("Kind"),
        choices=options([("multiplier", _l("Multiplier")), ("fixed", _l("Fixed points"))]),
    )
    multiplier = StringField(_l("Multiplier"), validators=[Optional()])
    fixed_points = IntegerField(_l("Fixed points"), validators=[Optional()])
    store_id = SelectField(_l("Store"), choices=[])
    region_id = SelectField(_l("Region"), choices=[])
    channel = SelectField(_l("Channel"), choices=[])
    min_amount = StringField(_l("Minimum amount"), validators=[Optional()])
    starts_at = DateTimeLocalField(_l("Starts (UTC)"), format=LOCAL, validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends (UTC)"), format=LOCAL, validators=[Optional()])
