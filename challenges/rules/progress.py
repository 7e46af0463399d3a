"""Challenge (mission) progress: goals, streaks, idempotent events and refund reversal.

The rules are pure: `apply_event` changes a member's `ChallengeState` for one challenge and says
what happened. The service keeps the state as JSON (`to_dict`/`from_dict`) on one row per
(challenge, member), locked while an event is applied, and grants the reward when
`ApplyResult.completed_now` is true, with `reward_idempotency_key` so it is paid once per window.

Rules, in order:
- Each window (see `challenges.rules.windows`) has its own progress and completes at most once.
- An event id seen before in the window it touched counts nothing (redelivery); a purchase
  already counted under another event id counts nothing either.
- A purchase contributes under its purchase id. A refund finds that contribution: a full refund
  (no amount, or at least what is left) removes it; a partial one lowers the amount, and removes
  it when what is left falls below the goal's minimum purchase.
- A window's reward may be held (`hold_reward`: the purchases behind it can still be returned).
  While it is held, later purchases in the window still count (they can make up for a refund),
  and a refund that drops the progress below the goal un-completes the window
  (`ApplyResult.uncompleted`: the service takes the reward back); the window can then be
  completed again. Once the hold has passed, or when nothing was held, a completed window is
  final: a refund no longer changes it.
- Streak goals apply the goal's target per period (day or week, in the member's timezone) and
  complete at `length` consecutive qualifying periods inside the window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from challenges.rules.windows import PeriodUnit, Window, period_index, window_key, window_span


class GoalKind(StrEnum):
    PURCHASE_COUNT = "purchase_count"
    TOTAL_SPEND = "total_spend"  # target in minor units of `currency`
    DISTINCT_STORES = "distinct_stores"
    CHANNEL_PURCHASES = "channel_purchases"
    QUIZZES_COMPLETED = "quizzes_completed"


class EventType(StrEnum):
    PURCHASE = "purchase"
    REFUND = "refund"
    QUIZ_COMPLETED = "quiz_completed"


class Outcome(StrEnum):
    COUNTED = "counted"
    REVERSED = "reversed"
    DUPLICATE = "duplicate"
    NOT_MATCHING = "not_matching"  # the goal does not look at this kind of event
    OUTSIDE_WINDOW = "outside_window"
    BEFORE_JOIN = "before_join"
    ALREADY_COMPLETED = "already_completed"
    NOT_COUNTED = "not_counted"  # a refund of a purchase that never counted here


@dataclass(frozen=True)
class Streak:
    unit: PeriodUnit
    length: int

    def __post_init__(self) -> None:
        if self.length < 1:
            raise ValueError("streak length must be at least 1")


@dataclass(frozen=True)
class Goal:
    kind: GoalKind
    target: int
    channel: str | None = None  # CHANNEL_PURCHASES: which channel
    currency: str | None = None  # TOTAL_SPEND: amounts in other currencies are not added
    min_amount_minor: int = 0  # purchases below this do not count (tiny-purchase farming)
    streak: Streak | None = None

    def __post_init__(self) -> None:
        if self.target < 1:
            raise ValueError("goal target must be at least 1")
        if self.kind is GoalKind.CHANNEL_PURCHASES and not self.channel:
            raise ValueError("a channel goal needs a channel")
        if self.kind is GoalKind.TOTAL_SPEND and not self.currency:
            raise ValueError("a spend goal needs a currency")
        if self.min_amount_minor < 0:
            raise ValueError("a minimum purchase amount cannot be negative")
        if self.min_amount_minor and self.kind is GoalKind.QUIZZES_COMPLETED:
            raise ValueError("a minimum purchase amount applies to purchase goals only")


@dataclass(frozen=True)
class ChallengeRules:
    goal: Goal
    window: Window


@dataclass(frozen=True)
class ProgressEvent:
    event_id: str
    type: EventType
    subject_id: str  # purchase id (purchases and refunds) or quiz attempt id
    occurred_at: datetime | None
    store_id: str | None = None
    channel: str | None = None
    amount_minor: int | None = None  # refund: amount refunded, None = all of it
    currency: str | None = None


@dataclass
class Contribution:
    amount_minor: int
    store_id: str | None
    period: int | None  # streak period index, fixed when the event was applied


@dataclass
class WindowState:
    contributions: dict[str, Contribution] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    completed_at: datetime | None = None
    held_until: datetime | None = None  # the reward of the completion can be taken back until

    def held(self, now: datetime | None) -> bool:
        """Is the completed window's reward still reversible at `now` (None: the hold counts)?"""
        if self.completed_at is None or self.held_until is None:
            return False
        return now is None or now < self.held_until


@dataclass
class ChallengeState:
    """One member's progress in one challenge, every window they have touched."""

    windows: dict[str, WindowState] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            key: {
                "contributions": {
                    sid: [c.amount_minor, c.store_id, c.period]
                    for sid, c in ws.contributions.items()
                },
                "seen": sorted(ws.seen),
                "completed_at": ws.completed_at.isoformat() if ws.completed_at else None,
                "held_until": ws.held_until.isoformat() if ws.held_until else None,
            }
            for key, ws in self.windows.items()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChallengeState:
        windows = {}
        for key, raw in data.items():
            completed = raw.get("completed_at")
            held = raw.get("held_until")
            windows[key] = WindowState(
                contributions={
                    sid: Contribution(int(v[0]), v[1], v[2])
                    for sid, v in raw.get("contributions", {}).items()
                },
                seen=set(raw.get("seen", ())),
                completed_at=datetime.fromisoformat(completed) if completed else None,
                held_until=datetime.fromisoformat(held) if held else None,
            )
        return cls(windows)


@dataclass(frozen=True)
class Progress:
    current: int  # purchases, minor units, stores, quizzes, or periods in a row for a streak
    target: int
    completed: bool


@dataclass(frozen=True)
class ApplyResult:
    outcome: Outcome
    window_key: str | None = None
    progress: Progress | None = None
    completed_now: bool = False
    uncompleted: bool = False  # a refund took a held completion back below the goal


def apply_event(
    rules: ChallengeRules,
    state: ChallengeState,
    event: ProgressEvent,
    tz: str,
    *,
    counts_from: datetime | None = None,
    now: datetime | None = None,
) -> ApplyResult:
    """Apply one event to `state` (in place). `counts_from` is an opt-in member's join time;
    `now` decides whether a held reward is still held when a refund arrives."""
    if event.type is EventType.REFUND:
        return _apply_refund(rules, state, event, now or event.occurred_at)
    if event.occurred_at is None:
        raise ValueError(f"{event.type} event {event.event_id} has no occurred_at")
    if counts_from is not None and event.occurred_at < counts_from:
        return ApplyResult(Outcome.BEFORE_JOIN)
    goal = rules.goal
    if not _matches(goal, event):
        return ApplyResult(Outcome.NOT_MATCHING)
    key = window_key(rules.window, event.occurred_at, tz)
    if key is None:
        return ApplyResult(Outcome.OUTSIDE_WINDOW)
    ws = state.windows.get(key)
    if ws is not None:
        if event.event_id in ws.seen or event.subject_id in ws.contributions:
            return ApplyResult(Outcome.DUPLICATE, key, evaluate(rules, ws))
        if ws.completed_at is not None and ws.held_until is None:
            return ApplyResult(Outcome.ALREADY_COMPLETED, key, evaluate(rules, ws))
    else:
        ws = state.windows[key] = WindowState()
    ws.seen.add(event.event_id)
    period = period_index(event.occurred_at, tz, goal.streak.unit) if goal.streak else None
    ws.contributions[event.subject_id] = Contribution(
        event.amount_minor or 0, event.store_id, period
    )
    if ws.completed_at is not None:
        # A held window: the purchase is kept in case a refund needs making up for.
        return ApplyResult(Outcome.COUNTED, key, evaluate(rules, ws))
    progress = evaluate(rules, ws)
    if progress.completed:
        ws.completed_at = event.occurred_at
    return ApplyResult(Outcome.COUNTED, key, progress, completed_now=progress.completed)


def hold_reward(state: ChallengeState, key: str, until: datetime | None) -> None:
    """Hold the reward of window `key`'s completion until `until` (None: final at once)."""
    state.windows[key].held_until = until


def _apply_refund(
    rules: ChallengeRules, state: ChallengeState, event: ProgressEvent, now: datetime | None
) -> ApplyResult:
    # The refund belongs to the window its purchase counted in, whenever the refund happens.
    for ws in state.windows.values():
        if event.event_id in ws.seen:
            return ApplyResult(Outcome.DUPLICATE)
    for key, ws in state.windows.items():
        contribution = ws.contributions.get(event.subject_id)
        if contribution is None:
            continue
        if ws.completed_at is not None and not ws.held(now):
            return ApplyResult(Outcome.ALREADY_COMPLETED, key, evaluate(rules, ws))
        ws.seen.add(event.event_id)
        left = 0 if event.amount_minor is None else contribution.amount_minor - event.amount_minor
        if left <= 0 or left < rules.goal.min_amount_minor:
            del ws.contributions[event.subject_id]
        else:
            contribution.amount_minor = left
        uncompleted = ws.completed_at is not None and _value(rules.goal, ws) < _target(rules.goal)
        if uncompleted:
            ws.completed_at = None
            ws.held_until = None
        return ApplyResult(Outcome.REVERSED, key, evaluate(rules, ws), uncompleted=uncompleted)
    return ApplyResult(Outcome.NOT_COUNTED)


def _matches(goal: Goal, event: ProgressEvent) -> bool:
    if goal.kind is GoalKind.QUIZZES_COMPLETED:
        return event.type is EventType.QUIZ_COMPLETED
    if event.type is not EventType.PURCHASE:
        return False
    if (event.amount_minor or 0) < goal.min_amount_minor:
        return False
    if goal.kind is GoalKind.CHANNEL_PURCHASES:
        return event.channel == goal.channel
    if goal.kind is GoalKind.TOTAL_SPEND:
        return event.currency == goal.currency
    if goal.kind is GoalKind.DISTINCT_STORES:
        return event.store_id is not None
    return True


def measure(kind: GoalKind, contributions: Iterable[Contribution]) -> int:
    if kind is GoalKind.TOTAL_SPEND:
        return sum(c.amount_minor for c in contributions)
    if kind is GoalKind.DISTINCT_STORES:
        return len({c.store_id for c in contributions})
    return sum(1 for _ in contributions)


def _target(goal: Goal) -> int:
    return goal.target if goal.streak is None else goal.streak.length


def _value(goal: Goal, ws: WindowState, now_period: int | None = None) -> int:
    if goal.streak is None:
        return measure(goal.kind, ws.contributions.values())
    return _streak_value(goal, ws, now_period)


def evaluate(rules: ChallengeRules, ws: WindowState, now_period: int | None = None) -> Progress:
    """Progress in one window. For a streak, `current` is the run still alive at `now_period`
    (ending there or in the period before); without it, the longest run."""
    goal = rules.goal
    target = _target(goal)
    value = _value(goal, ws, now_period)
    completed = ws.completed_at is not None or value >= target
    return Progress(target if ws.completed_at is not None else value, target, completed)


def _streak_value(goal: Goal, ws: WindowState, now_period: int | None) -> int:
    by_period: dict[int, list[Contribution]] = defaultdict(list)
    for c in ws.contributions.values():
        if c.period is not None:
            by_period[c.period].append(c)
    qualifying = {p for p, cs in by_period.items() if measure(goal.kind, cs) >= goal.target}
    if now_period is None:
        best = 0
        for p in qualifying:
            if p - 1 not in qualifying:  # start of a run
                end = p
                while end + 1 in qualifying:
                    end += 1
                best = max(best, end - p + 1)
        return best
    end = now_period if now_period in qualifying else now_period - 1
    run = 0
    while end - run in qualifying:
        run += 1
    return run


def progress_now(
    rules: ChallengeRules, state: ChallengeState, now: datetime, tz: str
) -> tuple[str | None, Progress]:
    """(current window key, progress) as `GET /challenges` shows it; no window → key None."""
    span = window_span(rules.window, now, tz)
    target = rules.goal.streak.length if rules.goal.streak else rules.goal.target
    if span is None:
        return None, Progress(0, target, False)
    ws = state.windows.get(span.key)
    if ws is None:
        return span.key, Progress(0, target, False)
    now_period = period_index(now, tz, rules.goal.streak.unit) if rules.goal.streak else None
    return span.key, evaluate(rules, ws, now_period)


def reward_idempotency_key(
    challenge_id: str, member_id: int | str, key: str, number: int = 1
) -> str:
    """The ledger key that makes a window's reward payable once, whoever calls twice; a window
    completed again after a refund took its reward back (`number` 2, 3, ...) has a key of its
    own."""
    base = f"challenge:{challenge_id}:{member_id}:{key}"
    return base if number == 1 else f"{base}#{number}"


# Adapters from the core's event payloads (app.events) to ProgressEvent.


def purchase_recorded(payload: Mapping[str, Any]) -> ProgressEvent:
    return ProgressEvent(
        event_id=f"purchase.recorded:{payload['purchase_id']}",
        type=EventType.PURCHASE,
        subject_id=str(payload["purchase_id"]),
        occurred_at=_as_datetime(payload["occurred_at"]),
        store_id=None if payload.get("store_id") is None else str(payload["store_id"]),
        channel=payload.get("channel"),
        amount_minor=int(payload["amount_minor"]),
        currency=payload.get("currency"),
    )


def purchase_refunded(payload: Mapping[str, Any]) -> ProgressEvent:
    # A purchase may be refunded in parts; each refund has its own id when the core gives one.
    refund_ref = payload.get("refund_id") or payload["purchase_id"]
    amount = payload.get("amount_minor")
    occurred = payload.get("occurred_at")
    return ProgressEvent(
        event_id=f"purchase.refunded:{refund_ref}",
        type=EventType.REFUND,
        subject_id=str(payload["purchase_id"]),
        occurred_at=_as_datetime(occurred) if occurred else None,
        amount_minor=None if amount is None else int(amount),
    )


def quiz_completed(attempt_id: str, occurred_at: datetime) -> ProgressEvent:
    return ProgressEvent(
        event_id=f"quiz.completed:{attempt_id}",
        type=EventType.QUIZ_COMPLETED,
        subject_id=attempt_id,
        occurred_at=occurred_at,
    )


def _as_datetime(value: datetime | str) -> datetime:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return at
