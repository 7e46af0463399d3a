from marshmallow import fields

from app.schemas import StrictSchema


class LedgerProblemSchema(StrictSchema):
    check = fields.Str(metadata={"description": "The rule broken, e.g. purchase_refunds."})
    subject = fields.Str(metadata={"description": "What breaks it: a member, purchase, reward..."})
    details = fields.Dict(metadata={"description": "The figures that disagree."})


class LedgerCheckSchema(StrictSchema):
    healthy = fields.Bool()
    checks = fields.List(fields.Str(), metadata={"description": "The rules that were checked."})
    problems = fields.List(fields.Nested(LedgerProblemSchema))
