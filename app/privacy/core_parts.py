"""The core's parts of the export and of erasure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask
from sqlalchemy import delete, func, select

from app.auth.models import AuthSession, PasswordResetToken, User
from app.auth.reset import TOPIC as RESET_TOPIC
from app.auth.sessions import revoke_all
from app.consents import service as consents
from app.consents.schemas import ConsentRecordSchema, ConsentStateSchema
from app.extensions import db
from app.holdout.models import HoldoutAssignment
from app.ledger.models import LedgerEntry
from app.ledger.service import forfeit_all
from app.mail import TOPIC as MAIL_TOPIC
from app.members.models import Member
from app.offers.models import OfferClaim
from app.outbox import OutboxJob, RetryLater
from app.privacy.erasure import ErasurePart
from app.privacy.export import register_export_part
from app.privacy.models import Erasure
from app.privacy.schemas import (
    CardExportSchema,
    HoldoutGroupExportSchema,
    LedgerEntryExportSchema,
    OfferClaimExportSchema,
    ProfileExportSchema,
    PurchaseExportSchema,
    RedemptionExportSchema,
    RefundExportSchema,
    SessionExportSchema,
)
from app.purchases.models import Purchase, Refund
from app.rewards.models import Redemption

# Rows are read from the database this many at a time.
YIELD_PER = 500

ERASED_NAME = "Erased member"
# Not an email address: no sign-up can ever take it, no mail can reach it, and the argon2
# check refuses the password hash beside it (it is not a hash at all).
ERASED_PASSWORD_HASH = "!erased"


def erased_email(user: User) -> str:
    return f"erased:{user.public_id}"


def _stream(stmt) -> Iterator[Any]:
    return iter(db.session.scalars(stmt.execution_options(yield_per=YIELD_PER)))


def _ledger(member: Member) -> Iterator[LedgerEntry]:
    return _stream(
        select(LedgerEntry).where(LedgerEntry.member_id == member.id).order_by(LedgerEntry.id)
    )


def _purchases(member: Member) -> Iterator[Purchase]:
    return _stream(select(Purchase).where(Purchase.member_id == member.id).order_by(Purchase.id))


def _refunds(member: Member) -> Iterator[Refund]:
    return _stream(
        select(Refund)
        .join(Purchase, Purchase.id == Refund.purchase_id)
        .where(Purchase.member_id == member.id)
        .order_by(Refund.id)
    )


def _redemptions(member: Member) -> Iterator[Redemption]:
    return _stream(
        select(Redemption).where(Redemption.member_id == member.id).order_by(Redemption.id)
    )


def _claims(member: Member) -> Iterator[OfferClaim]:
    return _stream(
        select(OfferClaim).where(OfferClaim.member_id == member.id).order_by(OfferClaim.id)
    )


def _holdout_groups(member: Member) -> Iterator[HoldoutAssignment]:
    return _stream(
        select(HoldoutAssignment)
        .where(HoldoutAssignment.member_id == member.id)
        .order_by(HoldoutAssignment.assigned_at, HoldoutAssignment.subject_kind)
    )


def _sessions(member: Member) -> Iterator[AuthSession]:
    return _stream(
        select(AuthSession).where(AuthSession.user_id == member.user_id).order_by(AuthSession.id)
    )


def _register_export(app: Flask) -> None:
    parts = (
        ("profile", ProfileExportSchema, lambda m: m, False, "Who the member is."),
        ("card", CardExportSchema, lambda m: m, False, "The card, its tier and balances."),
        (
            "consents",
            ConsentStateSchema,
            lambda m: consents.current(m.id),
            True,
            "Each purpose's current answer.",
        ),
        (
            "consent_history",
            ConsentRecordSchema,
            lambda m: consents.all_records(m.id),
            True,
            "Every answer recorded, oldest first.",
        ),
        ("ledger", LedgerEntryExportSchema, _ledger, True, "Every points entry, oldest first."),
        ("purchases", PurchaseExportSchema, _purchases, True, "Every purchase recorded."),
        ("refunds", RefundExportSchema, _refunds, True, "Refunds of those purchases."),
        ("redemptions", RedemptionExportSchema, _redemptions, True, "Rewards redeemed or won."),
        ("offer_claims", OfferClaimExportSchema, _claims, True, "Offers claimed."),
        (
            "holdout_groups",
            HoldoutGroupExportSchema,
            _holdout_groups,
            True,
            "The groups drawn for measuring campaigns and offers: held out or treated.",
        ),
        ("sessions", SessionExportSchema, _sessions, True, "Logins, without their secrets."),
    )
    for name, schema, read, many, description in parts:
        register_export_part(app, name, schema, read, many=many, description=description)


# Erasure steps. Each runs with the member's row locked, in a transaction the runner commits.


def _forfeit(member: Member, record: Erasure) -> None:
    record.points_forfeited = forfeit_all(
        member.id, "Membership erased", "erasure", record.public_id
    )


def _mail(member: Member, record: Erasure) -> None:
    """Mail waiting in the outbox (or sent and kept) for the member's address goes: its payload
    holds the address. A job being sent right now is waited for."""
    email = db.session.get(User, member.user_id).email
    holds_address = (
        (OutboxJob.topic == RESET_TOPIC) & (OutboxJob.payload["email"].as_string() == email)
    ) | ((OutboxJob.topic == MAIL_TOPIC) & (OutboxJob.payload["to"].as_string() == email))
    running = db.session.scalar(
        select(func.count()).where(holds_address, OutboxJob.status == "running")
    )
    if running:
        raise RetryLater(60, "a mail to the member is being sent")
    db.session.execute(
        delete(OutboxJob)
        .where(holds_address, OutboxJob.status.in_(("pending", "done", "failed")))
        .execution_options(synchronize_session=False)
    )


def _sessions_step(member: Member, record: Erasure) -> None:
    revoke_all(member.user_id, "erased")
    db.session.execute(
        delete(PasswordResetToken)
        .where(PasswordResetToken.user_id == member.user_id)
        .execution_options(synchronize_session=False)
    )


def _consents(member: Member, record: Erasure) -> None:
    consents.withdraw_marketing(member.id, "erasure")


def _profile(member: Member, record: Erasure) -> None:
    """Last: the name and the login are replaced; the member row stays, pseudonymous, with its
    card, tier and history, so that the accounts (purchases, points) still add up."""
    user = db.session.get(User, member.user_id)
    user.email = erased_email(user)
    user.password_hash = ERASED_PASSWORD_HASH
    user.active = False
    member.name = ERASED_NAME
    member.timezone = "UTC"


ERASE_FIRST = [ErasurePart("points", _forfeit)]
ERASE_LAST = [
    ErasurePart("mail", _mail),
    ErasurePart("sessions", _sessions_step),
    ErasurePart("consents", _consents),
    ErasurePart("profile", _profile),
]


def register(app: Flask) -> None:
    _register_export(app)
