"""Members' data: the export of everything held about a member, and erasure.

Both are registries that the core and the feature packages add their parts to, from their
`init_app` (the core never knows the features):

- `export.register_export_part(app, name, schema, read, many=True)`: a section of the export
  document, each object dumped through `schema`; the document's OpenAPI schema names every
  registered section.
- `erasure.register_erasure_part(app, name, run)`: a step of an erasure, run once per member in
  its own transaction by the outbox job `privacy.erase`, so a crash half-way is finished by the
  next run.

`core_parts` holds the core's own parts; `init_app` registers them before the features'.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.privacy import core_parts

    core_parts.register(app)
