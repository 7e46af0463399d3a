"""Pass labels in every supported language.

Apple looks each pass.json string up in `<lang>.lproj/pass.strings`, so the English text is
the key: a device whose language the pass lacks still shows readable English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

POINTS = "Points"
PENDING = "Pending"
TIER = "Tier"
MEMBER = "Member"
CARD_NUMBER = "Card number"
PRIVILEGES = "Privileges"
TERMS = "Terms"
POINTS_CHANGED = "You now have %@ points"
TIER_CHANGED = "Your tier is now %@"
DESCRIPTION = "Loyalty card"

TRANSLATIONS: Mapping[str, Mapping[str, str]] = {
    "fi": {
        POINTS: "Pisteet",
        PENDING: "Tulossa",
        TIER: "Taso",
        MEMBER: "Jäsen",
        CARD_NUMBER: "Kortin numero",
        PRIVILEGES: "Edut",
        TERMS: "Ehdot",
        POINTS_CHANGED: "Sinulla on nyt %@ pistettä",
        TIER_CHANGED: "Tasosi on nyt %@",
        DESCRIPTION: "Kanta-asiakaskortti",
    },
    "pl": {
        POINTS: "Punkty",
        PENDING: "Oczekujące",
        TIER: "Poziom",
        MEMBER: "Członek",
        CARD_NUMBER: "Numer karty",
        PRIVILEGES: "Przywileje",
        TERMS: "Regulamin",
        POINTS_CHANGED: "Masz teraz %@ punktów",
        TIER_CHANGED: "Twój poziom to teraz %@",
        DESCRIPTION: "Karta lojalnościowa",
    },
    "tl": {
        POINTS: "Puntos",
        PENDING: "Nakabinbin",
        TIER: "Antas",
        MEMBER: "Miyembro",
        CARD_NUMBER: "Numero ng card",
        PRIVILEGES: "Mga pribilehiyo",
        TERMS: "Mga tuntunin",
        POINTS_CHANGED: "Mayroon ka nang %@ puntos",
        TIER_CHANGED: "Ang antas mo ngayon ay %@",
        DESCRIPTION: "Loyalty card",
    },
}

LABELS: tuple[str, ...] = (
    POINTS,
    PENDING,
    TIER,
    MEMBER,
    CARD_NUMBER,
    PRIVILEGES,
    TERMS,
    POINTS_CHANGED,
    TIER_CHANGED,
    DESCRIPTION,
)


def translate(text: str, language: str) -> str:
    """The label in that language, or the English text when there is no translation."""
    return TRANSLATIONS.get(language, {}).get(text, text)


def localized(text: str, languages: Iterable[str]) -> dict[str, str]:
    """{language: text} for a built-in label."""
    return {lang: translate(text, lang) for lang in languages}


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'


def strings_file(entries: Mapping[str, str]) -> bytes:
    """An Apple .strings file; Apple's pass documentation asks for UTF-16 (with its BOM)."""
    lines = [f"{_quote(key)} = {_quote(value)};\n" for key, value in entries.items()]
    return "".join(lines).encode("utf-16")
