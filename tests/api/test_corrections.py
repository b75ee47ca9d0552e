"""Corrections, not edits: signed correction records change what pages show, and the audit stays clean."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tests.api.helpers import assert_problem
from tests.factories import event_body
from trace.models import Batch, Event
from trace.services.audit.audit import audit_log

JSON = {"Accept": "application/json"}


def registration_id(session, batch):
    from trace.models import EventBatch

    return session.scalar(sa.select(Event.id).join(EventBatch, EventBatch.event_id == Event.id)
                          .where(Event.stage == "registration", EventBatch.batch_id == batch.id))


def correct(client, actor, record_id, body):
    return client.post(f"/api/v1/events/{record_id}/corrections", json=body, headers=actor.headers)


def test_a_corrected_registration_changes_the_batch_and_keeps_the_audit_clean(client, make, session, app):
    producer = make.actor("producer")
    batch = make.batch(producer, quantity="100")
    body = {"id": str(uuid.uuid4()), "fields": {"quantity": "120.0", "lot": "L-FIXED"}, "reason": "称重录入错误"}
    r = correct(client, producer, registration_id(session, batch), body)
    assert r.status_code == 201, r.json
    assert r.json["data"] == {"record": registration_id(session, batch),
                              "fields": {"quantity": "120", "lot": "L-FIXED"}, "reason": "称重录入错误"}
    assert correct(client, producer, registration_id(session, batch), body).status_code == 200  # a retry
    changed = {**body, "reason": "另一个理由"}
    assert_problem(correct(client, producer, registration_id(session, batch), changed), 409, "conflict", "id")
    session.expire_all()
    row = session.get(Batch, batch.id)
    assert (format(row.quantity.normalize(), "f"), format(row.available.normalize(), "f"), row.lot) == \
        ("120", "120", "L-FIXED")
    assert audit_log(session, app.config["TRACE"].log_origin, workers=1).ok
    page = client.get(f"/t/{batch.trace_code}", headers=JSON).json
    assert page["verification"]["verified"] is True
    assert page["batch"]["lot"] == "L-FIXED"


def test_a_corrected_stage_shows_the_new_value_with_a_note_and_a_void_drops_it(client, make, session, app):
    producer = make.actor("producer")
    batch = make.batch(producer)
    planting = event_body("planting", [batch], {"plot": "3号地块", "variety": "浙粉701"})
    assert client.post("/api/v1/events", json=planting, headers=producer.headers).status_code == 201
    inspection = event_body("inspection", [batch], {"items": [{"item": "毒死蜱", "result": "pass"}],
                                                    "result": "pass", "lab": "县检测站"})
    assert client.post("/api/v1/events", json=inspection, headers=producer.headers).status_code == 201
    r = correct(client, producer, planting["id"], {"fields": {"variety": "浙粉702"}, "reason": "品种写错"})
    assert r.status_code == 201, r.json
    r = correct(client, producer, inspection["id"], {"void": True, "reason": "样品编号混淆"})
    assert r.status_code == 201, r.json
    page = client.get(f"/t/{batch.trace_code}", headers=JSON).json
    shown = {e["id"]: e for e in page["timeline"]}
    assert shown[planting["id"]]["corrected"] is True and shown[planting["id"]]["correctionNote"] == "已更正：品种写错"
    assert any(d["value"] == "浙粉702" for d in shown[planting["id"]]["details"])
    assert shown[inspection["id"]]["void"] is True and page["inspections"] == []
    assert page["verification"]["verified"] is True
    html = client.get(f"/t/{batch.trace_code}?lang=en").get_data(as_text=True)
    assert "Corrected: 品种写错" in html and "Voided: 样品编号混淆" in html
    assert audit_log(session, app.config["TRACE"].log_origin, workers=1).ok


def test_corrections_are_checked_and_only_the_recording_organization_makes_them(client, make, session):
    producer, other = make.actor("producer"), make.actor("producer")
    batch = make.batch(producer)
    planting = event_body("planting", [batch], {"plot": "3号地块", "variety": "浙粉701"})
    assert client.post("/api/v1/events", json=planting, headers=producer.headers).status_code == 201
    before = session.scalar(sa.select(sa.func.count()).select_from(Event))
    refused = correct(client, other, planting["id"], {"fields": {"variety": "x"}, "reason": "r"})
    assert_problem(refused, 403, "forbidden")
    assert_problem(correct(client, producer, planting["id"], {"fields": {"area": "-1"}, "reason": "r"}),
                   422, "validation", "fields")
    assert_problem(correct(client, producer, planting["id"], {"reason": "r"}), 422, "validation", "fields")
    reg = registration_id(session, batch)
    assert_problem(correct(client, producer, reg, {"void": True, "reason": "r"}), 422, "validation", "void")
    assert_problem(correct(client, producer, reg, {"fields": {"product": 5}, "reason": "r"}), 422, "validation")
    assert_problem(correct(client, producer, reg, {"fields": {"quantity": "0"}, "reason": "r"}), 422, "validation")
    assert_problem(correct(client, producer, str(uuid.uuid4()), {"void": True, "reason": "r"}), 404, "not-found")
    assert session.scalar(sa.select(sa.func.count()).select_from(Event)) == before


def test_a_product_changes_only_through_a_signed_product_record(client, make, session, app):
    producer, other = make.actor("producer"), make.actor("producer")
    batch = make.batch(producer)
    product_id = batch.product_id
    before = session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.stage == "product"))
    change = {"name": "高山番茄", "brand": "石仓", "certifications": [{"kind": "green_food", "number": "LB-1"}]}
    assert_problem(client.patch(f"/api/v1/products/{product_id}", json=change, headers=other.headers),
                   403, "forbidden")
    r = client.patch(f"/api/v1/products/{product_id}", json=change, headers=producer.headers)
    assert r.status_code == 200, r.json
    assert (r.json["name"], r.json["brand"]) == ("高山番茄", "石仓")
    again = client.patch(f"/api/v1/products/{product_id}", json=change, headers=producer.headers)
    assert again.status_code == 200  # unchanged: no new record
    records = session.scalars(sa.select(Event).where(Event.stage == "product").order_by(Event.recorded_at)).all()
    assert len(records) == before + 1 and records[-1].data["name"] == "高山番茄"
    page = client.get(f"/t/{batch.trace_code}", headers=JSON).json
    assert page["product"]["name"] == "高山番茄" and page["verification"]["verified"] is True
    assert audit_log(session, app.config["TRACE"].log_origin, workers=1).ok


def test_exports_carry_the_corrected_values_and_leave_voided_records_out(client, make, session):
    producer, inspector = make.actor("producer"), make.actor("inspector")
    batch = make.batch(producer)
    storage = event_body("storage", [batch], {"warehouse": "一号冷库"})
    packing = event_body("packing", [batch], {"packageType": "纸箱"})
    for body in (storage, packing):
        assert client.post("/api/v1/events", json=body, headers=producer.headers).status_code == 201
    fixed = correct(client, producer, storage["id"], {"fields": {"warehouse": "二号冷库"}, "reason": "库号写错"})
    assert fixed.status_code == 201
    assert correct(client, producer, packing["id"], {"void": True, "reason": "重复录入"}).status_code == 201
    doc = client.get("/api/v1/exports/epcis", query_string={"batch": batch.trace_code},
                     headers=inspector.headers).get_json()
    events = {e["eventID"].removeprefix("urn:uuid:"): e for e in doc["epcisBody"]["eventList"]}
    assert packing["id"] not in events and events[storage["id"]]["trace:data"]["warehouse"] == "二号冷库"
    csv = client.get("/api/v1/exports/kde.csv", query_string={"batch": batch.trace_code},
                     headers=inspector.headers).get_data(as_text=True)
    assert storage["id"] in csv and packing["id"] not in csv
