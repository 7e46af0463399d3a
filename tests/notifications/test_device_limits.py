"""A member's app installs: at most PUSH_MAX_DEVICES_PER_MEMBER get pushes (the one seen longest
ago is retired), and an ended membership registers none."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from notifications.devices.models import Device
from tests.support import bearer, signup


@pytest.fixture
def app(make_push_app: Callable[..., Flask]) -> Flask:
    return make_push_app(PUSH_MAX_DEVICES_PER_MEMBER="3")


def register(client, member, fid: str):
    return client.post(
        "/api/v1/me/devices", json={"fid": fid, "platform": "ios"}, headers=member.headers
    )


def devices(app) -> list[tuple[str, bool, str | None]]:
    with app.app_context():
        return [
            (d.fid, d.active, d.deactivated_reason)
            for d in db.session.scalars(select(Device).order_by(Device.id))
        ]


def listed(client, member) -> list[dict]:
    return client.get("/api/v1/me/devices", headers=member.headers).get_json()


def test_one_device_past_the_cap_retires_the_one_seen_longest_ago(app, client, program):
    member = signup(client, "many@test.example")
    for fid in ("fid-1", "fid-2", "fid-3"):
        assert register(client, member, fid).status_code == 201
    assert register(client, member, "fid-1").status_code == 200  # fid-1 opened the app again

    assert register(client, member, "fid-4").status_code == 201

    assert devices(app) == [
        ("fid-1", True, None),
        ("fid-2", False, "replaced"),
        ("fid-3", True, None),
        ("fid-4", True, None),
    ]
    assert len(listed(client, member)) == 3
    # A retired install that registers again is back, and the next oldest makes way.
    assert register(client, member, "fid-2").status_code == 200
    assert [(fid, active) for fid, active, _ in devices(app)] == [
        ("fid-1", True),
        ("fid-2", True),
        ("fid-3", False),
        ("fid-4", True),
    ]


def test_the_cap_is_per_member(app, client, program):
    first = signup(client, "first@test.example")
    second = signup(client, "second@test.example")
    for fid in ("a-1", "a-2", "a-3"):
        register(client, first, fid)
    assert register(client, second, "b-1").status_code == 201
    assert all(active for _, active, _ in devices(app))


def test_a_device_moving_to_another_member_counts_for_them(app, client, program):
    first = signup(client, "first@test.example")
    second = signup(client, "second@test.example")
    for fid in ("b-1", "b-2", "b-3"):
        register(client, second, fid)
    register(client, first, "shared")

    assert register(client, second, "shared").status_code == 200

    assert [(fid, active) for fid, active, _ in devices(app)] == [
        ("b-1", False),
        ("b-2", True),
        ("b-3", True),
        ("shared", True),
    ]


def test_an_ended_member_registers_no_device(app, client, program):
    member = signup(client, "ending@test.example")
    assert register(client, member, "fid-before").status_code == 201
    ended = client.post(
        f"/api/v1/admin/members/{member.id}/end", json={}, headers=bearer(program.admin_token)
    )
    assert ended.status_code == 200

    refused = register(client, member, "fid-after")
    again = register(client, member, "fid-before")

    # 409 membership_ended from the devices' rule, or 401 where ending the membership also
    # revoked its sessions first: either way nothing is registered or brought back.
    for answer in (refused, again):
        assert answer.status_code in (401, 409)
        if answer.status_code == 409:
            assert answer.get_json()["error"]["code"] == "membership_ended"
    assert devices(app) == [("fid-before", False, "membership_ended")]


def test_an_ended_members_device_registration_is_refused_by_the_service(app, client, program):
    """The rule itself, whatever happens to the member's sessions."""
    from app.errors import ApiError
    from app.members.models import Member
    from app.members.service import end_membership
    from notifications.devices.service import register_device

    handle = signup(client, "service@test.example")
    with app.test_request_context():
        member = db.session.scalar(select(Member).where(Member.public_id == handle.id))
        end_membership(member, "admin")
        with pytest.raises(ApiError) as refused:
            register_device(member, {"fid": "fid-x", "platform": "ios"})
    assert (refused.value.status, refused.value.code) == (409, "membership_ended")
    assert devices(app) == []


@pytest.mark.postgres
def test_concurrent_registrations_keep_the_cap(backend, app, program):
    if backend != "postgresql":
        pytest.skip("races need PostgreSQL's row locks")
    member = signup(app.test_client(), "racing@test.example")
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def go(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(register(client, member, f"race-{i}").status_code)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * 8
    assert sum(active for _, active, _ in devices(app)) == 3
