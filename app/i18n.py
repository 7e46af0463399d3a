"""Picking a member's text out of a localized map, with a fallback."""

from __future__ import annotations

LANGUAGES = ("en", "fi", "pl", "tl")


def pick(texts: dict[str, str] | None, language: str, default_language: str = "en") -> str:
    """The member's language, else the program's default, else English, else any."""
    if not texts:
        return ""
    for lang in (language, default_language, "en"):
        if texts.get(lang):
            return texts[lang]
    return next(iter(texts.values()))
