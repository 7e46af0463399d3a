"""The community's part of the demo (`make run`): a catalog of interests, an NPS survey after
purchases at the Helsinki stores, a product vote for gold and platinum, and a launch with
tiered early access, in the four languages. Idempotent (skipped when its rows exist)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.members.models import Member
from app.models_base import utcnow
from app.rewards.models import Reward
from app.stores.models import Store
from community.events.models import Event
from community.events.service import save_event
from community.interests.models import Interest
from community.interests.service import save_interest, set_member_interests
from community.polls.models import Poll
from community.polls.service import save_poll
from community.surveys import triggers
from community.surveys.models import Survey
from community.surveys.service import save_survey

INTERESTS = [
    ("coffee", {"en": "Coffee", "fi": "Kahvi", "pl": "Kawa", "tl": "Kape"}),
    ("running", {"en": "Running", "fi": "Juoksu", "pl": "Bieganie", "tl": "Pagtakbo"}),
    ("cooking", {"en": "Cooking", "fi": "Ruoanlaitto", "pl": "Gotowanie", "tl": "Pagluluto"}),
    ("fashion", {"en": "Fashion", "fi": "Muoti", "pl": "Moda", "tl": "Moda"}),
    ("tech", {"en": "Gadgets", "fi": "Tekniikka", "pl": "Gadżety", "tl": "Gadget"}),
]

NPS = {
    "en": "How likely are you to recommend us to a friend?",
    "fi": "Kuinka todennäköisesti suosittelisit meitä ystävällesi?",
    "pl": "Jak chętnie polecisz nas znajomemu?",
    "tl": "Gaano mo kami kagustong irekomenda sa isang kaibigan?",
}
RATING = {
    "en": "How was the service today?",
    "fi": "Millaista palvelu oli tänään?",
    "pl": "Jak oceniasz dzisiejszą obsługę?",
    "tl": "Kumusta ang serbisyo ngayon?",
}
COMMENT = {
    "en": "Anything we could do better?",
    "fi": "Voisimmeko tehdä jotain paremmin?",
    "pl": "Co możemy poprawić?",
    "tl": "May maaari ba kaming pagbutihin?",
}


def _interests() -> None:
    coffee = db.session.scalar(select(Reward.public_id).where(Reward.name == "Coffee"))
    for position, (code, name) in enumerate(INTERESTS):
        save_interest(
            Interest(),
            {
                "code": code,
                "name": name,
                "position": position,
                "reward_ids": [coffee] if code == "coffee" and coffee else [],
            },
        )
    db.session.commit()
    aino = db.session.scalar(select(Member).where(Member.name == "Aino Virtanen"))
    if aino is not None:
        set_member_interests(aino, ["coffee", "cooking"], {"push": ["coffee"], "email": []})


def _survey(now) -> None:
    stores = list(
        db.session.scalars(
            select(Store.public_id).where(Store.code.in_(["hel-kamppi", "hel-itis"]))
        )
    )
    save_survey(
        Survey(),
        {
            "title": {
                "en": "Rate your visit",
                "fi": "Arvioi käyntisi",
                "pl": "Oceń swoją wizytę",
                "tl": "I-rate ang iyong pagbisita",
            },
            "intro": {
                "en": "Two minutes, 50 points.",
                "fi": "Kaksi minuuttia, 50 pistettä.",
                "pl": "Dwie minuty, 50 punktów.",
                "tl": "Dalawang minuto, 50 puntos.",
            },
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(days=60),
            "reward_points": 50,
            "trigger": "purchase",
            "trigger_store_ids": stores,
            "questions": [
                {"kind": "nps", "text": NPS, "required": True, "options": []},
                {"kind": "rating", "text": RATING, "required": True, "options": []},
                {"kind": "text", "text": COMMENT, "required": False, "options": []},
            ],
        },
    )
    db.session.commit()
    triggers.changed()


def _poll(now) -> None:
    def candidate(en, fi, pl, tl, image):
        return {
            "name": {"en": en, "fi": fi, "pl": pl, "tl": tl},
            "image_url": f"https://example.com/demo/{image}.jpg",
        }

    save_poll(
        Poll(),
        {
            "title": {
                "en": "Which new product should we carry?",
                "fi": "Mikä uutuus valikoimaan?",
                "pl": "Jaki nowy produkt mamy wprowadzić?",
                "tl": "Anong bagong produkto ang dapat naming ibenta?",
            },
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(days=14),
            "tiers": ["gold", "platinum"],
            "results_visibility": "live",
            "candidates": [
                candidate("Oat latte", "Kauralatte", "Latte owsiane", "Oat latte", "oat-latte"),
                candidate("Rye crisps", "Ruisnäkkäri", "Chrupki żytnie", "Rye crisps", "rye"),
                candidate(
                    "Cloudberry jam", "Lakkahillo", "Dżem z moroszki", "Cloudberry jam", "jam"
                ),
            ],
        },
    )
    db.session.commit()


def _event(now) -> None:
    kamppi = db.session.scalar(select(Store.public_id).where(Store.code == "hel-kamppi"))
    opens = now + timedelta(days=4)
    save_event(
        Event(),
        {
            "kind": "launch",
            "title": {
                "en": "Spring collection: early access",
                "fi": "Kevätmallisto: ennakkoon",
                "pl": "Kolekcja wiosenna: wcześniejszy dostęp",
                "tl": "Spring collection: maagang access",
            },
            "description": {
                "en": "Shop the new collection before everyone, with coffee.",
                "fi": "Shoppaile uutuudet ennen muita, kahvin kera.",
                "pl": "Kupuj nowości przed wszystkimi, przy kawie.",
                "tl": "Mamili ng bagong koleksyon bago ang lahat, may kape.",
            },
            "store_id": kamppi,
            "starts_at": now + timedelta(days=10),
            "ends_at": now + timedelta(days=10, hours=2),
            "capacity": 20,
            "price_points": 0,
            "opens_at": opens,
            "early_access": [
                {"tier": "platinum", "opens_at": opens - timedelta(days=4)},
                {"tier": "gold", "opens_at": opens - timedelta(days=2)},
            ],
            "interests": [],
        },
    )
    db.session.commit()


def _after_purchase() -> None:
    """A visit to Kamppi after the survey exists: Aino is asked to rate it (and pushed)."""
    from decimal import Decimal

    from app.program.service import get_program
    from app.purchases.service import PurchaseInput, record_purchase

    aino = db.session.scalar(select(Member).where(Member.name == "Aino Virtanen"))
    kamppi = db.session.scalar(select(Store).where(Store.code == "hel-kamppi"))
    if aino is None or kamppi is None:
        return
    record_purchase(
        kamppi,
        PurchaseInput(
            card_number=aino.card_number,
            amount_minor=int(Decimal("18.40") * 100),
            currency=get_program().currency,
            channel="in_store",
            receipt_id="demo-community-1",
        ),
        recorded_by="seed",
    )
    db.session.commit()


def seed_demo() -> None:
    now = utcnow()
    if db.session.scalar(select(Interest.id).limit(1)) is None:
        _interests()
    if db.session.scalar(select(Survey.id).limit(1)) is None:
        _survey(now)
        _after_purchase()
    if db.session.scalar(select(Poll.id).limit(1)) is None:
        _poll(now)
    if db.session.scalar(select(Event.id).limit(1)) is None:
        _event(now)
