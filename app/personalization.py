"""Personalization: which of a list of items (rewards, offers) speak to a member's interests.

The core knows no interests. A feature package that does (community) registers a ranker with
`register_ranker(app, ranker)` in its init_app; the catalog and the offers list then ask
`rank(kind, member, items)` and put what a ranker picked first, marked `for_you`. An app
without a ranker answers the items as they were, none of them `for_you`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from flask import Flask, current_app

from app.members.models import Member

T = TypeVar("T")
# (kind, member, public ids of the candidates) -> the public ids that match the member.
Ranker = Callable[[str, Member, Sequence[str]], Iterable[str]]
_EXTENSION = "personalization_rankers"
REWARD = "reward"
OFFER = "offer"


def register_ranker(app: Flask, ranker: Ranker) -> None:
    rankers = app.extensions.setdefault(_EXTENSION, [])
    if ranker not in rankers:
        rankers.append(ranker)


def picked(kind: str, member: Member, public_ids: Sequence[str]) -> set[str]:
    """The public ids any registered ranker picked for the member."""
    found: set[str] = set()
    if not public_ids:
        return found
    for ranker in current_app.extensions.get(_EXTENSION, ()):
        found.update(ranker(kind, member, public_ids))
    return found


def rank(
    kind: str, member: Member, items: Sequence[T], key: Callable[[T], str]
) -> list[tuple[T, bool]]:
    """The items with `for_you`, those for the member first; the order is kept within each."""
    chosen = picked(kind, member, [key(item) for item in items])
    marked = [(item, key(item) in chosen) for item in items]
    return sorted(marked, key=lambda pair: not pair[1])
