from marshmallow import fields, validate

from app.auth.models import ROLES
from app.schemas import LANGUAGES, CursorArgs, StrictSchema


def password_field(**kwargs) -> fields.Str:
    """A new password: the same rule everywhere one is chosen (sign-up, change, reset, staff)."""
    return fields.Str(
        required=True, load_only=True, validate=validate.Length(min=10, max=200), **kwargs
    )


class SignupSchema(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = password_field()
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    language = fields.Str(required=True, validate=validate.OneOf(LANGUAGES))
    timezone = fields.Str(load_default="UTC", validate=validate.Length(max=64))
    marketing_consent = fields.Bool(
        load_default=False, metadata={"description": "Consent to campaign pushes."}
    )
    email_consent = fields.Bool(
        load_default=False, metadata={"description": "Consent to marketing by email."}
    )
    terms_version = fields.Str(
        load_default=None,
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "The version of the terms the member was shown; when given it must "
            "be the current one (409 consent_version_outdated)."
        },
    )
    referral_code = fields.Str(
        load_default=None,
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "A member's or a partner's code. Spaces, hyphens and case do not "
            "matter (` anna-10 ` is `ANNA10`). An unknown, expired or used-up code is a 422 "
            "`referral_code_invalid` (`details.reason`), and one's own code (the same email "
            "with dots or a `+tag`) a 422 `self_referral`; either way nothing is created."
        },
    )


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
    password = password_field()
    store_id = fields.Str(required=True)


class PasswordChangeSchema(StrictSchema):
    current_password = fields.Str(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )
    new_password = password_field()


class PasswordResetRequestSchema(StrictSchema):
    email = fields.Str(required=True, validate=validate.Length(min=1, max=254))


class PasswordResetConfirmSchema(StrictSchema):
    token = fields.Str(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    new_password = password_field()


class PasswordResetAcceptedSchema(StrictSchema):
    message = fields.Str()


class UserSchema(StrictSchema):
    id = fields.Str(attribute="public_id")
    email = fields.Str()
    role = fields.Str()
    store_id = fields.Function(lambda user: user.store.public_id if user.store else None)
    active = fields.Bool()
    created_at = fields.DateTime()


class UserListArgs(CursorArgs):
    role = fields.Str(load_default=None, validate=validate.OneOf(ROLES))
    email = fields.Str(load_default=None, validate=validate.Length(max=254))


class UsersPageSchema(StrictSchema):
    users = fields.List(fields.Nested(UserSchema))
    next_cursor = fields.Str(allow_none=True)
