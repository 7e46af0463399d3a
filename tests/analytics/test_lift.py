"""A lift on groups chosen here, its interval worked out by hand (Welch), and its part in the
return report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.aggregates import job
from app.extensions import db
from app.holdout.models import HoldoutAssignment
from app.offers.models import Offer
from tests.analytics.builder import Builder, at
from tests.support import bearer

START = at("2026-03-02 09:00")


def _admin(app) -> dict:
    from app.auth.service import create_user, login

    with app.app_context():
        create_user("boss@test.example", "boss-password-1", "admin")
        db.session.commit()
        return bearer(login("boss@test.example", "boss-password-1")[1].access_token)


def _offer(app, treated: list[list[int]], held: list[list[int]], percent: int = 50) -> str:
    """An offer started at START whose recorded groups buy these amounts (in euros, one list
    of purchases per member) in its first week; and a purchase outside the window each."""
    with app.app_context():
        b = Builder()
        store = b.store("main", "south")
        offer = Offer(
            title={"en": "x"},
            starts_at=START,
            ends_at=START + timedelta(days=7),
            benefit="bonus_points",
            points=10,
            holdout_percent=percent,
            holdout_recorded_at=START,
        )
        db.session.add(offer)
        db.session.flush()
        for held_out, groups in ((False, treated), (True, held)):
            for i, amounts in enumerate(groups):
                member = b.member(f"{'h' if held_out else 't'}{i}", at("2026-01-01"), store)
                db.session.add(
                    HoldoutAssignment(
                        subject_kind="offer",
                        subject_id=offer.id,
                        member_id=member.id,
                        held_out=held_out,
                    )
                )
                for day, euros in enumerate(amounts):
                    b.purchase(
                        member, store, "in_store", euros * 100, START + timedelta(days=day, hours=1)
                    )
                # Before the start and after the window: not counted.
                b.purchase(member, store, "in_store", 99900, START - timedelta(hours=1))
                b.purchase(member, store, "in_store", 99900, START + timedelta(days=14, hours=1))
        db.session.commit()
        return offer.public_id


def _lift(client, headers, offer_id: str, **query) -> dict:
    res = client.get(f"/api/v1/admin/offers/{offer_id}/lift", headers=headers, query_string=query)
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def test_a_difference_the_interval_spans_is_not_significant(app, client):
    headers = _admin(app)
    # Treated spend 30, 40, 50, 60 (30+30), 70 (35+35): mean 50, variance 250, visits 1,1,1,2,2.
    # Held out 20 .. 60: mean 40, variance 250, one visit each.
    offer_id = _offer(app, [[30], [40], [50], [30, 30], [35, 35]], [[20], [30], [40], [50], [60]])
    body = _lift(client, headers, offer_id, window_days=7)
    # se = sqrt(250/5 + 250/5) = 10; df = (50 + 50)² / (50²/4 + 50²/4) = 8; t(0.975, 8) = 2.306004
    # (the table's value): 10 ± 23.06 -> [-13.06, 33.06], spanning 0.
    spend = body["spend"]
    assert (spend["difference"], spend["ci_low"], spend["ci_high"]) == ("10.00", "-13.06", "33.06")
    assert (spend["degrees_of_freedom"], spend["verdict"]) == (8.0, "not significant")
    assert (body["treated"]["members"], body["held_out"]["members"]) == (5, 5)
    assert (body["treated"]["spend_per_member"], body["held_out"]["spend_per_member"]) == (
        "50.00",
        "40.00",
    )
    # Visits: 1.4 against 1 (no spread); se = sqrt(0.3/5) = 0.24495, df = 4, t = 2.776445:
    # 0.4 ± 0.6801 -> [-0.2801, 1.0801].
    visits = body["visits"]
    assert (visits["difference"], visits["ci_low"], visits["ci_high"]) == (
        "0.4000",
        "-0.2801",
        "1.0801",
    )
    assert visits["verdict"] == "not significant"
    # 10.00 more per treated member, five of them.
    assert body["incremental_spend"] == "50.00"
    assert body["window"]["days"] == 7 and body["window"]["complete"] is True


def test_a_clear_difference_is_significant_and_counts_in_the_return(app, client):
    headers = _admin(app)
    # Treated 100 .. 140 (mean 120, variance 250) against 20 .. 60: 80 ± 23.06 -> [56.94, 103.06].
    offer_id = _offer(app, [[100], [110], [120], [130], [140]], [[20], [30], [40], [50], [60]])
    spend = _lift(client, headers, offer_id, window_days=7)["spend"]
    assert (spend["difference"], spend["ci_low"], spend["ci_high"]) == ("80.00", "56.94", "103.06")
    assert spend["verdict"] == "significant"
    with app.app_context():
        # 14 days (the job's window) after the start, the lift is kept for the return report.
        app.config["ANALYTICS_LIFT_WINDOW_DAYS"] = 7
        job.run(now=START + timedelta(days=8))
    res = client.get("/api/v1/admin/analytics/roi?from=2026-03-01&to=2026-03-31", headers=headers)
    march = res.get_json()["months"][0]
    # 80.00 x 5 treated members.
    assert (march["incremental_spend"], march["lifts_measured"]) == ("400.00", 1)


def test_lift_refusals(app, client):
    headers = _admin(app)
    offer_id = _offer(app, [[10]], [[10]], percent=0)
    res = client.get(f"/api/v1/admin/offers/{offer_id}/lift", headers=headers)
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "lift_no_holdout")
    res = client.get("/api/v1/admin/offers/off_nope/lift", headers=headers)
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "offer_not_found")
    res = client.get(f"/api/v1/admin/offers/{offer_id}/lift?window_days=0", headers=headers)
    assert res.status_code == 422


def test_one_member_a_group_gives_no_interval():
    from analytics.stats import INSUFFICIENT, Sample, welch

    result = welch(Sample(1, 10.0, 0.0), Sample(5, 8.0, 2.0))
    assert (result.low, result.high, result.verdict) == (None, None, INSUFFICIENT)
    assert result.difference == pytest.approx(2.0)
