"""The services' and schemas' messages the console shows most, marked for translation.

A service's refusal (an `ApiError`) and a schema's field error arrive in English; the console
passes them through gettext, so those listed here are shown in the operator's language (any
other is shown as the service wrote it). Nothing imports this module: it is read by
`pybabel extract`.
"""

from flask_babel import lazy_gettext as _l

MESSAGES = (
    _l("A card number has 16 digits."),
    _l("The card number's check digit is wrong."),
    _l("No such member."),
    _l("This membership has ended."),
    _l("Not enough points available."),
    _l("This receipt was already recorded."),
    _l("No such redemption."),
    _l("This code was already used."),
    _l("This code is no longer valid: the membership has ended."),
    _l("No such ticket."),
    _l("This ticket was checked in already."),
    _l("This ticket is not valid."),
    _l("This ticket is for an event at another store."),
    _l("This store is not active."),
    _l("The offer is not valid."),
    _l("This Idempotency-Key was used with a different request."),
    _l("Missing data for required field."),
    _l("Not a valid number."),
    _l("Not a valid integer."),
    _l("Field may not be null."),
    _l("At most two decimal places."),
    _l("The segment rules are invalid."),
    _l("Higher tiers must need strictly more points."),
    _l("Another tier has this code or rank."),
    _l("This campaign has already been sent or scheduled."),
    _l("The campaign's offer has ended."),
)
