"""Schemathesis against the whole app on PostgreSQL, as an admin, a store's staff, a member and
a point-of-sale API key: no 5xx, and every answer (status, media type, body) as the document
says. `make fuzz` runs it (CI, after `make test`); plain `make test` leaves it out (marker
`fuzz`).

The database holds the demo program (every feature's part of it), and path ids are drawn
half of the time from its real rows, so that requests reach the code behind the 404s. The seed
is fixed (hypothesis `derandomize`) and the examples per operation bounded, so a run takes a
few minutes on two cores and fails the same way twice. Accepted exceptions are in
`baseline.toml`, each with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import hypothesis.strategies as st
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import _truncate_pg, make_app
from tests.fuzz.baseline import CHECK_NAMES, load_baseline

# Not marked `postgres`: `-m postgres` (the race tests) must not start a fuzz run too.
pytestmark = pytest.mark.fuzz

CHECKS = {
    check.__name__: check
    for check in (
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
    )
}
assert tuple(CHECKS) == CHECK_NAMES
# Examples per operation, each sent once per identity: the bound on the run's time.
MAX_EXAMPLES = 20


@dataclass(frozen=True)
class Identity:
    name: str
    headers: dict[str, str]


def _tokens(
    app: Flask,
) -> tuple[list[Identity], dict[str, list[str]], dict[str, list[str]]]:
    """Seed the demo program; log in its people; collect real ids for path parameters."""
    from sqlalchemy import select

    from app.auth.models import ApiKey, User
    from app.auth.service import create_api_key, login
    from app.extensions import db
    from app.members.models import Member
    from app.offers.models import Offer
    from app.purchases.models import EarningRule, Purchase
    from app.rewards.models import Redemption, Reward
    from app.seed import DEMO_PASSWORD, seed
    from app.segments.models import Segment
    from app.stores.models import Region, Store
    from app.tiers.models import Tier

    with app.app_context():
        logins = seed(force=True)
        key = next(secret for role, _, secret, _ in logins if role == "pos-key")
        identities = [
            Identity("admin", _bearer(login("admin@example.com", DEMO_PASSWORD)[1].access_token)),
            Identity("staff", _bearer(login("staff@example.com", DEMO_PASSWORD)[1].access_token)),
            Identity("member", _bearer(login("maria@example.com", DEMO_PASSWORD)[1].access_token)),
            Identity("pos", {"X-API-Key": key}),
        ]
        own_stores = {u.store_id for u in db.session.scalars(select(User)) if u.store_id}
        own_stores |= {k.store_id for k in db.session.scalars(select(ApiKey))}
        spare = db.session.scalars(select(Store).where(Store.id.not_in(own_stores))).first()
        # A key the fuzzer may revoke: not the one it calls with.
        create_api_key(spare, "fuzz spare")
        db.session.commit()
        fuzzers = {"maria@example.com", "admin@example.com", "staff@example.com"}
        members = [
            m.public_id
            for m, u in db.session.execute(
                select(Member, User).join(User, User.id == Member.user_id)
            )
            if u.email not in fuzzers
        ]
        known = {
            "member_id": members,
            "reward_id": [r.public_id for r in db.session.scalars(select(Reward))],
            "offer_id": [o.public_id for o in db.session.scalars(select(Offer))],
            "purchase_id": [p.public_id for p in db.session.scalars(select(Purchase))],
            "segment_id": [s.public_id for s in db.session.scalars(select(Segment))],
            "region_id": [r.public_id for r in db.session.scalars(select(Region))],
            "store_id": [spare.public_id],
            "rule_id": [r.public_id for r in db.session.scalars(select(EarningRule))],
            "code": [t.code for t in db.session.scalars(select(Tier))]
            + [r.code for r in db.session.scalars(select(Redemption))],
            "key_id": [
                k.public_id
                for k in db.session.scalars(select(ApiKey).where(ApiKey.store_id == spare.id))
            ],
        }
        known.update(_feature_ids())
        cards = [
            m.card_number
            for m, u in db.session.execute(
                select(Member, User).join(User, User.id == Member.user_id)
            )
            if u.email not in fuzzers
        ]
        body = {
            "card_number": cards,
            "currency": ["EUR"],
            "amount": ["42.50", "7.99", "120.00"],
            "store_id": known["store_id"],
            "region_id": known["region_id"],
            "segment_id": known.get("segment_id", []),
        }
    return (
        identities,
        {name: ids for name, ids in known.items() if ids},
        {name: values for name, values in body.items() if values},
    )


def _feature_ids() -> dict[str, list[str]]:
    """Public ids of the feature packages' rows, under the path parameter names their
    endpoints use: `quizzes` -> quiz_id, `quiz_attempts` -> quiz_attempt_id and attempt_id."""
    from sqlalchemy import select

    from app.extensions import db

    found: dict[str, list[str]] = {}
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if not hasattr(model, "public_id") or model.__module__.startswith("app."):
            continue
        ids = list(db.session.scalars(select(model.public_id).limit(20)))
        table = model.__tablename__
        singular = re.sub(r"(zes|ies|s)$", lambda m: {"zes": "z", "ies": "y"}.get(m[1], ""), table)
        for name in {f"{singular}_id", f"{singular.rsplit('_', 1)[-1]}_id"}:
            found.setdefault(name, []).extend(ids)
    return found


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory) -> Iterator[Flask]:
    app = make_app("postgresql", tmp_path_factory.mktemp("fuzz"))
    yield app
    _truncate_pg(app)


@pytest.fixture(scope="module")
def fuzz_setup(fuzz_app):
    identities, known, body = _tokens(fuzz_app)
    KNOWN_IDS.update(known)
    KNOWN_BODY.update({name: st.sampled_from(values) for name, values in body.items()})
    KNOWN_BODY.update(receipt_id=TILL_TEXT, offer_code=st.none(), occurred_at=st.none())
    return identities


def _document_app() -> Flask:
    """The document is the code's, whatever the database: read it from an app on SQLite at
    collection, and send the requests to the PostgreSQL app at run time."""
    from app import create_app
    from app.config import TestConfig

    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    return create_app(settings | {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


# Real ids by path parameter name and real values by body field, filled in by the fuzz_setup
# fixture before the first case.
KNOWN_IDS: dict[str, list[str]] = {}
KNOWN_BODY: dict[str, st.SearchStrategy] = {}
# Plain values for the fields a real till sends, so that some writes get past validation.
TILL_TEXT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=20)

schema = schemathesis.openapi.from_wsgi("/openapi.json", _document_app())


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half of the time, real ids for the parameters that have some: the code behind the 404s
    is fuzzed too."""
    params = path_parameters or {}
    known = {name: ids for name, ids in KNOWN_IDS.items() if name in params}
    if not known:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({name: st.sampled_from(ids) for name, ids in known.items()})
    return st.one_of(st.just(path_parameters), real.map(lambda ids: {**params, **ids}))


@schema.hook
def flatmap_body(context, body):
    """Half of the time, real values for the body fields that name rows (a member's card, a
    store), and the program's currency: a purchase then reaches the ledger, not only the 422."""
    if not isinstance(body, dict):
        return st.just(body)
    known = {name: values for name, values in KNOWN_BODY.items() if name in body}
    if not known:
        return st.just(body)
    real = st.fixed_dictionaries(known)
    return st.one_of(st.just(body), real.map(lambda values: {**body, **values}))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_app_keeps_its_contract(case, fuzz_app, fuzz_setup):
    accepted = load_baseline().get(f"{case.method.upper()} {case.path}", {})
    skipped = [CHECKS[name] for name in accepted.get("checks", []) if name in CHECKS]
    checks = [check for name, check in CHECKS.items() if check not in skipped]
    for identity in fuzz_setup:
        headers = dict(case.headers or {})
        headers.pop("Authorization", None)
        headers.pop("X-API-Key", None)
        headers.update(identity.headers)
        try:
            case.call_and_validate(app=fuzz_app, headers=headers, checks=checks)
        except Exception as exc:
            exc.add_note(f"as {identity.name}")
            raise
