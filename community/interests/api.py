"""Interests: the admins' catalog, the member's choice."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.auth.guards import admin_required, current_member, member_required
from app.extensions import db
from app.i18n import pick
from app.openapi import errors
from app.program.service import get_program
from app.schemas import Augmented
from community.interests import service
from community.interests.models import Interest
from community.interests.schemas import InterestAdminSchema, MyInterestsSchema
from community.privacy import audit_change

blp = Blueprint("community_interests", __name__, url_prefix="/api/v1", description="Interests")


@blp.route("/admin/interests", methods=["GET"])
@admin_required
@blp.response(200, InterestAdminSchema(many=True))
def admin_catalog():
    return service.catalog(include_inactive=True)


@blp.route("/admin/interests", methods=["POST"])
@admin_required
@errors(409, "interest_code_taken")
@blp.arguments(InterestAdminSchema)
@blp.response(201, InterestAdminSchema)
def create(data):
    interest = service.save_interest(Interest(), data)
    audit_change("interest.create", interest, InterestAdminSchema, created=True)
    db.session.commit()
    return interest


@blp.route("/admin/interests/<interest_id>", methods=["PATCH"])
@admin_required
@errors(404, "interest_not_found")
@errors(409, "interest_code_taken")
@blp.arguments(InterestAdminSchema(partial=True))
@blp.response(200, InterestAdminSchema)
def patch(changes, interest_id):
    interest = service.get_interest(interest_id)
    audit_change("interest.update", interest, InterestAdminSchema)
    service.save_interest(interest, changes)
    db.session.commit()
    return interest


def _mine(member) -> Augmented:
    default = get_program().default_language
    codes = service.member_codes(member.id)
    catalog = [
        Augmented(
            i,
            name=pick(i.name, member.language, default),
            description=pick(i.description, member.language, default),
            chosen=i.code in codes,
        )
        for i in service.catalog()
    ]
    return Augmented(
        member, interests=codes, communication=service.member_contact(member.id), catalog=catalog
    )


@blp.route("/me/interests", methods=["GET"])
@member_required
@blp.response(200, MyInterestsSchema)
def mine():
    """The member's interests and channels, and the catalog in the member's language."""
    return _mine(current_member())


@blp.route("/me/interests", methods=["PUT"])
@member_required
@errors(422, "unknown_interest")
@blp.arguments(MyInterestsSchema)
@blp.response(200, MyInterestsSchema)
def put_mine(data):
    """Replace the member's interests; `communication` says, per channel, which of them the
    member wants to hear about there."""
    member = current_member()
    service.set_member_interests(member, data["interests"], data.get("communication"))
    return _mine(member)
