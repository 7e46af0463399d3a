"""A demo program for `make run`: stores in two regions, tiers, rewards, people with history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.auth.service import create_api_key, create_user
from app.extensions import db
from app.members.service import create_member
from app.models_base import utcnow
from app.program.models import Program
from app.program.service import get_program
from app.purchases.models import EarningRule
from app.purchases.service import PurchaseInput, record_purchase
from app.rewards.models import Reward
from app.rewards.service import redeem
from app.stores.models import Region, Store
from app.tiers.models import Tier

DEMO_PASSWORD = "demo-password-1"

# Feature packages add their part of the demo (a quiz, a campaign...) in their init_app.
_demo_parts: list[Callable[[], None]] = []


def register_demo(part: Callable[[], None]) -> None:
    if part not in _demo_parts:
        _demo_parts.append(part)


DEFAULT_TIERS = (
    ("silver", "Silver", 0, 0, "1.000", 0, "#8a8d91", ["Member prices", "Birthday bonus"]),
    ("gold", "Gold", 1, 1000, "1.250", 5, "#c9a227", ["5% off", "Free delivery", "Early sales"]),
    (
        "platinum",
        "Platinum",
        2,
        5000,
        "1.500",
        10,
        "#5b6770",
        ["10% off", "Free delivery", "Early sales", "Priority support"],
    ),
)


def ensure_tiers() -> None:
    if db.session.scalar(select(Tier.id).limit(1)) is not None:
        return
    for code, name, rank, threshold, mult, discount, color, privileges in DEFAULT_TIERS:
        db.session.add(
            Tier(
                code=code,
                name=name,
                rank=rank,
                threshold_points=threshold,
                multiplier=Decimal(mult),
                discount_percent=discount,
                color=color,
                privileges=privileges,
            )
        )
    db.session.flush()


def seed(force: bool = False) -> list[tuple[str, str, str, str]] | None:
    if not force and db.session.scalar(select(Program.id).limit(1)) is not None:
        return None
    program = get_program()
    program.terms = "Points are valid 12 months. Purchase points become available after 14 days."
    ensure_tiers()

    south = Region(name="Helsinki", code="hel", pilot=False)
    north = Region(name="Oulu", code="oulu", pilot=False)
    db.session.add_all([south, north])
    db.session.flush()
    stores = [
        Store(name="Kamppi", code="hel-kamppi", region_id=south.id),
        Store(name="Itis", code="hel-itis", region_id=south.id),
        Store(name="Oulu Centre", code="oulu-centre", region_id=north.id),
        Store(name="Web shop", code="web", region_id=south.id, kind="online"),
    ]
    db.session.add_all(stores)
    db.session.flush()

    db.session.add_all(
        [
            Reward(
                name="Coffee", description="Any hot drink", cost_points=150, stock_remaining=None
            ),
            Reward(
                name="Tote bag", description="Organic cotton", cost_points=600, stock_remaining=50
            ),
            Reward(
                name="Lounge pass",
                description="A day in the members' lounge",
                cost_points=2000,
                stock_remaining=10,
                tiers=["gold", "platinum"],
            ),
        ]
    )
    now = utcnow()
    db.session.add(
        EarningRule(
            name="Double points online this week",
            kind="multiplier",
            multiplier=Decimal(2),
            channel="online",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=6),
        )
    )
    create_user("admin@example.com", DEMO_PASSWORD, "admin")
    create_user("staff@example.com", DEMO_PASSWORD, "staff", stores[0])
    logins = [
        ("admin", "admin@example.com", DEMO_PASSWORD, ""),
        ("staff", "staff@example.com", DEMO_PASSWORD, "store Kamppi"),
    ]
    people = [
        ("aino@example.com", "Aino Virtanen", "fi", "Europe/Helsinki", [120, 45.5, 980]),
        ("jan@example.com", "Jan Kowalski", "pl", "Europe/Warsaw", [60, 12.9]),
        ("maria@example.com", "Maria Santos", "tl", "Asia/Manila", [4200, 310]),
        ("emma@example.com", "Emma Smith", "en", "Europe/London", []),
    ]
    db.session.commit()
    coffee = db.session.scalar(select(Reward).where(Reward.name == "Coffee"))
    for i, (email, name, language, tz, amounts) in enumerate(people):
        user = create_user(email, DEMO_PASSWORD, "member")
        member = create_member(user, name, language, tz, consent=i % 2 == 0)
        db.session.commit()
        for n, amount in enumerate(amounts):
            record_purchase(
                stores[n % len(stores)],
                PurchaseInput(
                    card_number=member.card_number,
                    amount_minor=int(Decimal(str(amount)) * 100),
                    currency=program.currency,
                    channel="online" if stores[n % len(stores)].kind == "online" else "in_store",
                    receipt_id=f"demo-{i}-{n}",
                ),
                recorded_by="seed",
            )
            db.session.commit()
        logins.append(("member", email, DEMO_PASSWORD, f"card {member.card_number}"))
    # Maria's history includes points that became available and a reward.
    from app.ledger.service import release_due

    release_due(now + timedelta(days=program.return_window_days + 1))
    from app.members.models import Member

    member = db.session.scalar(select(Member).where(Member.name == "Maria Santos"))
    redeem(member, coffee)
    db.session.commit()
    _, raw_key = create_api_key(stores[0], "Kamppi till")
    logins.append(("pos-key", "(X-API-Key header)", raw_key, "store Kamppi"))
    for part in _demo_parts:
        part()
        db.session.commit()
    return logins
