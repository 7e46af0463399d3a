"""From the core's rows to the plain data the pass builders take (passes.cards.card).

Reads only: a card has no table of its own; each wallet keeps what it sent in its own.
"""

from __future__ import annotations

from datetime import datetime

from app.members.models import Member
from app.models_base import utcnow
from app.program.service import get_program
from app.tiers.service import all_tiers
from passes.cards.card import MemberCard, ProgramInfo, TierStyle, default_program
from passes.cards.colors import text_colors
from passes.settings import DEV_LOGO_URL, PassesSettings

# Translations of the standard tier names, keyed by the English name an operator gave the tier.
_KNOWN_TIER_NAMES = {style.names["en"]: style.names for style in default_program().tiers.values()}


def _languages(default: str, supported: tuple[str, ...]) -> tuple[str, ...]:
    return (default, *(lang for lang in supported if lang != default))


def program_info(settings: PassesSettings, supported_languages: tuple[str, ...]) -> ProgramInfo:
    """The program and its tiers as a pass shows them (read once per request or job)."""
    program = get_program()
    default = program.default_language
    languages = _languages(default, supported_languages)
    tiers: dict[str, TierStyle] = {}
    for tier in all_tiers():
        known = _KNOWN_TIER_NAMES.get(tier.name, {})
        names = {lang: known.get(lang, tier.name) for lang in languages} | {default: tier.name}
        foreground, label = text_colors(tier.color)
        tiers[tier.code] = TierStyle(
            code=tier.code,
            names=names,
            # Operators write privileges in the program's language; devices show them as given.
            privileges={default: "\n".join(tier.privileges or [])},
            background_color=tier.color,
            foreground_color=foreground,
            label_color=label,
        )
    return ProgramInfo(
        name=program.name,
        organization_name=settings.organization_name or program.name,
        tiers=tiers,
        terms={default: program.terms or ""},
        languages=languages,
        logo_url=settings.google_logo_url or (None if settings.production else DEV_LOGO_URL),
        homepage_url=settings.google_homepage_url,
    )


def member_card(
    member: Member,
    serial_number: str,
    authentication_token: str | None = None,
    now: datetime | None = None,
) -> MemberCard:
    ended = member.ended_at
    return MemberCard(
        serial_number=serial_number,
        member_name=member.name,
        card_number=member.card_number,
        tier=member.tier.code,
        points_available=member.points_available,
        points_pending=member.points_pending,
        authentication_token=authentication_token,
        expires_at=ended,
        voided=ended is not None and ended <= (now or utcnow()),
    )
