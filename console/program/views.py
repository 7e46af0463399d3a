"""The program: its settings and rollout, tiers, regions and stores (the pilot flags),
rewards and earning rules; every change through `app.admin.service`, as the API's."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.admin import service
from app.admin.schemas import ProgramSchema, RegionSchema, StoreSchema, TierSchema
from app.errors import ApiError
from app.extensions import db
from app.lookup import by_public_id
from app.program.service import get_program
from app.purchases.models import CHANNELS, EarningRule
from app.purchases.schemas import EarningRuleSchema
from app.purchases.service import program_live_in
from app.rewards.models import Reward
from app.rewards.schemas import RewardSchema
from app.schemas import from_minor
from app.stores.models import Region, Store
from app.tiers.service import all_tiers
from console.forms import checked, given, local, options, refused
from console.pages import page
from console.program.forms import ProgramForm, RegionForm, RewardForm, RuleForm, StoreForm, TierForm
from console.web import requires

bp = Blueprint("program", __name__, url_prefix="/program")
requires(bp, "admin")
NAV = (
    (_l("Program"), "settings", "admin"),
    (_l("Tiers"), "tiers", "admin"),
    (_l("Stores and regions"), "stores", "admin"),
    (_l("Rewards"), "rewards", "admin"),
    (_l("Earning rules"), "rules", "admin"),
)


def _save(form, schema, data, change, done: str, names=None) -> bool:
    """Check `data` with the API's schema, then `change(loaded)`; a flash and True when done."""
    loaded = checked(form, schema, data, names)
    if loaded is None:
        return False
    try:
        change(loaded)
    except ApiError as error:
        db.session.rollback()
        refused(form, error, names)
        return False
    flash(done, "ok")
    return True


# The program's settings and rollout.
@bp.route("/", methods=["GET", "POST"])
def settings():
    program = get_program()
    form = ProgramForm(data=ProgramSchema().dump(program) if request.method == "GET" else None)
    if form.validate_on_submit():
        names = [n for n in ProgramSchema().fields if n != "currency" and n in form._fields]
        data = given(form, names)
        data.setdefault("terms", "")
        if _save(form, ProgramSchema(), data, service.change_program, gettext("Saved.")):
            return redirect(url_for(".settings"))
    return page("console/program/settings.html", form=form, program=program, title=_l("Program"))


# Tiers.
def _tier_data(form: TierForm) -> dict:
    data = given(form, ("code", "name", "rank", "threshold_points", "multiplier"))
    data["discount_percent"] = form.discount_percent.data or 0
    data["privileges"] = [
        line.strip() for line in (form.privileges.data or "").splitlines() if line.strip()
    ]
    if form.color.data:
        data["color"] = form.color.data.strip()
    return data


@bp.route("/tiers", methods=["GET", "POST"])
def tiers():
    form = TierForm()
    if form.validate_on_submit() and _save(
        form, TierSchema(), _tier_data(form), service.create_tier, gettext("Tier created.")
    ):
        return redirect(url_for(".tiers"))
    return page("console/program/tiers.html", form=form, tiers=all_tiers(), title=_l("Tiers"))


@bp.route("/tiers/<code>", methods=["GET", "POST"])
def tier(code: str):
    tier = service.tier_by_code(code)
    if request.method == "GET":
        dumped = TierSchema().dump(tier)
        dumped["privileges"] = "\n".join(dumped.get("privileges") or [])
        form = TierForm(data=dumped)
    else:
        form = TierForm()
    if form.validate_on_submit():
        data = _tier_data(form)
        data.pop("code", None)  # a tier's code is its name in rules and segments: kept
        if _save(
            form,
            TierSchema(partial=True),
            data,
            lambda changes: service.update_tier(tier, changes),
            gettext("Tier saved."),
        ):
            return redirect(url_for(".tiers"))
    return page("console/program/tier.html", form=form, tier=tier, title=tier.name)


# Regions and stores, with the pilot flags of a staged rollout.
def _regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.code)))


def _store_form(formdata=True) -> StoreForm:
    form = StoreForm() if formdata else StoreForm(formdata=None)
    form.region_id.choices = options((r.public_id, r.name) for r in _regions())
    return form


def _stores_page(region_form=None, store_form=None, status=200):
    stores = list(db.session.scalars(select(Store).order_by(Store.code)))
    return page(
        "console/program/stores.html",
        status=status,
        program=get_program(),
        regions=_regions(),
        stores=[(s, program_live_in(s)) for s in stores],
        region_form=region_form or RegionForm(formdata=None, prefix="region"),
        store_form=store_form or _store_form(formdata=None),
        title=_l("Stores and regions"),
    )


@bp.route("/stores")
def stores():
    return _stores_page()


@bp.route("/regions", methods=["POST"])
def create_region():
    form = RegionForm(prefix="region")
    if form.validate_on_submit() and _save(
        form,
        RegionSchema(),
        {**given(form, ("name", "code")), "pilot": form.pilot.data},
        service.create_region,
        gettext("Region created."),
    ):
        return redirect(url_for(".stores"))
    return _stores_page(region_form=form, status=422)


@bp.route("/stores", methods=["POST"])
def create_store():
    form = _store_form()
    if form.validate_on_submit() and _save(
        form,
        StoreSchema(),
        {**given(form, ("name", "code", "region_id", "kind")), "pilot": form.pilot.data},
        service.create_store,
        gettext("Store created."),
    ):
        return redirect(url_for(".stores"))
    return _stores_page(store_form=form, status=422)


@bp.route("/regions/<region_id>/pilot", methods=["POST"])
def region_pilot(region_id: str):
    region = by_public_id(Region, region_id, "region")
    service.update_region(region, {"pilot": request.form.get("pilot") == "on"})
    flash(gettext("Saved."), "ok")
    return redirect(url_for(".stores"))


@bp.route("/stores/<store_id>/flags", methods=["POST"])
def store_flags(store_id: str):
    store = by_public_id(Store, store_id, "store")
    flag = request.form.get("flag")
    if flag not in ("pilot", "active"):
        raise ApiError(422, "validation_error", "Unknown flag.")
    service.update_store(store, {flag: request.form.get("value") == "on"})
    flash(gettext("Saved."), "ok")
    return redirect(url_for(".stores"))


# Rewards.
def _reward_form(formdata=True, **kwargs) -> RewardForm:
    form = RewardForm(**kwargs) if formdata else RewardForm(formdata=None, **kwargs)
    form.tiers.choices = options((t.code, t.name) for t in all_tiers())
    return form


def _reward_data(form: RewardForm) -> dict:
    return {
        **given(form, ("name", "cost_points")),
        "description": (form.description.data or "").strip(),
        "stock_remaining": form.stock_remaining.data,
        "tiers": form.tiers.data or [],
        "active": form.active.data,
    }


@bp.route("/rewards", methods=["GET", "POST"])
def rewards():
    form = _reward_form()
    if form.validate_on_submit() and _save(
        form, RewardSchema(), _reward_data(form), service.create_reward, gettext("Reward created.")
    ):
        return redirect(url_for(".rewards"))
    found = list(db.session.scalars(select(Reward).order_by(Reward.id)))
    return page("console/program/rewards.html", form=form, rewards=found, title=_l("Rewards"))


@bp.route("/rewards/<reward_id>", methods=["GET", "POST"])
def reward(reward_id: str):
    item = by_public_id(Reward, reward_id, "reward")
    if request.method == "GET":
        form = _reward_form(formdata=False, data=RewardSchema().dump(item))
    else:
        form = _reward_form()
    if form.validate_on_submit() and _save(
        form,
        RewardSchema(partial=True),
        _reward_data(form),
        lambda changes: service.update_reward(item, changes),
        gettext("Reward saved."),
    ):
        return redirect(url_for(".rewards"))
    return page("console/program/reward.html", form=form, reward=item, title=item.name)


# Earning rules.
def _rule_form(formdata=True) -> RuleForm:
    form = RuleForm() if formdata else RuleForm(formdata=None)
    anything = [("", gettext("Any"))]
    form.store_id.choices = options(
        anything
        + [(s.public_id, s.name) for s in db.session.scalars(select(Store).order_by(Store.code))]
    )
    form.region_id.choices = options(anything + [(r.public_id, r.name) for r in _regions()])
    form.channel.choices = options(anything + [(c, c) for c in CHANNELS])
    return form


@bp.route("/rules", methods=["GET", "POST"])
def rules():
    form = _rule_form()
    if form.validate_on_submit():
        data = given(
            form,
            (
                "name",
                "kind",
                "multiplier",
                "fixed_points",
                "store_id",
                "region_id",
                "channel",
                "min_amount",
                "starts_at",
                "ends_at",
            ),
        )
        if _save(form, EarningRuleSchema(), data, service.create_rule, gettext("Rule created.")):
            return redirect(url_for(".rules"))
    found = list(db.session.scalars(select(EarningRule).order_by(EarningRule.id)))
    return page(
        "console/program/rules.html",
        form=form,
        rules=found,
        from_minor=from_minor,
        local=local,
        title=_l("Earning rules"),
    )


@bp.route("/rules/<rule_id>/off", methods=["POST"])
def rule_off(rule_id: str):
    service.switch_off_rule(by_public_id(EarningRule, rule_id, "earning_rule"))
    flash(gettext("The rule is switched off."), "ok")
    return redirect(url_for(".rules"))
