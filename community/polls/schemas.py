"""What goes in and out over HTTP for product votes."""

from __future__ import annotations

from marshmallow import fields, validate

from app.schemas import StrictSchema, localized_texts
from community.polls.models import VISIBILITY
from community.schemas import EligibilitySchema, WindowSchema


class CandidateAdminSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    name = localized_texts(max_length=120)
    description = localized_texts(required=False, max_length=1000)
    image_url = fields.Url(allow_none=True, schemes={"https"}, validate=validate.Length(max=500))


class PollAdminSchema(WindowSchema, EligibilitySchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    title = localized_texts(max_length=120)
    description = localized_texts(required=False, max_length=1000)
    votes_per_member = fields.Int(strict=True, validate=validate.Range(min=1, max=20))
    results_visibility = fields.Str(
        validate=validate.OneOf(VISIBILITY),
        metadata={"description": "`live`: members see the counts while it runs."},
    )
    candidates = fields.List(
        fields.Nested(CandidateAdminSchema), required=True, validate=validate.Length(min=2, max=50)
    )
    status = fields.Str(dump_only=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)
    winner_id = fields.Str(dump_only=True, allow_none=True)


class MemberCandidateSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    name = fields.Str(required=True)
    description = fields.Str(required=True)
    image_url = fields.Str(allow_none=True, required=True)
    votes = fields.Int(
        allow_none=True, required=True, metadata={"description": "Null while results are hidden."}
    )


class MemberPollSchema(StrictSchema):
    """A poll as the member sees it, in the member's language."""

    id = fields.Str(attribute="public_id", required=True)
    title = fields.Str(required=True)
    description = fields.Str(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    status = fields.Str(required=True)
    votes_per_member = fields.Int(required=True)
    my_votes = fields.List(fields.Str(), required=True, metadata={"description": "Candidate ids."})
    results_visible = fields.Bool(required=True)
    winner_id = fields.Str(allow_none=True, required=True)
    for_you = fields.Bool(
        required=True, metadata={"description": "Matches the member's interests."}
    )
    candidates = fields.List(fields.Nested(MemberCandidateSchema), required=True)


class VoteCreateSchema(StrictSchema):
    candidate_id = fields.Str(required=True, validate=validate.Length(min=1, max=32))


class VoteSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    poll_id = fields.Str(required=True)
    candidate_id = fields.Str(required=True)
    votes_left = fields.Int(required=True)
    created_at = fields.DateTime(required=True)


class CandidateResultSchema(StrictSchema):
    id = fields.Str(required=True)
    name = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)
    votes = fields.Int(required=True)


class PollResultsSchema(StrictSchema):
    poll_id = fields.Str(required=True)
    status = fields.Str(required=True)
    voters = fields.Int(required=True)
    votes = fields.Int(required=True)
    winner_id = fields.Str(allow_none=True, required=True)
    candidates = fields.List(fields.Nested(CandidateResultSchema), required=True)
