"""The dashboard: liability, members, activity, the latest campaigns and (with analytics) what
the program owes and returns, each chart with its table."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from console import charts
from console.dashboard import figures
from console.pages import page
from console.web import requires

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
requires(bp, "admin")
NAV = ((_l("Dashboard"), "index", "admin"),)


@bp.route("/")
def index():
    liability = figures.liability()
    members = figures.members()
    days = figures.activity()
    labels = [format_date(d.day, "d.M.") for d in days]
    returns = figures.returns()
    month_labels = [format_date(m.month, "M/yy") for m in returns.months] if returns else []
    return page(
        "console/dashboard/index.html",
        title=_l("Dashboard"),
        liability=liability,
        members=members,
        days=days,
        day_labels=labels,
        tier_chart=charts.bar_chart(members.by_tier, height=200),
        purchases_chart=charts.bar_chart(
            list(zip(labels, [d.purchases for d in days], strict=True))
        ),
        points_chart=charts.bar_chart(
            list(zip(labels, [d.points_earned for d in days], strict=True))
        ),
        campaigns=figures.latest_campaigns(),
        returns=returns,
        month_labels=month_labels,
        spend_chart=charts.bar_chart(
            list(zip(month_labels, [float(m.net_spend) for m in returns.months], strict=True))
        )
        if returns
        else None,
    )
