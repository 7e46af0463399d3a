"""Several gunicorn workers, one set of figures: with PROMETHEUS_MULTIPROC_DIR every worker's
/metrics adds up all workers' counts, including those of a worker that has died, and
gunicorn.conf.py tells prometheus-client when a worker exits.

prometheus-client reads PROMETHEUS_MULTIPROC_DIR when it is imported, so this runs the real
thing in processes of its own: gunicorn with the repository's gunicorn.conf.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict

from tests.conftest import make_app
from tests.ops.helpers import samples, value

ROOT = Path(__file__).resolve().parents[2]
HEALTH = {"method": "GET", "endpoint": "/healthz", "status": "200"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    app = make_app("sqlite", tmp_path)  # makes the tables in tmp_path/test.db
    metrics_dir = tmp_path / "metrics"
    (metrics_dir).mkdir()
    (metrics_dir / "counter_99999999.db").write_bytes(b"a previous run's counts")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL")}
    env |= {
        "APP_ENV": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"),
            *("-b", f"127.0.0.1:{port}", "-w", "2", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                requests.get(f"{base}/readyz", timeout=5)
                break
            except requests.RequestException:
                assert process.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.3)
        yield base, metrics_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _worker_pids(metrics_dir: Path) -> set[int]:
    return {int(p.stem.split("_")[-1]) for p in metrics_dir.glob("counter_*.db")}


def _health_count(base: str) -> float:
    res = requests.get(f"{base}/metrics", timeout=10)
    assert res.status_code == 200
    return value(samples(res.text), "loyalty_http_requests_total", **HEALTH)


def test_every_worker_answers_for_all_workers(server):
    base, metrics_dir = server
    # The master emptied the directory at start: an earlier run's counts are gone.
    assert not (metrics_dir / "counter_99999999.db").exists()

    sent = 0
    deadline = time.monotonic() + 90  # the second worker may still be starting
    with ThreadPoolExecutor(8) as pool:
        # Concurrent requests until both workers have answered some.
        while len(_worker_pids(metrics_dir)) < 2 and time.monotonic() < deadline:
            statuses = list(
                pool.map(
                    lambda _: requests.get(f"{base}/healthz", timeout=10).status_code, range(16)
                )
            )
            assert statuses == [200] * 16
            sent += 16
    pids = _worker_pids(metrics_dir)
    assert len(pids) == 2

    # Whichever worker answers the scrape, it counts every worker's requests.
    assert [_health_count(base) for _ in range(6)] == [sent] * 6

    # A worker exits: its live gauges go (the child_exit hook), its counts stay.
    gone = min(pids)
    live = metrics_dir / f"gauge_livesum_{gone}.db"
    MmapedDict(str(live)).close()
    os.kill(gone, signal.SIGTERM)
    deadline = time.monotonic() + 90
    while live.exists() or len(_worker_pids(metrics_dir) - pids) == 0:
        assert time.monotonic() < deadline, "the dead worker was not marked or not replaced"
        requests.get(f"{base}/healthz", timeout=10)
        sent += 1
        time.sleep(0.2)
    assert [_health_count(base) for _ in range(4)] == [sent] * 4
