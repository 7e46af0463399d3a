"""One push to one device, and the firebase-admin message it becomes."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from firebase_admin import messaging

# FCM keeps an undelivered message at most four weeks; a longer android.ttl is rejected.
MAX_TTL = dt.timedelta(weeks=4)
# apns-collapse-id is limited to 64 bytes by APNs.
MAX_COLLAPSE_KEY_BYTES = 64
# Keys FCM keeps for itself in the data payload.
RESERVED_DATA_KEYS = frozenset({"from", "message_type", "notification"})
RESERVED_DATA_PREFIXES = ("google.", "gcm.")


@dataclass(frozen=True, slots=True)
class Push:
    """A notification for one device, with texts already localized and rendered by the caller.

    ``fid`` is the app instance's Firebase installation ID; ``token`` a legacy FCM registration
    token, used only when the device never reported a fid. ``collapse_key`` (the campaign's
    public id) lets a newer push of the same campaign replace an older one on the device.
    ``expires_at`` (an offer's end) bounds how long FCM and APNs keep trying to deliver it.
    """

    delivery_id: str
    title: str
    body: str
    deep_link: str
    fid: str | None = None
    token: str | None = None
    collapse_key: str | None = None
    expires_at: dt.datetime | None = None
    data: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.fid or self.token):
            raise ValueError("a push needs the device's fid or its registration token")
        if self.collapse_key is not None and (
            not self.collapse_key or len(self.collapse_key.encode()) > MAX_COLLAPSE_KEY_BYTES
        ):
            raise ValueError(f"collapse_key must be 1 to {MAX_COLLAPSE_KEY_BYTES} bytes")
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        for key, value in self.data.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError("data keys and values must be strings")
            if key in RESERVED_DATA_KEYS or key.startswith(RESERVED_DATA_PREFIXES):
                raise ValueError(f"data key {key!r} is reserved by FCM")

    @property
    def target(self) -> str:
        """The address FCM knows the device by: the fid when there is one."""
        return self.fid or self.token or ""

    @property
    def uses_legacy_token(self) -> bool:
        return not self.fid

    def time_to_live(self, now: dt.datetime) -> dt.timedelta | None:
        """What is left until expires_at, in whole seconds (never past it), capped at 4 weeks.

        None when the push does not expire; zero or less when it already has.
        """
        if self.expires_at is None:
            return None
        seconds = math.floor((self.expires_at - now).total_seconds())
        return min(dt.timedelta(seconds=seconds), MAX_TTL)


def build_message(push: Push, now: dt.datetime) -> messaging.Message:
    """The firebase-admin Message for a push that has not expired at ``now``.

    Android gets ``collapse_key`` and ``ttl``; iOS the same through APNs headers
    (``apns-collapse-id``, ``apns-expiration`` as UNIX seconds). The data payload carries the deep
    link and the delivery id, so the app can open the right screen and report the open.
    """
    return build_messages([push], now)[0]


def build_messages(pushes: Sequence[Push], now: dt.datetime) -> list[messaging.Message]:
    """``build_message`` for each push, in order."""
    # firebase-admin 7.x deprecates Message.token in favour of fid, but FCM still delivers to
    # registration tokens and app versions that predate fid reporting only have one. Sending to
    # them is deliberate, so this one warning (and nothing broader) is silenced here; the report
    # counts these sends so their decline can be watched and the path removed. The filter is
    # set once for a whole batch: set for each message, it cost more than building them all.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"Message\.token is deprecated", category=DeprecationWarning
        )
        return [_message(push, now) for push in pushes]


def _message(push: Push, now: dt.datetime) -> messaging.Message:
    ttl = push.time_to_live(now)
    if ttl is not None and ttl.total_seconds() < 1:
        raise ValueError(f"push {push.delivery_id} expired at {push.expires_at}")
    data = {**push.data, "deep_link": push.deep_link, "delivery_id": push.delivery_id}
    apns_headers: dict[str, str] = {}
    if push.collapse_key:
        apns_headers["apns-collapse-id"] = push.collapse_key
    if ttl is not None:
        apns_headers["apns-expiration"] = str(math.floor((now + ttl).timestamp()))
    fields = {
        "notification": messaging.Notification(title=push.title, body=push.body),
        "data": data,
        "android": messaging.AndroidConfig(collapse_key=push.collapse_key, ttl=ttl),
        "apns": messaging.APNSConfig(headers=apns_headers or None),
    }
    if push.fid:
        return messaging.Message(fid=push.fid, **fields)
    return messaging.Message(token=push.token, **fields)
