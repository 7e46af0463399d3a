"""The referral package's background job: referrals whose hold has passed become rewarded."""

from __future__ import annotations

from app.extensions import celery
from referrals.referrals import service

SETTLE_TASK = "referrals.settle_due"
SETTLE_EVERY_SECONDS = 900.0


@celery.task(name=SETTLE_TASK, ignore_result=True)
def settle_due() -> int:
    return service.settle_due()
