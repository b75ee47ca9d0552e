"""One's API tokens (create, list with last use, revoke) and the organization's scanner devices (enrol, revoke)."""

from __future__ import annotations

from flask import Response, current_app, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from trace.console.blueprint import account, committing, console, login_required, remote_addr, roles_required
from trace.console.forms import ActionForm, DeviceForm, RevokeDeviceForm, TokenForm
from trace.console.pages import add_nav, render
from trace.db import db
from trace.models.organization import Role
from trace.services.devices.enrolment import (
    ENROLMENT_CODE_LIFETIME,
    issue_enrolment_code,
    list_devices,
    revoke_device,
)
from trace.services.organizations.organizations import issue_token, list_tokens, revoke_token

add_nav("console.tokens", _l("API tokens"))
add_nav("console.devices", _l("Scanner devices"), Role.PRODUCER, Role.ADMIN)


@console.route("/console/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> Response:
    user = account().user
    form = TokenForm()
    if form.validate_on_submit():
        with committing():
            _token, secret = issue_token(db.session(), user, user, form.name.data.strip(), remote_addr=remote_addr())
        return render("console/message.html", title=_("API token created"),
                      detail=_("Send it as: Authorization: Bearer <token>. Only its hash is kept."),
                      secret=secret, back=url_for("console.tokens"))
    rows = list_tokens(db.session(), user, user)
    return render("console/tokens.html", form=form, tokens=rows, action=ActionForm(),
                  status=422 if form.errors else 200)


@console.post("/console/tokens/<id:token_id>/revoke")
@login_required
def token_revoke(token_id: int) -> Response:
    with committing():
        revoke_token(db.session(), account().user, token_id, remote_addr())
    return redirect(url_for("console.tokens"))  # type: ignore[return-value]


def _devices_page(form: DeviceForm, revoke_form: RevokeDeviceForm | None = None, revoking: int | None = None,
                  status: int = 200) -> Response:
    rows = list_devices(db.session(), account().user)
    return render("console/devices.html", form=form, devices=rows, revoke_form=revoke_form or RevokeDeviceForm(),
                  revoking=revoking, status=status)


@console.route("/console/devices", methods=["GET", "POST"])
@roles_required(Role.PRODUCER, Role.ADMIN)
def devices() -> Response:
    form = DeviceForm()
    if account().has(Role.PRODUCER) and form.validate_on_submit():
        with committing():
            _token, code = issue_enrolment_code(db.session(), account().user, form.label.data.strip(), remote_addr())
        server = current_app.config["TRACE"].public_url
        minutes = int(ENROLMENT_CODE_LIFETIME.total_seconds() // 60)
        return render("console/enrolment.html", code=code, server=server, minutes=minutes)
    return _devices_page(form, status=422 if form.errors else 200)


@console.post("/console/devices/<id:device_id>/revoke")
@roles_required(Role.PRODUCER, Role.ADMIN)
def device_revoke(device_id: int) -> Response:
    form = RevokeDeviceForm()
    if not form.validate():
        return _devices_page(DeviceForm(formdata=None), form, revoking=device_id, status=422)
    with committing():
        revoke_device(db.session(), current_app.extensions["trace.ledger"], account().user, device_id,
                      form.reason.data.strip(), remote_addr())
    return redirect(url_for("console.devices"))  # type: ignore[return-value]
