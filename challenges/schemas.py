"""Schema pieces the games' domains share: who may play (in and out), codes, texts, and how a
member's answers are written in the member's language.

What goes out over HTTP is dumped through the domains' schemas (`quizzes.schemas`, ...). A
member reads texts in their language: an admin's texts are maps language -> text, and a member
endpoint marked `@in_member_language` dumps them through `Localized` fields as one text (the
member's language, the program's default, English, then any; see `challenges.texts`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from marshmallow import Schema, ValidationError, fields, validate

from app.i18n import LANGUAGES
from app.schemas import localized_texts
from challenges.texts import localize

F = TypeVar("F", bound=Callable[..., Any])

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,59}$", error="Lowercase letters, digits, - and _.")

localized = localized_texts


def description() -> fields.Dict:
    return fields.Dict(
        keys=fields.Str(validate=validate.OneOf(LANGUAGES)),
        values=fields.Str(validate=validate.Length(max=2000)),
        load_default=dict,
    )


def texts(**kwargs: Any) -> fields.Dict:
    """An admin's view of a localized text: the map language -> text as stored."""
    return fields.Dict(keys=fields.Str(), values=fields.Str(), **kwargs)


def _known_segment(segment_id: str) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.segments.models import Segment

    if db.session.scalar(select(Segment.id).where(Segment.public_id == segment_id)) is None:
        raise ValidationError("Unknown segment.")


class EligibilityFields(Schema):
    tiers = fields.List(fields.Str(validate=validate.Length(max=20)), load_default=list)
    member_ids = fields.List(
        fields.Str(validate=validate.Length(max=32)),
        load_default=list,
        validate=validate.Length(max=10_000),
    )
    segment_id = fields.Str(
        load_default=None, allow_none=True, validate=[validate.Length(max=64), _known_segment]
    )


def eligibility_fields() -> tuple[fields.List, fields.List, fields.Str]:
    """Who may play, as an admin set it: `tiers, member_ids, segment_id = eligibility_fields()`
    in an admin schema (where they fall in its order)."""
    return (
        fields.List(
            fields.Str(), required=True, metadata={"description": "Tier codes; empty: every tier."}
        ),
        fields.List(
            fields.Str(),
            required=True,
            metadata={"description": "Members who may always play (public ids)."},
        ),
        fields.Str(
            required=True, allow_none=True, metadata={"description": "A segment's public id."}
        ),
    )


# The member a member endpoint answers: (language, the program's default language).
_READER: ContextVar[tuple[str, str]] = ContextVar("games_reader")


@contextmanager
def reading_as(language: str, default: str) -> Iterator[None]:
    """Dump `Localized` fields in this language (tests and scripts; endpoints use the
    decorator below)."""
    token = _READER.set((language, default))
    try:
        yield
    finally:
        _READER.reset(token)


def reader() -> tuple[str, str]:
    """(language, default language) of whoever the answer is for."""
    return _READER.get(("en", "en"))


def in_member_language(view: F) -> F:
    """The view's answer is dumped in the calling member's language: put it under the guard
    and above `@blp.response`, which dumps the answer inside it."""
    from app.auth.guards import current_member
    from challenges.common import default_language

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reading_as(current_member().language, default_language()):
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Localized(fields.Str):
    """A map language -> text, dumped as the one text the reader reads (see `reader`)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        language, default = reader()
        return localize(value, language, default)


class Whole(fields.Nested):
    """A nested object dumped from the object itself: part of its view grouped under a key
    (`"goal": {...}` of a challenge). With `when`, the group is null when `when(obj)` is false."""

    def __init__(
        self, nested: Any, *, when: Callable[[Any], Any] | None = None, **kwargs: Any
    ) -> None:
        self.when = when
        if when is not None:
            kwargs.setdefault("allow_none", True)
        super().__init__(nested, **kwargs)

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        if self.when is not None and not self.when(obj):
            return None
        return self._serialize(obj, attr, obj, **kwargs)
