"""Purchases per second over HTTP against gunicorn + PostgreSQL, beside raw SQL doing the same
writes from the same number of clients, measured in one run.

    .venv/bin/python bench/earn.py [--clients 16] [--seconds 10] [--members 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, members: int) -> tuple[str, list[str], str]:
    env = os.environ | {"DATABASE_URL": url, "FLASK_APP": "wsgi", "LOG_LEVEL": "WARNING"}
    subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    os.environ["DATABASE_URL"] = url
    from app import create_app
    from app.auth.models import User
    from app.auth.service import create_api_key
    from app.extensions import db
    from app.members.service import create_member
    from app.program.service import get_program
    from app.seed import ensure_tiers
    from app.stores.models import Region, Store

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
        cards = []
        for i in range(members):
            user = User(email=f"m{i}@bench.example", password_hash="x", role="member")
            db.session.add(user)
            cards.append(create_member(user, f"M{i}", "en", "UTC", False).card_number)
        db.session.commit()
        _, key = create_api_key(store, "bench")
        store_id = store.id
    return key, cards, str(store_id)


def run_http(port: int, key: str, cards: list[str], clients: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        session = requests.Session()
        mine: list[float] = []
        i = 0
        while time.monotonic() < stop:
            card = cards[(n * 7919 + i) % len(cards)]
            i += 1
            body = {
                "card_number": card,
                "amount": "25.90",
                "currency": "EUR",
                "channel": "in_store",
                "receipt_id": uuid.uuid4().hex[:20],
            }
            t0 = time.perf_counter()
            res = session.post(
                f"http://127.0.0.1:{port}/api/v1/transactions",
                json=body,
                headers={"X-API-Key": key, "Idempotency-Key": uuid.uuid4().hex},
                timeout=30,
            )
            mine.append(time.perf_counter() - t0)
            if res.status_code != 201:
                raise SystemExit(f"unexpected {res.status_code}: {res.text[:300]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


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
UPDATE members SET points_pending = points_pending + 25 FROM m WHERE members.id = m.id
"""


def run_raw(url: str, cards: list[str], store_id: str, clients: int, seconds: float) -> list[float]:
    """The same rows in hand-written SQL: idempotency key, purchase, entry, lot, balance."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    latencies: list[float] = []
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
                            "store": int(store_id),
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
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database", default="loyalty_bench")
    args = parser.parse_args()

    url = fresh_database(args.database)
    key, cards, store_id = prepare(url, args.members)
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "bench-secret-0123456789abcdef0123456789",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "wsgi:app",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            "-k",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        run_http(port, key, cards, args.clients, 1.0)  # warm-up
        http = run_http(port, key, cards, args.clients, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    raw = run_raw(url, cards, store_id, args.clients, args.seconds)

    http_rate = len(http) / args.seconds
    raw_rate = len(raw) / args.seconds
    cores = os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
    print(f"clients: {args.clients}; gunicorn {args.workers} workers x 4 threads; {args.seconds}s")
    for label, rate, lat in (
        ("HTTP purchases", http_rate, http),
        ("raw SQL (limit)", raw_rate, raw),
    ):
        print(f"{label:16} {rate:8.1f}/s  p50 {pct(lat, 50):6.1f} ms  p99 {pct(lat, 99):6.1f} ms")
    print(f"ratio HTTP / raw SQL: {http_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
