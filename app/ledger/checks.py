"""The ledger check: every rule of the points ledger that can be proven from the tables.

`flask points check` and `GET /api/v1/admin/ledger/check` run the core's rules and those the
app's feature packages added. Each rule is one set-based query that returns the rows breaking it,
so a healthy ledger answers an empty list however large it is. A feature adds its rules with
`register_check(app, name, check)` in its `init_app`: the rules live on the app, so an app built
without that feature (another test, another process) does not run them; the core never needs
to know them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy import func, or_, select

from app.extensions import db
from app.ledger.models import LedgerEntry, PointLot
from app.members.models import Member
from app.offers.models import Offer, OfferClaim
from app.purchases.models import Purchase, Refund
from app.rewards.models import Redemption, Reward


@dataclass(frozen=True)
class Problem:
    check: str
    subject: str
    details: dict = field(default_factory=dict)


Check = Callable[[], Iterable[Problem]]
_EXTENSION = "ledger_checks"
_core_checks: dict[str, Check] = {}


def _core(name: str) -> Callable[[Check], Check]:
    def decorator(fn: Check) -> Check:
        _core_checks[name] = fn
        return fn

    return decorator


def register_check(app: Flask, name: str, check: Check) -> None:
    """Add a feature's rule to this app's ledger check (call it from the feature's init_app)."""
    if name in _core_checks:
        raise ValueError(f"{name!r} is a core rule of the ledger check")
    app.extensions.setdefault(_EXTENSION, {})[name] = check


def registered_checks() -> dict[str, Check]:
    """The core's rules first, then the features' in the order they were added."""
    return _core_checks | current_app.extensions.get(_EXTENSION, {})


@dataclass(frozen=True)
class Report:
    checks: list[str]
    problems: list[Problem]

    @property
    def healthy(self) -> bool:
        return not self.problems


def run_checks() -> Report:
    checks = registered_checks()
    problems: list[Problem] = []
    for check in checks.values():
        problems.extend(check())
    return Report(checks=list(checks), problems=problems)


def ledger_problems() -> list[dict]:
    """Every problem as a plain dict: what tests and scripts compare with `[]`."""
    return [
        {"check": p.check, "subject": p.subject, "details": p.details}
        for p in run_checks().problems
    ]


@_core("member_balances")
def member_balances() -> Iterable[Problem]:
    """A member's cached balances equal the sum of the entries and the lots' remainders."""
    sums = (
        select(
            LedgerEntry.member_id,
            func.sum(LedgerEntry.available_delta).label("available"),
            func.sum(LedgerEntry.pending_delta).label("pending"),
        )
        .group_by(LedgerEntry.member_id)
        .subquery()
    )
    lots = (
        select(
            PointLot.member_id,
            func.sum(PointLot.remaining).filter(PointLot.released).label("available"),
            func.sum(PointLot.remaining).filter(~PointLot.released).label("pending"),
        )
        .group_by(PointLot.member_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Member.public_id,
            Member.points_available,
            Member.points_pending,
            func.coalesce(sums.c.available, 0),
            func.coalesce(sums.c.pending, 0),
            func.coalesce(lots.c.available, 0),
            func.coalesce(lots.c.pending, 0),
        )
        .outerjoin(sums, sums.c.member_id == Member.id)
        .outerjoin(lots, lots.c.member_id == Member.id)
    )
    for public_id, avail, pend, e_avail, e_pend, l_avail, l_pend in rows:
        if not (avail == e_avail == l_avail and pend == e_pend == l_pend):
            yield Problem(
                "member_balances",
                public_id,
                {
                    "cached": [avail, pend],
                    "entries": [e_avail, e_pend],
                    "lots": [l_avail, l_pend],
                },
            )


@_core("purchase_refunds")
def purchase_refunds() -> Iterable[Problem]:
    """Per purchase: the refunds add up to `refunded_minor` <= the amount, what they reversed and
    could not collect adds up to `points_reversed` <= `points_earned`, and the reverse entries
    took exactly what the refunds say they took."""
    refunds = (
        select(
            Refund.purchase_id,
            func.sum(Refund.amount_minor).label("amount"),
            func.sum(Refund.points_reversed).label("collected"),
            func.sum(Refund.points_uncollected).label("uncollected"),
        )
        .group_by(Refund.purchase_id)
        .subquery()
    )
    reversals = (
        select(
            LedgerEntry.reference_id,
            (-func.sum(LedgerEntry.available_delta + LedgerEntry.pending_delta)).label("taken"),
            (-func.sum(LedgerEntry.qualifying)).label("disqualified"),
        )
        .where(LedgerEntry.kind == "reverse", LedgerEntry.reference_type == "purchase")
        .group_by(LedgerEntry.reference_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Purchase.public_id,
            Purchase.amount_minor,
            Purchase.refunded_minor,
            Purchase.points_earned,
            Purchase.points_reversed,
            func.coalesce(refunds.c.amount, 0),
            func.coalesce(refunds.c.collected, 0),
            func.coalesce(refunds.c.uncollected, 0),
            func.coalesce(reversals.c.taken, 0),
            func.coalesce(reversals.c.disqualified, 0),
        )
        .outerjoin(refunds, refunds.c.purchase_id == Purchase.id)
        .outerjoin(reversals, reversals.c.reference_id == Purchase.public_id)
        .where(
            or_(
                Purchase.refunded_minor != 0,
                Purchase.points_reversed != 0,
                refunds.c.purchase_id.is_not(None),
                reversals.c.reference_id.is_not(None),
            )
        )
    )
    for (
        public_id,
        amount,
        refunded,
        earned,
        reversed_,
        refunds_amount,
        collected,
        uncollected,
        taken,
        disqualified,
    ) in rows:
        if (
            refunds_amount == refunded <= amount
            and collected + uncollected == reversed_ <= earned
            and taken == collected
            and disqualified == reversed_
        ):
            continue
        yield Problem(
            "purchase_refunds",
            public_id,
            {
                "amount_minor": amount,
                "refunded_minor": refunded,
                "refunds_minor": refunds_amount,
                "points_earned": earned,
                "points_reversed": reversed_,
                "refunds_collected": collected,
                "refunds_uncollected": uncollected,
                "entries_taken": taken,
                "entries_disqualified": disqualified,
            },
        )


@_core("reward_stock")
def reward_stock() -> Iterable[Problem]:
    """Per stocked reward: the redemptions (bought, won or voided: each took a unit) plus what is
    left never exceed the units ever put in stock (`stock_total`)."""
    live = (
        select(Redemption.reward_id, func.count(Redemption.id).label("count"))
        .group_by(Redemption.reward_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Reward.public_id,
            Reward.stock_total,
            Reward.stock_remaining,
            func.coalesce(live.c.count, 0),
        )
        .outerjoin(live, live.c.reward_id == Reward.id)
        .where(Reward.stock_remaining.is_not(None))
    )
    for public_id, total, remaining, redeemed in rows:
        if total is None or redeemed + remaining > total:
            yield Problem(
                "reward_stock",
                public_id,
                {"stock_total": total, "stock_remaining": remaining, "redemptions": redeemed},
            )


@_core("offer_claims")
def offer_claims() -> Iterable[Problem]:
    """Per offer: the claims number `claimed_count`, and never more than the cap."""
    claims = (
        select(OfferClaim.offer_id, func.count(OfferClaim.id).label("count"))
        .group_by(OfferClaim.offer_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Offer.public_id, Offer.total_cap, Offer.claimed_count, func.coalesce(claims.c.count, 0)
        ).outerjoin(claims, claims.c.offer_id == Offer.id)
    )
    for public_id, cap, counted, claimed in rows:
        if claimed != counted or (cap is not None and claimed > cap):
            yield Problem(
                "offer_claims",
                public_id,
                {"total_cap": cap, "claimed_count": counted, "claims": claimed},
            )


@_core("award_keys")
def award_keys() -> Iterable[Problem]:
    """One entry per award idempotency key (the unique index says so; this proves the index)."""
    rows = db.session.execute(
        select(LedgerEntry.idempotency_key, func.count(LedgerEntry.id))
        .where(LedgerEntry.idempotency_key.is_not(None))
        .group_by(LedgerEntry.idempotency_key)
        .having(func.count(LedgerEntry.id) > 1)
    )
    for key, count in rows:
        yield Problem("award_keys", key, {"entries": count})


@_core("tier_points")
def tier_points() -> Iterable[Problem]:
    """A member's running total of tier qualification is the sum of the `qualifying` points of
    the entries made since its start (app.tiers.service); no start: all of them."""
    sums = (
        select(
            LedgerEntry.member_id,
            func.sum(LedgerEntry.qualifying).label("points"),
        )
        .join(Member, Member.id == LedgerEntry.member_id)
        .where(
            or_(
                Member.tier_points_since.is_(None),
                LedgerEntry.created_at >= Member.tier_points_since,
            )
        )
        .group_by(LedgerEntry.member_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Member.public_id, Member.tier_points, func.coalesce(sums.c.points, 0))
        .outerjoin(sums, sums.c.member_id == Member.id)
        .where(Member.tier_points != func.coalesce(sums.c.points, 0))
    )
    for public_id, total, entries in rows:
        yield Problem("tier_points", public_id, {"tier_points": total, "entries": entries})
