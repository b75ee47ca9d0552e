"""Certifications and regional brands through the API: who may sign what, and claims only under a valid grant."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.api.helpers import assert_problem
from trace.models import Event, LogEntry
from trace.services.endorsements import china_today
from trace.services.endorsements.brands import grant_brand
from trace.services.organizations.organizations import create_organization

TODAY = china_today()


def _day(days: int) -> str:
    return (TODAY + dt.timedelta(days=days)).isoformat()


def _declare(client, actor, product_ids, **over):
    body = {"kind": "organic", "issuer": "中绿华夏有机食品认证中心", "number": "ORG-2026-01", "products": product_ids,
            "validFrom": _day(-30), "validUntil": _day(300), **over}
    return client.post("/api/v1/certifications", json=body, headers=actor.headers)


def _signed(session, record_id):
    """Return the stage and signing organization of a logged record."""
    event = session.get(Event, record_id)
    assert session.scalar(sa.select(LogEntry.index).where(LogEntry.event_id == record_id)) is not None
    return event.stage, event.organization_id


def test_a_producer_declares_and_only_an_inspector_or_admin_verifies(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    r = _declare(client, producer, [product.id])
    assert r.status_code == 201, r.json
    cert = r.json
    assert cert["verification"] is None and cert["products"] == [product.id] and cert["validUntil"] == _day(300)
    assert _signed(session, cert["record"]) == ("certification", producer.org.id)

    url = f"/api/v1/certifications/{cert['id']}/verification"
    assert_problem(client.post(url, json={"result": "verified"}, headers=producer.headers), 403, "forbidden")
    inspector = make.actor("inspector")
    r = client.post(url, json={"result": "verified", "note": "与原件核对一致"}, headers=inspector.headers)
    assert r.status_code == 201, r.json
    assert r.json["verification"]["result"] == "verified" and r.json["verification"]["by"] == inspector.org.id
    assert _signed(session, r.json["verification"]["record"]) == ("certification_check", inspector.org.id)
    admin = make.actor("admin")
    r = client.post(url, json={"result": "rejected", "note": "证书编号查无此证"}, headers=admin.headers)
    assert r.status_code == 201 and r.json["verification"]["result"] == "rejected"


def test_an_expired_certificate_is_refused_as_a_record_and_as_free_text(client, make):
    producer = make.actor("producer")
    product = make.product(producer)
    body = assert_problem(_declare(client, producer, [product.id], validFrom="2018-01-01", validUntil="2020-01-01"),
                          422, "validation", "validUntil")
    assert "过期" in body["detail"] and "expired" in body["detail"]
    r = client.post("/api/v1/products", json={"category": "tea", "name": "有机茶", "certifications": [
        {"kind": "organic", "number": "ORG-OLD", "validUntil": "2020-01-01"}]}, headers=producer.headers)
    body = assert_problem(r, 422, "validation", "certifications")
    assert "过期" in body["detail"] and "expired" in body["detail"]
    r = client.patch(f"/api/v1/products/{product.id}", json={"certifications": [
        {"kind": "organic", "number": "ORG-OLD", "validUntil": "2020-01-01"}]}, headers=producer.headers)
    assert_problem(r, 422, "validation", "certifications")


def test_a_certification_covers_only_the_declarers_own_products_and_a_real_scan(client, make):
    producer, other = make.actor("producer"), make.actor("producer")
    assert_problem(_declare(client, producer, [make.product(other).id]), 403, "forbidden")
    assert_problem(_declare(client, producer, [make.product(producer).id], scan="ab" * 32), 422, "validation", "scan")
    pdf = b"%PDF-1.4 certificate scan"
    up = client.post("/api/v1/attachments?name=cert.pdf", data=pdf,
                     headers={**producer.headers, "Content-Type": "application/pdf"})
    assert up.status_code == 201, up.json
    r = _declare(client, producer, [make.product(producer).id], scan=up.json["sha256"])
    assert r.status_code == 201 and r.json["scan"] == up.json["sha256"]


def _brand(client, admin, owner_org, **over):
    body = {"code": "songyang-tea", "name": "松阳香茶", "nameEn": "Songyang Tea", "owner": owner_org.id,
            "categories": ["tea"], "region": {"province": "浙江省", "county": "松阳县"}, **over}
    return client.post("/api/v1/brands", json=body, headers=admin.headers)


def _grant(client, owner, brand_id, org, **over):
    body = {"organization": org.id, "categories": ["tea"], "validFrom": _day(-1), "validUntil": _day(365), **over}
    return client.post(f"/api/v1/brands/{brand_id}/grants", json=body, headers=owner.headers)


def test_products_claim_a_brand_only_under_a_valid_grant_and_revocation_refuses_new_claims(client, make, session):
    office = make.actor("admin", make.org("authority", name="松阳县茶叶品牌办公室"))
    r = _brand(client, office, office.org)
    assert r.status_code == 201, r.json
    brand = r.json
    assert _signed(session, brand["record"]) == ("brand", office.org.id)
    tea, veg = make.actor("producer"), make.actor("producer")

    # No grant: a vegetable cooperative cannot label its product with the tea brand.
    r = client.post("/api/v1/products", json={"category": "tea", "name": "绿茶", "regionalBrand": "松阳香茶"},
                    headers=tea.headers)
    body = assert_problem(r, 422, "validation", "regionalBrand")
    assert "授权" in body["detail"] and "grant" in body["detail"]
    made_up = {"category": "tea", "name": "绿茶", "regionalBrand": "杜撰品牌"}
    assert_problem(client.post("/api/v1/products", json=made_up, headers=tea.headers), 422, "validation",
                   "regionalBrand")

    # Only the owner grants; the grant is signed by the owner.
    assert_problem(_grant(client, tea, brand["id"], tea.org), 403, "forbidden")
    assert_problem(_grant(client, make.actor("admin"), brand["id"], tea.org), 403, "forbidden")
    assert_problem(_grant(client, office, brand["id"], tea.org, categories=["vegetables"]), 422, "validation",
                   "categories")
    r = _grant(client, office, brand["id"], tea.org)
    assert r.status_code == 201, r.json
    grant = r.json
    assert _signed(session, grant["record"]) == ("brand_grant", office.org.id)

    r = client.post("/api/v1/products", json={"category": "tea", "name": "绿茶", "regionalBrand": "songyang-tea"},
                    headers=tea.headers)
    assert r.status_code == 201 and r.json["regionalBrand"] == "松阳香茶"
    veg_product = make.product(veg, "vegetables")
    r = client.patch(f"/api/v1/products/{veg_product.id}", json={"regionalBrand": "松阳香茶"}, headers=veg.headers)
    assert_problem(r, 422, "validation", "regionalBrand")

    # Only the owner revokes; afterwards no new product claims the brand.
    url = f"/api/v1/brands/{brand['id']}/grants/{grant['id']}/revocation"
    assert_problem(client.post(url, json={"reason": "抽检不合格"}, headers=tea.headers), 403, "forbidden")
    r = client.post(url, json={"reason": "抽检不合格"}, headers=office.headers)
    assert r.status_code == 200 and r.json["revokedReason"] == "抽检不合格"
    assert _signed(session, r.json["revocationRecord"]) == ("brand_revocation", office.org.id)
    assert_problem(client.post(url, json={"reason": "再次"}, headers=office.headers), 409, "conflict")
    r = client.post("/api/v1/products", json={"category": "tea", "name": "红茶", "regionalBrand": "松阳香茶"},
                    headers=tea.headers)
    body = assert_problem(r, 422, "validation", "regionalBrand")
    assert "已撤销" in body["detail"] and "revoked" in body["detail"]
    listed = client.get(f"/api/v1/brands/{brand['id']}").json
    assert [g["revokedAt"] is not None for g in listed["grants"]] == [True]


def test_an_expired_grant_refuses_new_claims(client, make):
    brand, owner = make.brand("松阳好产")
    producer = make.actor("producer")
    fields = {"organization": producer.org.id, "categories": ["vegetables"],
              "valid_from": TODAY - dt.timedelta(days=400), "valid_until": TODAY - dt.timedelta(days=35)}
    grant_brand(make.session, owner.user, brand.id, fields, ledger=make.ledger, today=TODAY - dt.timedelta(days=399))
    make.session.commit()
    r = client.post("/api/v1/products", json={"category": "vegetables", "name": "番茄", "regionalBrand": "松阳好产"},
                    headers=producer.headers)
    assert_problem(r, 422, "validation", "regionalBrand")


def test_a_brand_rule_needs_a_verified_certification_and_the_region(client, make):
    office = make.actor("admin", make.org("authority", name="松阳县农产品区域品牌办"))
    r = _brand(client, office, office.org, code="songyang-green", name="松阳绿品", categories=["vegetables"],
               requiredCertifications=["green_food"])
    assert r.status_code == 201, r.json
    brand = r.json
    producer = make.actor("producer")
    assert_problem(_grant(client, office, brand["id"], producer.org, categories=["vegetables"]), 422, "validation",
                   "organization")
    cert = _declare(client, producer, [make.product(producer).id], kind="green_food").json
    assert_problem(_grant(client, office, brand["id"], producer.org, categories=["vegetables"]), 422, "validation",
                   "organization")  # declared, not verified
    client.post(f"/api/v1/certifications/{cert['id']}/verification", json={"result": "verified"},
                headers=make.actor("inspector").headers)
    assert _grant(client, office, brand["id"], producer.org, categories=["vegetables"]).status_code == 201

    elsewhere = create_organization(make.session, None, {"kind": "cooperative", "name": "遂昌合作社",
                                                         "region": {"province": "浙江省", "county": "遂昌县"}})
    make.session.commit()
    assert_problem(_grant(client, office, brand["id"], elsewhere, categories=["vegetables"]), 422, "validation",
                   "organization")


def test_only_an_admin_or_the_owner_registers_a_brand(client, make):
    owner = make.actor("producer")
    assert_problem(_brand(client, make.actor("producer"), owner.org), 403, "forbidden")
    assert_problem(_brand(client, make.actor("inspector"), owner.org), 403, "forbidden")
    assert _brand(client, owner, owner.org).status_code == 201
    assert_problem(_brand(client, make.actor("admin"), owner.org), 409, "conflict")
