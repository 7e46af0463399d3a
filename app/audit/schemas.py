from marshmallow import fields, validate

from app.schemas import CursorArgs, StrictSchema


class AuditEventSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    actor_id = fields.Str(
        required=True, metadata={"description": "The user's public id, or `system`."}
    )
    actor_role = fields.Str(required=True)
    action = fields.Str(required=True, metadata={"description": "e.g. `tier.update`."})
    target_type = fields.Str(required=True)
    target_id = fields.Str(required=True)
    client_addr = fields.Str(
        required=True,
        allow_none=True,
        metadata={"description": "The client's address as seen through TRUSTED_PROXIES."},
    )
    request_id = fields.Str(required=True, allow_none=True)
    before = fields.Dict(required=True, allow_none=True)
    after = fields.Dict(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class AuditPageSchema(StrictSchema):
    events = fields.List(fields.Nested(AuditEventSchema), required=True)
    next_cursor = fields.Str(required=True, allow_none=True)


class AuditArgs(CursorArgs):
    actor = fields.Str(
        load_default=None,
        validate=validate.Length(max=40),
        metadata={"description": "A user's public id, or `system`."},
    )
    action = fields.Str(
        load_default=None,
        validate=validate.Length(max=60),
        metadata={"description": "An action, or a prefix ending in `.` (`tier.`)."},
    )
    target_type = fields.Str(load_default=None, validate=validate.Length(max=30))
    target_id = fields.Str(load_default=None, validate=validate.Length(max=64))
    # "from" is a Python keyword: the query parameter keeps its name through data_key.
    since = fields.AwareDateTime(data_key="from", load_default=None)
    until = fields.AwareDateTime(data_key="to", load_default=None)
