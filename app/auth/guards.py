"""Who is calling: a member, staff, an admin (JWT) or a store's system (API key)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import g, request
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from sqlalchemy import select

from app.auth.models import User
from app.auth.service import store_for_api_key
from app.errors import ApiError
from app.extensions import db
from app.members.models import Member
from app.members.service import ensure_active, member_for_user
from app.openapi import requires_auth
from app.stores.models import Store
from app.stores.service import ensure_store_active

API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class StoreActor:
    """Staff at a store or the store's own system; either way, purchases are booked there."""

    store: Store
    label: str


def _user() -> User:
    verify_jwt_in_request()
    user = db.session.scalar(select(User).where(User.public_id == get_jwt()["sub"]))
    if user is None or not user.active:
        raise ApiError(401, "unauthorized", "This account is not active.")
    return user


def current_user() -> User:
    if "user" not in g:
        g.user = _user()
    return g.user


def current_member() -> Member:
    """The caller's membership; an ended one is refused (its sessions were revoked too)."""
    if "member" not in g:
        member = member_for_user(current_user().id)
        ensure_active(member)
        g.member = member
    return g.member


def roles_required(*roles: str) -> Callable:
    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if current_user().role not in roles:
                raise ApiError(403, "forbidden", "Your role may not do this.")
            return fn(*args, **kwargs)

        return requires_auth(wrapper, roles=roles)

    return decorator


member_required = roles_required("member")
admin_required = roles_required("admin")
# Anyone logged in: a member, staff or an admin.
user_required = roles_required("member", "staff", "admin")


def current_store_actor() -> StoreActor:
    raw_key = request.headers.get(API_KEY_HEADER)
    if raw_key:
        store = store_for_api_key(raw_key)
        return StoreActor(store=store, label=f"api_key:{store.public_id}")
    user = current_user()
    if user.role != "staff" or user.store_id is None:
        raise ApiError(403, "forbidden", "Only store staff or a store's API key may do this.")
    store = db.session.get(Store, user.store_id)
    return StoreActor(store=store, label=f"staff:{user.public_id}")


def store_required(fn: Callable) -> Callable:
    """Staff or a store's API key, of an active store: every till path goes through here."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        actor = current_store_actor()
        ensure_store_active(actor.store)
        g.store_actor = actor
        return fn(*args, **kwargs)

    return requires_auth(wrapper, api_key=True, roles=("staff",))


def store_actor() -> StoreActor:
    return g.store_actor
