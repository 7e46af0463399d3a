"""Whether a survey's answers fit its questions: each kind takes its own value, a required
question must be answered, nothing else may be.

Questions and answers come in as plain values, so the rules are tested without a database:
a question is (public id, kind, required, option codes); an answer is a dict with
`question_id` and one of `score`, `choice`, `choices`, `text`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

KINDS = ("nps", "rating", "single", "multiple", "text")
SCORE_RANGES = {"nps": (0, 10), "rating": (1, 5)}
VALUE_OF = {"nps": "score", "rating": "score", "single": "choice", "multiple": "choices"}
VALUE_OF["text"] = "text"
VALUES = ("score", "choice", "choices", "text")
TEXT_MAX = 2000


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    required: bool
    options: Sequence[str] = ()


@dataclass(frozen=True)
class Answer:
    """One question's answer, checked: a score, the chosen option codes, or a text."""

    question_id: str
    score: int | None = None
    choices: tuple[str, ...] = ()
    text: str | None = None


@dataclass
class AnswerProblems(Exception):
    """What does not fit, by question id (`_` for the answers as a whole)."""

    problems: dict[str, str] = field(default_factory=dict)


def _check(question: Question, given: dict) -> Answer | str:
    wanted = VALUE_OF[question.kind]
    others = [v for v in VALUES if v != wanted and given.get(v) is not None]
    if others:
        return f"A {question.kind} question takes `{wanted}`, not `{others[0]}`."
    value = given.get(wanted)
    if value is None:
        return f"A {question.kind} question takes `{wanted}`."
    if question.kind in SCORE_RANGES:
        low, high = SCORE_RANGES[question.kind]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"The score is a whole number from {low} to {high}."
        return Answer(question.id, score=value)
    if question.kind == "single":
        if value not in question.options:
            return f"The choice is one of {', '.join(question.options)}."
        return Answer(question.id, choices=(value,))
    if question.kind == "multiple":
        if not value or len(set(value)) != len(value):
            return "Choose at least one option, each once."
        unknown = [v for v in value if v not in question.options]
        if unknown:
            return f"Unknown options: {', '.join(unknown)}."
        return Answer(question.id, choices=tuple(value))
    text = value.strip()
    if not text or len(text) > TEXT_MAX:
        return f"The text is 1 to {TEXT_MAX} characters."
    return Answer(question.id, text=text)


def check_answers(questions: Iterable[Question], given: Sequence[dict]) -> list[Answer]:
    """The answers in question order; AnswerProblems naming each one that does not fit."""
    by_id = {q.id: q for q in questions}
    problems: dict[str, str] = {}
    seen: dict[str, dict] = {}
    for item in given:
        qid = item.get("question_id")
        if qid not in by_id:
            problems[str(qid)] = "No such question in this survey."
        elif qid in seen:
            problems[qid] = "Answered twice."
        else:
            seen[qid] = item
    checked: list[Answer] = []
    for qid, question in by_id.items():
        if qid not in seen:
            if question.required:
                problems[qid] = "This question must be answered."
            continue
        result = _check(question, seen[qid])
        if isinstance(result, str):
            problems[qid] = result
        else:
            checked.append(result)
    if problems:
        raise AnswerProblems(problems)
    return checked
