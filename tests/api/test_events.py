"""Recording stages through POST /api/v1/events, idempotent retries, reading events back."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from tests.api.helpers import assert_problem, row_counts
from tests.factories import ago, event_body
from trace.models import Batch, Event

CBV = "https://ref.gs1.org/cbv/BizStep-"
INSPECTION = {"items": [{"item": "毒死蜱", "limit": "0.02", "measured": "0.003", "unit": "mg/kg", "result": "pass"}],
              "result": "pass", "lab": "松阳县检测站"}


def post_event(client, actor, body):
    return client.post("/api/v1/events", json=body, headers=actor.headers)


def test_harvest_is_recorded(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    occurred = "2026-05-01T08:30:00+08:00"
    body = event_body("harvest", [batch], {"quantity": "100", "uom": "KGM", "method": "人工采摘"},
                      occurredAt=occurred, location={"name": "3号地块", "latitude": 28.45, "longitude": "119.48"})
    r = post_event(client, producer, body)
    assert r.status_code == 201, r.json
    event = r.json
    assert r.headers["Location"] == f"/api/v1/events/{body['id']}"
    assert event["id"] == body["id"]
    assert (event["stage"], event["bizStep"]) == ("harvest", CBV + "commissioning")
    assert event["organization"] == producer.org.id
    assert event["actor"] == f"user:{producer.user.id}"
    assert event["occurredAt"] == "2026-05-01T00:30:00Z"
    recorded = dt.datetime.fromisoformat(event["recordedAt"])
    assert abs(recorded - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert event["batches"] == [batch.trace_code]
    assert event["inputs"] == event["outputs"] == []
    assert event["data"] == {"quantity": "100", "uom": "KGM", "method": "人工采摘", "templates": {"vegetables": 1}}
    assert event["location"] == {"name": "3号地块", "latitude": "28.45", "longitude": "119.48"}
    assert client.get(f"/api/v1/events/{body['id']}", headers=producer.headers).json == event
    stored = session.get(Event, body["id"])
    assert stored.occurred_at == dt.datetime(2026, 5, 1, 0, 30, tzinfo=dt.UTC)


def test_one_event_covers_several_batches(client, make):
    producer = make.actor("producer")
    product = make.product(producer)
    a, b = make.batch(producer, product), make.batch(producer, product)
    r = post_event(client, producer, event_body("storage", [b, a], {"warehouse": "一号冷库"}))
    assert r.status_code == 201, r.json
    assert r.json["batches"] == [b.trace_code, a.trace_code]
    for batch in (a, b):
        events = client.get(f"/api/v1/batches/{batch.trace_code}/events", headers=producer.headers).json["items"]
        assert [e["id"] for e in events if e["stage"] != "registration"] == [r.json["id"]]


def test_retry_with_the_same_body_returns_the_stored_event(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    body = event_body("inspection", [batch], INSPECTION)
    first = post_event(client, producer, body)
    assert first.status_code == 201
    before = row_counts(session)
    again = post_event(client, producer, body)
    assert again.status_code == 200
    assert again.json == first.json
    # Key order and whitespace are not part of the body's meaning.
    reordered = json.dumps(dict(reversed(list(body.items()))), ensure_ascii=False, indent=2)
    third = client.post("/api/v1/events", data=reordered, content_type="application/json", headers=producer.headers)
    assert third.status_code == 200
    assert third.json == first.json
    assert row_counts(session) == before


def test_same_id_with_another_body_is_a_conflict(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    body = event_body("inspection", [batch], INSPECTION)
    first = post_event(client, producer, body)
    assert first.status_code == 201
    before = row_counts(session)
    changed = {**body, "data": {**INSPECTION, "lab": "另一个检测站"}}
    assert_problem(post_event(client, producer, changed), 409, "conflict", "id")
    assert_problem(post_event(client, producer, {**body, "stage": "certificate",
                                                 "data": {"number": "HGZ-1", "basis": ["self_test"]}}),
                   409, "conflict", "id")
    assert row_counts(session) == before
    assert client.get(f"/api/v1/events/{body['id']}", headers=producer.headers).json == first.json


def test_same_id_and_body_from_another_organization_is_not_a_replay(client, make, session):
    producer = make.actor("producer")
    inspector = make.actor("inspector")
    batch = make.batch(producer)
    body = event_body("inspection", [batch], INSPECTION)
    assert post_event(client, producer, body).status_code == 201
    before = row_counts(session)
    assert_problem(post_event(client, inspector, body), 409, "conflict", "id")
    assert row_counts(session) == before
    assert session.get(Event, body["id"]).organization_id == producer.org.id


def test_processing_goes_through_transformations(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer, make.product(producer, "tea"))
    before = row_counts(session)
    body = assert_problem(post_event(client, producer, event_body("processing", [batch], {})), 422, "validation",
                          "stage")
    assert "/api/v1/transformations" in body["detail"]
    assert row_counts(session) == before


def test_stage_outside_the_category_template_is_rejected(client, make, session):
    producer = make.actor("producer")
    tea = make.batch(producer, make.product(producer, "tea"))
    before = row_counts(session)
    r = post_event(client, producer, event_body("sorting", [tea], {"method": "手工"}))
    body = assert_problem(r, 422, "validation", "stage")
    assert "tea" in body["detail"]
    assert row_counts(session) == before


def test_template_required_fields_are_enforced(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)  # vegetables: harvest requires quantity and uom
    before = row_counts(session)
    body = assert_problem(post_event(client, producer, event_body("harvest", [batch], {"method": "人工"})), 422,
                          "validation", "data")
    assert set(body["errors"]["data"]) == {"quantity", "uom"}
    assert row_counts(session) == before


def test_stage_data_is_validated(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer)
    pesticide = {"inputType": "pesticide", "product": "吡虫啉", "dose": "30", "doseUnit": "mL/亩"}
    body = assert_problem(post_event(client, producer, event_body("input", [batch], pesticide)), 422,
                          "validation", "data")
    assert set(body["errors"]["data"]) == {"registrationNumber", "preHarvestIntervalDays"}
    failed = {**INSPECTION, "items": [{"item": "毒死蜱", "result": "fail"}]}
    body = assert_problem(post_event(client, producer, event_body("inspection", [batch], failed)), 422,
                          "validation", "data")
    assert "result" in body["errors"]["data"]
    body = assert_problem(post_event(client, producer, event_body("harvest", [batch], {"quantity": "1", "uom": "KGM",
                                                                                      "colour": "red"})),
                          422, "validation", "data")
    assert "colour" in body["errors"]["data"]


def test_unknown_and_repeated_batches_are_rejected(client, make, session):
    from trace.codes.tracecode import new_trace_code

    producer = make.actor("producer")
    batch = make.batch(producer)
    before = row_counts(session)
    body = event_body("storage", [batch], {})
    body["batches"].append(new_trace_code())
    assert_problem(post_event(client, producer, body), 422, "validation", "batches")
    body = event_body("storage", [batch, batch], {})
    assert_problem(post_event(client, producer, body), 422, "validation", "batches")
    assert row_counts(session) == before


def test_shipping_hands_custody_to_the_recipient_who_then_receives(client, make, session):
    producer = make.actor("producer")
    buyer = make.actor("producer", make.org("retailer"))
    batch = make.batch(producer)
    assert_problem(client.get(f"/api/v1/batches/{batch.trace_code}", headers=buyer.headers), 403, "forbidden")
    shipped = post_event(client, producer, event_body("shipping", [batch], {"recipient": buyer.org.id,
                                                                             "vehicle": "浙K·12345"}))
    assert shipped.status_code == 201, shipped.json
    session.expire_all()
    assert session.get(Batch, batch.id).custodian_id == buyer.org.id
    seen = client.get(f"/api/v1/batches/{batch.trace_code}", headers=buyer.headers)
    assert seen.status_code == 200
    assert seen.json["custodian"] == buyer.org.id and seen.json["organization"] == producer.org.id
    received = post_event(client, buyer, event_body("receiving", [batch], {"from": producer.org.id}))
    assert received.status_code == 201, received.json
    assert received.json["organization"] == buyer.org.id
    sold = post_event(client, buyer, event_body("sale", [batch], {"channel": "supermarket"}))
    assert sold.status_code == 201, sold.json


def test_only_the_recipient_records_receiving(client, make, session):
    producer = make.actor("producer")
    buyer = make.actor("producer", make.org("retailer"))
    batch = make.batch(producer)
    assert post_event(client, producer, event_body("shipping", [batch], {"recipient": buyer.org.id})).status_code == 201
    before = row_counts(session)
    assert_problem(post_event(client, producer, event_body("receiving", [batch], {"from": producer.org.id})),
                   403, "forbidden")
    assert row_counts(session) == before


def test_the_producer_still_answers_for_a_batch_it_shipped(client, make):
    producer = make.actor("producer")
    buyer = make.actor("producer", make.org("retailer"))
    batch = make.batch(producer)
    assert post_event(client, producer, event_body("shipping", [batch], {"recipient": buyer.org.id})).status_code == 201
    for stage, data in [("certificate", {"number": "HGZ-9", "basis": ["self_test"]}),
                        ("inspection", INSPECTION), ("recall", {"reason": "农残超标"})]:
        assert post_event(client, producer, event_body(stage, [batch], data)).status_code == 201, stage
    stranger = make.actor("producer")
    assert_problem(post_event(client, stranger, event_body("recall", [batch], {"reason": "x"})), 403, "forbidden")


def test_shipping_to_an_unknown_organization_is_rejected(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    before = row_counts(session)
    body = assert_problem(post_event(client, producer, event_body("shipping", [batch], {"recipient": 999999})),
                          422, "validation", "data")
    assert "recipient" in body["errors"]["data"]
    assert_problem(post_event(client, producer, event_body("receiving", [batch], {"from": 999999})),
                   422, "validation", "data")
    session.expire_all()
    assert session.get(Batch, batch.id).custodian_id == producer.org.id
    assert row_counts(session) == before


def test_recall_marks_the_batch_recalled(client, make, session):
    producer = make.actor("producer")
    inspector = make.actor("inspector")
    batch = make.batch(producer)
    r = post_event(client, inspector, event_body("recall", [batch], {"reason": "农残超标"}))
    assert r.status_code == 201, r.json
    assert r.json["bizStep"] == CBV + "holding"
    detail = client.get(f"/api/v1/batches/{batch.trace_code}", headers=producer.headers).json
    assert (detail["status"], detail["disposition"]) == ("recalled", "recalled")
    assert [e["stage"] for e in detail["events"]] == ["recall", "registration"]  # registered after the recall time


def test_destruction_leaves_nothing_available(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer, quantity="80")
    r = post_event(client, producer, event_body("destruction", [batch], {"method": "深埋", "quantity": "80",
                                                                          "uom": "KGM"}))
    assert r.status_code == 201, r.json
    detail = client.get(f"/api/v1/batches/{batch.trace_code}", headers=producer.headers).json
    assert (detail["status"], detail["available"], detail["quantity"]) == ("destroyed", "0", "80")


def test_sensor_readings_with_numbers_are_kept_exactly(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    sensors = [{"sensorMetadata": {"time": ago(hours=2)},
                "sensorReport": [{"type": "gs1:MT-Temperature", "value": 3.25, "uom": "CEL"}]}]
    body = event_body("storage", [batch], {"warehouse": "冷库"}, sensors=sensors)
    r = post_event(client, producer, body)
    assert r.status_code == 201, r.json
    assert r.json["sensors"][0]["sensorReport"][0]["value"] in ("3.25", 3.25)
    assert post_event(client, producer, body).status_code == 200


def test_unknown_event_is_404(client, make):
    producer = make.actor("producer")
    assert_problem(client.get(f"/api/v1/events/{uuid.uuid4()}", headers=producer.headers), 404, "not-found")
    assert_problem(client.get("/api/v1/events/not-a-uuid", headers=producer.headers), 404, "not-found")


def test_events_of_another_organizations_batch_are_private(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer)
    body = event_body("harvest", [batch], {"quantity": "1", "uom": "KGM"})
    assert post_event(client, producer, body).status_code == 201
    url = f"/api/v1/events/{body['id']}"
    assert_problem(client.get(url, headers=make.actor("producer").headers), 403, "forbidden")
    assert client.get(url, headers=make.actor("inspector").headers).status_code == 200
    assert client.get(url, headers=make.actor("admin").headers).status_code == 200
    assert_problem(client.get(url), 401, "unauthenticated")


def test_a_registered_location_must_be_a_place_of_the_recording_organization(client, make, session):
    producer, other = make.actor("producer"), make.actor("producer")
    batch = make.batch(producer)

    def place(actor, name):
        r = client.post(f"/api/v1/organizations/{actor.org.id}/locations", json={"kind": "warehouse", "name": name},
                        headers=actor.headers)
        assert r.status_code == 201, r.json
        return r.json["id"]

    mine, theirs = place(producer, "1号库"), place(other, "对方库")
    before = row_counts(session)
    body = event_body("storage", [batch], {"warehouse": "对方库"}, location={"id": theirs, "name": "对方库"})
    assert_problem(post_event(client, producer, body), 403, "forbidden", "location")
    unknown = event_body("storage", [batch], {"warehouse": "库"}, location={"id": theirs + 1000, "name": "库"})
    assert_problem(post_event(client, producer, unknown), 422, "validation", "location")
    bulk = client.post("/api/v1/events/bulk", headers=producer.headers, json={"events": [
        event_body("storage", [batch], {"warehouse": "1号库"}, location={"id": mine, "name": "1号库"}), body]})
    assert_problem(bulk, 403, "forbidden")
    split = {"id": str(uuid.uuid4()), "stage": "sorting", "occurredAt": ago(minutes=5),
             "location": {"id": theirs, "name": "对方库"},
             "inputs": [{"batch": batch.trace_code, "quantity": "1", "uom": batch.uom}],
             "outputs": [{"product": batch.product_id, "lot": "SPLIT-1", "quantity": "1", "uom": batch.uom}]}
    assert_problem(client.post("/api/v1/transformations", json=split, headers=producer.headers), 403, "forbidden")
    session.expire_all()
    assert row_counts(session) == before  # nothing half-written
    retired = place(producer, "旧库")
    assert client.delete(f"/api/v1/locations/{retired}", headers=producer.headers).status_code == 200
    late = event_body("storage", [batch], {"warehouse": "旧库"}, location={"id": retired, "name": "旧库"},
                      occurredAt=dt.datetime.now(dt.UTC).isoformat())
    assert_problem(post_event(client, producer, late), 422, "validation", "location")
    earlier = event_body("storage", [batch], {"warehouse": "旧库"}, location={"id": retired, "name": "旧库"})
    assert post_event(client, producer, earlier).status_code == 201  # made (offline) before it was retired
    ok = event_body("storage", [batch], {"warehouse": "1号库"}, location={"id": mine, "name": "1号库"})
    r = post_event(client, producer, ok)
    assert r.status_code == 201, r.json
    assert r.json["location"] == {"id": mine, "name": "1号库"}
