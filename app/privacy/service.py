"""What the export and erasure endpoints call: the member's own, or one an operator names."""

from __future__ import annotations

from flask import Response, current_app, stream_with_context

from app import audit
from app.auth.models import User
from app.auth.passwords import verify_password
from app.auth.service import WRONG_PASSWORD
from app.extensions import db
from app.members.models import Member
from app.privacy import export
from app.privacy.erasure import request_erasure
from app.privacy.models import Erasure


def export_response(member: Member) -> Response:
    """The document streamed as it is read; the request's context (and its database session)
    lives until the last chunk is sent."""
    body = stream_with_context(export.write(member, export.export_parts(current_app)))
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="member-export-{member.public_id}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def operator_export(member: Member) -> Response:
    """An operator reads everything held about a member: that is recorded first."""
    audit.record("member.export", member, before=None, after=None)
    db.session.commit()
    return export_response(member)


def erase_self(member: Member, user: User, password: str) -> Erasure:
    if not verify_password(password, user.password_hash):
        raise WRONG_PASSWORD
    return request_erasure(member, user)


def erase_by_operator(member: Member, operator: User) -> Erasure:
    return request_erasure(member, operator)
