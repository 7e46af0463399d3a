"""The small program the report tests compute by hand (tests/analytics/test_reports.py).

Cohorts (join month, home store):
  Dec 2025: eve (harbour)             Jan 2026: ann (main), ben (harbour)
  Feb 2026: cat (main), dan (web; never buys)
Purchases (EUR; a point per euro):
  eve  harbour in_store 100.00  2025-12-06            eve redeems 100 on 2025-12-20
  ann  main    in_store 100.00  2026-01-12  lot 100, 40 left after ann redeems 60 on 02-20,
                                             expires 2026-03-20
  ben  harbour online   200.00  2026-01-25  refunded 40.00 (40 points) on 02-01; ben's lot
                                             has 110 left after 50 expire on 02-22,
                                             expires 2026-04-15
  ann  main    in_store  50.00  2026-02-03  expires 2027-02-03
  cat  main    app       80.00  2026-02-10  pending (80), a 10 % discount offer redeemed
  ben  web     in_store  30.00  occurred 2026-02-20, recorded late on 2026-02-25,
                                             expires 2026-05-20
  ben  +20 bonus points from a contest on 02-12 (expires 2027-02-12), and a prize reward
       (catalog price 500 points) on 02-12.
Balances: eve 0, ann 90, ben 160, cat 80 pending, dan 0.
"""

from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.offers.models import Offer, OfferClaim
from app.program.service import get_program
from app.rewards.models import Redemption, Reward
from tests.analytics.builder import Builder, at


def build() -> dict:
    b = Builder()
    program = get_program()
    program.cost_per_point = "0.02"
    main, harbour = b.store("main", "south"), b.store("harbour", "south")
    web = b.store("web", "north", kind="online")
    eve = b.member("eve", at("2025-12-05"), harbour)
    ann = b.member("ann", at("2026-01-10"), main)
    ben = b.member("ben", at("2026-01-20"), harbour)
    cat = b.member("cat", at("2026-02-05"), main)
    dan = b.member("dan", at("2026-02-15"), web)

    b.purchase(eve, harbour, "in_store", 10000, at("2025-12-06"), remaining=0)
    b.entry(eve, "redeem", at("2025-12-20"), available=-100, ref=("redemption", "red_eve"))
    b.purchase(
        ann, main, "in_store", 10000, at("2026-01-12"), remaining=40, expires=at("2026-03-20")
    )
    p3 = b.purchase(
        ben, harbour, "online", 20000, at("2026-01-25"), remaining=110, expires=at("2026-04-15")
    )
    b.refund(p3, 4000, at("2026-02-01"), 40)
    b.purchase(ann, main, "in_store", 5000, at("2026-02-03"), expires=at("2027-02-03"))
    p4 = b.purchase(cat, main, "app", 8000, at("2026-02-10"), pending=True)
    bonus = b.entry(ben, "bonus", at("2026-02-12"), available=20, ref=("contest", "ctst_1"))
    b.lot(ben, bonus, 20, 20, at("2027-02-12"))
    b.entry(ann, "redeem", at("2026-02-20"), available=-60, ref=("redemption", "red_ann"))
    b.entry(ben, "expire", at("2026-02-22"), available=-50, ref=("lots", "1"))

    offer = Offer(
        title={"en": "10 % off"},
        starts_at=at("2026-02-01"),
        ends_at=at("2026-02-28"),
        benefit="discount",
        discount_percent=10,
        claimed_count=1,
    )
    db.session.add(offer)
    db.session.flush()
    db.session.add(
        OfferClaim(
            offer_id=offer.id,
            member_id=cat.id,
            code="CLAIMCAT",
            status="redeemed",
            claimed_at=at("2026-02-09"),
            redeemed_at=at("2026-02-10"),
            purchase_id=p4.id,
        )
    )
    reward = Reward(name="Hamper", cost_points=500, stock_remaining=None)
    db.session.add(reward)
    db.session.flush()
    db.session.add(
        Redemption(
            member_id=ben.id,
            reward_id=reward.id,
            points_spent=0,
            code="PRIZEBEN",
            reason="Contest prize",
            created_at=at("2026-02-12"),
        )
    )
    # Recorded five days after it happened: a till that was offline.
    b.purchase(
        ben,
        web,
        "in_store",
        3000,
        at("2026-02-20"),
        at("2026-02-25 09:00"),
        expires=at("2026-05-20"),
    )
    db.session.commit()
    return {
        "stores": {"main": main, "harbour": harbour, "web": web},
        "members": {"eve": eve, "ann": ann, "ben": ben, "cat": cat, "dan": dan},
    }


NOW: datetime = at("2026-03-01 12:00")
BEFORE_LATE: datetime = at("2026-02-25 02:00")
