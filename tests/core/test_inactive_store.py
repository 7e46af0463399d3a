"""A store that was deactivated books nothing at its tills, whoever acts for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.ledger.service import integrity_problems, release_due
from app.models_base import utcnow
from app.purchases.models import Purchase
from app.rewards.models import Redemption
from tests.support import bearer, purchase, signup


def _set_active(client, program, active: bool) -> None:
    res = client.patch(
        f"/api/v1/admin/stores/{program.store_id}",
        json={"active": active},
        headers=bearer(program.admin_token),
    )
    assert res.status_code == 200, res.get_json()


@pytest.fixture
def closed_store(app, client, program):
    """A member with a purchase and an unconfirmed reward code at the store, which then closes."""
    member = signup(client)
    bought = purchase(client, program, member.card_number, "100.00").get_json()
    with app.app_context():
        release_due(utcnow() + timedelta(days=15))
    reward = client.post(
        "/api/v1/admin/rewards",
        json={"name": "Cake", "cost_points": 10},
        headers=bearer(program.admin_token),
    ).get_json()
    code = client.post(
        f"/api/v1/rewards/{reward['id']}/redeem",
        headers=member.headers | {"Idempotency-Key": "cake"},
    ).get_json()["code"]
    _set_active(client, program, False)
    return {"member": member, "purchase": bought, "code": code}


def _as(program, who: str) -> dict:
    return {"X-API-Key": program.api_key} if who == "api_key" else bearer(program.staff_token)


def _refund(client, program, who, purchase_id):
    return client.post(
        f"/api/v1/transactions/{purchase_id}/refunds",
        json={},
        headers=_as(program, who) | {"Idempotency-Key": f"refund-{who}"},
    )


def _confirm(client, program, who, code):
    return client.post(f"/api/v1/redemptions/{code}/confirm", headers=_as(program, who))


def _assert_store_inactive(res) -> None:
    assert res.status_code == 409, res.get_json()
    assert res.get_json()["error"]["code"] == "store_inactive"


@pytest.mark.parametrize("who", ["api_key", "staff"])
def test_a_closed_store_cannot_refund(app, client, program, closed_store, who):
    _assert_store_inactive(_refund(client, program, who, closed_store["purchase"]["id"]))
    with app.app_context():
        row = db.session.scalar(
            select(Purchase).where(Purchase.public_id == closed_store["purchase"]["id"])
        )
        assert (row.refunded_minor, row.points_reversed) == (0, 0)


@pytest.mark.parametrize("who", ["api_key", "staff"])
def test_a_closed_store_cannot_confirm_a_code(app, client, program, closed_store, who):
    _assert_store_inactive(_confirm(client, program, who, closed_store["code"]))
    with app.app_context():
        row = db.session.scalar(select(Redemption))
        assert (row.status, row.confirmed_store_id) == ("issued", None)


@pytest.mark.parametrize("who", ["api_key", "staff"])
def test_a_closed_store_cannot_book_a_purchase_or_redeem_an_offer(
    client, program, closed_store, who
):
    member = closed_store["member"]
    body = {
        "card_number": member.card_number,
        "amount": "10.00",
        "currency": "EUR",
        "channel": "in_store",
        "receipt_id": f"closed-{who}",
    }
    headers = _as(program, who) | {"Idempotency-Key": f"buy-{who}"}
    _assert_store_inactive(client.post("/api/v1/transactions", json=body, headers=headers))
    with_offer = body | {"offer_code": "ABCD-1234", "receipt_id": f"offer-{who}"}
    headers = _as(program, who) | {"Idempotency-Key": f"offer-{who}"}
    _assert_store_inactive(client.post("/api/v1/transactions", json=with_offer, headers=headers))


def test_the_store_works_again_once_reactivated(app, client, program, closed_store):
    _set_active(client, program, True)
    assert _confirm(client, program, "api_key", closed_store["code"]).status_code == 200
    refund = _refund(client, program, "staff", closed_store["purchase"]["id"])
    assert refund.status_code == 201, refund.get_json()
    with app.app_context():
        assert integrity_problems() == []
