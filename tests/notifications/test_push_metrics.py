"""What became of each push is counted for Prometheus: sent, token removed, retried, failed."""

from __future__ import annotations

from app.ops.metrics import REGISTRY
from tests.fakes.fcm import FakeFcm
from tests.notifications.helpers import (
    make_campaign,
    member_with_device,
    run_due_jobs,
    send_campaign,
)
from tests.support import seed_program


def pushes() -> dict[str, float]:
    outcomes = ("sent", "token_removed", "retry", "failed", "skipped", "expired")
    return {
        outcome: REGISTRY.get_sample_value("loyalty_push_deliveries_total", {"outcome": outcome})
        or 0.0
        for outcome in outcomes
    }


def test_push_outcomes_are_counted(make_push_app, fake_fcm: FakeFcm) -> None:
    app = make_push_app(PUSH_MAX_DELIVERY_ATTEMPTS="2")
    client = app.test_client()
    program = seed_program(app)
    member_with_device(client)
    _, gone_phone = member_with_device(client)
    _, busy_phone = member_with_device(client)
    fake_fcm.fail(gone_phone["fid"], "UNREGISTERED")
    fake_fcm.fail(busy_phone["fid"], "QUOTA_EXCEEDED")
    before = pushes()

    send_campaign(client, program, make_campaign(client, program)["id"])
    first = pushes()
    run_due_jobs(app)  # the busy one's second and last attempt
    after = pushes()

    def grew(since: dict[str, float], now: dict[str, float]) -> dict[str, float]:
        return {k: now[k] - since[k] for k in now if now[k] != since[k]}

    assert grew(before, first) == {"sent": 1, "token_removed": 1, "retry": 1}
    assert grew(first, after) == {"failed": 1}
    # The same figures on /metrics.
    text = client.get("/metrics").get_data(as_text=True)
    assert f'loyalty_push_deliveries_total{{outcome="sent"}} {after["sent"]}' in text
