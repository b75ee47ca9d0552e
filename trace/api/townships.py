"""The township register (administrators keep it; inspectors and administrators read it)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from trace.api.base import created, current_user, json_body, load, route
from trace.db import db
from trace.models import User
from trace.models.organization import Role
from trace.schemas.organizations import OrganizationOut
from trace.schemas.townships import DivisionIn, DivisionPatch, PlacementIn, TownshipOut, VillageOut
from trace.services.organizations import townships as svc
from trace.services.organizations.organizations import get_organization
from trace.services.organizations.permissions import require_role

TAG = "Townships"


def _reader() -> User:
    user = current_user()
    require_role(user, Role.ADMIN, Role.INSPECTOR)
    return user


@route("/townships", "GET", "The township register with each township's villages (inspector, admin)", TAG,
       response=TownshipOut, many=True, errors=(401, 403))
def list_townships() -> Any:
    _reader()
    return jsonify(items=TownshipOut(many=True).dump(svc.list_townships(db.session())))


@route("/townships/<code>", "GET", "One township with its villages (inspector, admin)", TAG,
       response=TownshipOut, errors=(401, 403, 404))
def get_township(code: str) -> Any:
    _reader()
    return jsonify(TownshipOut().dump(svc.get_township(db.session(), code)))


@route("/townships", "POST", "Add a township to the register (admin)", TAG,
       body=DivisionIn, response=TownshipOut, status=201, errors=(401, 403, 409, 422))
def create_township() -> Any:
    user = current_user()
    township = svc.create_township(db.session(), user, load(DivisionIn(), json_body()))
    return created(TownshipOut().dump(township), Location=f"/api/v1/townships/{township.code}")


@route("/townships/<code>", "PATCH", "Rename a township (admin); placed organizations show the new name", TAG,
       body=DivisionPatch, response=TownshipOut, errors=(401, 403, 404, 422))
def update_township(code: str) -> Any:
    user = current_user()
    fields = load(DivisionPatch(), json_body())
    township = svc.get_township(db.session(), code)
    svc.rename_division(db.session(), user, township, fields)
    return jsonify(TownshipOut().dump(township))


@route("/townships/<code>/villages", "POST", "Add a village to a township (admin)", TAG,
       body=DivisionIn, response=VillageOut, status=201, errors=(401, 403, 404, 409, 422))
def create_village(code: str) -> Any:
    user = current_user()
    fields = load(DivisionIn(), json_body())
    village = svc.create_village(db.session(), user, svc.get_township(db.session(), code), fields)
    return created(VillageOut().dump(village))


@route("/villages/<code>", "PATCH", "Rename a village (admin)", TAG,
       body=DivisionPatch, response=VillageOut, errors=(401, 403, 404, 422))
def update_village(code: str) -> Any:
    user = current_user()
    fields = load(DivisionPatch(), json_body())
    village = svc.get_village(db.session(), code)
    svc.rename_division(db.session(), user, village, fields)
    return jsonify(VillageOut().dump(village))


@route("/organizations/<id:org_id>/township", "PUT",
       "Place an organization in a township of the register, and optionally one of its villages (admin)", TAG,
       body=PlacementIn, response=OrganizationOut, errors=(401, 403, 404, 422))
def place_organization(org_id: int) -> Any:
    user = current_user()
    fields = load(PlacementIn(), json_body())
    org = get_organization(db.session(), org_id)
    svc.place_organization(db.session(), user, org, fields["township"], fields["village"])
    return jsonify(OrganizationOut().dump(org))
