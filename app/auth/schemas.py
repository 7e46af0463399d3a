from marshmallow import fields, validate

from app.schemas import LANGUAGES, StrictSchema


class SignupSchema(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.Str(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    language = fields.Str(required=True, validate=validate.OneOf(LANGUAGES))
    timezone = fields.Str(load_default="UTC", validate=validate.Length(max=64))
    marketing_consent = fields.Bool(load_default=False)


class LoginSchema(StrictSchema):
    email = fields.Str(required=True, validate=validate.Length(max=254))
    password = fields.Str(required=True, load_only=True, validate=validate.Length(max=200))


class TokensSchema(StrictSchema):
    access_token = fields.Str()
    refresh_token = fields.Str()
    role = fields.Str()


class ApiKeyCreateSchema(StrictSchema):
    store_id = fields.Str(required=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))


class ApiKeySchema(StrictSchema):
    id = fields.Str(attribute="public_id")
    name = fields.Str()
    prefix = fields.Str()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    key = fields.Str(metadata={"description": "Shown once, at creation."})


class StaffCreateSchema(StrictSchema):
    email = fields.Email(required=True)
    password = fields.Str(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    store_id = fields.Str(required=True)
