"""Every games table in one import (the app, the migrations' check and the test schema load
them all)."""

from __future__ import annotations

from challenges.badges.models import Badge, MemberBadge
from challenges.contests.models import Contest, ContestEntry, ContestPrize, ContestStanding
from challenges.missions.models import (
    Challenge,
    ChallengeCompletion,
    ChallengeParticipant,
    ChallengeProgress,
)
from challenges.quizzes.models import Quiz, QuizAttempt, QuizOption, QuizQuestion

__all__ = [
    "Badge",
    "Challenge",
    "ChallengeCompletion",
    "ChallengeParticipant",
    "ChallengeProgress",
    "Contest",
    "ContestEntry",
    "ContestPrize",
    "ContestStanding",
    "MemberBadge",
    "Quiz",
    "QuizAttempt",
    "QuizOption",
    "QuizQuestion",
]
