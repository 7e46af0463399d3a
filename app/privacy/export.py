"""A member's data export: one JSON document, written section by section while it is read.

Each section is a registered part: a name, the marshmallow schema each of its objects is
dumped through, and a function that reads them for a member (an iterable for a list, one object
otherwise). The writer never holds more than one object of a part at a time: parts stream their
rows (`yield_per`) and the document goes out in chunks, so a long history is never built in
memory. `document_schema(app)` is the OpenAPI schema of the whole document, made from the same
registry, so what is streamed is what the document says.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from marshmallow import Schema, fields

from app.members.models import Member
from app.models_base import utcnow
from app.schemas import StrictSchema

FORMAT = "loyalty.member-export"
VERSION = 1
_EXTENSION = "privacy_export_parts"
# Pieces are joined up to about this many characters before they are sent.
CHUNK = 64 * 1024

Reader = Callable[[Member], Any]


@dataclass(frozen=True)
class ExportPart:
    name: str
    schema: type[Schema]
    read: Reader
    many: bool
    description: str


class ExportHeaderSchema(StrictSchema):
    format = fields.Str(required=True, metadata={"description": f"Always `{FORMAT}`."})
    version = fields.Int(required=True)
    generated_at = fields.DateTime(required=True)
    member_id = fields.Str(required=True)


@dataclass(frozen=True)
class _Header:
    format: str
    version: int
    generated_at: datetime
    member_id: str


def register_export_part(
    app: Flask,
    name: str,
    schema: type[Schema],
    read: Reader,
    *,
    many: bool = True,
    description: str = "",
) -> None:
    """Add a section to this app's export (from a package's init_app)."""
    parts = app.extensions.setdefault(_EXTENSION, {})
    if name in parts or name in ExportHeaderSchema._declared_fields:
        raise ValueError(f"export part {name!r} is already registered")
    parts[name] = ExportPart(name, schema, read, many, description)


def export_parts(app: Flask | None = None) -> list[ExportPart]:
    app = app or current_app
    return list(app.extensions.get(_EXTENSION, {}).values())


def document_schema(app: Flask) -> type[Schema]:
    """The export document: the header, then one required property per registered part."""
    declared: dict[str, fields.Field] = dict(ExportHeaderSchema._declared_fields)
    for part in export_parts(app):
        declared[part.name] = fields.Nested(
            part.schema, many=part.many, required=True, metadata={"description": part.description}
        )
    return StrictSchema.from_dict(declared, name="MemberExportSchema")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _pieces(member: Member, parts: Iterable[ExportPart]) -> Iterator[str]:
    header = ExportHeaderSchema().dump(_Header(FORMAT, VERSION, utcnow(), member.public_id))
    yield "{" + ",".join(f"{_json(k)}:{_json(v)}" for k, v in header.items())
    for part in parts:
        schema = part.schema()
        yield f",{_json(part.name)}:"
        if not part.many:
            yield _json(schema.dump(part.read(member)))
            continue
        yield "["
        separator = ""
        for row in part.read(member):
            yield separator + _json(schema.dump(row))
            separator = ","
        yield "]"
    yield "}"


def write(member: Member, parts: Iterable[ExportPart] | None = None) -> Iterator[str]:
    """The document as chunks of text, read lazily: nothing is queried until it is iterated."""
    parts = export_parts() if parts is None else parts
    buffer: list[str] = []
    size = 0
    for piece in _pieces(member, parts):
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)
