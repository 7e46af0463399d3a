"""Rules about stores that every store-acting path shares."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from app import settings_cache, transaction_memo
from app.errors import ApiError
from app.extensions import db
from app.stores.models import Region, Store

# A till's every request names its store: stores and regions come from the settings cache.
settings_cache.watch(Store, Region)
_MEMO = "stores"


def ensure_store_active(store: Store) -> None:
    """A closed store books nothing: no purchase, refund, code confirmation or offer redemption."""
    if not store.active:
        raise ApiError(409, "store_inactive", "This store is not active.")


def _stores() -> dict[int, tuple[dict, dict]]:
    regions = {r.id: settings_cache.values_of(r) for r in db.session.scalars(select(Region))}
    return {
        s.id: (settings_cache.values_of(s), regions[s.region_id])
        for s in db.session.scalars(select(Store).options(lazyload(Store.region)))
    }


def cached_store(store_id: int) -> Store | None:
    """The store (and its region) in the session, from the settings cache: no query while
    the stores are unchanged. None for no such store."""
    memo = transaction_memo.current().setdefault(_MEMO, {})
    if store_id not in memo:
        found = settings_cache.cached("stores", _stores).get(store_id)
        if found is None:
            return None
        store = settings_cache.attach(Store, found[0])
        region = settings_cache.attach(Region, found[1])
        if "region" not in store.__dict__:
            set_committed_value(store, "region", region)
        memo[store_id] = (store, region)  # held: the session keeps them by weak reference
    return memo[store_id][0]
