"""Every table of the package in one import (metadata, migrations, the tests' schema)."""

from community.events.models import Event, Rsvp
from community.interests.models import ContactPreference, Interest, MemberInterest
from community.polls.models import Poll, PollCandidate, PollVote
from community.surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)

__all__ = [
    "ContactPreference",
    "Event",
    "Interest",
    "MemberInterest",
    "Poll",
    "PollCandidate",
    "PollVote",
    "Rsvp",
    "Survey",
    "SurveyAnswer",
    "SurveyInvitation",
    "SurveyQuestion",
    "SurveyResponse",
]
