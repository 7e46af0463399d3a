"""Logging into the console and out of it, and the operator's language.

The login is the API's (`app.auth.service.login`: the same password check, the same answer for
an unknown email, a wrong password and a deactivated login) and is limited as the API's is:
per client address, and per account with the failures of the API's logins counted together.
Members have the app: a member's correct password opens no console session.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import decode_token

from app.auth import service, sessions, throttle
from app.errors import ApiError
from app.extensions import db, limiter
from console import i18n, security
from console.auth.forms import LoginForm
from console.pages import page
from console.web import safe_next

bp = Blueprint("auth", __name__)


def _failed_login(response) -> bool:
    return response.status_code == 401


def _account_of_form() -> str:
    return throttle.account_bucket(request.form.get("email", ""))


def _landing(role: str) -> str:
    return url_for("console.dashboard.index" if role == "admin" else "console.till.index")


@bp.route("/")
def home():
    user = security.operator()
    return redirect(_landing(user.role))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.setting("LOGIN_RATE_LIMIT"), methods=["POST"])
@limiter.shared_limit(
    throttle.setting("LOGIN_ACCOUNT_LIMIT"),
    scope=throttle.ACCOUNT_SCOPE,
    key_func=_account_of_form,
    deduct_when=_failed_login,
    methods=["POST"],
)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            user, tokens = service.login(form.email.data, form.password.data)
        except ApiError:
            form.problems.append(gettext("Email or password is wrong."))
            status = 401
        else:
            # The console's login is its cookie, never a bearer token: only the session's id.
            session_id = decode_token(tokens.access_token)["sid"]
            if user.role not in security.CONSOLE_ROLES:
                sessions.revoke(session_id, "not_for_console")
                db.session.commit()
                form.problems.append(
                    gettext("Members use the app: the console is for operators and store staff.")
                )
                status = 403
            else:
                security.start(user, session_id)
                throttle.forget_failures()
                return redirect(safe_next(form.next.data, _landing(user.role)))
    elif request.method == "POST":
        status = 422
    return page("console/auth/login.html", form=form, status=status, title=_l("Log in"))


@bp.route("/logout", methods=["POST"])
def logout():
    security.end()
    return redirect(url_for("console.auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    chosen = request.form.get("lang", "")
    if chosen in i18n.LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next"), url_for("console.auth.home")))
