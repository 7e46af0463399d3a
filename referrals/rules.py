"""The referral rules as plain functions: no Flask, no database, so each is tested alone.

- Codes: what a member types is normalised (spaces and hyphens dropped, case folded to upper),
  so ` anna 10 ` is `ANNA10`; a code is 4 to 20 letters and digits after that.
- Emails are compared by a key: case folded, a `+tag` dropped and the dots of the local part
  removed, so `Anna.K+ref@Example.com` and `annak@example.com` are one person.
- What links two members (`Signal`s: an email key, an app installation's fid, a Wallet device,
  a card) decides a referral between them: sharing an email or a card is a self-referral (a
  fact: rejected), sharing a phone is a suspicion (a family may share one: flagged for review).
- A referrer earns at most `cap` rewards per period; a referral qualifies on a purchase of at
  least the minimum.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

CODE_PATTERN = re.compile(r"^[A-Z0-9]{4,20}$")
# Member codes: no 0/O, 1/I/L, so a code read aloud or off a screen is typed right.
MEMBER_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MEMBER_CODE_LENGTH = 8

# Referral statuses: joined -> qualified -> rewarded, or flagged (for review) / rejected.
JOINED = "joined"
QUALIFIED = "qualified"
REWARDED = "rewarded"
FLAGGED = "flagged"
REJECTED = "rejected"
STATUSES = (JOINED, QUALIFIED, REWARDED, FLAGGED, REJECTED)

# Kinds of what links two members.
EMAIL = "email"
DEVICE = "device"
WALLET = "wallet_device"
CARD = "card"
SIGNAL_KINDS = (EMAIL, DEVICE, WALLET, CARD)
# A shared email or card is the same person; a shared phone may be a family's.
FACT_KINDS = (EMAIL, CARD)

# Reasons a referral is flagged or rejected (stable: the API and the review queue show them).
REASON_SELF = {
    EMAIL: "self_referral_email",
    CARD: "self_referral_card",
    DEVICE: "shared_device",
    WALLET: "shared_wallet_device",
}
EXISTING_MEMBER = "existing_member"
CAP_REACHED = "referrer_cap_reached"
REFERRER_ENDED = "referrer_ended"
PURCHASE_REFUNDED = "purchase_refunded"
MEMBER_ERASED = "member_erased"


class InvalidCode(ValueError):
    """Not a code at all: after normalisation it is not 4 to 20 letters and digits."""


def normalise_code(raw: str) -> str:
    """The code as stored: whitespace and hyphens dropped, upper case."""
    code = re.sub(r"[\s\-]+", "", raw).upper()
    if not CODE_PATTERN.match(code):
        raise InvalidCode(raw)
    return code


def new_member_code() -> str:
    return "".join(secrets.choice(MEMBER_CODE_ALPHABET) for _ in range(MEMBER_CODE_LENGTH))


def email_key(email: str) -> str:
    """One person's email, however it is spelled: case folded, `+tag` and dots of the local
    part dropped (`Anna.K+ref@Example.com` -> `annak@example.com`)."""
    local, _, domain = email.strip().casefold().rpartition("@")
    if not local:
        local, domain = domain, ""
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"


def digest(value: str) -> str:
    """What is stored of a signal: a hash, so no email, fid or device id is kept twice."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Signal:
    kind: str
    value: str

    @property
    def stored(self) -> str:
        return f"{self.kind}:{digest(self.value)}"


def stored_signals(signals: Iterable[Signal]) -> list[str]:
    return sorted({s.stored for s in signals})


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str | None = None


def shared_kinds(friend: Iterable[str], referrer: Iterable[str]) -> set[str]:
    """The kinds of signal (stored form, `kind:hash`) the two members share."""
    return {s.split(":", 1)[0] for s in set(friend) & set(referrer)}


def judge_self_referral(shared: set[str]) -> Verdict | None:
    """A fact (a shared email or card) rejects; a shared phone or Wallet flags; else None."""
    for kind in FACT_KINDS:
        if kind in shared:
            return Verdict(REJECTED, REASON_SELF[kind])
    for kind in (DEVICE, WALLET):
        if kind in shared:
            return Verdict(FLAGGED, REASON_SELF[kind])
    return None


def cap_reached(rewarded_in_period: int, cap: int | None) -> bool:
    """A referrer with `cap` rewards in the period earns no more (None: no cap)."""
    return cap is not None and rewarded_in_period >= cap


def qualifies(amount_minor: int, minimum_minor: int) -> bool:
    return amount_minor >= minimum_minor


def still_qualifies(amount_minor: int, refunded_minor: int, minimum_minor: int) -> bool:
    """After a refund: what is left of the purchase still reaches the minimum."""
    return amount_minor - refunded_minor >= minimum_minor


def judge(
    *,
    friend_signals: Iterable[str],
    referrer_signals: Iterable[str] | None,
    existing_member: bool,
    referrer_active: bool = True,
    rewarded_in_period: int = 0,
    cap: int | None = None,
) -> Verdict:
    """What a referral becomes on its qualifying purchase. `referrer_signals` is None for a
    partner's code (no member to compare with, no cap)."""
    if referrer_signals is not None:
        if not referrer_active:
            return Verdict(REJECTED, REFERRER_ENDED)
        verdict = judge_self_referral(shared_kinds(friend_signals, referrer_signals))
        if verdict is not None:
            return verdict
    if existing_member:
        return Verdict(FLAGGED, EXISTING_MEMBER)
    if referrer_signals is not None and cap_reached(rewarded_in_period, cap):
        return Verdict(REJECTED, CAP_REACHED)
    return Verdict(QUALIFIED)
