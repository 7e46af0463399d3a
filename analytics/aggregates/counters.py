"""What the job counts per day besides sales and points: one `Counter` per activity, from the
core and from each feature package the app has loaded.

A counter names its table's time column (the day it counts in), the member column (the
member's home store is the counter's store) and, for a sum, the value. The packages' tables are
imported only when the package is among the app's FEATURES: an app without referrals counts
no referrals, and its engagement report says so. Another package's activity is added here, in
`SOURCES`, as a function returning its counters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask


@dataclass(frozen=True)
class Counter:
    metric: str
    # The engagement report's group for it ("offers", "games", ...) and what it counts.
    group: str
    description: str
    time: Any
    member: Any
    where: tuple = ()
    # None: a count of rows; else the sum of this column.
    value: Any = None
    # (target, on clause) joins the value or the filter needs.
    joins: tuple = field(default=())


def _core() -> list[Counter]:
    from app.members.models import Member
    from app.offers.models import OfferClaim
    from app.rewards.models import Redemption, Reward

    return [
        Counter("members_joined", "members", "Members who joined", Member.joined_at, Member.id),
        Counter(
            "offer_claims", "offers", "Offer claims", OfferClaim.claimed_at, OfferClaim.member_id
        ),
        Counter(
            "offer_redemptions",
            "offers",
            "Offer claims redeemed (at the till, or a gift at claim)",
            OfferClaim.redeemed_at,
            OfferClaim.member_id,
        ),
        Counter(
            "reward_redemptions",
            "rewards",
            "Rewards bought with points",
            Redemption.created_at,
            Redemption.member_id,
            where=(Redemption.reason.is_(None),),
        ),
        Counter(
            "prizes_granted",
            "rewards",
            "Rewards given as prizes (contests, referrals), without points",
            Redemption.created_at,
            Redemption.member_id,
            where=(Redemption.reason.is_not(None),),
        ),
        Counter(
            "prize_points",
            "rewards",
            "The catalog price in points of the rewards given as prizes",
            Redemption.created_at,
            Redemption.member_id,
            where=(Redemption.reason.is_not(None),),
            value=Reward.cost_points,
            joins=((Reward, Reward.id == Redemption.reward_id),),
        ),
    ]


def _games() -> list[Counter]:
    from challenges.tables import ChallengeCompletion, ContestEntry, QuizAttempt

    return [
        Counter(
            "quiz_plays",
            "games",
            "Quiz attempts started",
            QuizAttempt.started_at,
            QuizAttempt.member_id,
        ),
        Counter(
            "challenges_completed",
            "games",
            "Challenge windows completed",
            ChallengeCompletion.recorded_at,
            ChallengeCompletion.member_id,
        ),
        Counter(
            "contest_entries",
            "games",
            "Contest entries",
            ContestEntry.created_at,
            ContestEntry.member_id,
        ),
    ]


def _push() -> list[Counter]:
    from notifications.delivery.models import Delivery

    return [
        Counter("push_sent", "push", "Pushes sent", Delivery.sent_at, Delivery.member_id),
        Counter(
            "push_opened",
            "push",
            "Pushes the app reported opened",
            Delivery.opened_at,
            Delivery.member_id,
        ),
    ]


def _referrals() -> list[Counter]:
    from referrals.referrals.models import Referral

    friend = Referral.friend_member_id
    by_member = Referral.referrer_member_id.is_not(None)
    by_partner = Referral.partner_id.is_not(None)
    return [
        Counter(
            "referrals_joined",
            "referrals",
            "Friends who joined with a member's code",
            Referral.created_at,
            friend,
            where=(by_member,),
        ),
        Counter(
            "referrals_qualified",
            "referrals",
            "Of them, qualified by a first purchase",
            Referral.qualified_at,
            friend,
            where=(by_member,),
        ),
        Counter(
            "referrals_rewarded",
            "referrals",
            "Of them, rewarded after the hold",
            Referral.rewarded_at,
            friend,
            where=(by_member,),
        ),
        Counter(
            "partner_signups",
            "partners",
            "Members who joined with a partner's code",
            Referral.created_at,
            friend,
            where=(by_partner,),
        ),
        Counter(
            "partner_qualified",
            "partners",
            "Of them, qualified by a first purchase",
            Referral.qualified_at,
            friend,
            where=(by_partner,),
        ),
    ]


def _community() -> list[Counter]:
    from community.tables import PollVote, Rsvp, SurveyResponse

    return [
        Counter(
            "survey_responses",
            "community",
            "Survey responses",
            SurveyResponse.created_at,
            SurveyResponse.member_id,
        ),
        Counter(
            "poll_votes", "community", "Product votes", PollVote.created_at, PollVote.member_id
        ),
        Counter("event_rsvps", "community", "Event bookings", Rsvp.created_at, Rsvp.member_id),
    ]


# Feature package -> its counters; "app" is the core, always there.
SOURCES: dict[str, Callable[[], list[Counter]]] = {
    "app": _core,
    "challenges": _games,
    "notifications": _push,
    "referrals": _referrals,
    "community": _community,
}

_EXTENSION = "analytics_counters"


def install(app: Flask) -> None:
    """The counters of the core and of the packages this app loaded, kept on the app."""
    loaded = {"app", *app.config["FEATURES"]}
    app.extensions[_EXTENSION] = [
        c for name, make in SOURCES.items() if name in loaded for c in make()
    ]


def counters(app: Flask) -> list[Counter]:
    return app.extensions.get(_EXTENSION, [])
