from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SearchField, StringField
from wtforms.validators import InputRequired, Length

from console.forms import ConsoleForm


class SearchForm(ConsoleForm):
    class Meta:
        csrf = False  # a search reads, it changes nothing

    q = SearchField(_l("Email, name or card number"), validators=[Length(max=120)])


class AdjustForm(ConsoleForm):
    key = HiddenField(validators=[InputRequired(), Length(max=64)])
    points = IntegerField(
        _l("Points (negative to take away)"), validators=[InputRequired()], id="adjust-points"
    )
    reason = StringField(_l("Reason"), validators=[InputRequired()], id="adjust-reason")


class ConfirmForm(ConsoleForm):
    """A step that cannot be undone: the operator ticks a box to say so."""

    confirm = BooleanField(validators=[InputRequired()])
