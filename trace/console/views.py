"""The landing page, sign-in and sign-out, the console's home and one's password."""

from __future__ import annotations

from flask import Response, current_app, redirect, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from trace.console.blueprint import (
    account,
    committing,
    console,
    current_account,
    end_session,
    login_required,
    remote_addr,
    safe_next,
    start_session,
)
from trace.console.forms import REFUSALS, ActionForm, PasswordForm, SignInForm, show_errors
from trace.console.pages import render
from trace.db import db
from trace.extensions import limiter
from trace.services.organizations.account_log import log_account_event
from trace.services.organizations.accounts import LockedError, SignInError, change_password, sign_in


def sign_in_limit() -> str:
    """Return the rate limit of sign-in attempts per client address."""
    return current_app.config["TRACE"].sign_in_rate_limit  # type: ignore[no-any-return]


@console.get("/")
def landing() -> Response:
    return render("console/landing.html")


@console.route("/login", methods=["GET", "POST"], endpoint="sign_in")
@limiter.limit(sign_in_limit, methods=["POST"])
def sign_in_view() -> Response:
    if current_account() is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))  # type: ignore[return-value]
    form = SignInForm()
    if form.validate_on_submit():
        try:  # a failure is counted and logged: committed either way
            user = sign_in(db.session(), form.username.data, form.password.data, remote_addr())
        except LockedError as exc:
            db.session.commit()
            form.form_errors.append(_("Too many failed sign-ins: this account is locked until %(time)s. "
                                      "An administrator can unlock it by resetting the password.",
                                      time=format_datetime(exc.until, "short")))
        except SignInError:
            db.session.commit()
            form.password.errors = [_("The username or the password is wrong.")]
        else:
            db.session.commit()
            start_session(user)
            return redirect(safe_next(request.args.get("next")))  # type: ignore[return-value]
    return render("console/sign_in.html", form=form, status=200 if not form.errors else 422)


@console.post("/logout")
@login_required
def sign_out() -> Response:
    form = ActionForm()
    if form.validate_on_submit():
        with committing():
            log_account_event(db.session(), "signed_out", actor=account().user, user=account().user,
                              remote_addr=remote_addr())
        end_session()
    return redirect(url_for("console.landing"))  # type: ignore[return-value]


@console.get("/console/")
@login_required
def home() -> Response:
    return render("console/home.html")


@console.route("/console/password", methods=["GET", "POST"])
@login_required
def password() -> Response:
    form = PasswordForm()
    if form.validate_on_submit():
        user = account().user
        try:
            with committing():
                change_password(db.session(), user, form.current.data, form.password.data, remote_addr())
        except REFUSALS as exc:
            show_errors(form, exc)
        else:
            start_session(user)  # this session goes on; the others are signed out by the new epoch
            return render("console/message.html", title=_("Password changed"),
                          detail=_("Your password is changed; other sessions are signed out."), home=True)
    return render("console/password.html", form=form, status=200 if not form.errors else 422)
