from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required
from app.consents import service
from app.consents.schemas import ConsentsSchema, ConsentsUpdateSchema
from app.openapi import errors
from app.schemas import Augmented

blp = Blueprint("consents", __name__, url_prefix="/api/v1", description="The member's consents")


def _answer(member, states) -> Augmented:
    return Augmented(member, consents=states, history=service.history(member.id))


@blp.route("/me/consents", methods=["GET"])
@member_required
@blp.response(200, ConsentsSchema)
def my_consents():
    """Each purpose's current answer, and the record of answers (newest first)."""
    member = current_member()
    return _answer(member, service.current(member.id))


@blp.route("/me/consents", methods=["PUT"])
@member_required
@blp.arguments(ConsentsUpdateSchema)
@errors(409, "consent_required", "consent_version_outdated")
@blp.response(200, ConsentsSchema)
def put_consents(data):
    """Give or withdraw consents. Each answer that changes the current state is recorded (with
    the text version and the channel); the same answer again records nothing."""
    member = current_member()
    return _answer(member, service.change(member, data["consents"], data["channel"]))
