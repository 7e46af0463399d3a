"""The short soak: many clients over HTTP against gunicorn on PostgreSQL doing everything at once
(bench/soak.py is the long one). Every member's balance must equal what the server acknowledged,
no answer may be a 5xx, and the ledger check must stay healthy."""

from __future__ import annotations

import os

import psycopg
import pytest

from bench.soak import run_soak

PG_URL = os.environ.get("TEST_DATABASE_URL")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set"),
    pytest.mark.timeout(300),
]


def soak_database() -> str:
    """A database of its own beside the suite's, made fresh: the soak migrates it itself."""
    server, name = PG_URL.rsplit("/", 1)
    soak = f"{name}_soak"
    admin_dsn = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{soak}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{soak}"')
    return f"{server}/{soak}"


def test_mixed_load_keeps_every_balance_and_the_ledger_right():
    out = run_soak(soak_database(), clients=8, seconds=25, members=12, workers=2, threads=4, seed=7)
    assert not out.problems, out.grouped() + "\n" + out.summary()
    # The load really mixed every kind of operation, with refunds and redemptions landing.
    for op in ("purchase", "replay", "refund", "redeem", "confirm", "adjust", "read", "junk"):
        assert out.calls[op] > 0, out.summary()
    assert out.statuses[201] > 100, out.summary()
    assert out.balances_checked == 12
    assert out.releases > 0
