"""Administrators' pages: users (create, role, reset a password, disable) and the account log."""

from __future__ import annotations

from flask import Response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from trace.console.blueprint import account, committing, console, remote_addr, roles_required
from trace.console.forms import REFUSALS, ActionForm, RoleForm, UserForm, show_errors
from trace.console.pages import ROLE_NAMES, add_nav, render
from trace.db import db
from trace.ledger.policy import role_fits
from trace.models.organization import Role
from trace.services.organizations.account_log import list_account_events
from trace.services.organizations.accounts import (
    add_account,
    change_role,
    get_account,
    list_accounts,
    random_password,
    reset_password,
    set_disabled,
)
from trace.services.organizations.organizations import get_organization, list_organizations

add_nav("console.users", _l("Users"), Role.ADMIN)
add_nav("console.account_log", _l("Account log"), Role.ADMIN)


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, str(ROLE_NAMES[role.value])) for role in Role]


def _user_form() -> UserForm:
    form = UserForm()
    form.organization.choices = [(org.id, org.name) for org in list_organizations(db.session())]
    form.role.choices = _role_choices()
    return form


@console.route("/console/admin/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users() -> Response:
    form = _user_form()
    if form.validate_on_submit():
        org = get_organization(db.session(), form.organization.data)
        password = random_password()
        try:
            with committing():
                user = add_account(db.session(), account().user, org, form.username.data, form.role.data, password,
                                   must_change=True, remote_addr=remote_addr())
        except REFUSALS as exc:
            show_errors(form, exc)
        else:
            return render("console/message.html", title=_("User created"),
                          detail=_("%(username)s can sign in with this password, and must then choose a new one.",
                                   username=user.username), secret=password, back=url_for("console.users"))
    rows = list_accounts(db.session(), account().user)
    return render("console/admin/users.html", form=form, users=rows, status=422 if form.errors else 200)


@console.get("/console/admin/users/<id:user_id>")
@roles_required(Role.ADMIN)
def user_page(user_id: int, role_form: RoleForm | None = None, status: int = 200) -> Response:
    user = get_account(db.session(), account().user, user_id)
    if role_form is None:
        role_form = RoleForm(role=user.role)
    role_form.role.choices = [(r, n) for r, n in _role_choices() if role_fits(r, user.organization.kind)]
    entries = list_account_events(db.session(), account().user, user_id=user.id, limit=20)
    return render("console/admin/user.html", user=user, role_form=role_form, action=ActionForm(), entries=entries,
                  status=status)


@console.post("/console/admin/users/<id:user_id>/role")
@roles_required(Role.ADMIN)
def user_role(user_id: int) -> Response:
    form = RoleForm()
    user = get_account(db.session(), account().user, user_id)
    form.role.choices = _role_choices()
    if form.validate_on_submit():
        try:
            with committing():
                change_role(db.session(), account().user, user, form.role.data, remote_addr())
        except REFUSALS as exc:
            show_errors(form, exc)
        else:
            return redirect(url_for("console.user_page", user_id=user_id))  # type: ignore[return-value]
    return user_page(user_id, role_form=form, status=422)


@console.post("/console/admin/users/<id:user_id>/reset")
@roles_required(Role.ADMIN)
def user_reset(user_id: int) -> Response:
    user = get_account(db.session(), account().user, user_id)
    with committing():
        password = reset_password(db.session(), account().user, user, remote_addr())
    return render("console/message.html", title=_("Password reset"),
                  detail=_("Give %(username)s this password; they must choose a new one when they sign in. "
                           "Their sessions are signed out and a lockout is lifted.", username=user.username),
                  secret=password, back=url_for("console.user_page", user_id=user_id))


@console.post("/console/admin/users/<id:user_id>/disable")
@roles_required(Role.ADMIN)
def user_disable(user_id: int) -> Response:
    user = get_account(db.session(), account().user, user_id)
    with committing():
        set_disabled(db.session(), account().user, user, request.form.get("disabled") == "1", remote_addr())
    return redirect(url_for("console.user_page", user_id=user_id))  # type: ignore[return-value]


@console.get("/console/admin/log")
@roles_required(Role.ADMIN)
def account_log() -> Response:
    before = request.args.get("before", type=int)
    entries = list_account_events(db.session(), account().user, before=before, limit=100)
    older = entries[-1].id if len(entries) == 100 else None
    return render("console/admin/log.html", entries=entries, older=older)
