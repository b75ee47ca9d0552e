"""Administrators' township register pages: townships and their villages by official division code."""

from __future__ import annotations

from flask import Response, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from trace.console.blueprint import account, committing, console, roles_required
from trace.console.forms import REFUSALS, DivisionForm, show_errors
from trace.console.pages import add_nav, render
from trace.db import db
from trace.models.organization import Role
from trace.services.organizations.townships import create_township, create_village, get_township, list_townships

add_nav("console.townships", _l("Townships"), Role.ADMIN)


def _fields(form: DivisionForm) -> dict[str, str | None]:
    return {"code": form.code.data.strip(), "name": form.name.data.strip(),
            "name_en": (form.name_en.data or "").strip() or None}


@console.route("/console/admin/townships", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def townships() -> Response:
    form = DivisionForm()
    if form.validate_on_submit():
        try:
            with committing():
                create_township(db.session(), account().user, _fields(form))
        except REFUSALS as exc:
            show_errors(form, exc)
        else:
            return redirect(url_for("console.townships"))  # type: ignore[return-value]
    return render("console/admin/townships.html", form=form, townships=list_townships(db.session()),
                  status=422 if form.errors else 200)


@console.route("/console/admin/townships/<code>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def township_page(code: str) -> Response:
    township = get_township(db.session(), code)
    form = DivisionForm()
    if form.validate_on_submit():
        if form.code.data.strip()[:9] != township.code[:9] or form.code.data.strip().endswith("000"):
            form.code.errors = [_("A village's code starts with its township's first nine digits (%(prefix)s) and "
                                  "does not end in 000.", prefix=township.code[:9])]
        else:
            try:
                with committing():
                    create_village(db.session(), account().user, township, _fields(form))
            except REFUSALS as exc:
                show_errors(form, exc)
            else:
                return redirect(url_for("console.township_page", code=code))  # type: ignore[return-value]
    return render("console/admin/township.html", township=township, form=form, status=422 if form.errors else 200)
