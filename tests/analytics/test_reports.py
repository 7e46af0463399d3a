"""Each report on the small program of tests/analytics/program.py, its figures worked out by
hand here (the program's docstring lists what happened)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from analytics.aggregates import job
from analytics.aggregates.models import DailySales
from app.extensions import db
from app.tiers.models import Tier
from tests.analytics import program
from tests.analytics.builder import at
from tests.support import bearer


def _admin(app) -> dict:
    from app.auth.service import create_user, login

    with app.app_context():
        create_user("boss@test.example", "boss-password-1", "admin")
        db.session.commit()
        return bearer(login("boss@test.example", "boss-password-1")[1].access_token)


def _built(app) -> dict:
    """The program, summed in two runs: the first before the late purchase was recorded; ben
    moved up to gold between them."""
    with app.app_context():
        parts = program.build()
        job.run(now=program.BEFORE_LATE)
        late_day = db.session.scalar(
            select(DailySales).where(DailySales.day == at("2026-02-20").date())
        )
        assert late_day is None
        ben = parts["members"]["ben"]
        ben = db.session.merge(ben)
        ben.tier_id = db.session.scalar(select(Tier.id).where(Tier.code == "gold"))
        ben.tier_since = at("2026-02-25 10:00")
        db.session.commit()
        result = job.run(now=program.NOW)
        assert result.watermark == at("2026-02-28").date()
        return {k: {n: o.public_id for n, o in v.items()} for k, v in parts.items()}


def _get(client, headers, path: str) -> dict:
    res = client.get(f"/api/v1/admin/analytics/{path}", headers=headers)
    assert res.status_code == 200, res.get_json()
    return res.get_json()


PERIOD = "from=2025-12-01&to=2026-02-28"


def test_liability_values_outstanding_points_and_estimates_breakage_by_cohort(app, client):
    headers = _admin(app)
    ids = _built(app)
    body = _get(client, headers, "liability")
    # ann 90 + ben 160 available, cat 80 pending; at 0.02 a point.
    assert (body["points_available"], body["points_pending"], body["points_outstanding"]) == (
        250,
        80,
        330,
    )
    assert (body["value_outstanding"], body["cost_per_point"], body["members"]) == (
        "6.60",
        "0.020000",
        5,
    )
    # Available lots: ann 40 to 2026-03-20, ben 110 to 04-15 and 30 to 05-20 (from 03-01 noon).
    assert [(e["within_days"], e["points"], e["value"]) for e in body["expiring"]] == [
        (30, 40, "0.80"),
        (60, 150, "3.00"),
        (90, 180, "3.60"),
    ]
    # Dec: redeemed 100, expired 0 -> 0 (its own: 100 resolved points reach the minimum).
    # Jan: redeemed 60, expired 50 -> 50/110 = 0.4545; 250 x 0.4545 = 113.6 -> 114.
    # Feb: nothing resolved -> pooled 50 / 210 = 0.2381; 80 x 0.2381 = 19.05 -> 19.
    cohorts = [
        (
            c["join_month"],
            c["points_outstanding"],
            c["points_redeemed"],
            c["points_expired"],
            c["breakage_rate"],
            c["rate_source"],
            c["breakage_points"],
        )
        for c in body["cohorts"]
    ]
    assert cohorts == [
        ("2025-12-01", 0, 100, 0, "0.0000", "cohort", 0),
        ("2026-01-01", 250, 60, 50, "0.4545", "cohort", 114),
        ("2026-02-01", 80, 0, 0, "0.2381", "pooled", 19),
    ]
    # 133 of 330 points: 0.4030, worth 2.66; the method is stated.
    assert (body["breakage"]["points"], body["breakage"]["rate"], body["breakage"]["value"]) == (
        133,
        "0.4030",
        "2.66",
    )
    assert "expired / (points redeemed + points expired)" in body["breakage"]["method"]

    # Home store main: ann (Jan) and cat (Feb). Only 60 points resolved there (all redeemed):
    # both take the pooled rate 0 / 60 = 0.
    main = _get(client, headers, f"liability?store={ids['stores']['main']}")
    assert (main["members"], main["points_outstanding"], main["breakage"]["points"]) == (2, 170, 0)
    assert {c["rate_source"] for c in main["cohorts"]} == {"pooled"}


def test_roi_per_month_costs_and_spend(app, client):
    headers = _admin(app)
    _built(app)
    months = {m["month"]: m for m in _get(client, headers, f"roi?{PERIOD}")["months"]}
    dec, jan, feb = months["2025-12-01"], months["2026-01-01"], months["2026-02-01"]
    # Dec: eve's 100.00 and her 100 points redeemed at 0.02.
    assert (dec["visits"], dec["spend"], dec["points_redeemed"], dec["cost_total"]) == (
        1,
        "100.00",
        100,
        "2.00",
    )
    # Jan: ann 100.00 and ben 200.00; nothing spent yet.
    assert (jan["visits"], jan["spend"], jan["active_members"], jan["cost_total"]) == (
        2,
        "300.00",
        2,
        "0.00",
    )
    # Feb: ann 50 + cat 80 + ben's late 30 = 160.00, ben's 40.00 refund; cost: ann's 60 points
    # (1.20), cat's 10 % of 80.00 (8.00), ben's prize at 500 points (10.00) = 19.20 of 120.00.
    assert (feb["visits"], feb["spend"], feb["refunds"], feb["net_spend"]) == (
        3,
        "160.00",
        "40.00",
        "120.00",
    )
    assert (feb["cost_points_redeemed"], feb["cost_discounts"], feb["cost_prizes"]) == (
        "1.20",
        "8.00",
        "10.00",
    )
    assert (feb["cost_total"], feb["cost_share_of_net_spend"], feb["active_members"]) == (
        "19.20",
        "0.1600",
        3,
    )
    # 50 + 80 + 30 earned on purchases, 20 bonus points from the contest.
    assert feb["points_earned"] == 180
    assert (feb["incremental_spend"], feb["lifts_measured"]) == ("0.00", 0)

    in_store = {
        m["month"]: m for m in _get(client, headers, f"roi?{PERIOD}&channel=in_store")["months"]
    }
    # ann's 50.00 and ben's 30.00; what has no channel is unknown, not zero.
    feb = in_store["2026-02-01"]
    assert (feb["visits"], feb["spend"], feb["points_redeemed"], feb["cost_total"]) == (
        2,
        "80.00",
        None,
        None,
    )
    assert feb["incremental_spend"] is None


def test_engagement_over_february(app, client):
    headers = _admin(app)
    _built(app)
    body = _get(client, headers, "engagement?from=2026-02-01&to=2026-02-28")
    metrics = {m["name"]: m["value"] for m in body["metrics"]}
    # Last purchases: ann 02-03, ben 02-20, cat 02-10 (within 30 days of 02-28), eve 12-06.
    assert (metrics["active_30_days"], metrics["active_90_days"], metrics["members"]) == (
        "3",
        "4",
        "5",
    )
    assert (metrics["points_earned"], metrics["points_spent"], metrics["redemption_rate"]) == (
        "180",
        "60",
        "0.3333",
    )
    assert (
        metrics["offer_claims"],
        metrics["offer_redemptions"],
        metrics["offer_redemption_rate"],
    ) == ("1", "1", "1.0000")
    assert (metrics["prizes_granted"], metrics["members_joined"], metrics["points_expired"]) == (
        "1",
        "2",
        "50",
    )
    # No push was sent: no rate rather than a zero one.
    assert (metrics["push_sent"], metrics["push_open_rate"]) == ("0", None)
    # The packages this app did not load are named, their activity not made up.
    assert body["packages_not_loaded"] == ["challenges", "community", "referrals"]


def test_cohorts_share_still_purchasing_and_average_spend(app, client):
    headers = _admin(app)
    _built(app)
    rows = [
        (
            r["join_month"],
            r["months_since_joining"],
            r["members"],
            r["active_members"],
            r["share_active"],
            r["average_spend"],
        )
        for r in _get(client, headers, "cohorts")["cohorts"]
    ]
    assert rows == [
        ("2025-12-01", 0, 1, 1, "1.0000", "100.00"),
        ("2025-12-01", 1, 1, 0, "0.0000", None),
        ("2025-12-01", 2, 1, 0, "0.0000", None),
        # ann 100 + ben 200; then ann 50 + ben's late 30 in February.
        ("2026-01-01", 0, 2, 2, "1.0000", "150.00"),
        ("2026-01-01", 1, 2, 2, "1.0000", "40.00"),
        # cat bought, dan never did.
        ("2026-02-01", 0, 2, 1, "0.5000", "80.00"),
    ]


def test_tiers_moves_and_stores(app, client):
    headers = _admin(app)
    ids = _built(app)
    tiers = {t["tier"]: t for t in _get(client, headers, f"tiers?{PERIOD}")["tiers"]}
    # ben's 30.00, summed after his move to gold; everything else while silver, less his refund.
    assert (
        tiers["silver"]["members"],
        tiers["silver"]["net_spend"],
        tiers["silver"]["net_spend_per_member"],
    ) == (4, "490.00", "122.50")
    assert (tiers["gold"]["members"], tiers["gold"]["spend"], tiers["gold"]["upgrades_into"]) == (
        1,
        "30.00",
        1,
    )
    moves = _get(client, headers, f"tier-moves?{PERIOD}")["moves"]
    assert moves == [
        {
            "month": "2026-02-01",
            "from_tier": "silver",
            "to_tier": "gold",
            "direction": "up",
            "moves": 1,
        }
    ]

    rows = {r["store_code"]: r for r in _get(client, headers, f"stores?{PERIOD}")["rows"]}
    assert (
        rows["main"]["visits"],
        rows["main"]["spend"],
        rows["main"]["discounts"],
        rows["main"]["home_members"],
    ) == (3, "230.00", "8.00", 2)
    assert (rows["harbour"]["net_spend"], rows["harbour"]["points_earned"]) == ("260.00", 300)
    assert (rows["web"]["visits"], rows["web"]["spend"], rows["web"]["home_members"]) == (
        1,
        "30.00",
        1,
    )
    regions = _get(client, headers, f"stores?{PERIOD}&group=region")["rows"]
    assert [(r["region_code"], r["visits"], r["spend"]) for r in regions] == [
        ("north", 1, "30.00"),
        ("south", 5, "530.00"),
    ]
    south = _get(
        client, headers, f"stores?{PERIOD}&region={ids['stores']['main'] and _region(app, 'south')}"
    )["rows"]
    assert {r["store_code"] for r in south} == {"main", "harbour"}


def _region(app, code: str) -> str:
    from app.stores.models import Region

    with app.app_context():
        return db.session.scalar(select(Region.public_id).where(Region.code == code))


def test_csv_is_the_reports_rows(app, client):
    headers = _admin(app)
    _built(app)
    res = client.get(f"/api/v1/admin/analytics/roi?{PERIOD}&format=csv", headers=headers)
    assert res.status_code == 200 and res.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))
    assert [r["month"] for r in rows] == ["2025-12-01", "2026-01-01", "2026-02-01"]
    assert (rows[2]["cost_total"], rows[2]["spend"]) == ("19.20", "160.00")


def test_bad_filters_are_422(app, client):
    headers = _admin(app)
    for query in (
        "liability?channel=in_store",
        "roi?from=2026-02-01&to=2026-01-01",
        "roi?store=sto_nope",
        "cohorts?format=xml",
        "tier-moves?store=x",
    ):
        res = client.get(f"/api/v1/admin/analytics/{query}", headers=headers)
        assert res.status_code == 422, query
        assert res.get_json()["error"]["code"] == "validation_error"
