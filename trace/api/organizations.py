"""Organizations, members and tokens."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from trace.api.base import created, current_user, json_body, load, route
from trace.db import db
from trace.errors import PermissionDeniedError
from trace.models.organization import Role
from trace.schemas.organizations import (
    MeOut,
    NewTokenOut,
    OrganizationIn,
    OrganizationOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
)
from trace.services.organizations import organizations as svc

TAG = "Organizations"


@route("/me", "GET", "The authenticated user and organization", TAG, response=MeOut)
def me() -> Any:
    user = current_user()
    return jsonify(user=UserOut().dump(user), organization=OrganizationOut().dump(user.organization))


@route("/organizations", "GET", "List organizations", TAG, response=OrganizationOut, many=True)
def list_organizations() -> Any:
    current_user()
    return jsonify(items=OrganizationOut(many=True).dump(svc.list_organizations(db.session())))


@route("/organizations", "POST", "Register an organization (admin)", TAG,
       body=OrganizationIn, response=OrganizationOut, status=201, errors=(401, 403, 404, 409, 422))
def create_organization() -> Any:
    user = current_user()
    fields = load(OrganizationIn(), json_body())
    org = svc.create_organization(db.session(), user, fields)
    return created(OrganizationOut().dump(org), Location=f"/api/v1/organizations/{org.id}")


@route("/organizations/<id:org_id>", "GET", "One organization", TAG, response=OrganizationOut)
def get_organization(org_id: int) -> Any:
    current_user()
    return jsonify(OrganizationOut().dump(svc.get_organization(db.session(), org_id)))


@route("/organizations/<id:org_id>/members", "GET", "List an organization's members", TAG,
       response=UserOut, many=True)
def list_members(org_id: int) -> Any:
    user = current_user()
    org = svc.get_organization(db.session(), org_id)
    if user.role != Role.ADMIN and user.organization_id != org.id:
        raise PermissionDeniedError("Members of other organizations are private.")
    return jsonify(items=UserOut(many=True).dump(org.users))


@route("/organizations/<id:org_id>/members", "POST", "Add a member (admin)", TAG,
       body=UserIn, response=UserOut, status=201, errors=(401, 403, 404, 409, 422))
def add_member(org_id: int) -> Any:
    user = current_user()
    fields = load(UserIn(), json_body())
    org = svc.get_organization(db.session(), org_id)
    member = svc.add_member(db.session(), user, org, fields["name"], fields["role"])
    return created(UserOut().dump(member))


@route("/organizations/<id:org_id>/members/<id:user_id>/tokens", "POST",
       "Issue an API token; the secret is shown once (admin, or the member for themself)", TAG,
       body=TokenIn, response=NewTokenOut, status=201, errors=(401, 403, 404, 422))
def issue_token(org_id: int, user_id: int) -> Any:
    user = current_user()
    fields = load(TokenIn(), json_body())
    org = svc.get_organization(db.session(), org_id)
    member = svc.get_member(db.session(), org, user_id)
    token, secret = svc.issue_token(db.session(), user, member, fields["name"])
    body = NewTokenOut().dump(token)
    body["token"] = secret
    response = created(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@route("/organizations/<id:org_id>/members/<id:user_id>/tokens", "GET",
       "A member's tokens: name, prefix, created, last used (to the minute or so), revoked (admin, or the member)",
       TAG, response=TokenOut(many=True), errors=(401, 403, 404))
def list_tokens(org_id: int, user_id: int) -> Any:
    user = current_user()
    org = svc.get_organization(db.session(), org_id)
    member = svc.get_member(db.session(), org, user_id)
    return jsonify(TokenOut(many=True).dump(svc.list_tokens(db.session(), user, member)))


@route("/tokens/<id:token_id>", "DELETE", "Revoke a token (its owner or an admin)", TAG,
       response=TokenOut, errors=(401, 404))
def revoke_token(token_id: int) -> Any:
    user = current_user()
    return jsonify(TokenOut().dump(svc.revoke_token(db.session(), user, token_id)))
