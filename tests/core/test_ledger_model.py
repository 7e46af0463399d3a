"""A stateful generated test of the points ledger, on SQLite and PostgreSQL.

Hypothesis runs random sequences of purchases (some crossing tier thresholds), full and partial
refunds, reward redemptions against a stock, admin adjustments, game awards with repeated keys,
release and expiry runs on a moving clock, and replays of idempotency keys. A plain model says
what each member must hold; after every step the database must agree with it and the ledger
check must be healthy.

Purchases, refunds and adjustments go over HTTP (the idempotency layer lives in the handlers);
redemptions, awards and the sweeps call their services, as the games and the beat do.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from app.auth.service import create_user
from app.errors import ApiError
from app.extensions import db
from app.ledger.checks import ledger_problems
from app.ledger.service import award_points, expire_due, release_due
from app.members.models import Member
from app.members.service import create_member
from app.models_base import utcnow
from app.program.service import get_program
from app.purchases.models import Purchase
from app.rewards import service as rewards
from app.rewards.models import Reward
from app.tiers.models import Tier
from tests.support import Program, bearer, seed_program

RETURN_WINDOW_DAYS = 14
VALIDITY_DAYS = 60
# (code, threshold, multiplier) of the seeded tiers.
TIERS = (
    ("silver", 0, Decimal("1")),
    ("gold", 1000, Decimal("1.25")),
    ("platinum", 5000, Decimal("1.5")),
)
REWARDS = {"poster": (30, 3), "lunch": (400, None)}  # name: (cost, stock)
AWARD_KEYS = [f"game:{i}" for i in range(5)]
MEMBERS = 2

LEDGER_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=40,
    deadline=None,
    # No example database in the work tree; in CI the same sequences every run.
    database=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass
class Lot:
    points: int
    remaining: int
    released: bool
    purchase: str | None
    # Days after the example's start: lots are all made within seconds of it.
    available_day: int
    expires_day: int


@dataclass
class MemberModel:
    public_id: str
    card: str
    lots: list[Lot] = field(default_factory=list)
    qualifying: int = 0
    tier: int = 0

    @property
    def available(self) -> int:
        return sum(lot.remaining for lot in self.lots if lot.released)

    @property
    def pending(self) -> int:
        return sum(lot.remaining for lot in self.lots if not lot.released)

    def credit(self, points: int, pending: bool, purchase: str | None = None) -> None:
        self.lots.append(
            Lot(
                points,
                points,
                not pending,
                purchase,
                RETURN_WINDOW_DAYS if pending else 0,
                VALIDITY_DAYS,
            )
        )

    def consume(self, points: int, first_purchase: str | None = None) -> int:
        """Oldest-expiring available lots first (creation order: expiry is creation + validity),
        the refunded purchase's own lots before others."""
        lots = [lot for lot in self.lots if lot.released and lot.remaining]
        lots.sort(key=lambda lot: first_purchase is not None and lot.purchase != first_purchase)
        left = points
        for lot in lots:
            take = min(lot.remaining, left)
            lot.remaining -= take
            left -= take
        return points - left


@dataclass
class Request:
    """A request that succeeded, kept to be replayed with its key."""

    url: str
    key: str
    body: dict
    status: int
    answer: dict


@dataclass
class PurchaseModel:
    public_id: str
    member: MemberModel
    amount: int
    earned: int
    request: Request
    refunded: int = 0
    reversed: int = 0


def _money(minor: int) -> str:
    return f"{Decimal(minor) / 100:.2f}"


def _tier_for(points: int) -> int:
    return max(i for i, (_, threshold, _) in enumerate(TIERS) if threshold <= points)


def _reset(app: Flask) -> None:
    """Empty every table for the next example: DELETE, since a TRUNCATE of a hundred small
    tables on PostgreSQL costs more than the example itself."""
    with app.app_context(), db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    # A new program under the same (emptied) settings version: what the app cached of the
    # last one (tier ids) must go with it, as it would with a new database.
    app.extensions.pop("settings_cache", None)


class LedgerMachine(RuleBasedStateMachine):
    app: Flask

    purchases = Bundle("purchases")
    refund_requests = Bundle("refund_requests")

    def __init__(self) -> None:
        super().__init__()
        _reset(self.app)
        self.client = self.app.test_client()
        self.program: Program = seed_program(self.app)
        self.admin = bearer(self.program.admin_token)
        self.till = {"X-API-Key": self.program.api_key}
        self.start: datetime = utcnow()
        self.day = 0
        self.awarded: set[str] = set()
        self.stock = {name: stock for name, (_, stock) in REWARDS.items()}
        self.purchase_models: list[PurchaseModel] = []
        self.members: list[MemberModel] = []
        with self.app.app_context():
            program = get_program()
            program.points_validity_days = VALIDITY_DAYS
            program.return_window_days = RETURN_WINDOW_DAYS
            for name, (cost, stock) in REWARDS.items():
                db.session.add(Reward(name=name, cost_points=cost, stock_remaining=stock))
            for i in range(MEMBERS):
                user = create_user(f"m{i}@test.example", "member-password-1", "member")
                member = create_member(user, f"Member {i}", "fi", "UTC", False)
                db.session.flush()
                self.members.append(MemberModel(member.public_id, member.card_number))
            db.session.commit()

    # -- helpers -------------------------------------------------------------------------------

    def _now(self) -> datetime:
        # Half a day off the whole days that lots fall due on: never a tie with a lot's time.
        return self.start + timedelta(days=self.day, hours=12)

    def _member_row(self, model: MemberModel) -> Member:
        return db.session.scalar(select(Member).where(Member.public_id == model.public_id))

    def _post(self, url: str, body: dict, headers: dict, key: str):
        res = self.client.post(url, json=body, headers=headers | {"Idempotency-Key": key})
        assert res.status_code < 500, res.get_json()
        return res

    def _error(self, res, status: int, code: str) -> None:
        assert (res.status_code, res.get_json()["error"]["code"]) == (status, code), res.get_json()

    # -- purchases and refunds -----------------------------------------------------------------

    @rule(
        target=purchases,
        member=st.integers(0, MEMBERS - 1),
        # Small baskets, and large ones that cross a tier threshold in one go.
        amount=st.one_of(st.integers(1, 30_000), st.integers(90_000, 450_000)),
    )
    def buy(self, member: int, amount: int):
        m = self.members[member]
        body = {
            "card_number": m.card,
            "amount": _money(amount),
            "currency": "EUR",
            "channel": "in_store",
            "receipt_id": uuid.uuid4().hex[:16],
        }
        key = uuid.uuid4().hex
        res = self._post("/api/v1/transactions", body, self.till, key)
        assert res.status_code == 201, res.get_json()
        answer = res.get_json()
        multiplier = TIERS[m.tier][2]
        earned = int((Decimal(amount) / 100 * multiplier).to_integral_value(ROUND_FLOOR))
        assert answer["points_earned"] == earned
        if earned:
            m.credit(earned, pending=True, purchase=answer["id"])
            m.qualifying += earned
            # Upgrades at once, never down: downgrades wait for the periodic evaluation.
            m.tier = max(m.tier, _tier_for(m.qualifying))
        assert answer["balance"] == {"available": m.available, "pending": m.pending}
        request = Request("/api/v1/transactions", key, body, 201, answer)
        model = PurchaseModel(answer["id"], m, amount, earned, request)
        self.purchase_models.append(model)
        return model

    @rule(
        target=refund_requests,
        purchase=purchases,
        # None: the whole rest; else a share of the amount in percent, past 100 too much.
        percent=st.one_of(st.none(), st.integers(1, 120)),
    )
    def refund(self, purchase: PurchaseModel, percent: int | None):
        url = f"/api/v1/transactions/{purchase.public_id}/refunds"
        part = None if percent is None else max(1, purchase.amount * percent // 100)
        body = {} if part is None else {"amount": _money(part)}
        key = uuid.uuid4().hex
        res = self._post(url, body, self.till, key)
        refundable = purchase.amount - purchase.refunded
        amount = refundable if part is None else part
        if refundable == 0:
            self._error(res, 409, "already_refunded")
            return multiple()
        if amount > refundable:
            self._error(res, 422, "refund_exceeds_purchase")
            return multiple()
        assert res.status_code == 201, res.get_json()
        m = purchase.member
        purchase.refunded += amount
        target = purchase.earned * purchase.refunded // purchase.amount
        to_reverse = target - purchase.reversed
        collected = 0
        if to_reverse > 0:
            left = to_reverse
            for lot in m.lots:
                if lot.purchase == purchase.public_id and not lot.released and left:
                    take = min(lot.remaining, left)
                    lot.remaining -= take
                    left -= take
                    collected += take
            collected += m.consume(min(left, m.available), first_purchase=purchase.public_id)
            m.qualifying -= to_reverse
        purchase.reversed = target
        answer = res.get_json()
        assert (answer["points_reversed"], answer["points_uncollected"]) == (
            collected,
            max(to_reverse, 0) - collected,
        )
        assert answer["balance"] == {"available": m.available, "pending": m.pending}
        return Request(url, key, body, 201, answer)

    @rule(purchase=purchases, same=st.booleans())
    def replay_purchase(self, purchase: PurchaseModel, same: bool):
        request = purchase.request
        body = request.body if same else request.body | {"amount": _money(purchase.amount + 1)}
        res = self._post(request.url, body, self.till, request.key)
        if same:
            assert (res.status_code, res.get_json()) == (request.status, request.answer)
        else:
            self._error(res, 409, "idempotency_key_reused")

    @rule(purchase=purchases)
    def same_receipt_new_key(self, purchase: PurchaseModel):
        request = purchase.request
        res = self._post(request.url, request.body, self.till, uuid.uuid4().hex)
        self._error(res, 409, "duplicate_receipt")

    @rule(request=refund_requests, same=st.booleans())
    def replay_refund(self, request: Request, same: bool):
        body = request.body if same else {"amount": "0.01"} if not request.body else {}
        res = self._post(request.url, body, self.till, request.key)
        if same:
            assert (res.status_code, res.get_json()) == (request.status, request.answer)
        else:
            self._error(res, 409, "idempotency_key_reused")

    # -- spending, adjusting, awarding ---------------------------------------------------------

    @rule(member=st.integers(0, MEMBERS - 1), reward=st.sampled_from(sorted(REWARDS)))
    def redeem(self, member: int, reward: str):
        m = self.members[member]
        cost, _ = REWARDS[reward]
        with self.app.app_context():
            row = self._member_row(m)
            item = db.session.scalar(select(Reward).where(Reward.name == reward))
            try:
                rewards.redeem(row, item)
                db.session.commit()
                outcome = "redeemed"
            except ApiError as error:
                db.session.rollback()
                outcome = error.code
        if self.stock[reward] == 0:
            assert outcome == "out_of_stock"
        elif m.available < cost:
            assert outcome == "insufficient_points"
        else:
            assert outcome == "redeemed"
            m.consume(cost)
            if self.stock[reward] is not None:
                self.stock[reward] -= 1

    @rule(member=st.integers(0, MEMBERS - 1), delta=st.integers(-300, 300).filter(bool))
    def adjust(self, member: int, delta: int):
        m = self.members[member]
        url = f"/api/v1/admin/members/{m.public_id}/adjustments"
        res = self._post(url, {"points": delta, "reason": "Goodwill"}, self.admin, uuid.uuid4().hex)
        if delta < 0 and m.available < -delta:
            self._error(res, 409, "insufficient_points")
            return
        assert res.status_code == 201, res.get_json()
        if delta > 0:
            m.credit(delta, pending=False)
        else:
            m.consume(-delta)

    @rule(
        member=st.integers(0, MEMBERS - 1),
        key=st.sampled_from(AWARD_KEYS),
        points=st.integers(1, 80),
    )
    def award(self, member: int, key: str, points: int):
        m = self.members[member]
        with self.app.app_context():
            award_points(
                self._member_row(m).id,
                points,
                idempotency_key=key,
                reason="Quiz",
                reference_type="quiz",
                reference_id=key,
            )
            db.session.commit()
        # A key pays once, whoever presents it again and for whatever amount.
        if key not in self.awarded:
            self.awarded.add(key)
            m.credit(points, pending=False)

    # -- the clock and the sweeps --------------------------------------------------------------

    @rule(days=st.sampled_from([1, 3, 10, 30]))
    def advance(self, days: int):
        self.day += days

    @rule()
    def release(self):
        with self.app.app_context():
            release_due(self._now())
        for m in self.members:
            for lot in m.lots:
                if not lot.released and lot.available_day <= self.day:
                    lot.released = True

    @precondition(lambda self: self.day >= VALIDITY_DAYS)
    @rule()
    def expire(self):
        with self.app.app_context():
            expire_due(self._now())
        for m in self.members:
            for lot in m.lots:
                if lot.released and lot.expires_day <= self.day:
                    lot.remaining = 0

    # -- after every step ----------------------------------------------------------------------

    @invariant()
    def database_agrees_with_the_model(self):
        with self.app.app_context():
            members = db.session.execute(
                select(Member.public_id, Member.points_available, Member.points_pending, Tier.code)
                .join(Tier, Tier.id == Member.tier_id)
                .order_by(Member.id)
            ).all()
            assert [tuple(row) for row in members] == [
                (m.public_id, m.available, m.pending, TIERS[m.tier][0]) for m in self.members
            ]
            purchases = db.session.execute(
                select(Purchase.public_id, Purchase.refunded_minor, Purchase.points_reversed)
            ).all()
            assert sorted(tuple(row) for row in purchases) == sorted(
                (p.public_id, p.refunded, p.reversed) for p in self.purchase_models
            )
            stock = dict(db.session.execute(select(Reward.name, Reward.stock_remaining)).all())
            assert stock == self.stock
            assert ledger_problems() == []


def test_the_ledger_matches_a_plain_model(app):
    LedgerMachine.app = app
    run_state_machine_as_test(LedgerMachine, settings=LEDGER_SETTINGS)
