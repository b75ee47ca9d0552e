"""Certifications (declared by producers, verified by inspectors) and regional public brands with their grants."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from trace.api.base import created, current_user, json_body, ledger_config, load, load_query, route
from trace.db import db
from trace.schemas.endorsements import (
    BrandIn,
    BrandOut,
    CertificationCheckIn,
    CertificationIn,
    CertificationOut,
    CertificationQuery,
    GrantIn,
    GrantOut,
    GrantRevocationIn,
)
from trace.services.endorsements import brands, certifications

TAG = "Certifications and brands"


@route("/certifications", "POST", "Declare a certificate your organization holds for some of its products "
       "(producer): signed; shown as not verified until an inspector verifies it", TAG,
       body=CertificationIn, response=CertificationOut, status=201, errors=(401, 403, 422))
def declare_certification() -> Any:
    user = current_user()
    cert = certifications.declare_certification(db.session(), user, load(CertificationIn(), json_body()),
                                                ledger=ledger_config())
    return created(CertificationOut().dump(cert), Location=f"/api/v1/certifications/{cert.id}")


@route("/certifications", "GET", "List certifications (?organization=ID, ?product=ID)", TAG,
       response=CertificationOut, many=True, query=CertificationQuery)
def list_certifications() -> Any:
    current_user()
    query = load_query(CertificationQuery())
    rows = certifications.list_certifications(db.session(), query.get("organization"), query.get("product"))
    return jsonify(items=CertificationOut(many=True).dump(rows))


@route("/certifications/<id:certification_id>", "GET", "One certification", TAG, response=CertificationOut)
def get_certification(certification_id: int) -> Any:
    current_user()
    return jsonify(CertificationOut().dump(certifications.get_certification(db.session(), certification_id)))


@route("/certifications/<id:certification_id>/verification", "POST",
       "Verify or reject a certification (inspector or admin): a signed verification record", TAG,
       body=CertificationCheckIn, response=CertificationOut, status=201, errors=(401, 403, 404, 422))
def verify_certification(certification_id: int) -> Any:
    user = current_user()
    cert = certifications.verify_certification(db.session(), user, certification_id,
                                               load(CertificationCheckIn(), json_body()), ledger=ledger_config())
    return created(CertificationOut().dump(cert))


@route("/brands", "GET", "List the regional public brands with their grants", TAG, response=BrandOut, many=True,
       auth=False)
def list_brands() -> Any:
    return jsonify(items=BrandOut(many=True).dump(brands.list_brands(db.session())))


@route("/brands/<id:brand_id>", "GET", "One regional public brand with its grants", TAG, response=BrandOut, auth=False)
def get_brand(brand_id: int) -> Any:
    return jsonify(BrandOut().dump(brands.get_brand(db.session(), brand_id)))


@route("/brands", "POST", "Register a regional public brand with its owner and rules (admin, or the owner)", TAG,
       body=BrandIn, response=BrandOut, status=201, errors=(401, 403, 409, 422))
def register_brand() -> Any:
    user = current_user()
    brand = brands.register_brand(db.session(), user, load(BrandIn(), json_body()), ledger=ledger_config())
    return created(BrandOut().dump(brand), Location=f"/api/v1/brands/{brand.id}")


@route("/brands/<id:brand_id>/grants", "POST",
       "Grant an organization the use of the brand on some categories for a period (the brand's owner): signed", TAG,
       body=GrantIn, response=GrantOut, status=201, errors=(401, 403, 404, 422))
def grant_brand(brand_id: int) -> Any:
    user = current_user()
    grant = brands.grant_brand(db.session(), user, brand_id, load(GrantIn(), json_body()), ledger=ledger_config())
    return created(GrantOut().dump(grant))


@route("/brands/<id:brand_id>/grants/<id:grant_id>/revocation", "POST",
       "Revoke a grant (the brand's owner): signed; every page of the licensee's products shows it", TAG,
       body=GrantRevocationIn, response=GrantOut, errors=(401, 403, 404, 409, 422))
def revoke_grant(brand_id: int, grant_id: int) -> Any:
    user = current_user()
    reason = load(GrantRevocationIn(), json_body())["reason"]
    grant = brands.revoke_grant(db.session(), user, brand_id, grant_id, reason, ledger=ledger_config())
    return jsonify(GrantOut().dump(grant))
