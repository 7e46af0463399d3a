"""Password reset by a mailed one-time token.

The request does the same work whatever the email (one outbox job, written and committed), so
neither its answer nor its time says whether an account exists; the job looks the account up.
The token is made when the mail is sent and only its SHA-256 is stored: no plain token is ever
in the database, the outbox included. Confirming is a conditional update (`used_at IS NULL`,
not expired), so a token works once, however many confirmations race.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from app.auth.models import PasswordResetToken, User
from app.auth.passwords import hash_password
from app.auth.sessions import revoke_all
from app.errors import ApiError
from app.extensions import db
from app.i18n import pick
from app.mail import Mail, deliver
from app.members.models import Member
from app.models_base import utcnow
from app.outbox import enqueue, handler
from app.program.service import get_program

TOPIC = "auth.password_reset"

SUBJECTS = {
    "en": "Reset your password",
    "fi": "Vaihda salasanasi",
    "pl": "Zresetuj hasło",
    "tl": "I-reset ang iyong password",
}
BODIES = {
    "en": (
        "Someone asked to reset the password of your {program} account. To choose a new "
        "password, open this link within {minutes} minutes:\n\n{link}\n\n"
        "If it was not you, ignore this mail: your password stays as it is."
    ),
    "fi": (
        "Saimme pyynnön vaihtaa {program}-tilisi salasanan. Valitse uusi salasana avaamalla "
        "tämä linkki {minutes} minuutin kuluessa:\n\n{link}\n\n"
        "Jos et pyytänyt vaihtoa, voit jättää tämän viestin huomiotta: salasanasi pysyy ennallaan."
    ),
    "pl": (
        "Otrzymaliśmy prośbę o zresetowanie hasła do Twojego konta {program}. Aby ustawić nowe "
        "hasło, otwórz ten link w ciągu {minutes} minut:\n\n{link}\n\n"
        "Jeśli to nie Ty, zignoruj tę wiadomość: Twoje hasło pozostanie bez zmian."
    ),
    "tl": (
        "May humiling na i-reset ang password ng iyong {program} account. Para pumili ng bagong "
        "password, buksan ang link na ito sa loob ng {minutes} minuto:\n\n{link}\n\n"
        "Kung hindi ikaw ito, huwag pansinin ang email na ito: hindi magbabago ang iyong password."
    ),
}

INVALID_TOKEN = ApiError(
    400, "reset_token_invalid", "This reset link is not valid or has expired; ask for a new one."
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str) -> None:
    """Queue the reset mail; the same work and answer whether or not the account exists."""
    enqueue(TOPIC, {"email": email.strip().lower()})
    db.session.commit()


def reset_mail(user: User, token: str, language: str) -> Mail:
    program = get_program()
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    link = current_app.config["PASSWORD_RESET_URL"].format(token=token)
    text = pick(BODIES, language, program.default_language)
    return Mail(
        to=user.email,
        subject=pick(SUBJECTS, language, program.default_language),
        text=text.format(program=program.name, minutes=minutes, link=link),
        language=language if language in BODIES else "en",
    )


@handler(TOPIC)
def _send_reset(payload: dict[str, Any]) -> None:
    row = db.session.execute(
        select(User, Member.language, Member.ended_at)
        .outerjoin(Member, Member.user_id == User.id)
        .where(User.email == payload["email"])
    ).first()
    # No mail for an unknown address, a deactivated login or an ended membership: none of them
    # could log in with a new password.
    if row is None or not row.User.active or row.ended_at is not None:
        return
    user = row.User
    token = secrets.token_urlsafe(32)
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_digest(token),
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    # Committed before sending: a mail must never carry a token the database does not know.
    # If sending fails, the job's retry mails a new token; this one was never seen by anyone.
    db.session.commit()
    deliver(reset_mail(user, token, row.language or get_program().default_language))


def confirm_reset(token: str, new_password: str) -> None:
    now = utcnow()
    found = db.session.execute(
        select(PasswordResetToken.id, PasswordResetToken.user_id).where(
            PasswordResetToken.token_hash == _digest(token)
        )
    ).first()
    if found is None:
        raise INVALID_TOKEN
    # Hashed before the claim, so that the token's row is not held locked during argon2.
    new_hash = hash_password(new_password)
    # Only one confirmation can flip used_at: racing ones see rowcount 0.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.id == found.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise INVALID_TOKEN
    user = db.session.get(User, found.user_id)
    ended = db.session.scalar(select(Member.ended_at).where(Member.user_id == user.id))
    if not user.active or ended is not None:
        db.session.rollback()
        raise INVALID_TOKEN
    user.password_hash = new_hash
    retire_tokens(user.id)
    # Whoever knew the old password is logged out everywhere.
    revoke_all(user.id, "password_reset")
    db.session.commit()


def retire_tokens(user_id: int) -> None:
    """Every outstanding reset of the user stops working (no commit)."""
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
