"""Choosing a member's language among a message's translations, and filling placeholders.

Templates use ``{name}`` placeholders and ``{{`` / ``}}`` for literal braces (Python's format
syntax, parsed by the standard library's ``string.Formatter``), but only bare names: no
attribute or index access, conversions or format specs, so an admin-written template can only
ever insert the values it is given.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

FALLBACK_LANGUAGE = "en"
T = TypeVar("T")
_PARSER = string.Formatter()


class TemplateError(ValueError):
    pass


class NoTranslation(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class PushText:
    title: str
    body: str

    def render(self, values: Mapping[str, object]) -> PushText:
        return PushText(render(self.title, values), render(self.body, values))


def _base(language: str | None) -> str | None:
    # "fi-FI", "pl_PL" and "FI" all mean Finnish here.
    if not language:
        return None
    return language.replace("_", "-").split("-")[0].lower()


def pick_language(
    available: Collection[str],
    member_language: str | None,
    program_default: str | None = None,
    fallback: str = FALLBACK_LANGUAGE,
) -> str:
    """The member's language if the message has it, else the program's default, else English."""
    have = {_base(code): code for code in available}
    for wanted in (member_language, program_default, fallback):
        base = _base(wanted)
        if base in have:
            return have[base]
    raise NoTranslation(
        f"none of {member_language!r}, {program_default!r}, {fallback!r} among {sorted(available)}"
    )


def localized(
    translations: Mapping[str, T], member_language: str | None, program_default: str | None = None
) -> tuple[str, T]:
    """(language, translation) for the member, with the fallback of ``pick_language``."""
    language = pick_language(translations.keys(), member_language, program_default)
    return language, translations[language]


def _fields(template: str) -> Iterable[tuple[str, str | None]]:
    try:
        parsed = list(_PARSER.parse(template))
    except ValueError as error:  # a lone "{" or "}"
        raise TemplateError(f"{error} in {template!r}") from error
    for literal, name, spec, conversion in parsed:
        if name is not None and (not name.isidentifier() or spec or conversion):
            raise TemplateError(f"placeholder {{{name}}} must be a plain name in {template!r}")
        yield literal, name


def placeholders(template: str) -> set[str]:
    """The placeholder names a template uses (raises TemplateError if it is malformed)."""
    return {name for _, name in _fields(template) if name is not None}


def check_template(template: str, allowed: Collection[str]) -> None:
    """Refuse a template that is malformed or names a placeholder outside ``allowed``."""
    unknown = placeholders(template) - set(allowed)
    if unknown:
        raise TemplateError(f"unknown placeholders {sorted(unknown)} in {template!r}")


def render(template: str, values: Mapping[str, object]) -> str:
    parts = []
    for literal, name in _fields(template):
        parts.append(literal)
        if name is not None:
            if name not in values:
                raise TemplateError(f"no value for {{{name}}} in {template!r}")
            parts.append(str(values[name]))
    return "".join(parts)
