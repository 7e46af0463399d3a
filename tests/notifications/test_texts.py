"""Language choice with fallback, and placeholder templates."""

from __future__ import annotations

import pytest

from notifications.texts import (
    NoTranslation,
    PushText,
    TemplateError,
    check_template,
    localized,
    pick_language,
    placeholders,
    render,
)

TEXTS = {
    "en": PushText("Double points", "Hi {name}, double points until {ends}"),
    "fi": PushText("Tuplapisteet", "Hei {name}, tuplapisteet {ends} asti"),
    "pl": PushText("Podwójne punkty", "Cześć {name}, podwójne punkty do {ends}"),
}


@pytest.mark.parametrize(
    ("member", "default", "expected"),
    [
        ("fi", "en", "fi"),
        ("fi-FI", "en", "fi"),
        ("PL", "en", "pl"),
        ("tl", "fi", "fi"),  # no Tagalog text: the program's default
        ("tl", "sv", "en"),  # nor the default: English
        (None, None, "en"),
    ],
)
def test_pick_language_falls_back(member: str | None, default: str | None, expected: str) -> None:
    assert pick_language(TEXTS.keys(), member, default) == expected


def test_no_usable_translation() -> None:
    with pytest.raises(NoTranslation):
        pick_language(["fi"], "tl", "pl")


def test_localized_and_rendered_for_a_member() -> None:
    language, text = localized(TEXTS, "pl", "en")
    assert language == "pl"
    assert text.render({"name": "Ania", "ends": "niedzieli"}) == PushText(
        "Podwójne punkty", "Cześć Ania, podwójne punkty do niedzieli"
    )


def test_render_values_and_literal_braces() -> None:
    assert render("{points} pts {{bonus}}", {"points": 1200}) == "1200 pts {bonus}"
    assert render("no placeholders", {}) == "no placeholders"


@pytest.mark.parametrize(
    "template",
    ["{name.__class__}", "{items[0]}", "{name!r}", "{points:>10}", "{}", "{0}", "Hi {name", "}"],
)
def test_only_plain_names_are_allowed(template: str) -> None:
    with pytest.raises(TemplateError):
        render(template, {"name": "x", "items": ["a"], "points": 1})


def test_missing_value_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(TemplateError, match="ends"):
        render("until {ends}", {"name": "x"})


def test_check_template_against_allowed_placeholders() -> None:
    assert placeholders("Hi {name}, {points} points") == {"name", "points"}
    check_template("Hi {name}", {"name", "points"})
    with pytest.raises(TemplateError, match="balance"):
        check_template("You have {balance}", {"name", "points"})
