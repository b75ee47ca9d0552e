"""Who may call every write endpoint: one test per (action, actor) cell with its expected status.

In each row ``producer`` is the producer the action is meant for (the organization that owns the
batch or product, or the one a batch was shipped to for receiving) and ``stranger`` a producer of
an unrelated organization; ``lab`` is staff of a laboratory (an inspection_agency) that was asked
nothing unless the row's request or sample names it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.helpers import assert_problem, row_counts
from tests.factories import Actor, ago, event_body

ACTORS = ("anonymous", "stranger", "producer", "inspector", "admin", "lab")
INSPECTION = {"items": [{"item": "毒死蜱", "result": "pass"}], "result": "pass", "lab": "检测站"}


@dataclass
class World:
    make: Any
    session: Any
    client: Any
    producer: Actor
    stranger: Actor
    inspector: Actor
    admin: Actor
    lab: Actor


Request = tuple[str, str, dict[str, Any] | None]


def _org(w: World) -> Request:
    return "POST", "/api/v1/organizations", {"kind": "cooperative", "name": "新合作社",
                                             "region": {"province": "浙江省", "county": "松阳县"}}


def _member(w: World) -> Request:
    return "POST", f"/api/v1/organizations/{w.producer.org.id}/members", {"name": "新成员", "role": "producer"}


def _token(w: World) -> Request:
    return "POST", f"/api/v1/organizations/{w.producer.org.id}/members/{w.producer.user.id}/tokens", {"name": "t"}


def _revoke(w: World) -> Request:
    from trace.services.organizations.organizations import issue_token

    token, _ = issue_token(w.session, None, w.producer.user, "spare")
    w.session.commit()
    return "DELETE", f"/api/v1/tokens/{token.id}", None


def _category(w: World) -> Request:
    return "POST", "/api/v1/categories", {"code": "honey", "nameZh": "蜂蜜", "nameEn": "Honey",
                                          "template": [{"stage": "harvest"}]}


def _template(w: World) -> Request:
    field = {"name": "picker", "labelZh": "采摘人", "labelEn": "Picker", "type": "string"}
    return "PUT", "/api/v1/categories/fruit/template", {"stages": [{"stage": "harvest", "fields": [field]}]}


def _product(w: World) -> Request:
    return "POST", "/api/v1/products", {"category": "vegetables", "name": "黄瓜"}


def _batch(w: World) -> Request:
    product = w.make.product(w.producer)
    return "POST", "/api/v1/batches", {"product": product.id, "lot": "M-1", "quantity": "10", "uom": "KGM"}


def _change_product(w: World) -> Request:
    product = w.make.product(w.producer)
    return "PATCH", f"/api/v1/products/{product.id}", {"name": "改名番茄"}


def _correct(w: World) -> Request:
    import sqlalchemy as sa

    from trace.models import Event, EventBatch

    batch = w.make.batch(w.producer)
    registration = w.session.scalar(sa.select(Event.id).join(EventBatch, EventBatch.event_id == Event.id)
                                    .where(Event.stage == "registration", EventBatch.batch_id == batch.id))
    return "POST", f"/api/v1/events/{registration}/corrections", {"fields": {"lot": "FIX-1"}, "reason": "录入错误"}


def _event(stage: str, data: dict[str, Any]) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        return "POST", "/api/v1/events", event_body(stage, [w.make.batch(w.producer)], data)

    return build


def _shipping(w: World) -> Request:
    recipient = w.make.org("retailer")
    return "POST", "/api/v1/events", event_body("shipping", [w.make.batch(w.producer)], {"recipient": recipient.id})


def _receiving(w: World) -> Request:
    supplier = w.make.actor("producer")
    batch = w.make.batch(supplier)
    shipped = w.client.post("/api/v1/events", json=event_body("shipping", [batch], {"recipient": w.producer.org.id}),
                            headers=supplier.headers)
    assert shipped.status_code == 201, shipped.json
    return "POST", "/api/v1/events", event_body("receiving", [batch], {"from": supplier.org.id})


def _transformation(stage: str, category: str) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        product = w.make.product(w.producer, category)
        batch = w.make.batch(w.producer, product, quantity="10")
        return "POST", "/api/v1/transformations", {
            "id": str(uuid.uuid4()), "stage": stage, "occurredAt": ago(hours=1),
            "inputs": [{"batch": batch.trace_code, "quantity": "10", "uom": "KGM"}],
            "outputs": [{"product": product.id, "lot": "OUT-1", "quantity": "6", "uom": "KGM"},
                        {"product": product.id, "lot": "OUT-2", "quantity": "4", "uom": "KGM"}]}

    return build


def _test_request(w: World) -> Request:
    return "POST", "/api/v1/events", event_body("test_request", [w.make.batch(w.producer)],
                                                {"laboratory": w.lab.org.id, "items": ["毒死蜱"]})


def _sampling(w: World) -> Request:
    return "POST", "/api/v1/events", event_body("sampling", [w.make.batch(w.producer)], {"laboratory": w.lab.org.id})


def _lab_answer(w: World) -> Request:
    batch = w.make.batch(w.producer)
    asked = w.client.post("/api/v1/events", headers=w.producer.headers,
                          json=event_body("test_request", [batch], {"laboratory": w.lab.org.id, "items": ["毒死蜱"]}))
    assert asked.status_code == 201, asked.json
    return "POST", "/api/v1/events", event_body("inspection", [batch], {**INSPECTION, "request": asked.json["id"]})


def _bulk(w: World) -> Request:
    batch = w.make.batch(w.producer)
    return "POST", "/api/v1/events/bulk", {"events": [event_body("storage", [batch], {"warehouse": "库"}),
                                                      event_body("harvest", [batch], {"quantity": "1", "uom": "KGM"})]}


def _on_batch(path: str, body: dict[str, Any]) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        return "POST", f"/api/v1/batches/{w.make.batch(w.producer).trace_code}/{path}", body

    return build


def _rotate(w: World) -> Request:
    return "POST", f"/api/v1/organizations/{w.producer.org.id}/keys/rotate", None


def _device(w: World) -> Request:
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "POST", "/api/v1/devices", {"name": f"scanner-{uuid.uuid4().hex[:8]}",
                                       "publicKey": base64.b64encode(public).decode()}


def _location(w: World) -> int:
    from trace.services.devices.locations import add_location

    place = add_location(w.session, w.producer.user, w.producer.org.id, {"kind": "warehouse",
                                                                         "name": f"库{uuid.uuid4().hex[:6]}"})
    w.session.commit()
    return place.id


def _add_location(w: World) -> Request:
    return "POST", f"/api/v1/organizations/{w.producer.org.id}/locations", {"kind": "stall", "name": "摊位 3"}


def _change_location(w: World) -> Request:
    return "PATCH", f"/api/v1/locations/{_location(w)}", {"name": "二号仓"}


def _retire_location(w: World) -> Request:
    return "DELETE", f"/api/v1/locations/{_location(w)}", None


def _revoke_device(w: World) -> Request:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from trace.services.devices.enrolment import enroll_device

    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    device = enroll_device(w.session, w.make.ledger, w.producer.user, f"s-{uuid.uuid4().hex[:8]}", public)
    w.session.commit()
    return "POST", f"/api/v1/devices/{device.id}/revoke", {"reason": "lost"}


def _device_records(w: World) -> Request:
    # Authenticated by each record's device signature: anyone may send, each item is judged alone.
    return "POST", "/api/v1/devices/records", {"records": [{"record": {"id": str(uuid.uuid4())},
                                                            "signature": {"keyId": "00" * 32, "sig": "AA=="}}]}


def _resolve(w: World) -> Request:
    return "POST", "/api/v1/devices/resolve", {"items": [w.make.batch(w.producer).trace_code]}


def _compliance_run(w: World) -> Request:
    return "POST", "/api/v1/compliance/run", {"batch": w.make.batch(w.producer).trace_code}


def _declare_certification(w: World) -> Request:
    product = w.make.product(w.producer)
    return "POST", "/api/v1/certifications", {
        "kind": "green_food", "issuer": "中国绿色食品发展中心", "number": "LB-1", "products": [product.id],
        "validFrom": "2026-01-01", "validUntil": "2099-12-31"}


def _verify_certification(w: World) -> Request:
    import datetime as dt

    from trace.services.endorsements.certifications import declare_certification

    cert = declare_certification(w.session, w.producer.user, {
        "kind": "organic", "issuer": "有机认证中心", "number": "ORG-1", "products": [w.make.product(w.producer).id],
        "valid_from": dt.date(2026, 1, 1), "valid_until": dt.date(2099, 12, 31)}, ledger=w.make.ledger)
    w.session.commit()
    return "POST", f"/api/v1/certifications/{cert.id}/verification", {"result": "verified"}


def _brand_fields(w: World) -> dict[str, Any]:
    code = f"b{uuid.uuid4().hex[:12]}"
    return {"code": code, "name": f"品牌{code}", "owner": w.producer.org.id, "categories": ["tea", "vegetables"],
            "region": {"province": "浙江省", "county": "松阳县"}}


def _register_brand(w: World) -> Request:
    return "POST", "/api/v1/brands", _brand_fields(w)


def _owned_brand(w: World) -> Any:
    from trace.services.endorsements.brands import register_brand

    fields = {**_brand_fields(w), "name_en": None}
    brand = register_brand(w.session, w.producer.user, fields, ledger=w.make.ledger)
    w.session.commit()
    return brand


def _grant_brand(w: World) -> Request:
    brand = _owned_brand(w)
    return "POST", f"/api/v1/brands/{brand.id}/grants", {
        "organization": w.make.org().id, "categories": ["tea"], "validFrom": "2026-01-01", "validUntil": "2099-12-31"}


def _revoke_grant(w: World) -> Request:
    brand = _owned_brand(w)
    grant = w.make.grant(brand, w.producer, w.make.org(), ("tea",))
    return "POST", f"/api/v1/brands/{brand.id}/grants/{grant.id}/revocation", {"reason": "违规使用"}


def _township(w: World) -> Request:
    return "POST", "/api/v1/townships", {"code": "331124104000", "name": "新兴镇"}


def _registered_township(w: World) -> str:
    from trace.models import Township
    from trace.services.organizations.townships import create_township

    if w.session.get(Township, "331124103000") is None:
        create_township(w.session, None, {"code": "331124103000", "name": "大东坝镇"})
        w.session.commit()
    return "331124103000"


def _rename_township(w: World) -> Request:
    return "PATCH", f"/api/v1/townships/{_registered_township(w)}", {"nameEn": "Dadongba Town"}


def _village(w: World) -> Request:
    return "POST", f"/api/v1/townships/{_registered_township(w)}/villages", {"code": "331124103201", "name": "石仓村"}


def _rename_village(w: World) -> Request:
    from trace.models import Township
    from trace.services.organizations.townships import create_village

    township = w.session.get(Township, _registered_township(w))
    create_village(w.session, None, township, {"code": "331124103202", "name": "茶排村"})
    w.session.commit()
    return "PATCH", "/api/v1/villages/331124103202", {"name": "茶排行政村"}


def _place(w: World) -> Request:
    return "PUT", f"/api/v1/organizations/{w.producer.org.id}/township", {"township": _registered_township(w)}


def _aid(w: World) -> Request:
    return "PUT", f"/api/v1/organizations/{w.producer.org.id}/aid", {"kind": "household"}


# action: (request builder, expected status for anonymous, stranger, producer, inspector, admin, lab)
MATRIX: dict[str, tuple[Callable[[World], Request], tuple[int, int, int, int, int, int]]] = {
    "create-organization": (_org, (401, 403, 403, 403, 201, 403)),
    "add-member": (_member, (401, 403, 403, 403, 201, 403)),
    "issue-token": (_token, (401, 403, 201, 403, 201, 403)),
    "revoke-token": (_revoke, (401, 404, 200, 404, 200, 404)),
    "create-category": (_category, (401, 403, 403, 403, 201, 403)),
    "change-template": (_template, (401, 403, 403, 403, 200, 403)),
    "create-product": (_product, (401, 201, 201, 403, 403, 403)),
    "change-product": (_change_product, (401, 403, 200, 403, 403, 403)),
    "register-batch": (_batch, (401, 403, 201, 403, 403, 403)),
    "correct-record": (_correct, (401, 403, 201, 403, 403, 403)),
    "event-harvest": (_event("harvest", {"quantity": "10", "uom": "KGM"}), (401, 403, 201, 403, 403, 403)),
    "event-inspection": (_event("inspection", INSPECTION), (401, 403, 201, 201, 403, 403)),
    "event-recall": (_event("recall", {"reason": "农残超标"}), (401, 403, 201, 201, 403, 403)),
    "event-shipping": (_shipping, (401, 403, 201, 403, 403, 403)),
    "event-receiving": (_receiving, (401, 403, 201, 403, 403, 403)),
    "transformation-processing": (_transformation("processing", "tea"), (401, 403, 201, 403, 403, 403)),
    "transformation-sorting": (_transformation("sorting", "vegetables"), (401, 403, 201, 403, 403, 403)),
    "event-test-request": (_test_request, (401, 403, 201, 403, 403, 403)),
    "event-sampling": (_sampling, (401, 403, 403, 201, 403, 403)),
    "event-lab-answer": (_lab_answer, (401, 403, 403, 403, 403, 201)),
    "bulk-events": (_bulk, (401, 403, 201, 403, 403, 403)),
    "issue-labels": (_on_batch("labels", {"count": 3}), (401, 403, 201, 403, 201, 403)),
    "issue-certificate": (_on_batch("certificate", {"basis": ["self_test"]}), (401, 403, 201, 403, 201, 403)),
    "open-recall": (_on_batch("recalls", {"reason": "农残超标"}), (401, 403, 201, 201, 403, 403)),
    "rotate-key": (_rotate, (401, 403, 201, 403, 201, 403)),
    "enroll-device": (_device, (401, 201, 201, 403, 403, 403)),
    "run-compliance": (_compliance_run, (401, 403, 403, 200, 200, 403)),
    "add-location": (_add_location, (401, 403, 201, 403, 201, 403)),
    "change-location": (_change_location, (401, 403, 200, 403, 200, 403)),
    "retire-location": (_retire_location, (401, 403, 200, 403, 200, 403)),
    "revoke-device": (_revoke_device, (401, 403, 200, 403, 200, 403)),
    "upload-device-records": (_device_records, (200, 200, 200, 200, 200, 200)),
    "resolve-identifiers": (_resolve, (200, 200, 200, 200, 200, 200)),
    "declare-certification": (_declare_certification, (401, 403, 201, 403, 403, 403)),
    "verify-certification": (_verify_certification, (401, 403, 403, 201, 201, 403)),
    "register-brand": (_register_brand, (401, 403, 201, 403, 201, 403)),
    "grant-brand": (_grant_brand, (401, 403, 201, 403, 403, 403)),
    "revoke-grant": (_revoke_grant, (401, 403, 200, 403, 403, 403)),
    "create-township": (_township, (401, 403, 403, 403, 201, 403)),
    "rename-township": (_rename_township, (401, 403, 403, 403, 200, 403)),
    "add-village": (_village, (401, 403, 403, 403, 201, 403)),
    "rename-village": (_rename_village, (401, 403, 403, 403, 200, 403)),
    "place-organization": (_place, (401, 403, 403, 403, 200, 403)),
    "mark-aid": (_aid, (401, 403, 403, 403, 200, 403)),
}
CELLS = [
    pytest.param(action, actor, status, id=f"{action}-{actor}-{status}")
    for action, (_, statuses) in MATRIX.items()
    for actor, status in zip(ACTORS, statuses, strict=True)
]
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
COVERED = {("POST", "/organizations"), ("POST", "/organizations/<id:org_id>/members"),
           ("POST", "/organizations/<id:org_id>/members/<id:user_id>/tokens"),
           ("DELETE", "/tokens/<id:token_id>"), ("POST", "/categories"), ("POST", "/products"),
           ("POST", "/batches"), ("POST", "/events"), ("POST", "/transformations"), ("POST", "/events/bulk"),
           ("POST", "/batches/<code>/labels"), ("POST", "/batches/<code>/certificate"),
           ("POST", "/batches/<code>/recalls"), ("POST", "/organizations/<id:org_id>/keys/rotate"),
           ("POST", "/devices"), ("POST", "/compliance/run"), ("PUT", "/categories/<code>/template"),
           ("PATCH", "/products/<id:product_id>"), ("POST", "/events/<uuid:event_id>/corrections"),
           ("POST", "/organizations/<id:org_id>/locations"), ("PATCH", "/locations/<id:location_id>"),
           ("DELETE", "/locations/<id:location_id>"), ("POST", "/devices/<id:device_id>/revoke"),
           ("POST", "/devices/records"), ("POST", "/devices/resolve"),
           ("POST", "/certifications"), ("POST", "/certifications/<id:certification_id>/verification"),
           ("POST", "/brands"), ("POST", "/brands/<id:brand_id>/grants"),
           ("POST", "/brands/<id:brand_id>/grants/<id:grant_id>/revocation"),
           ("POST", "/townships"), ("PATCH", "/townships/<code>"), ("POST", "/townships/<code>/villages"),
           ("PATCH", "/villages/<code>"), ("PUT", "/organizations/<id:org_id>/township"),
           ("PUT", "/organizations/<id:org_id>/aid")}


@pytest.fixture()
def world(client, make, session) -> World:
    producer = make.actor("producer")
    return World(make, session, client, producer, make.actor("producer"), make.actor("inspector"), make.actor("admin"),
                 make.actor("lab", make.org("inspection_agency", name="松阳县检测站")))


@pytest.mark.parametrize(("action", "actor", "expected"), CELLS)
def test_write_permission(client, world, session, action, actor, expected):
    build, _ = MATRIX[action]
    method, url, body = build(world)
    headers = {} if actor == "anonymous" else getattr(world, actor).headers
    before = row_counts(session)
    r = client.open(url, method=method, json=body, headers=headers)
    if expected < 400:
        assert r.status_code == expected, r.get_data(as_text=True)
        return
    slug = {401: "unauthenticated", 403: "forbidden", 404: "not-found"}[expected]
    assert_problem(r, expected, slug)
    assert row_counts(session) == before


def test_the_matrix_covers_the_foundation_write_endpoints():
    from trace.api import ROUTES

    writes = {(r.method, r.rule) for r in ROUTES if r.method in WRITE_METHODS}
    assert writes >= COVERED
