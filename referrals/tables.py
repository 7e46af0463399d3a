"""Every table of the referrals package, in one import: what the app, the migration check and
the test schema need loaded before ``create_all``."""

from __future__ import annotations

from referrals.codes.models import EmailKey, ReferralCode
from referrals.partners.models import Partner
from referrals.program.models import ReferralSettings
from referrals.referrals.models import Commission, Referral

__all__ = ["Commission", "EmailKey", "Partner", "Referral", "ReferralCode", "ReferralSettings"]
