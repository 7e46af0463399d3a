"""Fan-out: one campaign to N members through the real firebase-admin to a local fake FCM.

For each way of sending it prints messages per second, from selecting the segment to the last
request answered, beside FCM's default quota of 600,000 messages per minute (10,000/s) as a
ratio. It also measures the fake alone (CPU per request in its own process) to show that the fake
is not what limits the figures.

    .venv/bin/python bench/fanout.py                 # 100,000 messages per variant
    .venv/bin/python bench/fanout.py -n 5000         # quicker
    .venv/bin/python bench/fanout.py --variants async-1,threads-pool100

Variants: ``threads-poolN`` is ``messaging.send_each`` (a thread per message) over a pool of N
HTTP/1.1 connections: 10 is the requests default the library falls back to for any host but
fcm.googleapis.com (firebase-admin-python issue 712), 100 is what 7.7.0 mounts for
fcm.googleapis.com. ``async-K`` is ``send_each_async`` (HTTP/2, one connection) with K batches of
500 in flight. The fake advertises 100 concurrent HTTP/2 streams, as Google's front ends
commonly do.

The segment is generated in memory here; in the app it will be the segment's SQL query (see
``select_segment``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import firebase_admin  # noqa: E402
import httpx  # noqa: E402

from notifications.firebase import initialize, point_at  # noqa: E402
from notifications.outcomes import Outcome  # noqa: E402
from notifications.push import Push  # noqa: E402
from notifications.sender import FcmSender, Mode  # noqa: E402
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


VARIANTS = {
    v.name: v
    for v in [
        Variant("threads-pool10", "threads", pool_size=10),
        Variant("threads-pool100", "threads"),
        Variant("threads-pool500", "threads", pool_size=500),
        Variant("async-500x1", "async"),
        Variant("async-500x4", "async", concurrent_batches=4),
        Variant("async-100x1", "async", batch_size=100),
        Variant("async-100x2", "async", batch_size=100, concurrent_batches=2),
        Variant("async-200x1", "async", batch_size=200),
    ]
}

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


def select_segment(n: int) -> list[Recipient]:
    """Stand-in for the segment's SQL query.

    In the app this becomes one query joining the segment's compiled rules with members who
    consented to marketing and their active devices, streamed with ``yield_per(5000)``, e.g.
    ``select(Member.public_id, Member.name, Member.language, Device.fid, Device.token)
    .join(Device).where(segment_clause, Member.marketing_consent, Device.active)``.
    """
    languages = itertools.cycle(["en", "fi", "pl", "tl"])
    out = []
    for i in range(n):
        legacy = i % 10 == 0  # one device in ten still reports only a registration token
        out.append(
            Recipient(
                member_public_id=f"mbr_{i:07d}",
                name=f"Member {i}",
                language=next(languages),
                fid=None if legacy else f"fid-{i:07d}",
                token=f"legacy-token-{i:07d}" if legacy else None,
            )
        )
    return out


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


def run_variant(variant: Variant, fake: FakeFcm, sa_path: Path, n: int) -> dict:
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
        sender.send(compose(select_segment(10)))
        discarded.count = 0
        before = fake.remote_stats()
        fake_cpu0, own_cpu0 = cpu_seconds(fake.pid), time.process_time()
        started = time.perf_counter()
        pushes = compose(select_segment(n))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--messages", type=int, default=100_000)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    chosen = [VARIANTS[name] for name in args.variants.split(",")]
    n = args.messages

    print(
        f"fan-out of {n:,} messages; python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; firebase-admin {firebase_admin.__version__}"
    )
    print(f"limit: FCM default quota 600,000/min = {FCM_QUOTA_PER_SECOND:,.0f} msgs/s")
    with FakeFcm("loyalty-bench", record=False, in_process=True) as fake:
        os.environ.update(fake.client_env())
        sa_path = fake.write_service_account(fake.materials.directory / "sa.json")
        fake_figures = measure_fake(fake, sa_path, min(n, 20_000))
        rows = [run_variant(v, fake, sa_path, n) for v in chosen]

    print()
    print(
        f"fake FCM alone: {fake_figures['fake_cpu_ms_per_request']} ms CPU per request, "
        f"so ~{fake_figures['fake_capacity_req_per_s']:,} requests/s on one core "
        f"(a bare httpx HTTP/2 client drove it at {fake_figures['raw_client_req_per_s']:,}/s, "
        f"fake at {fake_figures['fake_cpu']:.0%} of a core)"
    )
    print()
    header = (
        f"{'variant':<16}{'msgs/s':>9}{'x quota':>9}{'select s':>10}{'send s':>9}"
        f"{'ok':>9}{'client cpu':>12}{'ms cpu/msg':>12}{'fake cpu':>10}{'discarded conns':>17}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['variant']:<16}{r['msgs_per_s']:>9,}{r['ratio_to_quota']:>9.3f}"
            f"{r['select_s']:>10.2f}{r['send_s']:>9.2f}{r['answered_ok']:>9,}"
            f"{r['client_cpu']:>12.0%}{r['client_cpu_ms_per_msg']:>12.3f}{r['fake_cpu']:>10.0%}"
            f"{r['discarded_connections']:>17,}"
        )
        if r["sent"] != n or r["arrived"] != n:
            print(f"  !! {r['variant']}: sent {r['sent']}, fake saw {r['arrived']} of {n}")
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
        args.json.write_text(json.dumps({"fake": fake_figures, "variants": rows, "n": n}, indent=2))


if __name__ == "__main__":
    main()
