"""Schema pieces shared by the domains' schemas."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

from app.i18n import LANGUAGES

MAX_AMOUNT = Decimal("100000.00")


class StrictSchema(Schema):
    """Unknown fields are an error: a typo must not be silently ignored."""


def money_amount(**kwargs) -> fields.Decimal:
    def two_places(value: Decimal) -> None:
        if value.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValidationError("At most two decimal places.")

    return fields.Decimal(
        validate=[validate.Range(min=Decimal("0.01"), max=MAX_AMOUNT), two_places],
        as_string=True,
        allow_nan=False,
        **kwargs,
    )


def to_minor(amount: Decimal) -> int:
    return int(amount * 100)


def from_minor(minor: int) -> str:
    return f"{Decimal(minor) / 100:.2f}"


class CursorArgs(Schema):
    cursor = fields.Str(load_default=None)
    limit = fields.Int(load_default=20, validate=validate.Range(min=1, max=100))


def localized_texts(required: bool = True, max_length: int = 500, **kwargs) -> fields.Dict:
    """{"en": "...", "fi": "..."}: the program's languages only, at least one text when required."""
    return fields.Dict(
        keys=fields.Str(validate=validate.OneOf(LANGUAGES)),
        values=fields.Str(validate=validate.Length(min=1, max=max_length)),
        required=required,
        validate=validate.Length(min=1) if required else None,
        **kwargs,
    )
