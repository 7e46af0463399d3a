"""Rules about stores that every store-acting path shares."""

from __future__ import annotations

from app.errors import ApiError
from app.stores.models import Store


def ensure_store_active(store: Store) -> None:
    """A closed store books nothing: no purchase, refund, code confirmation or offer redemption."""
    if not store.active:
        raise ApiError(409, "store_inactive", "This store is not active.")
