"""Fan-out: one campaign to N members through the real firebase-admin to a local fake FCM.

For each way of sending it prints messages per second, from selecting the segment to the last
request answered, beside FCM's default quota of 600,000 messages per minute (10,000/s) as a
ratio. It also measures the fake alone (CPU per request in its own process) to show that the fake
is not what limits the figures.

    .venv/bin/python bench/fanout.py                 # 100,000 members, every variant
    .venv/bin/python bench/fanout.py -n 5000         # quicker
    .venv/bin/python bench/fanout.py --variants async-100x1,threads-pool100

Variants: ``threads-poolN`` is ``messaging.send_each`` (a thread per message) over a pool of N
HTTP/1.1 connections: 10 is the requests default the library falls back to for any host but
fcm.googleapis.com (firebase-admin-python issue 712), 100 is what 7.7.0 mounts for
fcm.googleapis.com. ``async-K`` is ``send_each_async`` (HTTP/2, one connection) with K batches of
500 in flight. The fake advertises 100 concurrent HTTP/2 streams, as Google's front ends
commonly do.

The members live in a fresh PostgreSQL database (``--db-name``, dropped and made again; the
server is BENCH_ADMIN_DSN's). Each variant's clock starts with the segment's real SQL query (the
app's ``notifications.delivery.fanout.recipients``: the compiled segment rules joined to consent and
active devices) and stops at the last answer. A last run, ``app pipeline``, sends a campaign
through the app itself: the fan-out writes 100,000 deliveries and their send jobs, and the
outbox's jobs (run in-process) claim, send and record them with the configured sender.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# A throwaway database on this machine: the development secrets are allowed (and only with
# APP_ENV=development: the app refuses to start without secrets otherwise), here and in the
# servers it starts.
os.environ.setdefault("APP_ENV", "development")

import firebase_admin  # noqa: E402
import httpx  # noqa: E402

from bench._pg import fresh_database  # noqa: E402
from notifications.sending.fcm import FcmSender, Mode  # noqa: E402
from notifications.sending.firebase import initialize, point_at  # noqa: E402
from notifications.sending.outcomes import Outcome  # noqa: E402
from notifications.sending.push import Push  # noqa: E402
from notifications.texts import PushText, localized  # noqa: E402
from tests.fakes.fcm import FakeFcm  # noqa: E402

FCM_QUOTA_PER_SECOND = 600_000 / 60  # FCM's default per-project send quota


@dataclass(frozen=True)
class Variant:
    name: str
    mode: Mode
    concurrent_batches: int = 1
    pool_size: int | None = None  # None: the adapter firebase-admin gives fcm.googleapis.com
    batch_size: int = 500


DEFAULT_VARIANTS = (
    "threads-pool10,threads-pool100,threads-pool500,async-500x1,async-100x1,async-100x2"
)
VARIANT_RE = re.compile(r"^(?:threads-pool(\d+)(?:-b(\d+))?|async-(\d+)x(\d+))$")


def parse_variant(name: str) -> Variant:
    """``threads-pool<N>[-b<batch>]`` or ``async-<batch>x<batches in flight>``."""
    match = VARIANT_RE.match(name)
    if not match:
        raise SystemExit(f"unknown variant {name!r}: use threads-pool100[-b500] or async-100x1")
    pool, threads_batch, async_batch, in_flight = match.groups()
    if pool is not None:
        # 100 is what firebase-admin mounts for fcm.googleapis.com: keep that very adapter.
        return Variant(
            name,
            "threads",
            pool_size=None if pool == "100" else int(pool),
            batch_size=int(threads_batch or 500),
        )
    return Variant(name, "async", batch_size=int(async_batch), concurrent_batches=int(in_flight))


CAMPAIGN = {
    "en": PushText("Double points weekend", "Hi {name}, double points on everything until Sunday"),
    "fi": PushText("Tuplapisteviikonloppu", "Hei {name}, kaikesta tuplapisteet sunnuntaihin asti"),
    "pl": PushText("Weekend z podwójnymi punktami", "Cześć {name}, podwójne punkty do niedzieli"),
}


@dataclass(frozen=True)
class Recipient:
    member_public_id: str
    name: str
    language: str
    fid: str | None
    token: str | None


LANGUAGES = ("en", "fi", "pl", "tl")
ZONES = ("Europe/Helsinki", "Europe/Warsaw", "Asia/Manila", "Europe/London", "UTC")
SEGMENT_RULES = {"tiers": ["silver", "gold"], "points_min": 10}


def populate(n: int) -> dict:
    """``n`` members the segment selects (consenting, with a device; one device in ten known
    only by a legacy token) and ``n // 10`` it must leave out; returns the campaign's handles."""
    from sqlalchemy import insert, select

    from app.auth.models import User
    from app.extensions import db
    from app.members.models import Member
    from app.models_base import utcnow
    from app.seed import ensure_tiers
    from app.segments.models import Segment
    from app.tiers.models import Tier
    from notifications.campaigns.models import Campaign
    from notifications.devices.models import Device

    ensure_tiers()
    tiers = dict(db.session.execute(select(Tier.code, Tier.id)).all())
    now = utcnow()
    extra = n // 10
    users, members, devices = [], [], []
    for i in range(1, n + extra + 1):
        inside = i <= n
        if inside:
            tier = "gold" if i % 3 == 0 else "silver"
        else:  # consenting but outside the rules, or inside the rules without consent
            tier = "platinum" if i % 2 == 0 else "silver"
        users.append(
            {
                "id": i,
                "public_id": f"usr_{i}",
                "email": f"m{i}@bench.example",
                "password_hash": "x",
                "role": "member",
                "active": True,
                "created_at": now,
            }
        )
        members.append(
            {
                "id": i,
                "public_id": f"mbr_{i:07d}",
                "user_id": i,
                "name": f"Member {i}",
                "language": LANGUAGES[i % 4],
                "timezone": ZONES[i % len(ZONES)],
                "card_number": f"{i:013d}",
                "tier_id": tiers[tier],
                "tier_since": now,
                "points_available": 50 + i % 500,
                "points_pending": 0,
                "joined_at": now,
            }
        )
        legacy = i % 10 == 0
        devices.append(
            {
                "id": i,
                "public_id": f"dev_{i}",
                "member_id": i,
                "fid": None if legacy else f"fid-{i:07d}",
                "token": f"legacy-token-{i:07d}" if legacy else None,
                "platform": "ios" if i % 2 else "android",
                "active": True,
                "last_seen_at": now,
                "created_at": now,
            }
        )
    # The left-out tenth: half without consent, half outside the rules.
    consenting = [i for i in range(1, n + extra + 1) if i <= n or i % 2 == 0]
    tables = [(User, users), (Member, members), (Device, devices)]
    if "marketing_consent" in Member.__table__.c:
        wanted = set(consenting)
        for row in members:
            row["marketing_consent"] = row["id"] in wanted
    else:  # the consent is the member's newest consent record
        from app.consents.models import MARKETING_PUSH, ConsentRecord

        records = [
            {
                "public_id": f"cns_{i}",
                "member_id": i,
                "purpose": MARKETING_PUSH,
                "granted": True,
                "text_version": "1",
                "channel": "signup",
                "recorded_at": now,
            }
            for i in consenting
        ]
        tables.append((ConsentRecord, records))
    for model, rows in tables:
        for start in range(0, len(rows), 10_000):
            db.session.execute(insert(model), rows[start : start + 10_000])
    segment = Segment(name="Bench audience", rules=SEGMENT_RULES)
    db.session.add(segment)
    db.session.flush()
    db.session.commit()
    return {"segment_id": segment.id, "campaign_model": Campaign}


def new_campaign(segment_id: int, name: str):
    from app.extensions import db
    from notifications.campaigns.models import Campaign

    campaign = Campaign(
        name=name,
        title={lang: text.title for lang, text in CAMPAIGN.items()},
        body={lang: text.body for lang, text in CAMPAIGN.items()},
        segment_id=segment_id,
        status="sending",
    )
    db.session.add(campaign)
    db.session.commit()
    return campaign


def campaign_in(campaign_id: int):
    from app.extensions import db
    from notifications.campaigns.models import Campaign

    return db.session.get(Campaign, campaign_id)


def select_segment(campaign) -> list[Recipient]:
    """The segment's members with their devices, by the app's own one SQL query."""
    from app.extensions import db
    from app.members.models import Member
    from notifications.delivery.fanout import recipients
    from notifications.devices.models import Device

    stmt = recipients(campaign, None).add_columns(Member.public_id, Device.fid, Device.token)
    return [
        Recipient(public_id, name, language, fid, token)
        for _, name, language, _, _, public_id, fid, token in db.session.execute(stmt)
    ]


def compose(recipients: list[Recipient]) -> list[Push]:
    pushes = []
    for r in recipients:
        _, text = localized(CAMPAIGN, r.language, "en")
        text = text.render({"name": r.name})
        pushes.append(
            Push(
                delivery_id=f"dlv_{r.member_public_id}",
                title=text.title,
                body=text.body,
                deep_link="loyalty://campaigns/cmp_bench",
                fid=r.fid,
                token=r.token,
                collapse_key="cmp_bench",
                data={"campaign_id": "cmp_bench"},
            )
        )
    return pushes


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "pool is full" in record.getMessage():
            self.count += 1


def run_variant(variant: Variant, fake: FakeFcm, sa_path: Path, n: int, campaign) -> dict:
    app = initialize(sa_path, name=f"bench-{variant.name}", endpoint=fake.url)
    if variant.pool_size is not None:
        point_at(app, fake.url, pool_size=variant.pool_size)
    sender = FcmSender(
        app,
        mode=variant.mode,
        batch_size=variant.batch_size,
        concurrent_batches=variant.concurrent_batches,
        max_attempts=1,
    )
    discarded = _Count()
    pool_log = logging.getLogger("urllib3.connectionpool")
    pool_log.addHandler(discarded)
    pool_log.propagate = False
    try:
        # Warm: access token and first connections, as in a long-running worker.
        sender.send(compose(select_segment(campaign)[:10]))
        discarded.count = 0
        before = fake.remote_stats()
        fake_cpu0, own_cpu0 = cpu_seconds(fake.pid), time.process_time()
        started = time.perf_counter()
        pushes = compose(select_segment(campaign))
        selected = time.perf_counter()
        report = sender.send(pushes)
        finished = time.perf_counter()
        fake_cpu = cpu_seconds(fake.pid) - fake_cpu0
        own_cpu = time.process_time() - own_cpu0
        after = fake.remote_stats()
    finally:
        pool_log.removeHandler(discarded)
        pool_log.propagate = True
        sender.close()
        firebase_admin.delete_app(app)
    elapsed = finished - started
    arrived = after.get("requests", 0) - before.get("requests", 0)
    answered_ok = after.get("status_200", 0) - before.get("status_200", 0)
    rate = n / elapsed
    return {
        "variant": variant.name,
        "messages": n,
        "sent": report.counts[Outcome.SENT],
        "arrived": arrived,
        "answered_ok": answered_ok,
        "select_s": round(selected - started, 2),
        "send_s": round(finished - selected, 2),
        "total_s": round(elapsed, 2),
        "msgs_per_s": round(rate),
        "ratio_to_quota": round(rate / FCM_QUOTA_PER_SECOND, 3),
        "client_cpu": round(own_cpu / elapsed, 2),
        # CPU per message stays comparable when other processes compete for the cores.
        "client_cpu_ms_per_msg": round(own_cpu / n * 1000, 3),
        "fake_cpu": round(fake_cpu / elapsed, 2),
        "discarded_connections": discarded.count,
    }


async def _raw_load(fake: FakeFcm, token: str, n: int, in_flight: int) -> None:
    import ssl

    body = json.dumps(
        {"message": {"fid": "fid-raw", "notification": {"title": "t", "body": "b"}}}
    ).encode()
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    url = f"{fake.url}/v1/projects/{fake.project_id}/messages:send"
    verify = ssl.create_default_context(cafile=str(fake.materials.ca_file))
    limits = httpx.Limits(max_connections=4)
    async with httpx.AsyncClient(http2=True, verify=verify, limits=limits) as client:
        counter = iter(range(n))

        async def worker() -> None:
            for _ in counter:
                response = await client.post(url, content=body, headers=headers)
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(in_flight)))


def measure_fake(fake: FakeFcm, sa_path: Path, n: int) -> dict:
    """The fake's own cost: CPU seconds it spends per request, under a bare httpx HTTP/2 load."""
    app = initialize(sa_path, name="bench-raw", endpoint=fake.url)
    token = app.credential.get_access_token().access_token
    firebase_admin.delete_app(app)
    before = fake.remote_stats()
    fake_cpu0 = cpu_seconds(fake.pid)
    started = time.perf_counter()
    asyncio.run(_raw_load(fake, token, n, in_flight=200))
    elapsed = time.perf_counter() - started
    fake_cpu = cpu_seconds(fake.pid) - fake_cpu0
    served = fake.remote_stats().get("requests", 0) - before.get("requests", 0)
    return {
        "requests": served,
        "raw_client_req_per_s": round(served / elapsed),
        "fake_cpu_ms_per_request": round(fake_cpu / served * 1000, 4),
        "fake_capacity_req_per_s": round(served / fake_cpu),
        "fake_cpu": round(fake_cpu / elapsed, 2),
    }


def make_app(url: str, fake: FakeFcm, sa_path: Path):
    from app import create_app
    from app.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "FEATURES": ("notifications",),
            "FIREBASE_CREDENTIALS_FILE": str(sa_path),
            "FCM_ENDPOINT": fake.url,
            # Every member now: the bench measures sending, not waiting for mornings.
            "PUSH_QUIET_HOURS": "",
            "PUSH_DAILY_CAP": "0",
            "LOG_LEVEL": "WARNING",
            "CELERY_BROKER_URL": None,  # the outbox's jobs run in this process
        }
    )
    with app.app_context():
        db.create_all()
    return app


def run_pipeline(app, fake: FakeFcm, n: int, segment_id: int) -> dict:
    """A campaign through the app: fan-out, deliveries, send jobs, results recorded."""
    from app.extensions import db
    from notifications.campaigns.service import counts, request_send
    from notifications.state import close_senders, current_sender

    with app.app_context():
        campaign = new_campaign(segment_id, "pipeline")
        campaign.status = "draft"
        db.session.commit()
        # Warm, as a running worker is: the access token and the HTTP/2 connection.
        current_sender().send(compose(select_segment(campaign)[:10]))
        before = fake.remote_stats()
        own_cpu0 = time.process_time()
        started = time.perf_counter()
        request_send(campaign)  # eager: the fan-out and every send job run now
        finished = time.perf_counter()
        own_cpu = time.process_time() - own_cpu0
        after = fake.remote_stats()
        tally = counts([campaign.id])[campaign.id]
    close_senders()
    elapsed = finished - started
    rate = n / elapsed
    return {
        "variant": "app pipeline",
        "messages": n,
        "sent": tally["sent"],
        "arrived": after.get("requests", 0) - before.get("requests", 0),
        "total_s": round(elapsed, 2),
        "msgs_per_s": round(rate),
        "ratio_to_quota": round(rate / FCM_QUOTA_PER_SECOND, 3),
        "client_cpu": round(own_cpu / elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--members", type=int, default=100_000)
    parser.add_argument("--variants", default=DEFAULT_VARIANTS)
    parser.add_argument("--db-name", default="fanout_bench", help="dropped and made again")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    chosen = [parse_variant(name) for name in args.variants.split(",")] if args.variants else []
    n = args.members

    print(
        f"fan-out to {n:,} members; python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; firebase-admin {firebase_admin.__version__}"
    )
    print(f"limit: FCM default quota 600,000/min = {FCM_QUOTA_PER_SECOND:,.0f} msgs/s")
    url = fresh_database(args.db_name)
    with FakeFcm("loyalty-bench", record=False, in_process=True) as fake:
        os.environ.update(fake.client_env())
        sa_path = fake.write_service_account(fake.materials.directory / "sa.json")
        app = make_app(url, fake, sa_path)
        with app.app_context():
            started = time.perf_counter()
            handles = populate(n)
            print(
                f"PostgreSQL {args.db_name}: {n + n // 10:,} members made in "
                f"{time.perf_counter() - started:.1f}s; segment {SEGMENT_RULES}"
            )
            campaign_id = new_campaign(handles["segment_id"], "bench").id
        fake_figures = measure_fake(fake, sa_path, min(n, 20_000))
        rows = []
        for variant in chosen:
            with app.app_context():
                rows.append(run_variant(variant, fake, sa_path, n, campaign_in(campaign_id)))
        pipeline = run_pipeline(app, fake, n, handles["segment_id"])

    print()
    print(
        f"fake FCM alone: {fake_figures['fake_cpu_ms_per_request']} ms CPU per request, "
        f"so ~{fake_figures['fake_capacity_req_per_s']:,} requests/s on one core "
        f"(a bare httpx HTTP/2 client drove it at {fake_figures['raw_client_req_per_s']:,}/s, "
        f"fake at {fake_figures['fake_cpu']:.0%} of a core)"
    )
    print()
    header = (
        f"{'variant':<22}{'msgs/s':>9}{'x quota':>9}{'select s':>10}{'send s':>9}"
        f"{'ok':>9}{'client cpu':>12}{'ms cpu/msg':>12}{'fake cpu':>10}{'discarded conns':>17}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['variant']:<22}{r['msgs_per_s']:>9,}{r['ratio_to_quota']:>9.3f}"
            f"{r['select_s']:>10.2f}{r['send_s']:>9.2f}{r['answered_ok']:>9,}"
            f"{r['client_cpu']:>12.0%}{r['client_cpu_ms_per_msg']:>12.3f}{r['fake_cpu']:>10.0%}"
            f"{r['discarded_connections']:>17,}"
        )
        if r["sent"] != n or r["arrived"] != n:
            print(f"  !! {r['variant']}: sent {r['sent']}, fake saw {r['arrived']} of {n}")
    print(
        f"{'app pipeline':<22}{pipeline['msgs_per_s']:>9,}{pipeline['ratio_to_quota']:>9.3f}"
        f"{'':>10}{pipeline['total_s']:>9.2f}{pipeline['sent']:>9,}{pipeline['client_cpu']:>12.0%}"
        "   (fan-out + deliveries + send jobs through the app, async-100x1)"
    )
    if pipeline["sent"] != n or pipeline["arrived"] != n:
        print(f"  !! pipeline: sent {pipeline['sent']}, fake saw {pipeline['arrived']} of {n}")
    if not rows:
        return
    best = max(rows, key=lambda r: r["msgs_per_s"])
    slowest_fake_headroom = fake_figures["fake_capacity_req_per_s"] / best["msgs_per_s"]
    print()
    print(
        f"fastest: {best['variant']} at {best['msgs_per_s']:,} msgs/s = "
        f"{best['ratio_to_quota']:.3f} of FCM's quota; the fake could serve "
        f"{slowest_fake_headroom:.1f}x that"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"fake": fake_figures, "variants": rows, "pipeline": pipeline, "n": n}, indent=2
            )
        )


if __name__ == "__main__":
    main()
