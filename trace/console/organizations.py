"""Administrators' organization pages: the register of organizations, a new one, placing one in a township."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, url_for
from flask_babel import lazy_gettext as _l

from trace.console.blueprint import account, committing, console, roles_required
from trace.console.forms import REFUSALS, OrganizationForm, PlaceForm, show_errors
from trace.console.pages import KIND_NAMES, add_nav, render
from trace.db import db
from trace.models.organization import OrganizationKind, Role
from trace.services.organizations.accounts import list_accounts
from trace.services.organizations.organizations import create_organization, get_organization, list_organizations
from trace.services.organizations.townships import list_townships, place_organization

add_nav("console.organizations", _l("Organizations"), Role.ADMIN)


def _township_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(t.code, f"{t.name} ({t.code})") for t in list_townships(db.session())]


def _organization_form() -> OrganizationForm:
    form = OrganizationForm()
    form.kind.choices = [(kind.value, str(KIND_NAMES[kind.value])) for kind in OrganizationKind]
    form.township.choices = _township_choices()
    return form


def _fields(form: OrganizationForm) -> dict[str, Any]:
    blank = lambda value: (value or "").strip() or None  # noqa: E731
    return {"kind": form.kind.data, "name": form.name.data.strip(), "name_en": blank(form.name_en.data),
            "credit_code": (blank(form.credit_code.data) or "").upper() or None,
            "region": {"province": form.province.data.strip(), "county": form.county.data.strip(),
                       "township_code": form.township.data or None},
            "contact": {"name": blank(form.contact_name.data), "phone": blank(form.contact_phone.data)}}


@console.route("/console/admin/organizations", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def organizations() -> Response:
    form = _organization_form()
    if form.validate_on_submit():
        try:
            with committing():
                org = create_organization(db.session(), account().user, _fields(form))
        except REFUSALS as exc:
            exc.errors = {"credit_code" if k == "creditCode" else k: v for k, v in (exc.errors or {}).items()}
            show_errors(form, exc)
        else:
            return redirect(url_for("console.organization_page", org_id=org.id))  # type: ignore[return-value]
    return render("console/admin/organizations.html", form=form, organizations=list_organizations(db.session()),
                  status=422 if form.errors else 200)


@console.get("/console/admin/organizations/<id:org_id>")
@roles_required(Role.ADMIN)
def organization_page(org_id: int, place: PlaceForm | None = None, status: int = 200) -> Response:
    org = get_organization(db.session(), org_id)
    if place is None:
        place = PlaceForm(township=org.township_code or "")
    place.township.choices = _township_choices()
    members = list_accounts(db.session(), account().user, organization_id=org.id)
    return render("console/admin/organization.html", org=org, place=place, members=members, status=status)


@console.post("/console/admin/organizations/<id:org_id>/township")
@roles_required(Role.ADMIN)
def organization_place(org_id: int) -> Response:
    org = get_organization(db.session(), org_id)
    form = PlaceForm()
    form.township.choices = _township_choices()
    if form.validate_on_submit():
        try:
            with committing():
                place_organization(db.session(), account().user, org, form.township.data or None)
        except REFUSALS as exc:
            show_errors(form, exc)
        else:
            return redirect(url_for("console.organization_page", org_id=org.id))  # type: ignore[return-value]
    return organization_page(org_id, place=form, status=422)
