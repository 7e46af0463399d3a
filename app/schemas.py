"""Schema pieces shared by the domains' schemas."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from app.extensions import db
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


class PublicId(fields.Str):
    """A reference to another row by its public id: loaded as sent (the handler resolves it),
    dumped from the row's foreign key as the referenced row's public id."""

    def __init__(self, model: type, **kwargs: Any) -> None:
        self.model = model
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if isinstance(value, int):
            value = db.session.get(self.model, value).public_id
        return super()._serialize(value, attr, obj, **kwargs)


def computed(function: Callable[[Any], Any], openapi_type: str, **kwargs: Any) -> fields.Function:
    """A dump-only value worked out from the object, with its type in the document."""
    metadata = {"type": openapi_type, **kwargs.pop("metadata", {})}
    return fields.Function(function, dump_only=True, metadata=metadata, **kwargs)


class Augmented:
    """An object as a schema dumps it, with a few values that are not its attributes (the
    member's balance after a redemption, a key shown once): `Augmented(key, key=raw)`."""

    def __init__(self, obj: Any, **values: Any) -> None:
        self._obj = obj
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


class BalanceSchema(Schema):
    """A member's balance after a write, dumped from the member: what a till shows."""

    available = fields.Int(attribute="points_available", required=True)
    pending = fields.Int(attribute="points_pending", required=True)


def money(function: Callable[[Any], int], **kwargs: Any) -> fields.Function:
    """An amount kept in minor units, sent as a decimal string ("42.50")."""
    return computed(
        lambda obj: from_minor(function(obj)), "string", metadata={"format": "decimal"}, **kwargs
    )


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
