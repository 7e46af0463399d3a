"""A report's rows as CSV (`?format=csv`), dumped by the rows' own schema first so that the
values are the JSON answer's."""

from __future__ import annotations

import csv
import io

from flask import Response
from marshmallow import Schema

# The OpenAPI description of a report's CSV answer, beside its JSON one.
CSV_RESPONSE = {
    "responses": {
        200: {
            "content": {
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "The report's rows, one per line, under a header.",
                    }
                }
            }
        }
    }
}


def csv_response(rows: list, schema: type[Schema], name: str) -> Response:
    fields = [f.data_key or key for key, f in schema._declared_fields.items()]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in schema(many=True).dump(rows):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
