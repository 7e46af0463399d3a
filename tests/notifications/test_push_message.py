"""A Push becomes the right firebase-admin Message (checked on the JSON the library encodes)."""

from __future__ import annotations

import datetime as dt
import json
import warnings

import pytest
from firebase_admin import messaging

from notifications.sending.push import MAX_TTL, Push, build_message, build_messages

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def encoded(message: messaging.Message) -> dict:
    # str() runs the library's own encoder: the "message" object it will POST to FCM.
    return json.loads(str(message))


def push(**overrides: object) -> Push:
    fields: dict[str, object] = {
        "delivery_id": "dlv_1",
        "title": "Tuplapisteet tänään",
        "body": "Kaikista ostoksista kaksinkertaiset pisteet",
        "deep_link": "loyalty://offers/off_9",
        "fid": "fid-abc",
    }
    fields.update(overrides)
    return Push(**fields)  # type: ignore[arg-type]


def test_offer_push_carries_ttl_collapse_key_and_deep_link() -> None:
    ends = NOW + dt.timedelta(hours=5, minutes=30, seconds=10, milliseconds=700)
    body = encoded(
        build_message(
            push(collapse_key="cmp_42", expires_at=ends, data={"campaign_id": "cmp_42"}), NOW
        )
    )

    assert body["fid"] == "fid-abc"
    assert "token" not in body
    assert body["notification"] == {
        "title": "Tuplapisteet tänään",
        "body": "Kaikista ostoksista kaksinkertaiset pisteet",
    }
    assert body["data"] == {
        "campaign_id": "cmp_42",
        "deep_link": "loyalty://offers/off_9",
        "delivery_id": "dlv_1",
    }
    # Whole seconds, rounded down: the message must never outlive the offer.
    assert body["android"] == {"collapse_key": "cmp_42", "ttl": "19810s"}
    assert body["apns"]["headers"] == {
        "apns-collapse-id": "cmp_42",
        "apns-expiration": str(int((NOW + dt.timedelta(seconds=19810)).timestamp())),
    }
    assert int(body["apns"]["headers"]["apns-expiration"]) <= ends.timestamp()


def test_push_without_offer_has_no_ttl_or_expiration() -> None:
    body = encoded(build_message(push(), NOW))
    assert "ttl" not in body.get("android", {})
    assert "apns-expiration" not in body.get("apns", {}).get("headers", {})


def test_ttl_is_capped_at_fcm_maximum_of_four_weeks() -> None:
    ends = NOW + dt.timedelta(days=60)
    body = encoded(build_message(push(expires_at=ends), NOW))
    assert body["android"]["ttl"] == f"{int(MAX_TTL.total_seconds())}s"
    assert body["apns"]["headers"]["apns-expiration"] == str(int((NOW + MAX_TTL).timestamp()))


def test_expired_offer_is_not_built() -> None:
    with pytest.raises(ValueError, match="expired"):
        build_message(push(expires_at=NOW + dt.timedelta(milliseconds=900)), NOW)


def test_fid_wins_over_a_legacy_token() -> None:
    body = encoded(build_message(push(fid="fid-new", token="legacy-token"), NOW))
    assert body["fid"] == "fid-new"
    assert "token" not in body


def test_legacy_token_is_targeted_without_a_deprecation_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        body = encoded(build_message(push(fid=None, token="legacy-token"), NOW))
    assert body["token"] == "legacy-token"
    assert "fid" not in body
    assert [w for w in caught if issubclass(w.category, DeprecationWarning)] == []


def test_a_batch_of_fids_and_tokens_is_built_in_order_without_a_deprecation_warning() -> None:
    pushes = [push(delivery_id=f"ntf_{i}", fid=None, token=f"tok-{i}") for i in range(3)]
    pushes.insert(1, push(delivery_id="ntf_fid", fid="fid-1"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bodies = [encoded(m) for m in build_messages(pushes, NOW)]
    assert [b.get("token") or b.get("fid") for b in bodies] == ["tok-0", "fid-1", "tok-1", "tok-2"]
    assert [b["data"]["delivery_id"] for b in bodies] == [p.delivery_id for p in pushes]
    assert [w for w in caught if issubclass(w.category, DeprecationWarning)] == []


def test_the_library_does_warn_about_token_so_the_silencing_is_needed() -> None:
    # If a release drops the warning, the narrow filter in build_message can go too.
    with pytest.warns(DeprecationWarning, match=r"Message\.token is deprecated"):
        messaging.Message(token="legacy-token")


def test_silencing_is_narrow_other_deprecations_still_show() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_message(push(fid=None, token="legacy-token"), NOW)
        warnings.warn("something else is deprecated", DeprecationWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["something else is deprecated"]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"fid": None, "token": None}, "fid or its registration token"),
        ({"collapse_key": "x" * 65}, "collapse_key"),
        ({"collapse_key": ""}, "collapse_key"),
        ({"expires_at": dt.datetime(2025, 6, 1, 18, 0)}, "timezone-aware"),
        ({"data": {"google.c.a": "1"}}, "reserved"),
        ({"data": {"from": "me"}}, "reserved"),
        ({"data": {"points": 5}}, "strings"),
    ],
)
def test_bad_pushes_are_refused(overrides: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        push(**overrides)


def test_time_to_live() -> None:
    assert push().time_to_live(NOW) is None
    ends = NOW + dt.timedelta(minutes=10)
    assert push(expires_at=ends).time_to_live(NOW) == dt.timedelta(minutes=10)
    assert push(expires_at=ends).time_to_live(ends + dt.timedelta(seconds=5)).total_seconds() < 0
