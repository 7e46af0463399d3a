"""Fan-out: one campaign to N members through the real firebase-admin to a local fake FCM.

Every figure is printed beside FCM's default quota of 600,000 messages per minute (10,000/s)
and the fake's own capacity, measured in the same run:

1. the fake alone: a bare httpx HTTP/2 client drives it; the fake's CPU per request (its
   capacity on one core) and the bare client's own CPU per request (what the HTTP/2 stack
   firebase-admin runs on costs here, before firebase-admin or this app add anything);
2. the bare sender: one process selects the segment (the app's own query), composes the pushes
   and sends them with ``FcmSender`` (no delivery rows);
3. the app pipeline in one process (the embedded default, no broker): the fan-out writes the
   deliveries and their send jobs, and the outbox's jobs claim, send and record them;
4. the production configuration: a Celery worker with 1, 2 and 4 prefork processes on Redis
   runs the same pipeline (fan-out job, then the send jobs spread over the processes), with
   each process's share of a core and how busy the machine was.

The bare sender and the pipeline take turns (``--repeat``, 2 by default) and the faster run of
each is shown: on a shared machine a burst of other work then spoils one run, not the ratio.

    .venv/bin/python bench/fanout.py                   # 30,000 members (4 to 10 minutes)
    .venv/bin/python bench/fanout.py -n 100000         # the issue's size (three times that)
    .venv/bin/python bench/fanout.py --workers 1,2 --variants async-100x1,threads-pool100

Variants of the bare sender: ``threads-poolN`` is ``messaging.send_each`` (a thread per
message) over a pool of N HTTP/1.1 connections: 10 is the requests default the library falls
back to for any host but fcm.googleapis.com (firebase-admin-python issue 712), 100 is what
7.7.0 mounts for fcm.googleapis.com. ``async-K`` is ``send_each_async`` (HTTP/2, one
connection) with K batches of 500 in flight, ``async-BxK`` batches of B. The fake advertises
100 concurrent HTTP/2 streams and 1 MiB flow-control windows, as Google's front ends do.

The members live in a fresh PostgreSQL database (``--db-name``, dropped and made again; the
server is BENCH_ADMIN_DSN's), the broker in BENCH_REDIS_URL (emptied). Client CPU is the
user+system time of the sending processes divided by the messages; rates are messages per
second from the campaign's send (the segment's query) to the last answer recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import re
import subprocess
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
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The targets.
MAX_CLIENT_CPU_MS = 0.35
MIN_PIPELINE_RATIO = 0.8
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class Variant:
    name: str
    mode: Mode
    concurrent_batches: int = 1
    pool_size: int | None = None  # None: the adapter firebase-admin gives fcm.googleapis.com
    batch_size: int = 500


DEFAULT_VARIANTS = "async-100x1"
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


def populate(n: int) -> int:
    """``n`` members the segment selects (consenting, with a device; one device in ten known
    only by a legacy token) and ``n // 10`` it must leave out; returns the segment's id."""
    from sqlalchemy import insert, select, text

    from app.auth.models import User
    from app.consents.models import MARKETING_PUSH, ConsentRecord
    from app.extensions import db
    from app.members.models import Member
    from app.models_base import utcnow
    from app.seed import ensure_tiers
    from app.segments.models import Segment
    from app.tiers.models import Tier
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
    # A member's marketing consent is the newest row of the consent record.
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
    tables = [(User, users), (Member, members), (Device, devices), (ConsentRecord, records)]
    for model, rows in tables:
        for start in range(0, len(rows), 10_000):
            db.session.execute(insert(model), rows[start : start + 10_000])
    segment = Segment(name="Bench audience", rules=SEGMENT_RULES)
    db.session.add(segment)
    db.session.commit()
    # A database in service has its statistics; a fresh one gets them now.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return segment.id


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
        selected, compose_cpu = time.perf_counter(), time.process_time() - own_cpu0
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
    answered_ok = after.get("status_200", 0) - before.get("status_200", 0)
    return _figures(
        variant.name, n, report.counts[Outcome.SENT], before, after, elapsed, own_cpu, fake_cpu
    ) | {
        "answered_ok": answered_ok,
        "select_s": round(selected - started, 2),
        "send_s": round(finished - selected, 2),
        "send_cpu_ms_per_msg": round((own_cpu - compose_cpu) / n * 1000, 3),
        "discarded_connections": discarded.count,
    }


def _figures(
    variant: str,
    n: int,
    sent: int,
    before: dict,
    after: dict,
    elapsed: float,
    cpu: float,
    fake_cpu: float,
) -> dict:
    """What every run reports: its rate against the quota, its CPU and the fake's."""
    return {
        "variant": variant,
        "messages": n,
        "sent": sent,
        "arrived": after.get("requests", 0) - before.get("requests", 0),
        "total_s": round(elapsed, 2),
        "msgs_per_s": round(n / elapsed),
        "ratio_to_quota": round(n / elapsed / FCM_QUOTA_PER_SECOND, 3),
        "client_cpu": round(cpu / elapsed, 2),
        # CPU per message stays comparable when other processes compete for the cores.
        "client_cpu_ms_per_msg": round(cpu / n * 1000, 3),
        "fake_cpu": round(fake_cpu / elapsed, 2),
    }


async def _raw_load(fake: FakeFcm, token: str, n: int, in_flight: int) -> None:
    import ssl

    body = json.dumps(
        {"message": {"fid": "fid-raw", "notification": {"title": "t", "body": "b"}}}
    ).encode()
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    url = f"{fake.url}/v1/projects/{fake.project_id}/messages:send"
    verify = ssl.create_default_context(cafile=str(fake.materials.ca_file))
    async with httpx.AsyncClient(http2=True, verify=verify) as client:
        counter = iter(range(n))

        async def worker() -> None:
            for _ in counter:
                response = await client.post(url, content=body, headers=headers)
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(in_flight)))


def measure_fake(fake: FakeFcm, sa_path: Path, n: int) -> dict:
    """The fake's own cost (CPU per request in its process), and the bare HTTP/2 client's:
    one connection, 100 requests in flight (the fake's stream limit), as FcmSender sends."""
    app = initialize(sa_path, name="bench-raw", endpoint=fake.url)
    token = app.credential.get_access_token().access_token
    firebase_admin.delete_app(app)
    before = fake.remote_stats()
    fake_cpu0, own_cpu0 = cpu_seconds(fake.pid), time.process_time()
    started = time.perf_counter()
    asyncio.run(_raw_load(fake, token, n, in_flight=100))
    elapsed = time.perf_counter() - started
    fake_cpu = cpu_seconds(fake.pid) - fake_cpu0
    own_cpu = time.process_time() - own_cpu0
    served = fake.remote_stats().get("requests", 0) - before.get("requests", 0)
    return {
        "requests": served,
        "raw_client_req_per_s": round(served / elapsed),
        "raw_client_cpu_ms_per_request": round(own_cpu / served * 1000, 3),
        "fake_cpu_ms_per_request": round(fake_cpu / served * 1000, 4),
        "fake_capacity_req_per_s": round(served / fake_cpu),
        "fake_cpu": round(fake_cpu / elapsed, 2),
    }


def app_settings(url: str, fake: FakeFcm, sa_path: Path) -> dict[str, str]:
    """The app's settings for the bench, as environment variables (the workers') too."""
    return {
        "DATABASE_URL": url,
        "FEATURES": "notifications",
        "FIREBASE_CREDENTIALS_FILE": str(sa_path),
        "FCM_ENDPOINT": fake.url,
        # Every member now: the bench measures sending, not waiting for mornings.
        "PUSH_QUIET_HOURS": "",
        "PUSH_DAILY_CAP": "0",
        "LOG_LEVEL": "WARNING",
    }


def make_app(settings: dict[str, str], broker: str | None = None):
    from app import create_app
    from app.extensions import db

    config = {k: v for k, v in settings.items() if k != "DATABASE_URL"}
    app = create_app(
        config
        | {
            "SQLALCHEMY_DATABASE_URI": settings["DATABASE_URL"],
            "FEATURES": ("notifications",),
            # Without a broker the outbox's jobs run in this process (the embedded default).
            "CELERY_BROKER_URL": broker,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def _warm_sender(campaign) -> None:
    # As a running worker is: the access token and the HTTP/2 connection.
    from notifications.state import current_sender

    current_sender().send(compose(select_segment(campaign)[:10]))


def _outcome(campaign_id: int) -> tuple[str, dict[str, int]]:
    from app.extensions import db
    from notifications.campaigns.models import Campaign
    from notifications.campaigns.service import counts

    db.session.expire_all()
    status = db.session.get(Campaign, campaign_id).status
    tally = counts([campaign_id])[campaign_id]
    db.session.commit()
    return status, tally


def run_pipeline(app, fake: FakeFcm, n: int, segment_id: int) -> dict:
    """A campaign through the app in this process: fan-out, deliveries, send jobs, results."""
    from app.extensions import db
    from notifications.campaigns.service import request_send
    from notifications.state import close_senders

    with app.app_context():
        campaign = new_campaign(segment_id, "pipeline")
        _warm_sender(campaign)
        campaign.status = "draft"
        db.session.commit()
        before = fake.remote_stats()
        own_cpu0, fake_cpu0 = time.process_time(), cpu_seconds(fake.pid)
        started = time.perf_counter()
        request_send(campaign)  # eager: the fan-out and every send job run now
        finished = time.perf_counter()
        own_cpu = time.process_time() - own_cpu0
        fake_cpu = cpu_seconds(fake.pid) - fake_cpu0
        after = fake.remote_stats()
        _, tally = _outcome(campaign.id)
    close_senders()
    elapsed = finished - started
    return _figures(
        "app pipeline, 1 process", n, tally["sent"], before, after, elapsed, own_cpu, fake_cpu
    )


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def tree_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds of the process and of each descendant, by pid."""
    found = {}
    for each in process_tree(pid):
        try:
            found[each] = cpu_seconds(each)
        except OSError:  # a child that just ended
            continue
    return found


def _wait_until_idle(pid: int, size: int, timeout: float = 90.0) -> None:
    """Until the worker's pool is up and done importing the app: its CPU stands still."""
    deadline = time.monotonic() + timeout
    while len(process_tree(pid)) < size + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    last = sum(tree_cpu_seconds(pid).values())
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = sum(tree_cpu_seconds(pid).values())
        if now - last < 0.05:
            return
        last = now


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run_workers(app, settings: dict[str, str], fake: FakeFcm, n: int, segment_id: int, size: int):
    """The same campaign through a Celery worker of ``size`` prefork processes on Redis."""
    import redis

    from app.extensions import db
    from notifications.campaigns.service import request_send

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = os.environ | settings | {"CELERY_BROKER_URL": REDIS_URL, "REDIS_URL": REDIS_URL}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "wsgi:celery",
            "worker",
            "--pool=prefork",
            f"--concurrency={size}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_idle(worker.pid, size)
        with app.app_context():
            campaign = new_campaign(segment_id, f"workers-{size}")
            campaign.status = "draft"
            db.session.commit()
            before = fake.remote_stats()
            cpu0, fake_cpu0, busy0 = (
                tree_cpu_seconds(worker.pid),
                cpu_seconds(fake.pid),
                machine_busy(),
            )
            started = time.perf_counter()
            request_send(campaign)  # the fan-out job goes to the broker
            while True:
                status, tally = _outcome(campaign.id)
                if status == "sent" and tally["pending"] == 0 and tally["scheduled"] == 0:
                    break
                if time.perf_counter() - started > 900:
                    raise RuntimeError(f"{size} workers: not done after 15 minutes: {tally}")
                time.sleep(0.25)
            elapsed = time.perf_counter() - started
            cpu_by_pid = tree_cpu_seconds(worker.pid)
            spent = {pid: cpu - cpu0.get(pid, 0.0) for pid, cpu in cpu_by_pid.items()}
            cpu = sum(spent.values())
            # What each pool process did: a burst that spread keeps them all busy.
            pool = [v / elapsed for p, v in spent.items() if p != worker.pid]
            shares = sorted(pool, reverse=True)
            fake_cpu = cpu_seconds(fake.pid) - fake_cpu0
            busy1 = machine_busy()
            after = fake.remote_stats()
    finally:
        worker.terminate()
        try:
            out, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            out, _ = worker.communicate()
    if b"Traceback" in out:
        raise RuntimeError(out.decode()[-3000:])
    variant = f"celery, {size} process{'es' if size > 1 else ''}"
    return _figures(variant, n, tally["sent"], before, after, elapsed, cpu, fake_cpu) | {
        "workers": size,
        "machine_busy": round((busy1[0] - busy0[0]) / (busy1[1] - busy0[1]), 2),
        "process_cpu": [round(share, 2) for share in shares],
    }


def _row(r: dict, note: str = "") -> str:
    return (
        f"{r['variant']:<26}{r['msgs_per_s']:>9,}{r['ratio_to_quota']:>9.3f}{r['total_s']:>9.1f}"
        f"{r['sent']:>9,}{r['client_cpu']:>12.0%}{r['client_cpu_ms_per_msg']:>12.3f}"
        f"{r['fake_cpu']:>10.0%}  {note}"
    )


def _check(r: dict, n: int) -> None:
    if r["sent"] != n or r["arrived"] != n:
        print(f"  !! {r['variant']}: sent {r['sent']}, fake saw {r['arrived']} of {n}")


def verdict(ok: bool) -> str:
    return "ok" if ok else "NOT MET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--members", type=int, default=30_000)
    parser.add_argument("--variants", default=DEFAULT_VARIANTS)
    parser.add_argument("--workers", default="1,2,4", help="Celery processes per run; '' skips")
    parser.add_argument("--db-name", default="fanout_bench", help="dropped and made again")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of the bare sender and the pipeline, best kept"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    chosen = [parse_variant(name) for name in args.variants.split(",")] if args.variants else []
    sizes = [int(w) for w in args.workers.split(",")] if args.workers else []
    n = args.members

    print(
        f"fan-out to {n:,} members; python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), load average "
        f"{os.getloadavg()[0]:.1f} at start; firebase-admin {firebase_admin.__version__}, "
        f"httpx {httpx.__version__}"
    )
    print(f"limit: FCM default quota 600,000/min = {FCM_QUOTA_PER_SECOND:,.0f} msgs/s")
    url = fresh_database(args.db_name)
    with FakeFcm("loyalty-bench", record=False, in_process=True) as fake:
        os.environ.update(fake.client_env())
        sa_path = fake.write_service_account(fake.materials.directory / "sa.json")
        settings = app_settings(url, fake, sa_path)
        app = make_app(settings)
        with app.app_context():
            started = time.perf_counter()
            segment_id = populate(n)
            print(
                f"PostgreSQL {args.db_name}: {n + n // 10:,} members made in "
                f"{time.perf_counter() - started:.1f}s; segment {SEGMENT_RULES}"
            )
            campaign_id = new_campaign(segment_id, "bench").id
        fake_figures = measure_fake(fake, sa_path, min(n, 10_000))
        # The sender and the pipeline take turns, and the faster of each one's runs counts:
        # a burst of other work on the machine then spoils one run, not the comparison.
        tries: dict[str, list[dict]] = {}
        for _ in range(args.repeat):
            for variant in chosen:
                with app.app_context():
                    run = run_variant(variant, fake, sa_path, n, campaign_in(campaign_id))
                tries.setdefault(variant.name, []).append(run)
            tries.setdefault("pipeline", []).append(run_pipeline(app, fake, n, segment_id))
        fastest = {name: max(runs, key=lambda r: r["msgs_per_s"]) for name, runs in tries.items()}
        pipeline = fastest.pop("pipeline")
        rows = list(fastest.values())
        scaled = []
        if sizes:
            broker_app = make_app(settings, broker=REDIS_URL)
            for size in sizes:
                scaled.append(run_workers(broker_app, settings, fake, n, segment_id, size))

    print()
    print(
        f"fake FCM alone: {fake_figures['fake_cpu_ms_per_request']} ms CPU per request, "
        f"so ~{fake_figures['fake_capacity_req_per_s']:,} requests/s on one core. A bare httpx "
        f"HTTP/2 client (one connection, 100 in flight) drove it at "
        f"{fake_figures['raw_client_req_per_s']:,}/s for "
        f"{fake_figures['raw_client_cpu_ms_per_request']} ms of its own CPU per request: the "
        "HTTP/2 stack's cost here, before firebase-admin or the app add theirs"
    )
    print()
    if args.repeat > 1:
        print(f"bare sender and pipeline: the best of {args.repeat} runs each, taking turns")
    print(
        f"{'variant':<26}{'msgs/s':>9}{'x quota':>9}{'total s':>9}{'sent':>9}"
        f"{'client cpu':>12}{'ms cpu/msg':>12}{'fake cpu':>10}"
    )
    for r in rows:
        print(_row(r, f"(bare sender; sending alone {r['send_cpu_ms_per_msg']:.3f} ms/msg)"))
        _check(r, n)
    print(_row(pipeline, "(fan-out + deliveries + send jobs, embedded)"))
    _check(pipeline, n)
    for r in scaled:
        each = "/".join(f"{share:.0%}" for share in r["process_cpu"])
        print(_row(r, f"(each process {each} of a core; machine {r['machine_busy']:.0%} busy)"))
        _check(r, n)

    print()
    print(f"targets ({n:,} messages):")
    best = max(rows, key=lambda r: r["msgs_per_s"]) if rows else None
    if best is not None:
        print(
            f"  client CPU <= {MAX_CLIENT_CPU_MS} ms a message: bare sender "
            f"{best['client_cpu_ms_per_msg']:.3f}, app pipeline "
            f"{pipeline['client_cpu_ms_per_msg']:.3f} "
            f"(the bare HTTP/2 client alone: {fake_figures['raw_client_cpu_ms_per_request']:.3f})"
            f": {verdict(pipeline['client_cpu_ms_per_msg'] <= MAX_CLIENT_CPU_MS)}"
        )
        ratio = pipeline["msgs_per_s"] / best["msgs_per_s"]
        print(
            f"  pipeline >= {MIN_PIPELINE_RATIO} of the bare sender: {pipeline['msgs_per_s']:,} / "
            f"{best['msgs_per_s']:,} = {ratio:.2f}: {verdict(ratio >= MIN_PIPELINE_RATIO)}"
        )
        headroom = fake_figures["fake_capacity_req_per_s"] / best["msgs_per_s"]
        print(f"  the fake could serve {headroom:.1f}x the bare sender's rate")
    if scaled:
        base = scaled[0]["msgs_per_s"]
        steps = ", ".join(f"{r['workers']}: {r['msgs_per_s'] / base:.2f}x" for r in scaled)
        print(f"  scaling with worker processes (vs {scaled[0]['workers']}): {steps}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "fake": fake_figures,
                    "variants": rows,
                    "pipeline": pipeline,
                    "workers": scaled,
                    "n": n,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
