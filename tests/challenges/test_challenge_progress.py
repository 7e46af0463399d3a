import json
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from challenges.rules.progress import (
    ChallengeRules,
    ChallengeState,
    EventType,
    Goal,
    GoalKind,
    Outcome,
    Progress,
    ProgressEvent,
    Streak,
    apply_event,
    hold_reward,
    progress_now,
    purchase_recorded,
    purchase_refunded,
    quiz_completed,
    reward_idempotency_key,
)
from challenges.rules.windows import PeriodUnit, Window, WindowKind

NOVEMBER = Window(WindowKind.FIXED, date(2026, 11, 1), date(2026, 11, 30))
WEEKLY = Window(WindowKind.WEEKLY)
T0 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)  # a Tuesday


def purchase(
    pid: str,
    at: datetime = T0,
    *,
    amount: int = 1000,
    store: str | None = "store-1",
    channel: str = "in_store",
    currency: str = "EUR",
) -> ProgressEvent:
    return purchase_recorded(
        {
            "member_id": 7,
            "purchase_id": pid,
            "store_id": store,
            "region_id": 1,
            "channel": channel,
            "amount_minor": amount,
            "currency": currency,
            "points": amount // 100,
            "occurred_at": at.isoformat(),
        }
    )


def refund(pid: str, amount: int | None = None, refund_id: str | None = None) -> ProgressEvent:
    payload: dict = {"purchase_id": pid, "member_id": 7}
    if amount is not None:
        payload["amount_minor"] = amount
    if refund_id is not None:
        payload["refund_id"] = refund_id
    return purchase_refunded(payload)


def rules(kind=GoalKind.PURCHASE_COUNT, target=3, window=NOVEMBER, **goal) -> ChallengeRules:
    return ChallengeRules(Goal(kind, target, **goal), window)


def run(r: ChallengeRules, events, tz="UTC", state=None, **kw):
    state = state if state is not None else ChallengeState()
    results = [apply_event(r, state, e, tz, **kw) for e in events]
    return state, results


def test_purchase_count_completes_once_at_the_target():
    r = rules(target=3)
    _, results = run(r, [purchase(f"p{i}", T0 + timedelta(hours=i)) for i in range(5)])
    assert [res.progress.current for res in results[:3]] == [1, 2, 3]
    assert [res.completed_now for res in results] == [False, False, True, False, False]
    assert [res.outcome for res in results[3:]] == [Outcome.ALREADY_COMPLETED] * 2
    assert results[4].progress.current == 3


def test_an_event_delivered_twice_counts_once():
    r = rules(target=5)
    _state, results = run(r, [purchase("p1"), purchase("p1"), purchase("p2")])
    assert [res.outcome for res in results] == [Outcome.COUNTED, Outcome.DUPLICATE, Outcome.COUNTED]
    assert results[-1].progress.current == 2


def test_the_same_purchase_under_another_event_id_counts_once():
    r = rules(target=5)
    again = ProgressEvent(
        "other-id", EventType.PURCHASE, "p1", T0, "store-1", "in_store", 1000, "EUR"
    )
    _, results = run(r, [purchase("p1"), again])
    assert results[1].outcome is Outcome.DUPLICATE
    assert results[1].progress.current == 1


def test_total_spend_adds_only_the_goals_currency_and_minimum():
    r = rules(GoalKind.TOTAL_SPEND, target=5000, currency="EUR", min_amount_minor=200)
    _, results = run(
        r,
        [
            purchase("p1", amount=1500),
            purchase("p2", amount=9999, currency="PLN"),
            purchase("p3", amount=150),
            purchase("p4", amount=2500),
        ],
    )
    assert [res.outcome for res in results] == [
        Outcome.COUNTED,
        Outcome.NOT_MATCHING,
        Outcome.NOT_MATCHING,
        Outcome.COUNTED,
    ]
    assert results[-1].progress.current == 1500 + 2500
    assert not results[-1].progress.completed


def test_distinct_stores_counts_each_store_once_and_ignores_storeless_purchases():
    r = rules(GoalKind.DISTINCT_STORES, target=3)
    _, results = run(
        r,
        [
            purchase("p1", store="s1"),
            purchase("p2", store="s1"),
            purchase("p3", store=None, channel="online"),
            purchase("p4", store="s2"),
        ],
    )
    assert results[2].outcome is Outcome.NOT_MATCHING
    assert [res.progress.current for res in results if res.progress] == [1, 1, 2]


def test_channel_purchases_count_only_that_channel():
    r = rules(GoalKind.CHANNEL_PURCHASES, target=2, channel="app")
    _, results = run(
        r, [purchase("p1", channel="app"), purchase("p2"), purchase("p3", channel="app")]
    )
    assert [res.outcome for res in results] == [
        Outcome.COUNTED,
        Outcome.NOT_MATCHING,
        Outcome.COUNTED,
    ]
    assert results[-1].completed_now


def test_quizzes_completed_count_quiz_events_only():
    r = rules(GoalKind.QUIZZES_COMPLETED, target=2)
    _, results = run(
        r,
        [
            quiz_completed("att-1", T0),
            purchase("p1"),
            quiz_completed("att-1", T0),
            quiz_completed("att-2", T0),
        ],
    )
    assert [res.outcome for res in results] == [
        Outcome.COUNTED,
        Outcome.NOT_MATCHING,
        Outcome.DUPLICATE,
        Outcome.COUNTED,
    ]
    assert results[-1].completed_now


def test_a_refund_before_completion_takes_the_purchase_back_and_a_replay_does_not_restore_it():
    r = rules(target=3)
    _state, results = run(
        r,
        [
            purchase("p1"),
            purchase("p2"),
            refund("p2"),
            purchase("p2"),  # the purchase event redelivered after its refund
            refund("p2"),  # the refund redelivered
            purchase("p3"),
            purchase("p4"),
        ],
    )
    assert [res.outcome for res in results] == [
        Outcome.COUNTED,
        Outcome.COUNTED,
        Outcome.REVERSED,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.COUNTED,
        Outcome.COUNTED,
    ]
    assert results[2].progress.current == 1
    assert [res.completed_now for res in results].index(True) == 6


def test_a_refund_after_completion_leaves_the_completed_window_alone():
    r = rules(target=2)
    _state, results = run(r, [purchase("p1"), purchase("p2"), refund("p1")])
    assert results[1].completed_now
    assert results[2].outcome is Outcome.ALREADY_COMPLETED
    assert results[2].progress.completed


def test_partial_refunds_lower_spend_once_each():
    r = rules(GoalKind.TOTAL_SPEND, target=10_000, currency="EUR")
    _, results = run(
        r,
        [
            purchase("p1", amount=4000),
            refund("p1", amount=1000, refund_id="r1"),
            refund("p1", amount=1000, refund_id="r1"),
            refund("p1", amount=500, refund_id="r2"),
            refund("p1", amount=5000, refund_id="r3"),  # more than is left: all of it
        ],
    )
    assert [res.progress.current if res.progress else None for res in results] == [
        4000,
        3000,
        None,
        2500,
        0,
    ]
    assert results[2].outcome is Outcome.DUPLICATE


def test_a_partial_refund_below_the_minimum_uncounts_the_purchase():
    r = rules(target=3, min_amount_minor=500)
    _, results = run(
        r,
        [
            purchase("p1", amount=800),
            refund("p1", amount=200, refund_id="r1"),
            refund("p1", amount=200, refund_id="r2"),
        ],
    )
    assert [res.progress.current for res in results] == [1, 1, 0]


def test_a_refund_of_a_purchase_that_never_counted_changes_nothing():
    r = rules(target=3)
    state, results = run(r, [purchase("p1"), refund("p-elsewhere")])
    assert results[1].outcome is Outcome.NOT_COUNTED
    assert progress_now(r, state, T0, "UTC")[1].current == 1


def test_weekly_windows_complete_separately_and_refunds_find_their_window():
    r = rules(target=2, window=WEEKLY)
    week1 = T0
    week2 = T0 + timedelta(days=7)
    _state, results = run(
        r,
        [
            purchase("a", week1),
            purchase("b", week1),
            purchase("c", week2),
            refund("c"),  # delivered during week 2 or later: still week 2's purchase
            purchase("d", week2),
            purchase("e", week2),
        ],
    )
    assert [res.window_key for res in results] == [
        "2026-W46",
        "2026-W46",
        "2026-W47",
        "2026-W47",
        "2026-W47",
        "2026-W47",
    ]
    assert [res.completed_now for res in results] == [False, True, False, False, False, True]
    assert reward_idempotency_key("ch1", 7, "2026-W46") != reward_idempotency_key(
        "ch1", 7, "2026-W47"
    )


def test_weekly_window_is_the_members_local_week():
    r = rules(target=2, window=WEEKLY)
    sunday_night = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)
    _, in_helsinki = run(
        r,
        [purchase("a", sunday_night - timedelta(days=1)), purchase("b", sunday_night)],
        tz="Europe/Helsinki",
    )
    _, in_utc = run(
        r, [purchase("a", sunday_night - timedelta(days=1)), purchase("b", sunday_night)], tz="UTC"
    )
    assert not in_helsinki[1].completed_now  # Monday in Helsinki: a new week
    assert in_utc[1].completed_now


def test_events_outside_the_window_or_before_opting_in_do_not_count():
    r = rules(target=2)
    joined = T0 + timedelta(hours=1)
    _, results = run(
        r,
        [
            purchase("early", datetime(2026, 10, 30, tzinfo=UTC)),
            purchase("before-join", T0),
            purchase("after-join", T0 + timedelta(hours=2)),
        ],
        counts_from=joined,
    )
    assert [res.outcome for res in results] == [
        Outcome.BEFORE_JOIN,
        Outcome.BEFORE_JOIN,
        Outcome.COUNTED,
    ]
    _, results = run(r, [purchase("early", datetime(2026, 10, 30, tzinfo=UTC))])
    assert results[0].outcome is Outcome.OUTSIDE_WINDOW


def daily_streak(length=3, **goal) -> ChallengeRules:
    return rules(target=1, streak=Streak(PeriodUnit.DAY, length), **goal)


def test_daily_streak_completes_on_consecutive_days_and_a_gap_restarts_it():
    r = daily_streak(3)
    days = [T0, T0 + timedelta(days=1), T0 + timedelta(days=3), T0 + timedelta(days=4)]
    state, results = run(r, [purchase(f"p{i}", d) for i, d in enumerate(days)])
    assert [res.progress.current for res in results] == [1, 2, 2, 2]
    assert not any(res.completed_now for res in results)
    _, more = run(r, [purchase("p9", T0 + timedelta(days=5))], state=state)
    assert more[0].completed_now


def test_streak_does_not_depend_on_the_order_events_arrive_in():
    r = daily_streak(4)
    events = [purchase(f"p{i}", T0 + timedelta(days=i)) for i in range(4)]
    rng = random.Random(4)
    for _ in range(10):
        shuffled = events[:]
        rng.shuffle(shuffled)
        _, results = run(r, shuffled)
        assert [res.completed_now for res in results] == [False, False, False, True]


def test_streak_days_are_local_days():
    r = daily_streak(2)
    # 21:30 and 22:30 UTC on the same UTC day: two different days in Helsinki (UTC+2).
    evening = datetime(2026, 11, 10, 21, 30, tzinfo=UTC)
    events = [purchase("a", evening), purchase("b", evening + timedelta(hours=1))]
    _, helsinki = run(r, events, tz="Europe/Helsinki")
    _, utc = run(r, events, tz="UTC")
    assert helsinki[1].completed_now
    assert not utc[1].completed_now


def test_a_refund_breaks_a_streak_day_with_no_other_purchase():
    r = daily_streak(3)
    events = [purchase(f"p{i}", T0 + timedelta(days=i)) for i in range(2)]
    state, _ = run(r, [*events, refund("p1")])
    _, results = run(r, [purchase("p2", T0 + timedelta(days=2))], state=state)
    assert not results[0].completed_now
    assert results[0].progress.current == 1


def test_weekly_spend_streak_applies_the_target_per_week():
    r = rules(
        GoalKind.TOTAL_SPEND,
        target=2000,
        currency="EUR",
        streak=Streak(PeriodUnit.WEEK, 2),
        window=Window(WindowKind.FIXED, date(2026, 11, 1), date(2026, 12, 31)),
    )
    _, results = run(
        r,
        [
            purchase("w1a", T0, amount=1500),
            purchase("w2", T0 + timedelta(days=7), amount=2500),
            purchase("w1b", T0 + timedelta(days=1), amount=500),  # late event fills week 1
        ],
    )
    assert [res.progress.current for res in results] == [0, 1, 2]
    assert results[-1].completed_now


def test_progress_now_shows_the_streak_still_alive_today():
    r = daily_streak(5)
    state, _ = run(r, [purchase(f"p{i}", T0 + timedelta(days=i)) for i in range(3)])
    last_day = T0 + timedelta(days=2)
    assert progress_now(r, state, last_day, "UTC")[1].current == 3
    assert progress_now(r, state, last_day + timedelta(days=1), "UTC")[1].current == 3
    assert progress_now(r, state, last_day + timedelta(days=2), "UTC")[1].current == 0


def test_progress_now_for_a_window_without_events_and_outside_any_window():
    r = rules(target=3, window=WEEKLY)
    state, _ = run(r, [purchase("p1", T0)])
    assert progress_now(r, state, T0, "UTC") == ("2026-W46", results_progress(1, 3))
    assert progress_now(r, state, T0 + timedelta(days=7), "UTC") == (
        "2026-W47",
        results_progress(0, 3),
    )
    assert progress_now(rules(), state, datetime(2027, 1, 5, tzinfo=UTC), "UTC")[0] is None


def results_progress(current: int, target: int) -> Progress:
    return Progress(current, target, current >= target)


def test_state_survives_a_json_round_trip_with_its_duplicates_and_completion():
    r = rules(target=2, window=WEEKLY)
    state, _ = run(r, [purchase("a"), refund("a"), purchase("b"), purchase("c")])
    restored = ChallengeState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    _, results = run(r, [purchase("a"), purchase("d")], state=restored)
    assert results[0].outcome is Outcome.DUPLICATE
    assert results[1].outcome is Outcome.ALREADY_COMPLETED


def test_random_redeliveries_count_each_matching_purchase_once():
    # Against a direct count: events repeated and shuffled, some outside the window or channel.
    rng = random.Random(2026)
    r = rules(GoalKind.CHANNEL_PURCHASES, target=10_000, channel="app")
    events = []
    for i in range(300):
        at = datetime(2026, 10, 25, tzinfo=UTC) + timedelta(hours=rng.randrange(24 * 45))
        events.append(purchase(f"p{i}", at, channel=rng.choice(["app", "online", "in_store"])))
    expected = sum(1 for e in events if e.channel == "app" and e.occurred_at.date().month == 11)
    stream = events + rng.sample(events, 150)
    rng.shuffle(stream)
    state, _ = run(r, stream)
    assert progress_now(r, state, T0, "UTC")[1].current == expected


def test_core_payload_adapters():
    event = purchase("p1", amount=1234, store=None, channel="online")
    assert event.event_id == "purchase.recorded:p1"
    assert (event.subject_id, event.amount_minor, event.store_id) == ("p1", 1234, None)
    assert event.occurred_at == T0
    assert refund("p1").event_id == "purchase.refunded:p1"
    assert refund("p1", 100, refund_id="r9").event_id == "purchase.refunded:r9"
    assert refund("p1").amount_minor is None
    with pytest.raises(ValueError):
        purchase_recorded(
            {"purchase_id": 1, "amount_minor": 1, "occurred_at": "2026-11-10T12:00:00"}
        )


# Held rewards (issue 8): a completion's reward can be taken back while the purchases behind it
# can still be returned.

HOLD = T0 + timedelta(days=14)


def completed_and_held(r: ChallengeRules, pids: list[str]) -> ChallengeState:
    state, results = run(r, [purchase(p) for p in pids])
    assert results[-1].completed_now
    hold_reward(state, results[-1].window_key, HOLD)
    return state


def test_a_refund_inside_the_hold_uncompletes_the_window_and_it_can_complete_again():
    r = rules(target=2)
    state = completed_and_held(r, ["p1", "p2"])
    _, results = run(r, [refund("p1"), refund("p1")], state=state, now=T0 + timedelta(days=1))
    assert results[0].outcome is Outcome.REVERSED
    assert results[0].uncompleted
    assert results[0].progress == Progress(1, 2, False)
    assert results[1].outcome is Outcome.DUPLICATE  # the refund delivered twice takes once
    ws = next(iter(state.windows.values()))
    assert (ws.completed_at, ws.held_until) == (None, None)
    _, again = run(r, [purchase("p3")], state=state)
    assert again[0].completed_now


def test_while_held_a_later_purchase_makes_up_for_a_refund():
    r = rules(target=2)
    state = completed_and_held(r, ["p1", "p2"])
    _, results = run(r, [purchase("p3"), refund("p1")], state=state, now=T0)
    # Counted, not completing again: it only keeps the goal met.
    assert (results[0].outcome, results[0].completed_now) == (Outcome.COUNTED, False)
    assert results[1].outcome is Outcome.REVERSED
    assert not results[1].uncompleted
    assert results[1].progress.completed


def test_once_the_hold_has_passed_a_refund_leaves_the_window_alone():
    r = rules(target=2)
    state = completed_and_held(r, ["p1", "p2"])
    _, results = run(r, [refund("p1")], state=state, now=HOLD)
    assert results[0].outcome is Outcome.ALREADY_COMPLETED
    assert not results[0].uncompleted
    assert results[0].progress.completed


def test_a_partial_refund_inside_the_hold_below_the_spend_target_uncompletes():
    r = rules(GoalKind.TOTAL_SPEND, target=5000, currency="EUR", min_amount_minor=500)
    state, results = run(r, [purchase("p1", amount=6000)])
    hold_reward(state, results[0].window_key, HOLD)
    _, results = run(
        r,
        [refund("p1", amount=500, refund_id="r1"), refund("p1", amount=1000, refund_id="r2")],
        state=state,
        now=T0,
    )
    # 5500 left: still met (shown as the target while completed); 4500: below it.
    assert [(res.progress.current, res.uncompleted) for res in results] == [
        (5000, False),
        (4500, True),
    ]


def test_a_refund_inside_the_hold_that_breaks_a_streak_uncompletes_it():
    r = daily_streak(2)
    state, results = run(r, [purchase("a", T0), purchase("b", T0 + timedelta(days=1))])
    assert results[1].completed_now
    hold_reward(state, results[1].window_key, HOLD)
    _, results = run(r, [refund("a")], state=state, now=T0 + timedelta(days=2))
    assert results[0].uncompleted


def test_a_held_window_survives_a_json_round_trip():
    r = rules(target=2)
    state = completed_and_held(r, ["p1", "p2"])
    restored = ChallengeState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    assert next(iter(restored.windows.values())).held_until == HOLD
    # State written before holds existed reads as "not held".
    old = {
        k: {kk: vv for kk, vv in v.items() if kk != "held_until"}
        for k, v in state.to_dict().items()
    }
    assert next(iter(ChallengeState.from_dict(old).windows.values())).held_until is None


def test_a_minimum_purchase_is_for_purchase_goals_and_not_negative():
    with pytest.raises(ValueError, match="purchase goals"):
        Goal(GoalKind.QUIZZES_COMPLETED, 1, min_amount_minor=100)
    with pytest.raises(ValueError, match="negative"):
        Goal(GoalKind.PURCHASE_COUNT, 1, min_amount_minor=-1)


def test_a_window_completed_again_has_a_reward_key_of_its_own():
    first = reward_idempotency_key("chl_1", 7, "2026-W46")
    assert first == "challenge:chl_1:7:2026-W46"  # unchanged: keys already paid stay valid
    assert reward_idempotency_key("chl_1", 7, "2026-W46", 2) not in (first, None)
