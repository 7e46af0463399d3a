"""Every table of the push package, in one import: what the app, the migration check and the
test schema need loaded before ``create_all`` (the deliveries' foreign keys name the others)."""

from __future__ import annotations

from notifications.campaigns.models import Campaign
from notifications.delivery.models import Delivery
from notifications.devices.models import Device
from notifications.transactional.models import NotificationPreference

__all__ = ["Campaign", "Delivery", "Device", "NotificationPreference"]
