"""Localized texts: a JSON map language -> text, read in the member's language.

Fallback: the member's language, the program's default language, English, then any text the
map has, so a game written in one language still shows something to everyone.
"""

from __future__ import annotations

from app.i18n import LANGUAGES, pick

# The core's fallback: the member's language, the default, English, then any text.
localize = pick


# Units of a challenge's progress, as "<current> of <target> <unit>".
_UNITS: dict[str, dict[str, str]] = {
    "purchase_count": {"en": "purchases", "fi": "ostosta", "pl": "zakupów", "tl": "pagbili"},
    "channel_purchases": {
        "en": "purchases",
        "fi": "ostosta",
        "pl": "zakupów",
        "tl": "pagbili",
    },
    "distinct_stores": {
        "en": "stores",
        "fi": "myymälää",
        "pl": "sklepów",
        "tl": "tindahan",
    },
    "quizzes_completed": {
        "en": "quizzes",
        "fi": "tietovisaa",
        "pl": "quizów",
        "tl": "pagsusulit",
    },
    "day": {
        "en": "days in a row",
        "fi": "päivää putkeen",
        "pl": "dni z rzędu",
        "tl": "sunod na araw",
    },
    "week": {
        "en": "weeks in a row",
        "fi": "viikkoa putkeen",
        "pl": "tygodni z rzędu",
        "tl": "sunod na linggo",
    },
}
_OF = {"en": "of", "fi": "/", "pl": "z", "tl": "sa"}


def progress_label(
    goal_kind: str,
    current: int,
    target: int,
    language: str,
    *,
    currency: str | None = None,
    streak_unit: str | None = None,
) -> str:
    """ "2 of 3 purchases", "2 / 3 ostosta", "25.00 of 50.00 EUR"."""
    lang = language if language in LANGUAGES else "en"
    of = _OF[lang]
    if streak_unit:
        return f"{current} {of} {target} {_UNITS[streak_unit][lang]}"
    if goal_kind == "total_spend":
        return f"{current / 100:.2f} {of} {target / 100:.2f} {currency or ''}".rstrip()
    return f"{current} {of} {target} {_UNITS[goal_kind][lang]}"
