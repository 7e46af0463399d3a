"""The analytics reports and the nightly aggregation at scale, on PostgreSQL.

Generates a program of --members members and about --entries ledger entries (default one
million and fifty million) over --days days: the rows are drawn with numpy, sent with COPY into
staging tables and expanded there into users, members, purchases, ledger entries (earn,
release, redeem, expire, bonus) and lots, with the indexes built after the load. Then it sums
the history but the last day (the back-fill), times the nightly run (the last day and the
state: balances, tiers, lifts), and times each report over HTTP (the app's test client, JSON),
three times each, against the limit of one second.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/analytics.py --members 1000000 --entries 50000000

The database named is emptied first.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LIMIT_SECONDS = 1.0
STORES, REGIONS = 40, 4
CHANNELS = ("in_store", "online", "app")


def _copy(cur, table: str, columns: str, arrays: list[np.ndarray], chunk: int = 1_000_000) -> None:
    n = len(arrays[0])
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for start in range(0, n, chunk):
            block = np.column_stack([a[start : start + chunk] for a in arrays])
            buffer = io.BytesIO()
            np.savetxt(buffer, block, fmt="%d", delimiter="\t")
            copy.write(buffer.getvalue())


def generate(conn, members: int, entries: int, days: int, start: datetime, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    span = days * 86400
    purchases = int(entries * 0.42)
    cur = conn.cursor()
    cur.execute("SET synchronous_commit = off")
    for name, cols in (
        ("bench_members", "id bigint, joined bigint, home int, tier int"),
        (
            "bench_purchases",
            "id bigint, member bigint, store int, channel int, amount bigint, at bigint, "
            "late bigint",
        ),
    ):
        cur.execute(f"CREATE UNLOGGED TABLE {name} ({cols})")
    joined = np.sort(rng.integers(0, int(span * 0.9), members))
    tiers = rng.choice([1, 2, 3], members, p=[0.8, 0.15, 0.05])
    _copy(
        cur,
        "bench_members",
        "id, joined, home, tier",
        [np.arange(1, members + 1), joined, rng.integers(1, STORES + 1, members), tiers],
    )
    at = np.sort(rng.integers(int(span * 0.01), span, purchases))
    # A purchase's member is one who had joined by then.
    eligible = np.maximum(np.searchsorted(joined, at, side="right"), 1)
    member = (rng.random(purchases) * eligible).astype(np.int64) + 1
    late = np.where(rng.random(purchases) < 0.02, rng.integers(3600, 3 * 86400, purchases), 0)
    _copy(
        cur,
        "bench_purchases",
        "id, member, store, channel, amount, at, late",
        [
            np.arange(1, purchases + 1),
            member,
            rng.integers(1, STORES + 1, purchases),
            rng.integers(0, 3, purchases),
            rng.integers(300, 12000, purchases),
            at,
            late,
        ],
    )
    t0 = f"timestamptz '{start.isoformat()}'"
    statements = [sql for sql in SCRIPT.format(t0=t0).split(";\n") if sql.strip()]
    for sql in statements:
        cur.execute(sql)
    conn.commit()
    cur.execute("SELECT count(*) FROM ledger_entries")
    return {"members": members, "purchases": purchases, "entries": cur.fetchone()[0]}


SCRIPT = """
    INSERT INTO users (id, public_id, email, password_hash, role, active, created_at) SELECT id,
    'usr_' || id, 'm' || id || '@bench.example', 'x', 'member', true, {t0} + joined * interval
    '1 second' FROM bench_members;
    INSERT INTO members (id, public_id, user_id, name, language, timezone, card_number,
    home_store_id, tier_id, tier_since, points_available, points_pending, tier_points,
    joined_at) SELECT id, 'mem_' || id, id, 'Member ' || id, 'en', 'UTC', lpad(id::text, 16,
    '0'), home, tier, {t0} + joined * interval '1 second', 0, 0, 0,
    {t0} + joined * interval '1 second' FROM bench_members;
    INSERT INTO purchases (id, public_id, member_id, store_id, channel, receipt_id,
    amount_minor, currency, occurred_at, points_earned, points_reversed, refunded_minor,
    recorded_by, created_at) SELECT id, 'pur_' || id, member, store,
    (ARRAY['in_store','online','app'])[channel + 1], 'R' || id, amount, 'EUR', {t0} + at *
    interval '1 second', amount / 100, 0, 0, 'bench', {t0} + (at + late) * interval '1 second'
    FROM bench_purchases;
    INSERT INTO ledger_entries (public_id, member_id, kind, available_delta, pending_delta,
    qualifying, reason, reference_type, reference_id, created_at) SELECT 'ent_e' || id,
    member_id, 'earn', 0, points_earned, points_earned, 'Purchase', 'purchase', public_id,
    created_at FROM purchases ORDER BY id;
    INSERT INTO ledger_entries (public_id, member_id, kind, available_delta, pending_delta,
    qualifying, reason, reference_type, reference_id, created_at) SELECT 'ent_r' || id,
    member_id, 'release', points_earned, -points_earned, 0, 'Return window over', 'lots',
    id::text, created_at + interval '14 days' FROM purchases
    WHERE created_at + interval '14 days' < now() ORDER BY id;
    INSERT INTO ledger_entries (public_id, member_id, kind, available_delta, pending_delta,
    qualifying, reason, reference_type, reference_id, created_at) SELECT 'ent_d' || id,
    member_id, 'redeem', -(points_earned / 2), 0, 0, 'Reward', 'redemption', 'red_' || id,
    created_at + interval '20 days' FROM purchases WHERE id % 20 IN (0, 1, 2, 3) AND created_at
    + interval '20 days' < now() ORDER BY id;
    INSERT INTO ledger_entries (public_id, member_id, kind, available_delta, pending_delta,
    qualifying, reason, reference_type, reference_id, created_at) SELECT 'ent_x' || id,
    member_id, 'expire', -(points_earned / 2), 0, 0, 'Points expired', 'lots', id::text,
    created_at + interval '40 days' FROM purchases WHERE id % 20 IN (4, 5) AND created_at +
    interval '40 days' < now() ORDER BY id;
    INSERT INTO ledger_entries (public_id, member_id, kind, available_delta, pending_delta,
    qualifying, reason, reference_type, reference_id, created_at) SELECT 'ent_b' || id,
    member_id, 'bonus', 25, 0, 0, 'Quiz', 'quiz', 'qa_' || id, created_at + interval '2 days'
    FROM purchases WHERE id % 20 IN (6, 7, 8) AND created_at + interval '2 days' < now() ORDER
    BY id;
    INSERT INTO point_lots (member_id, entry_id, purchase_id, points, remaining, released,
    available_at, expires_at) SELECT p.member_id, e.id, p.id, p.points_earned, p.points_earned -
    CASE WHEN p.id % 20 < 6 AND p.created_at + interval '20 days' < now() THEN p.points_earned /
    2 ELSE 0 END, p.created_at + interval '14 days' < now(), p.created_at + interval '14 days',
    p.occurred_at + interval '365 days' FROM purchases p JOIN ledger_entries e ON e.public_id =
    'ent_e' || p.id;
    UPDATE members m SET points_available = s.a, points_pending = s.p FROM (SELECT member_id,
    sum(available_delta) a, sum(pending_delta) p FROM ledger_entries GROUP BY member_id) s WHERE
    s.member_id = m.id;
    SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users));
    SELECT setval(pg_get_serial_sequence('members', 'id'), (SELECT max(id) FROM members));
    SELECT setval(pg_get_serial_sequence('purchases', 'id'), (SELECT max(id) FROM purchases));
    DROP TABLE bench_members;
    DROP TABLE bench_purchases;
"""


BIG = ("users", "members", "purchases", "ledger_entries", "point_lots")


def drop_indexes(conn) -> list[str]:
    """The big tables' secondary indexes and constraints, dropped for the load; their DDL to
    make them again."""
    cur = conn.cursor()
    cur.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('f', 'u', 'c') "
        "ORDER BY contype DESC",
        (list(BIG),),
    )
    constraints = cur.fetchall()
    cur.execute(
        "SELECT indexdef, indexname FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint)",
        (list(BIG),),
    )
    indexes = cur.fetchall()
    for table, name, _ in constraints:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for _, name in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    conn.commit()
    # Unique and check first, foreign keys last.
    return [d for d, _ in indexes] + [
        f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}'
        for t, n, d in sorted(constraints, key=lambda c: c[2].startswith("FOREIGN"))
    ]


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=50_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the nightly run and the reports again on the program already generated",
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        sys.exit("set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database to empty")
    os.environ.setdefault("APP_ENV", "development")
    import psycopg
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db

    features = ("notifications", "analytics")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "FEATURES": features,
            "RATELIMIT_STORAGE_URI": "memory://",
            "TESTING": True,
        }
    )
    if args.reuse:
        return measure(app)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=args.days)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        from app.auth.service import create_user
        from app.program.service import get_program
        from app.seed import ensure_tiers
        from app.stores.models import Region, Store

        ensure_tiers()
        get_program().cost_per_point = "0.01"
        for r in range(1, REGIONS + 1):
            db.session.add(Region(id=r, name=f"Region {r}", code=f"r{r}"))
        db.session.flush()
        for s in range(1, STORES + 1):
            db.session.add(
                Store(id=s, name=f"Store {s}", code=f"s{s}", region_id=(s - 1) % REGIONS + 1)
            )
        db.session.commit()
    raw = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw) as conn:
        t = time.perf_counter()
        again = drop_indexes(conn)
        figures = generate(conn, args.members, args.entries, args.days, start, args.seed)
        load = time.perf_counter() - t
        t = time.perf_counter()
        with conn.cursor() as cur:
            for ddl in again:
                cur.execute(ddl)
            conn.commit()
            cur.execute("ANALYZE")
        conn.commit()
        build = time.perf_counter() - t
    with app.app_context():
        create_user("bench-admin@example.com", "bench-password-1", "admin")
        db.session.commit()
    print(f"machine: {os.cpu_count()} cores; PostgreSQL; {args.days} days")
    print(
        f"generated {figures['members']:,} members, {figures['purchases']:,} purchases, "
        f"{figures['entries']:,} ledger entries"
    )
    print(f"  load (COPY + expand)        {load:8.1f} s")
    print(f"  indexes and constraints     {build:8.1f} s")

    from analytics.aggregates import job

    now = datetime.now(UTC)
    with app.app_context():
        last = job.last_closed_day(now)
        backfill, result = timed(job.run, now=now, through=last - timedelta(days=1))
        print(f"  back-fill, {result.batches} batches to {result.watermark}   {backfill:8.1f} s")
    measure(app)


def measure(app) -> None:
    """The nightly run (the last day, or nothing new when it is summed already, and the state)
    and each report."""
    from sqlalchemy import text

    from analytics.aggregates import job
    from app.extensions import db

    with app.app_context():
        entries = db.session.scalar(text("SELECT count(*) FROM ledger_entries"))
        members = db.session.scalar(text("SELECT count(*) FROM members"))
        print(f"program: {members:,} members, {entries:,} ledger entries")
        nightly, result = timed(job.run, now=datetime.now(UTC))
        summed = f"{result.batches} batch of new days" if result.batches else "no new day"
        print(f"nightly aggregation ({summed} + balances, tiers, lifts): {nightly:.2f} s")
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/login",
        json={"email": "bench-admin@example.com", "password": "bench-password-1"},
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():
        store = db.session.scalar(text("SELECT public_id FROM stores WHERE id = 1"))
    reports = [
        "liability",
        f"liability?store={store}",
        "roi",
        "roi?channel=online",
        "engagement",
        "cohorts",
        "tiers",
        "tier-moves",
        "stores",
        "stores?group=region",
        "roi?format=csv",
    ]
    print(
        f"\nreport (over HTTP, JSON unless said)           median    max   "
        f"limit {LIMIT_SECONDS:.1f} s"
    )
    worst = 0.0
    for report in reports:
        runs = []
        for _ in range(3):
            seconds, res = timed(client.get, f"/api/v1/admin/analytics/{report}", headers=headers)
            assert res.status_code == 200, (report, res.get_data(as_text=True)[:300])
            runs.append(seconds)
        worst = max(worst, max(runs))
        print(
            f"  {report:<44} {statistics.median(runs):6.3f} {max(runs):6.3f}  "
            f"{'ok' if max(runs) < LIMIT_SECONDS else 'OVER'}"
        )
    print(f"slowest report: {worst:.3f} s (limit {LIMIT_SECONDS:.1f} s)")


if __name__ == "__main__":
    main()
