"""Purchases at the till: HTTP against gunicorn + PostgreSQL beside raw SQL doing the same
writes from the same number of clients, measured in one run, with the issue's limits.

    .venv/bin/python bench/earn.py [--clients 16] [--seconds 10] [--members 2000]

What it runs, one after the other on a fresh database:

1. raw SQL: the purchase's rows (idempotency key, purchase, entry, lot, balance) written by
   hand over psycopg: the limit the HTTP rate is compared with;
2. the production configuration: gunicorn (`-c gunicorn.conf.py`, 4 workers x 4 threads) with
   Redis as the broker and a Celery worker running: the points-push jobs (members with a device)
   and the pass jobs (members with an Apple and a Google pass) go through that worker;
3. the embedded default: the same without a broker (jobs run in the request, after commit);
4. history: one client, purchases for new members interleaved with purchases for members with
   3,000 earlier purchases each (tier qualification must not cost more with the history);
5. the framework's floor: `GET /healthz` (no database) from the same clients on the same
   gunicorn, what Flask and gunicorn alone cost a request here.

The app is served through bench/earn_wsgi.py, which counts the SQL statements (and the
BEGIN/COMMIT round trips) each request sends and returns them in headers; server CPU is the
gunicorn workers' user+system time from /proc, divided by the purchases.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A throwaway database on this machine: the development secrets are allowed (and only with
# APP_ENV=development: the app refuses to start without secrets otherwise), here and in the
# servers it starts.
os.environ.setdefault("APP_ENV", "development")

from bench._pg import fresh_database  # noqa: E402

# The targets.
MIN_RATIO = 0.25
MAX_P99_MS = 50.0
MAX_STATEMENTS = 8
MAX_HISTORY_RATIO = 1.10
HISTORY = 3000
PLAIN_AMOUNT = "25.90"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Setup:
    api_key: str
    store_id: int
    cards: list[str]  # the load: 1 in 20 with a push device, 1 in 20 with both passes
    plain_cards: list[str]  # no device, no pass, no history
    new_cards: list[str]  # never bought: the history run's baseline
    history_cards: list[str]  # HISTORY earlier purchases each


HISTORY_SQL = """
WITH p AS (
  INSERT INTO purchases (public_id, member_id, store_id, channel, receipt_id, amount_minor,
                         currency, occurred_at, points_earned, points_reversed, refunded_minor,
                         recorded_by, created_at)
  SELECT 'pur_h' || CAST(:member AS text) || '_' || g, :member, :store, 'in_store',
         'h' || CAST(:member AS text) || '_' || g, 100, 'EUR', now() - g * interval '1 hour',
         1, 0, 0, 'history', now() - g * interval '1 hour'
  FROM generate_series(1, :n) AS g
  RETURNING id, public_id, created_at
), e AS (
  INSERT INTO ledger_entries (public_id, member_id, kind, available_delta, pending_delta,
                              qualifying, reason, reference_type, reference_id, created_at)
  SELECT 'ent_' || substr(p.public_id, 5), :member, 'earn', 1, 0, 1, 'Purchase',
         'purchase', p.public_id, p.created_at FROM p
  RETURNING id, reference_id, created_at
)
INSERT INTO point_lots (member_id, entry_id, purchase_id, points, remaining, released,
                        available_at, expires_at)
SELECT :member, e.id, p.id, 1, 1, true, e.created_at, e.created_at + interval '365 days'
FROM e JOIN p ON p.public_id = e.reference_id
"""


def prepare(url: str, members: int, history_members: int) -> Setup:
    env = os.environ | {"DATABASE_URL": url, "FLASK_APP": "wsgi", "LOG_LEVEL": "WARNING"}
    subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import text, update

    from app import create_app
    from app.auth.models import User
    from app.auth.service import create_api_key
    from app.extensions import db
    from app.members.models import Member
    from app.members.service import create_member
    from app.program.service import get_program
    from app.seed import ensure_tiers
    from app.stores.models import Region, Store
    from app.tiers.service import evaluate
    from notifications.devices.service import register_device
    from passes.apple.service import apple_pass_for
    from passes.google.service import google_pass_for
    from passes.state import current_state

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        get_program()
        ensure_tiers()
        region = Region(name="Bench", code="bench")
        db.session.add(region)
        db.session.flush()
        store = Store(name="Bench store", code="bench", region_id=region.id)
        db.session.add(store)
        db.session.commit()
        made: list[Member] = []
        total = members + 2 * history_members
        for i in range(total):
            user = User(email=f"m{i}@bench.example", password_hash="x", role="member")
            db.session.add(user)
            made.append(create_member(user, f"M{i}", "en", "UTC", False))
        db.session.commit()
        load, new, old = made[:members], made[members:-history_members], made[-history_members:]
        for i, member in enumerate(load):
            if i % 20 == 1:
                register_device(member, {"fid": f"bench-fid-{i}", "platform": "android"})
            elif i % 20 == 2:
                apple_pass_for(member)
                google_pass_for(member, current_state())
        for member in old:
            db.session.execute(
                text(HISTORY_SQL), {"member": member.id, "store": store.id, "n": HISTORY}
            )
            db.session.execute(
                update(Member)
                .where(Member.id == member.id)
                .values(points_available=HISTORY, tier_points=HISTORY)
            )
        db.session.commit()
        for member in old:
            evaluate(member.id)  # the tier and the running total the history gives (gold)
        _, key = create_api_key(store, "bench")
        setup = Setup(
            api_key=key,
            store_id=store.id,
            cards=[m.card_number for m in load],
            plain_cards=[m.card_number for i, m in enumerate(load) if i % 20 not in (1, 2)],
            new_cards=[m.card_number for m in new],
            history_cards=[m.card_number for m in old],
        )
    return setup


@dataclass
class Run:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    transactions: list[int] = field(default_factory=list)
    cpu_seconds: float = 0.0
    worker_cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def pct(self, q: float) -> float:
        return pct(self.latencies, q)


class Till:
    """One client's keep-alive connection; http.client, lighter than requests, so that the
    clients take less of the machine's two cores from the server they measure."""

    def __init__(self, port: int, key: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.key = key

    def purchase(self, card: str) -> http.client.HTTPResponse:
        body = json.dumps(
            {
                "card_number": card,
                "amount": PLAIN_AMOUNT,
                "currency": "EUR",
                "channel": "in_store",
                "receipt_id": uuid.uuid4().hex[:20],
            }
        )
        headers = {
            "Content-Type": "application/json",
            "X-API-Key": self.key,
            "Idempotency-Key": uuid.uuid4().hex,
        }
        self.conn.request("POST", "/api/v1/transactions", body, headers)
        res = self.conn.getresponse()
        text = res.read()
        if res.status != 201:
            raise SystemExit(f"unexpected {res.status}: {text[:300]!r}")
        return res


def in_threads(clients: int, client: Callable[[int], None]) -> None:
    """`client(n)` in `clients` threads at once (n = 0, 1, ...), until every one returns."""
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run_http(port: int, key: str, cards: list[str], clients: int, seconds: float) -> Run:
    run = Run(seconds)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        till = Till(port, key)
        mine: list[tuple[float, int, int]] = []
        i = 0
        while time.monotonic() < stop:
            card = cards[(n * 7919 + i) % len(cards)]
            i += 1
            t0 = time.perf_counter()
            res = till.purchase(card)
            mine.append(
                (
                    time.perf_counter() - t0,
                    int(res.getheader("X-Bench-Statements")),
                    int(res.getheader("X-Bench-Transactions")),
                )
            )
        with lock:
            for latency, statements, transactions in mine:
                run.latencies.append(latency)
                run.statements.append(statements)
                run.transactions.append(transactions)

    in_threads(clients, client)
    return run


def run_probe(port: int, clients: int, seconds: float) -> Run:
    """`GET /healthz` as fast as the clients can: the rate and latency of a request that asks
    the database nothing."""
    run = Run(seconds)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(_: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            conn.request("GET", "/healthz")
            res = conn.getresponse()
            res.read()
            if res.status != 200:
                raise SystemExit(f"/healthz answered {res.status}")
            mine.append(time.perf_counter() - t0)
        with lock:
            run.latencies.extend(mine)

    in_threads(clients, client)
    return run


RAW_PURCHASE = """
WITH m AS (
  SELECT id FROM members WHERE card_number = %(card)s FOR NO KEY UPDATE
), p AS (
  INSERT INTO purchases (public_id, member_id, store_id, channel, receipt_id, amount_minor,
                         currency, occurred_at, points_earned, points_reversed, refunded_minor,
                         recorded_by, created_at)
  SELECT %(pid)s, m.id, %(store)s, 'in_store', %(receipt)s, 2590, 'EUR', now(), 25, 0, 0,
         'raw', now() FROM m
  RETURNING id, member_id
), e AS (
  INSERT INTO ledger_entries (public_id, member_id, kind, available_delta, pending_delta,
                              qualifying, reason, reference_type, reference_id, created_at)
  SELECT %(eid)s, p.member_id, 'earn', 0, 25, 25, 'Purchase', 'purchase', %(pid)s, now() FROM p
  RETURNING id, member_id
), l AS (
  INSERT INTO point_lots (member_id, entry_id, purchase_id, points, remaining, released,
                          available_at, expires_at)
  SELECT e.member_id, e.id, p.id, 25, 25, false, now() + interval '14 days',
         now() + interval '365 days' FROM e, p
)
UPDATE members SET points_pending = points_pending + 25, tier_points = tier_points + 25
FROM m WHERE members.id = m.id
"""


def run_raw(url: str, cards: list[str], store_id: int, clients: int, seconds: float) -> Run:
    """The same rows in hand-written SQL: idempotency key, purchase, entry, lot, balance."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    run = Run(seconds)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        mine: list[float] = []
        i = 0
        with psycopg.connect(dsn) as conn:
            while time.monotonic() < stop:
                card = cards[(n * 7919 + i) % len(cards)]
                i += 1
                key = uuid.uuid4().hex
                t0 = time.perf_counter()
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO idempotency_keys (scope, key, request_hash, created_at)"
                        " VALUES ('raw', %s, 'h', now())",
                        (key,),
                    )
                    conn.execute(
                        RAW_PURCHASE,
                        {
                            "card": card,
                            "pid": "pur_" + uuid.uuid4().hex[:16],
                            "eid": "ent_" + uuid.uuid4().hex[:16],
                            "store": store_id,
                            "receipt": uuid.uuid4().hex[:20],
                        },
                    )
                    conn.execute(
                        "UPDATE idempotency_keys SET status_code = 201, response = %s"
                        " WHERE scope = 'raw' AND key = %s",
                        (json.dumps({"ok": True}), key),
                    )
                mine.append(time.perf_counter() - t0)
        with lock:
            run.latencies.extend(mine)

    in_threads(clients, client)
    return run


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class Servers:
    """gunicorn (and, with a broker, a Celery worker) on the bench database."""

    def __init__(self, env: dict[str, str], workers: int, threads: int, broker: bool) -> None:
        self.env, self.workers, self.threads, self.broker = env, workers, threads, broker
        self.port = free_port()
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> Servers:
        if self.broker:
            self.worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "wsgi:celery",
                    "worker",
                    "--pool=threads",
                    "--concurrency=4",
                    "--loglevel=WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=self.env,
            )
            self.procs.append(self.worker)
        self.gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "bench.earn_wsgi:app",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(self.workers),
                "-k",
                "gthread",
                "--threads",
                str(self.threads),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
        )
        self.procs.append(self.gunicorn)
        for _ in range(150):
            try:
                requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        while len(children(self.gunicorn.pid)) < self.workers:
            time.sleep(0.1)
        return self

    def worker_pids(self) -> list[int]:
        return children(self.gunicorn.pid)

    def celery_pids(self) -> list[int]:
        return [self.worker.pid] if self.broker else []

    def probe(self, clients: int, seconds: float) -> Run:
        pids = self.worker_pids()
        before = cpu_seconds(pids)
        run = run_probe(self.port, clients, seconds)
        run.cpu_seconds = cpu_seconds(pids) - before
        return run

    def measure(self, key: str, cards: list[str], clients: int, seconds: float) -> Run:
        run_http(self.port, key, cards, clients, 1.5)  # warm-up: connections, caches
        pids, celery = self.worker_pids(), self.celery_pids()
        before, before_celery = cpu_seconds(pids), cpu_seconds(celery)
        run = run_http(self.port, key, cards, clients, seconds)
        run.cpu_seconds = cpu_seconds(pids) - before
        if self.broker:
            time.sleep(1.0)  # what the purchases left for the worker
        run.worker_cpu_seconds = cpu_seconds(celery) - before_celery
        return run

    def __exit__(self, *exc) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def history_run(port: int, key: str, new: list[str], old: list[str], rounds: int) -> dict:
    """One client, a new member's purchase then an old member's, `rounds` times."""
    till = Till(port, key)
    seen: dict[str, list[tuple[float, int]]] = {"new": [], "old": []}
    for card in (new + old)[:8]:
        till.purchase(card)  # warm-up (these new members buy once more)
    for i in range(rounds):
        for label, cards in (("new", new), ("old", old)):
            t0 = time.perf_counter()
            res = till.purchase(cards[i % len(cards)])
            seen[label].append((time.perf_counter() - t0, int(res.getheader("X-Bench-Statements"))))
    return {
        label: (
            statistics.median(t for t, _ in values) * 1000,
            statistics.mean(n for _, n in values),
        )
        for label, values in seen.items()
    }


def _load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(label: str, run: Run, raw: Run) -> bool:
    n = len(run.latencies)
    statements = statistics.mean(run.statements)
    transactions = statistics.mean(run.transactions)
    print(
        f"{label:26} {run.rate:7.1f}/s  p50 {run.pct(50):6.1f} ms  p99 {run.pct(99):6.1f} ms"
        f"  ratio {run.rate / raw.rate:.2f}"
    )
    print(
        f"{'':26} {statements:.2f} statements a purchase (+ {2 * transactions:.2f} BEGIN/COMMIT),"
        f" server CPU {run.cpu_seconds * 1000 / n:.2f} ms a purchase"
        + (
            f", Celery worker {run.worker_cpu_seconds * 1000 / n:.2f} ms"
            if run.worker_cpu_seconds
            else ""
        )
    )
    return run.rate / raw.rate >= MIN_RATIO and run.pct(99) <= MAX_P99_MS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--history-members", type=int, default=20)
    parser.add_argument("--history-rounds", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default="loyalty_bench")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args()

    # Printed beside the figures: on a shared machine, what else ran decides much of them.
    load_before = _load_average()
    url = fresh_database(args.database)
    setup = prepare(url, args.members, args.history_members)
    metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
    base = os.environ | {
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "bench-secret-0123456789abcdef0123456789",
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
    }
    embedded = base | {"RATELIMIT_STORAGE_URI": "memory://"}
    embedded.pop("CELERY_BROKER_URL", None)
    embedded.pop("REDIS_URL", None)
    production = base | {"REDIS_URL": args.redis, "CELERY_BROKER_URL": args.redis}
    subprocess.run(["redis-cli", "-u", args.redis, "flushdb"], capture_output=True)
    try:
        raw = run_raw(url, setup.cards, setup.store_id, args.clients, args.seconds)
        with Servers(production, args.workers, args.threads, broker=True) as servers:
            prod = servers.measure(setup.api_key, setup.cards, args.clients, args.seconds)
            plain = run_http(servers.port, setup.api_key, setup.plain_cards, 1, 2.0)
            history = history_run(
                servers.port,
                setup.api_key,
                setup.new_cards,
                setup.history_cards,
                args.history_rounds,
            )
            floor = servers.probe(args.clients, min(args.seconds, 5.0))
        with Servers(embedded, args.workers, args.threads, broker=False) as servers:
            emb = servers.measure(setup.api_key, setup.cards, args.clients, args.seconds)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)

    cores = os.cpu_count()
    print(
        f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()};"
        f" load average before / after: {load_before} / {_load_average()}"
    )
    print(
        f"clients: {args.clients}; gunicorn {args.workers} workers x {args.threads} threads;"
        f" {args.seconds:g}s a run; {args.members} members (1 in 20 with a push device, 1 in 20"
        " with an Apple and a Google pass)"
    )
    print(
        f"{'raw SQL (the limit)':26} {raw.rate:7.1f}/s  p50 {raw.pct(50):6.1f} ms"
        f"  p99 {raw.pct(99):6.1f} ms"
    )
    ok_prod = report("HTTP, Redis + Celery", prod, raw)
    report("HTTP, embedded (no broker)", emb, raw)
    floor_cpu = floor.cpu_seconds * 1000 / len(floor.latencies)
    print(
        f"{'GET /healthz (the floor)':26} {floor.rate:7.1f}/s  p50 {floor.pct(50):6.1f} ms"
        f"  p99 {floor.pct(99):6.1f} ms  ratio {floor.rate / raw.rate:.2f}"
    )
    print(
        f"{'':26} server CPU {floor_cpu:.2f} ms a request: a purchase costs"
        f" {prod.cpu_seconds * 1000 / len(prod.latencies) / floor_cpu:.1f} of it"
    )
    # The median: a worker's first purchase also loads the settings cache (a connection the
    # load run did not reach may open on a worker that served nothing yet).
    plain_statements = statistics.median(plain.statements)
    (new_ms, new_n), (old_ms, old_n) = history["new"], history["old"]
    ratio = old_ms / new_ms
    print(
        f"plain purchase (no device, pass or game): {plain_statements:g} statements"
        f" (limit {MAX_STATEMENTS}; max {max(plain.statements)}, a cold worker's first):"
        f" {verdict(plain_statements <= MAX_STATEMENTS)}"
    )
    print(
        f"production: ratio {prod.rate / raw.rate:.2f} (limit >= {MIN_RATIO}),"
        f" p99 {prod.pct(99):.1f} ms (limit <= {MAX_P99_MS:g}): {verdict(ok_prod)}"
    )
    print(
        f"history, one client: new member {new_ms:.2f} ms ({new_n:.1f} statements),"
        f" {HISTORY} earlier purchases {old_ms:.2f} ms ({old_n:.1f} statements):"
        f" ratio {ratio:.2f} (limit <= {MAX_HISTORY_RATIO}): {verdict(ratio <= MAX_HISTORY_RATIO)}"
    )


if __name__ == "__main__":
    main()
