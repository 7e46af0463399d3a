"""The till's request: what one purchase asks of the database, whatever the member's history,
when the feature packages have nothing to do; the settings cache seen from a second app on the
same database; the tiers' running total against the exact sum.

Statements are counted with SQLAlchemy's `before_cursor_execute` on the app's engine, inside
the test client (never timed: speed is bench/earn.py's).
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from app import settings_cache
from app.extensions import db
from app.ledger.models import LedgerEntry, PointLot
from app.ledger.service import integrity_problems
from app.members.models import Member
from app.models_base import utcnow
from app.outbox import OutboxJob
from app.purchases.models import Purchase
from app.tiers.models import Tier
from app.tiers.service import evaluate_all
from tests.conftest import make_app
from tests.support import bearer, purchase, signup, statements

MAX_STATEMENTS = 8
HISTORY = 3000
# Tables whose size grows with a member's history: a purchase may write them, never read them.
HISTORY_TABLES = ("ledger_entries", "point_lots", "purchases", "refunds")


def _reads_history(statement: str) -> bool:
    """Whether the statement reads one of the history tables (writing one is no read)."""
    tables = "|".join(HISTORY_TABLES)
    return re.search(rf"\b(FROM|JOIN)\s+({tables})\b", statement, re.IGNORECASE) is not None


def _member_row(app, public_id: str) -> Member:
    with app.app_context():
        return db.session.scalar(select(Member).where(Member.public_id == public_id))


def _jobs(app) -> list[tuple[str, str]]:
    with app.app_context():
        return list(db.session.execute(select(OutboxJob.topic, OutboxJob.status)).all())


def test_a_plain_purchase_makes_at_most_eight_statements(app, client, program):
    member = signup(client)
    assert purchase(client, program, member.card_number, "10.00").status_code == 201
    jobs = _jobs(app)
    with statements(app) as seen:
        res = purchase(client, program, member.card_number, "12.00")
    assert res.status_code == 201, res.get_json()
    listing = "\n".join(seen)
    assert len(seen) <= MAX_STATEMENTS, listing
    # Read: the API key (with the settings' version) and the member's lock (with the facts).
    assert [s.split()[0] for s in seen].count("SELECT") == 2, listing
    assert not any(_reads_history(s) for s in seen), listing
    # Nobody to tell: no job for the outside world.
    assert _jobs(app) == jobs


def _give_history(app, public_id: str, n: int) -> None:
    """n earlier purchases of 1 point each within the tier window, as the ledger writes them."""
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.public_id == public_id))
        store_id = db.session.scalar(select(Purchase.store_id).limit(1))
        at = utcnow() - timedelta(days=30)
        purchases = [
            {
                "public_id": f"pur_hist{member.id}x{i}",
                "member_id": member.id,
                "store_id": store_id,
                "channel": "in_store",
                "receipt_id": f"hist-{member.id}-{i}",
                "amount_minor": 100,
                "currency": "EUR",
                "occurred_at": at,
                "points_earned": 1,
                "recorded_by": "history",
                "created_at": at,
            }
            for i in range(n)
        ]
        db.session.execute(insert(Purchase), purchases)
        ids = dict(
            db.session.execute(
                select(Purchase.public_id, Purchase.id).where(Purchase.member_id == member.id)
            ).all()
        )
        db.session.execute(
            insert(LedgerEntry),
            [
                {
                    "public_id": f"ent_hist{member.id}x{i}",
                    "member_id": member.id,
                    "kind": "earn",
                    "available_delta": 1,
                    "pending_delta": 0,
                    "qualifying": 1,
                    "reason": "Purchase",
                    "reference_type": "purchase",
                    "reference_id": p["public_id"],
                    "created_at": at,
                }
                for i, p in enumerate(purchases)
            ],
        )
        entries = dict(
            db.session.execute(
                select(LedgerEntry.reference_id, LedgerEntry.id).where(
                    LedgerEntry.member_id == member.id, LedgerEntry.reference_id.like("pur_hist%")
                )
            ).all()
        )
        db.session.execute(
            insert(PointLot),
            [
                {
                    "member_id": member.id,
                    "entry_id": entries[ref],
                    "purchase_id": ids[ref],
                    "points": 1,
                    "remaining": 1,
                    "released": True,
                    "available_at": at,
                    "expires_at": at + timedelta(days=365),
                }
                for ref in entries
            ],
        )
        db.session.execute(
            update(Member)
            .where(Member.id == member.id)
            .values(
                points_available=Member.points_available + n, tier_points=Member.tier_points + n
            )
        )
        db.session.commit()
        evaluate_all()  # the history's tier (gold) and the running total set to the exact sum


def test_a_long_history_asks_nothing_more_of_the_database(app, client, program):
    old = signup(client, "old@test.example")
    assert purchase(client, program, old.card_number, "1.00").status_code == 201
    _give_history(app, old.id, HISTORY)
    assert _member_row(app, old.id).tier.code == "gold"  # and below platinum's 5000
    new = signup(client, "new@test.example")
    assert purchase(client, program, new.card_number, "1.00").status_code == 201

    seen = {}
    for label, member in (("new", new), ("old", old)):
        with statements(app) as statements_seen:
            res = purchase(client, program, member.card_number, "100.00")
        assert res.status_code == 201, res.get_json()
        seen[label] = statements_seen
    listing = "\n".join(seen["old"])
    # The same statements for both, none of them reading the history.
    assert seen["old"] == seen["new"], listing
    assert len(seen["old"]) <= MAX_STATEMENTS, listing
    assert not any(_reads_history(s) for s in seen["old"]), listing
    with app.app_context():
        assert integrity_problems() == []


def test_reaching_the_next_tier_is_checked_against_the_window(app, client, program):
    """A total that reaches a threshold is summed exactly once: points older than the window
    do not upgrade, and the total becomes the window's sum."""
    member = signup(client)
    purchase(client, program, member.card_number, "900.00")
    with app.app_context():
        row = db.session.scalar(select(Member).where(Member.public_id == member.id))
        # The 900 points were earned 400 days ago: out of the 365-day window, still in the total.
        db.session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.member_id == row.id)
            .values(created_at=utcnow() - timedelta(days=400))
        )
        db.session.commit()
    with statements(app) as seen:
        res = purchase(client, program, member.card_number, "200.00")
    assert res.status_code == 201
    assert sum("sum(ledger_entries.qualifying)" in s for s in seen) == 1
    row = _member_row(app, member.id)
    assert row.tier.code == "silver"  # 200 in the window, not 1100
    assert row.tier_points == 200
    assert row.tier_points_since is not None
    # Now inside the window: the next purchase that reaches 1000 upgrades.
    purchase(client, program, member.card_number, "800.00")
    assert _member_row(app, member.id).tier.code == "gold"
    with app.app_context():
        assert integrity_problems() == []


def test_the_periodic_evaluation_is_the_exact_window_sum(app, client, program):
    members = [signup(client, f"eval{i}@test.example") for i in range(5)]
    a, b, c, d, e = members
    purchase(client, program, a.card_number, "1200.00")  # gold, in the window
    purchase(client, program, b.card_number, "6000.00")  # platinum, then aged out below
    bought = purchase(client, program, c.card_number, "1500.00").get_json()  # refunded below
    purchase(client, program, d.card_number, "300.00")
    purchase(client, program, d.card_number, "800.00")  # gold on two purchases
    # e: only non-qualifying points (an adjustment)
    with app.app_context():
        b_id = db.session.scalar(select(Member.id).where(Member.public_id == b.id))
        db.session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.member_id == b_id)
            .values(created_at=utcnow() - timedelta(days=500))
        )
        db.session.commit()
    client.post(
        f"/api/v1/transactions/{bought['id']}/refunds",
        json={"amount": "1000.00"},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": uuid.uuid4().hex},
    )
    res = client.post(
        f"/api/v1/admin/members/{e.id}/adjustments",
        json={"points": 2000, "reason": "Goodwill"},
        headers=bearer(program.admin_token) | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert res.status_code == 201, res.get_json()
    with app.app_context():
        moved = evaluate_all()
        assert moved["down"] == 2  # b aged out of platinum, c refunded below gold
        since = utcnow() - timedelta(days=365)
        exact = dict(
            db.session.execute(
                select(LedgerEntry.member_id, func.sum(LedgerEntry.qualifying))
                .where(LedgerEntry.created_at >= since)
                .group_by(LedgerEntry.member_id)
            ).all()
        )
        tiers = list(db.session.scalars(select(Tier).order_by(Tier.rank)))
        for handle in members:
            row = db.session.scalar(select(Member).where(Member.public_id == handle.id))
            points = exact.get(row.id, 0)
            expected = [t for t in tiers if t.threshold_points <= points][-1]
            assert (row.tier_points, row.tier.code) == (points, expected.code), handle.id
        assert integrity_problems() == []


def test_the_ledger_check_sees_a_running_total_that_drifted(app, client, program):
    member = signup(client)
    purchase(client, program, member.card_number, "50.00")
    with app.app_context():
        db.session.execute(
            update(Member).where(Member.public_id == member.id).values(tier_points=49)
        )
        db.session.commit()
        assert integrity_problems() == [
            {
                "check": "tier_points",
                "subject": member.id,
                "details": {"tier_points": 49, "entries": 50},
            }
        ]


@pytest.fixture
def second_app(app, backend, tmp_path):
    """Another app instance (another gunicorn worker, another machine) on the same database."""
    other = make_app(backend, tmp_path)
    yield other
    with other.app_context():
        db.engine.dispose()


def test_an_admin_change_in_one_app_is_seen_by_the_next_purchase_in_another(
    app, client, program, second_app
):
    till = second_app.test_client()
    member = signup(client)

    def earned(amount: str) -> dict:
        res = purchase(till, program, member.card_number, amount)
        assert res.status_code == 201, res.get_json()
        return res.get_json()

    assert earned("10.00")["points_earned"] == 10  # the second app has cached the settings
    admin = bearer(program.admin_token)
    res = client.patch("/api/v1/admin/program", json={"base_points_per_unit": "2"}, headers=admin)
    assert res.status_code == 200, res.get_json()
    assert earned("10.00")["points_earned"] == 20
    res = client.patch("/api/v1/admin/tiers/silver", json={"multiplier": "1.5"}, headers=admin)
    assert res.status_code == 200, res.get_json()
    assert earned("10.00")["points_earned"] == 30
    res = client.post(
        "/api/v1/admin/earning-rules",
        json={"name": "Seven more", "kind": "fixed", "fixed_points": 7},
        headers=admin,
    )
    assert res.status_code == 201, res.get_json()
    result = earned("10.00")
    assert (result["base_points"], result["bonus_points"]) == (30, 7)
    # A running game created in the first app counts the second app's next purchase.
    contest = client.post(
        "/api/v1/admin/contests",
        json={
            "kind": "sweepstakes",
            "name": {"en": "Draw"},
            "starts_at": (utcnow() - timedelta(hours=1)).isoformat(),
            "ends_at": (utcnow() + timedelta(days=1)).isoformat(),
            "entries_per_purchase": 2,
            "prizes": [{"first_rank": 1, "last_rank": 1, "points": 100}],
        },
        headers=admin,
    )
    assert contest.status_code == 201, contest.get_json()
    earned("10.00")
    view = client.get(f"/api/v1/contests/{contest.get_json()['id']}", headers=member.headers)
    assert view.get_json()["your_entries"] == 2
    # A store closed in the first app books nothing more in the second.
    res = client.patch(
        f"/api/v1/admin/stores/{program.store_id}", json={"active": False}, headers=admin
    )
    assert res.status_code == 200, res.get_json()
    res = purchase(till, program, member.card_number, "10.00")
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "store_inactive")


def test_a_revoked_api_key_is_refused_at_once_by_another_app(app, client, program, second_app):
    till = second_app.test_client()
    member = signup(client)
    assert purchase(till, program, member.card_number, "10.00").status_code == 201
    admin = bearer(program.admin_token)
    (key,) = client.get("/api/v1/admin/api-keys", headers=admin).get_json()
    assert client.delete(f"/api/v1/admin/api-keys/{key['id']}", headers=admin).status_code in (
        200,
        204,
    )
    res = purchase(till, program, member.card_number, "10.00")
    assert (res.status_code, res.get_json()["error"]["code"]) == (401, "invalid_api_key")


def test_a_change_made_outside_the_orm_is_seen_once_stamped_or_after_max_age(
    app, client, program, second_app, monkeypatch
):
    till = second_app.test_client()
    member = signup(client)
    assert purchase(till, program, member.card_number, "10.00").get_json()["points_earned"] == 10
    with app.app_context():
        db.session.connection().exec_driver_sql("UPDATE program SET base_points_per_unit = 3")
        db.session.commit()
    # Not stamped: the second app still uses what it holds...
    assert purchase(till, program, member.card_number, "10.00").get_json()["points_earned"] == 10
    # ... until it is older than MAX_AGE,
    monkeypatch.setattr(settings_cache, "MAX_AGE", 0.0)
    assert purchase(till, program, member.card_number, "10.00").get_json()["points_earned"] == 30
    monkeypatch.undo()
    with app.app_context():
        db.session.connection().exec_driver_sql("UPDATE program SET base_points_per_unit = 4")
        db.session.connection().exec_driver_sql("UPDATE settings_version SET version = version + 1")
        db.session.commit()
    # ... or at once when the same change stamps the version.
    assert purchase(till, program, member.card_number, "10.00").get_json()["points_earned"] == 40


def _device(client, member) -> None:
    res = client.post(
        "/api/v1/me/devices",
        json={"platform": "android", "fid": f"fid-{member.id}", "app_version": "2.4.0"},
        headers=member.headers,
    )
    assert res.status_code == 201, res.get_json()


def test_a_job_for_the_outside_world_only_when_someone_receives_it(app, client, program):
    def new_jobs(member) -> list[str]:
        before = len(_jobs(app))
        assert purchase(client, program, member.card_number, "10.00").status_code == 201
        return sorted(topic for topic, _ in _jobs(app)[before:])

    assert new_jobs(signup(client, "plain@test.example")) == []
    pushed = signup(client, "pushed@test.example")
    _device(client, pushed)
    assert new_jobs(pushed) == ["push.transactional"]
    quiet = signup(client, "quiet@test.example")
    _device(client, quiet)
    res = client.patch(
        "/api/v1/me/notification-preferences", json={"points_earned": False}, headers=quiet.headers
    )
    assert res.status_code == 200, res.get_json()
    assert new_jobs(quiet) == []
    carded = signup(client, "carded@test.example")
    assert client.get("/api/v1/me/passes/apple", headers=carded.headers).status_code == 200
    assert new_jobs(carded) == ["passes.apns_push"]


def test_with_a_broker_the_jobs_wait_for_a_worker(app, backend, tmp_path):
    from app.jobs import init_celery
    from tests.support import seed_program

    brokered = make_app(backend, tmp_path, CELERY_BROKER_URL="memory://")
    try:
        program = seed_program(brokered)
        client = brokered.test_client()
        member = signup(client)
        _device(client, member)
        before = _jobs(brokered)
        assert purchase(client, program, member.card_number, "10.00").status_code == 201
        # Written with the purchase, not run in its request: a worker takes it.
        assert _jobs(brokered)[len(before) :] == [("push.transactional", "pending")]
    finally:
        with brokered.app_context():
            db.engine.dispose()
        init_celery(app)  # Celery's configuration back to the embedded default
