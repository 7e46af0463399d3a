"""The referral rules alone: codes, email keys, self-referral by each signal, the cap."""

from __future__ import annotations

import pytest

from referrals import rules
from referrals.rules import Signal


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ANNA10", "ANNA10"), (" anna10 ", "ANNA10"), ("anna 10", "ANNA10"), ("An-Na-10", "ANNA10")],
)
def test_codes_are_normalised_spaces_hyphens_and_case(typed, stored):
    assert rules.normalise_code(typed) == stored


@pytest.mark.parametrize("typed", ["", "   ", "AB1", "ANNA!10", "Ä" * 5, "A" * 21, "ANNA_10"])
def test_what_cannot_be_a_code_is_refused(typed):
    with pytest.raises(rules.InvalidCode):
        rules.normalise_code(typed)


def test_member_codes_use_an_unambiguous_alphabet():
    codes = {rules.new_member_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert rules.normalise_code(code) == code
        assert len(code) == rules.MEMBER_CODE_LENGTH
        assert not set(code) & set("01OIL")


@pytest.mark.parametrize(
    "spelling",
    [
        "anna.k@example.com",
        "Anna.K@Example.com",
        "annak@example.com",
        "a.n.n.a.k+referral@example.com",
        "ANNAK+2@EXAMPLE.COM",
        " annak@example.com ",
    ],
)
def test_one_person_has_one_email_key_however_it_is_spelled(spelling):
    assert rules.email_key(spelling) == "annak@example.com"


def test_other_people_keep_other_keys():
    assert rules.email_key("anna@example.com") != rules.email_key("annak@example.com")
    assert rules.email_key("annak@example.org") != rules.email_key("annak@example.com")


def _signals(*pairs: tuple[str, str]) -> list[str]:
    return rules.stored_signals(Signal(kind, value) for kind, value in pairs)


def test_stored_signals_keep_no_raw_value():
    stored = _signals((rules.EMAIL, "annak@example.com"), (rules.DEVICE, "fid-123"))
    assert all("annak" not in s and "fid-123" not in s for s in stored)
    assert {s.split(":")[0] for s in stored} == {rules.EMAIL, rules.DEVICE}


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        (rules.EMAIL, rules.REJECTED, "self_referral_email"),
        (rules.CARD, rules.REJECTED, "self_referral_card"),
        (rules.DEVICE, rules.FLAGGED, "shared_device"),
        (rules.WALLET, rules.FLAGGED, "shared_wallet_device"),
    ],
)
def test_a_shared_signal_is_a_self_referral_a_fact_rejects_a_phone_flags(kind, status, reason):
    friend = _signals((kind, "same"), (rules.DEVICE, "friend-phone"))
    referrer = _signals((kind, "same"), (rules.DEVICE, "referrer-phone"))
    verdict = rules.judge(friend_signals=friend, referrer_signals=referrer, existing_member=False)
    assert verdict == rules.Verdict(status, reason)


def test_a_fact_wins_over_a_suspicion():
    both = _signals((rules.CARD, "1"), (rules.DEVICE, "2"))
    verdict = rules.judge(friend_signals=both, referrer_signals=both, existing_member=False)
    assert verdict == rules.Verdict(rules.REJECTED, "self_referral_card")


def test_nothing_shared_qualifies():
    verdict = rules.judge(
        friend_signals=_signals((rules.DEVICE, "a")),
        referrer_signals=_signals((rules.DEVICE, "b")),
        existing_member=False,
    )
    assert verdict == rules.Verdict(rules.QUALIFIED)


def test_an_existing_member_under_another_spelling_is_flagged():
    verdict = rules.judge(friend_signals=(), referrer_signals=(), existing_member=True)
    assert verdict == rules.Verdict(rules.FLAGGED, "existing_member")
    # A partner's code has no referrer to compare with, but the rule holds.
    partner = rules.judge(friend_signals=(), referrer_signals=None, existing_member=True)
    assert partner == rules.Verdict(rules.FLAGGED, "existing_member")


@pytest.mark.parametrize(
    ("rewarded", "cap", "reached"), [(0, 1, False), (2, 3, False), (3, 3, True), (9, None, False)]
)
def test_the_cap_per_period(rewarded, cap, reached):
    assert rules.cap_reached(rewarded, cap) is reached
    verdict = rules.judge(
        friend_signals=(),
        referrer_signals=(),
        existing_member=False,
        rewarded_in_period=rewarded,
        cap=cap,
    )
    assert verdict.status == (rules.REJECTED if reached else rules.QUALIFIED)
    assert verdict.reason == ("referrer_cap_reached" if reached else None)


def test_a_partner_code_has_no_cap_per_referrer():
    verdict = rules.judge(
        friend_signals=(), referrer_signals=None, existing_member=False, rewarded_in_period=9, cap=1
    )
    assert verdict.status == rules.QUALIFIED


def test_an_ended_referrer_earns_nothing():
    verdict = rules.judge(
        friend_signals=(), referrer_signals=(), existing_member=False, referrer_active=False
    )
    assert verdict == rules.Verdict(rules.REJECTED, "referrer_ended")


def test_the_minimum_purchase_and_what_a_refund_leaves():
    assert rules.qualifies(2000, 2000)
    assert not rules.qualifies(1999, 2000)
    assert rules.still_qualifies(5000, 3000, 2000)
    assert not rules.still_qualifies(5000, 3001, 2000)
