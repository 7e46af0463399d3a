"""A mixed-load soak over HTTP against gunicorn on PostgreSQL: purchases, replays of their
idempotency keys, full and partial refunds racing each other, redemptions, till confirmations,
admin adjustments, reads and bad input from many clients at once, with release runs of the
pending points racing them from another process.

At the end every member's balance must equal what the server acknowledged to the clients, no
answer may be a 5xx and the ledger check must be healthy. The suite runs a short version
(tests/core/test_soak_pg.py); this is the long one:

    .venv/bin/python bench/soak.py [--clients 16] [--seconds 60] [--members 40]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "soak-password-1"
SECRET = "soak-secret-0123456789abcdef0123456789abcdef"
WEIGHTS = {
    "purchase": 30,
    "replay": 8,
    "refund": 14,
    "redeem": 10,
    "confirm": 5,
    "adjust": 8,
    "read": 15,
    "junk": 10,
}


@dataclass
class Outcome:
    """What the clients saw; `problems` must be empty for a soak to pass."""

    calls: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    balances_checked: int = 0
    releases: int = 0

    def grouped(self, limit: int = 30) -> str:
        """The problems, alike ones counted once (their first 70 characters)."""
        kinds = Counter(p[:70] for p in self.problems)
        return "\n".join(f"{n:5} x {text}" for text, n in kinds.most_common(limit))

    def summary(self) -> str:
        ops = ", ".join(f"{k} {v}" for k, v in sorted(self.calls.items()))
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return f"operations: {ops}\nstatuses: {codes}"


@dataclass
class Ledger:
    """The clients' own account of every point the server acknowledged."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    purchases: list[tuple[str, str, int]] = field(default_factory=list)  # id, member, minor
    sent: list[tuple[str, dict, dict]] = field(default_factory=list)  # key, body, answer
    codes: list[str] = field(default_factory=list)

    def add(self, member: str, delta: int) -> None:
        with self.lock:
            self.total[member] += delta


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(url: str) -> dict[str, str]:
    return os.environ | {
        "APP_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "JWT_SECRET_KEY": SECRET,
        "LOG_LEVEL": "WARNING",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "SIGNUP_RATE_LIMIT": "100000 per minute",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_ROUNDS": "1",
        "CELERY_BROKER_URL": "",
        "FLASK_APP": "wsgi",
    }


def prepare(url: str, members: int) -> dict:
    """Migrate a fresh database and seed a program: a store, an admin, staff, members, rewards."""
    env = server_env(url)
    subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    from app import create_app
    from app.auth.service import create_api_key, create_user
    from app.extensions import db
    from app.members.service import create_member
    from app.program.service import get_program
    from app.rewards.models import Reward
    from app.seed import ensure_tiers
    from app.stores.models import Region, Store

    app = create_app(
        {
            "APP_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "JWT_SECRET_KEY": SECRET,
            "ARGON2_MEMORY_KIB": 1024,
            "ARGON2_ROUNDS": 1,
            "LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        program = get_program()
        program.return_window_days = 14
        ensure_tiers()
        region = Region(name="Soak", code="soak")
        db.session.add(region)
        db.session.flush()
        store = Store(name="Soak store", code="soak", region_id=region.id)
        db.session.add(store)
        db.session.flush()
        create_user("admin@soak.example", PASSWORD, "admin")
        create_user("staff@soak.example", PASSWORD, "staff", store)
        emails = []
        for i in range(members):
            email = f"m{i}@soak.example"
            user = create_user(email, PASSWORD, "member")
            create_member(user, f"Member {i}", "en", "UTC", False)
            emails.append(email)
        rewards = [
            Reward(name="Coffee", cost_points=30, stock_remaining=None),
            Reward(name="Tote bag", cost_points=80, stock_remaining=25),
            Reward(name="Lunch", cost_points=250, stock_remaining=5),
        ]
        db.session.add_all(rewards)
        db.session.commit()
        _, key = create_api_key(store, "soak till")
        return {
            "app": app,
            "api_key": key,
            "emails": emails,
            "rewards": [r.public_id for r in rewards],
        }


def start_server(url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "wsgi:app",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(url),
    )
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5)
            return server
        except requests.RequestException:
            if server.poll() is not None:
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer")


def login(base: str, email: str) -> str:
    res = requests.post(f"{base}/auth/login", json={"email": email, "password": PASSWORD})
    res.raise_for_status()
    return res.json()["access_token"]


class Client:
    """One till, app or operator: random operations, every answer checked as it arrives."""

    def __init__(self, n: int, base: str, ctx: dict, ledger: Ledger, out: Outcome, seed: int):
        self.rng = random.Random(seed * 1000 + n)
        self.base = base
        self.ctx = ctx
        self.ledger = ledger
        self.out = out
        self.http = requests.Session()
        self.till = {"X-API-Key": ctx["api_key"]}

    def call(self, op: str, method: str, path: str, **kw) -> requests.Response:
        res = self.http.request(method, self.base + path, timeout=60, **kw)
        with self.ledger.lock:
            self.out.calls[op] += 1
            self.out.statuses[res.status_code] += 1
            if res.status_code >= 500:
                self.out.problems.append(
                    f"{op} {method} {path}: {res.status_code} {res.text[:200]}"
                )
        return res

    def expect(self, op: str, res: requests.Response, *allowed: int) -> bool:
        if res.status_code in allowed:
            return True
        if res.status_code < 500:  # 5xx are recorded by call()
            with self.ledger.lock:
                self.out.problems.append(f"{op}: unexpected {res.status_code} {res.text[:200]}")
        return False

    def member(self) -> tuple[str, str, str]:
        return self.rng.choice(self.ctx["members"])

    def purchase(self) -> None:
        public_id, card, _ = self.member()
        body = {
            "card_number": card,
            "amount": f"{self.rng.randint(100, 40000) / 100:.2f}",
            "currency": "EUR",
            "channel": self.rng.choice(["in_store", "online", "app"]),
            "receipt_id": uuid.uuid4().hex[:20],
        }
        key = uuid.uuid4().hex
        res = self.call(
            "purchase", "POST", "/transactions", json=body, headers=self.till | self.key(key)
        )
        if self.expect("purchase", res, 201):
            answer = res.json()
            self.ledger.add(public_id, answer["points_earned"])
            with self.ledger.lock:
                self.ledger.purchases.append((answer["id"], public_id, self.minor(body["amount"])))
                self.ledger.sent.append((key, body, answer))

    def replay(self) -> None:
        with self.ledger.lock:
            if not self.ledger.sent:
                return
            key, body, first = self.rng.choice(self.ledger.sent)
        if self.rng.random() < 0.7:
            res = self.call(
                "replay", "POST", "/transactions", json=body, headers=self.till | self.key(key)
            )
            if self.expect("replay", res, 201) and res.json() != first:
                self.problem(f"replay answered differently: {res.json()} != {first}")
        else:
            changed = body | {"amount": "1.00" if body["amount"] != "1.00" else "2.00"}
            res = self.call(
                "replay", "POST", "/transactions", json=changed, headers=self.till | self.key(key)
            )
            if self.expect("replay", res, 409) and self.code(res) != "idempotency_key_reused":
                self.problem(f"changed replay: {res.text[:200]}")

    def refund(self) -> None:
        with self.ledger.lock:
            if not self.ledger.purchases:
                return
            # Recent purchases: several clients pick the same one and race.
            purchase_id, member, minor = self.rng.choice(self.ledger.purchases[-20:])
        body = {}
        if self.rng.random() < 0.5:
            body = {"amount": f"{self.rng.randint(1, minor) / 100:.2f}"}
        res = self.call(
            "refund",
            "POST",
            f"/transactions/{purchase_id}/refunds",
            json=body,
            headers=self.till | self.key(uuid.uuid4().hex),
        )
        if self.expect("refund", res, 201, 409, 422):
            if res.status_code == 201:
                self.ledger.add(member, -res.json()["points_reversed"])
            elif self.code(res) not in ("already_refunded", "refund_exceeds_purchase"):
                self.problem(f"refund: {res.text[:200]}")

    def redeem(self) -> None:
        public_id, _, token = self.member()
        reward = self.rng.choice(self.ctx["rewards"])
        res = self.call(
            "redeem",
            "POST",
            f"/rewards/{reward}/redeem",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        )
        if self.expect("redeem", res, 201, 409):
            if res.status_code == 201:
                answer = res.json()
                self.ledger.add(public_id, -answer["points_spent"])
                with self.ledger.lock:
                    self.ledger.codes.append(answer["code"])
            elif self.code(res) not in ("insufficient_points", "out_of_stock"):
                self.problem(f"redeem: {res.text[:200]}")

    def confirm(self) -> None:
        with self.ledger.lock:
            if not self.ledger.codes:
                return
            code = self.rng.choice(self.ledger.codes)
        res = self.call("confirm", "POST", f"/redemptions/{code}/confirm", headers=self.till)
        if (
            self.expect("confirm", res, 200, 409)
            and res.status_code == 409
            and self.code(res) != "redemption_already_used"
        ):
            self.problem(f"confirm: {res.text[:200]}")

    def adjust(self) -> None:
        public_id, _, _ = self.member()
        points = self.rng.choice([-1, 1, 1]) * self.rng.randint(1, 120)
        res = self.call(
            "adjust",
            "POST",
            f"/admin/members/{public_id}/adjustments",
            json={"points": points, "reason": "soak"},
            headers={"Authorization": f"Bearer {self.ctx['admin']}"} | self.key(uuid.uuid4().hex),
        )
        if self.expect("adjust", res, 201, 409):
            if res.status_code == 201:
                self.ledger.add(public_id, points)
            elif self.code(res) != "insufficient_points":
                self.problem(f"adjust: {res.text[:200]}")

    def read(self) -> None:
        _, _, token = self.member()
        path = self.rng.choice(["/me/points", "/me/points/history?limit=5", "/me", "/rewards"])
        res = self.call("read", "GET", path, headers={"Authorization": f"Bearer {token}"})
        self.expect("read", res, 200)

    def junk(self) -> None:
        _, card, token = self.member()
        cases = [
            ("POST", "/transactions", {"json": {"card_number": card, "amount": "1e9"}}),
            (
                "POST",
                "/transactions",
                {
                    "json": {
                        "card_number": card,
                        "amount": "10.00",
                        "currency": "EUR",
                        "channel": "in_store",
                        "receipt_id": "R\x00-1",
                    }
                },
            ),
            ("POST", "/transactions", {"data": b"{not json", "ctype": "application/json"}),
            ("POST", "/rewards/rew_%00/redeem", {"member": True}),
            ("POST", "/transactions/pur_nope/refunds", {"json": {"amount": "-1"}}),
            ("POST", "/auth/login", {"json": {"email": "x\x00@soak.example", "password": "p"}}),
            ("PATCH", "/me", {"member": True, "json": {"name": "A" * 5000}}),
        ]
        method, path, spec = self.rng.choice(cases)
        headers = self.till | self.key(uuid.uuid4().hex)
        if spec.get("member"):
            headers = {"Authorization": f"Bearer {token}"} | self.key(uuid.uuid4().hex)
        kwargs: dict = {"headers": headers}
        if "json" in spec:
            kwargs["json"] = spec["json"]
        if "data" in spec:
            kwargs["data"] = spec["data"]
            headers["Content-Type"] = spec["ctype"]
        res = self.call("junk", method, path, **kwargs)
        if not 400 <= res.status_code < 500:
            self.problem(f"junk {method} {path} answered {res.status_code}")
        elif "error" not in (res.json() if res.content else {}):
            self.problem(f"junk {method} {path}: not the error shape: {res.text[:200]}")

    def key(self, value: str) -> dict[str, str]:
        return {"Idempotency-Key": value}

    @staticmethod
    def minor(amount: str) -> int:
        units, cents = amount.split(".")
        return int(units) * 100 + int(cents)

    @staticmethod
    def code(res: requests.Response) -> str | None:
        try:
            return res.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None

    def problem(self, text: str) -> None:
        with self.ledger.lock:
            self.out.problems.append(text)

    def run(self, deadline: float, operations: int | None) -> None:
        ops, weights = zip(*WEIGHTS.items(), strict=True)
        done = 0
        while time.monotonic() < deadline and (operations is None or done < operations):
            op = self.rng.choices(ops, weights)[0]
            try:
                getattr(self, op)()
            except requests.RequestException as exc:
                self.problem(f"{op}: {exc!r}")
            done += 1


def release_runs(app, stop: threading.Event, out: Outcome) -> None:
    """Release pending points as if their return window had passed, racing the clients."""
    from app.extensions import db
    from app.ledger.service import release_due
    from app.models_base import utcnow

    with app.app_context():
        while not stop.is_set():
            try:
                release_due(utcnow() + timedelta(days=15))
                out.releases += 1
            except Exception as exc:  # a failure here is a finding, not a crash of the soak
                db.session.rollback()
                out.problems.append(f"release run: {exc!r}")
            stop.wait(0.3)


def run_soak(
    url: str,
    *,
    clients: int = 16,
    seconds: float = 60,
    operations: int | None = None,
    members: int = 40,
    workers: int = 4,
    threads: int = 4,
    seed: int = 1,
) -> Outcome:
    """Soak a fresh database at `url`; returns what was seen (the caller asserts on it)."""
    ctx = prepare(url, members)
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    server = start_server(url, port, workers, threads)
    out = Outcome()
    ledger = Ledger()
    try:
        ctx["admin"] = login(base, "admin@soak.example")
        admin = {"Authorization": f"Bearer {ctx['admin']}"}
        ctx["members"] = []
        for email in ctx["emails"]:
            token = login(base, email)
            me = requests.get(f"{base}/me", headers={"Authorization": f"Bearer {token}"}).json()
            ctx["members"].append((me["id"], me["barcode_value"], token))
        stop = threading.Event()
        releaser = threading.Thread(target=release_runs, args=(ctx["app"], stop, out))
        releaser.start()
        deadline = time.monotonic() + seconds
        workers_ = [
            threading.Thread(
                target=Client(n, base, ctx, ledger, out, seed).run, args=(deadline, operations)
            )
            for n in range(clients)
        ]
        for t in workers_:
            t.start()
        for t in workers_:
            t.join()
        stop.set()
        releaser.join()

        for public_id, _, _ in ctx["members"]:
            res = requests.get(f"{base}/admin/members/{public_id}", headers=admin, timeout=30)
            row = res.json()
            held = row["points_available"] + row["points_pending"]
            if held != ledger.total[public_id]:
                out.problems.append(
                    f"{public_id}: holds {held}, the server acknowledged {ledger.total[public_id]}"
                )
            out.balances_checked += 1
        check = requests.get(f"{base}/admin/ledger/check", headers=admin, timeout=120).json()
        if not check.get("healthy"):
            out.problems.append(f"ledger check: {str(check)[:2000]}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from bench._pg import fresh_database

    url = fresh_database("loyalty_soak")
    t0 = time.monotonic()
    out = run_soak(
        url,
        clients=args.clients,
        seconds=args.seconds,
        members=args.members,
        workers=args.workers,
        seed=args.seed,
    )
    elapsed = time.monotonic() - t0
    total = sum(out.calls.values())
    print(f"soak: {args.clients} clients, {args.members} members, {args.seconds:.0f} s of load")
    print(out.summary())
    print(f"requests: {total} ({total / args.seconds:.0f}/s); release runs: {out.releases}")
    print(f"balances checked: {out.balances_checked}; whole run {elapsed:.0f} s")
    print(f"problems: {len(out.problems)}")
    print(out.grouped())
    if out.problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
