"""Apple passes: the member's pass, its update tags, its authentication, its signed file.

The only code that writes `apple_passes` and the update counter. Devices' registrations are in
registrations.py, Wallet's log in wallet_log.py; HTTP handlers (api.py, web_service.py) and the
APNs job (tasks.py) call them.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError
from app.extensions import db
from app.members.models import Member
from app.models_base import utcnow
from passes.apple.models import ApplePass, PassUpdateCounter
from passes.apple.tags import next_modified
from passes.apple.tokens import new_authentication_token, tokens_match
from passes.cards.service import member_card, program_info
from passes.state import PassesState, current_state

AUTH_SCHEME = "ApplePass "
# Compared against when the serial is unknown, so that an unknown serial costs the same.
_NO_TOKEN = new_authentication_token()


# -- update tags ------------------------------------------------------------------------------


def next_update_tag() -> int:
    """The next tag; holds the counter's row lock until the caller's transaction ends."""
    bump = (
        update(PassUpdateCounter)
        .where(PassUpdateCounter.id == 1)
        .values(value=PassUpdateCounter.value + 1)
        .returning(PassUpdateCounter.value)
        .execution_options(synchronize_session=False)
    )
    value = db.session.execute(bump).scalar()
    if value is None:
        _create_counter()
        value = db.session.execute(bump).scalar_one()
    return int(value)


def _create_counter() -> None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(PassUpdateCounter)
        .values(id=1, value=0)
        .on_conflict_do_nothing(index_elements=["id"])
    )


def mark_updated(pass_: ApplePass) -> None:
    """Give the pass a new tag and Last-Modified; the caller commits (and so frees the counter)."""
    tag = next_update_tag()
    if inspect(pass_).persistent:
        # Re-read under the counter's lock: a concurrent bump of this pass has committed.
        db.session.refresh(pass_)
    pass_.update_tag = tag
    pass_.updated_at = next_modified(pass_.updated_at, utcnow())


# -- Apple passes -----------------------------------------------------------------------------


def apple_pass_for(member: Member) -> ApplePass:
    """The member's pass, made on first request. Commits."""
    found = db.session.scalar(select(ApplePass).where(ApplePass.member_id == member.id))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            created = ApplePass(
                member_id=member.id,
                authentication_token=new_authentication_token(),
                update_tag=0,
            )
            db.session.add(created)
            mark_updated(created)
        db.session.commit()
        return created
    except IntegrityError:
        db.session.rollback()  # another request made it first
        return db.session.scalars(select(ApplePass).where(ApplePass.member_id == member.id)).one()


def build_apple_pass(state: PassesState, pass_: ApplePass, member: Member) -> bytes:
    if state.signer is None:
        raise ApiError(503, "apple_pass_unavailable", "Apple passes cannot be signed right now.")
    program = program_info(state.settings, tuple(current_app.config["SUPPORTED_LANGUAGES"]))
    card = member_card(member, pass_.serial_number, pass_.authentication_token)
    return state.builder(program).build(card)


def _unauthorized() -> ApiError:
    # One answer for a wrong token, an unknown serial and a foreign pass type alike.
    return ApiError(401, "unauthorized", "Authorization needed.")


def authenticate(pass_type: str, serial: str, authorization: str | None) -> ApplePass:
    """The pass that URL names, if the header carries its very token; 401 otherwise."""
    state = current_state()
    presented = None
    if authorization and authorization.startswith(AUTH_SCHEME):
        presented = authorization[len(AUTH_SCHEME) :].strip()
    found = None
    if state is not None and pass_type == state.settings.pass_type_identifier:
        found = db.session.scalar(select(ApplePass).where(ApplePass.serial_number == serial))
    expected = found.authentication_token if found is not None else _NO_TOKEN
    if not tokens_match(presented, expected) or found is None:
        raise _unauthorized()
    return found
