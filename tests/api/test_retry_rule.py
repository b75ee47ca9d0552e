"""One retry rule for every way in: the same id and canonical content replays, other content is 409."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa

from tests.api.helpers import assert_problem, row_counts
from tests.factories import event_body
from trace.errors import ConflictError
from trace.interop.event_hash import event_hash_id
from trace.models import Batch, Event
from trace.services.records.events import record_authorized
from trace.services.records.retry import content_digest

STORAGE = {"temperatures": [{"time": "2026-05-01T00:00:00Z", "celsius": "4.50"}], "warehouse": "一号冷库"}


def respelled(body):
    """The same content spelled differently: upper-case id, keys reversed, the time in +08:00, coordinates padded."""
    moment = dt.datetime.fromisoformat(body["occurredAt"]).astimezone(dt.timezone(dt.timedelta(hours=8)))
    changed = {**body, "id": body["id"].upper(), "occurredAt": moment.isoformat(),
               "data": dict(reversed(list(body["data"].items())))}
    if "location" in body:
        changed["location"] = {"longitude": "119.4800", "latitude": "28.40", "name": body["location"]["name"]}
    return dict(reversed(list(changed.items())))


def test_events_retry_in_another_spelling_replays_and_other_content_conflicts(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    body = event_body("storage", [batch], STORAGE, location={"name": "冷库", "latitude": "28.4", "longitude": "119.48"})
    first = client.post("/api/v1/events", json=body, headers=producer.headers)
    assert first.status_code == 201, first.json
    before = row_counts(session)
    again = client.post("/api/v1/events", json=respelled(body), headers=producer.headers)
    assert again.status_code == 200, again.json
    assert again.json == first.json and again.json["id"] == body["id"]
    assert row_counts(session) == before
    for changed in ({**body, "data": {**STORAGE, "warehouse": "二号冷库"}},
                    {**body, "occurredAt": (dt.datetime.fromisoformat(body["occurredAt"])
                                            - dt.timedelta(seconds=1)).isoformat()},
                    {**body, "location": {**body["location"], "latitude": "28.5"}}):
        assert_problem(client.post("/api/v1/events", json=changed, headers=producer.headers), 409, "conflict", "id")
    assert row_counts(session) == before


def test_the_stored_digest_is_of_the_canonical_client_content(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    body = event_body("storage", [batch], STORAGE)
    assert client.post("/api/v1/events", json=body, headers=producer.headers).status_code == 201
    stored = session.get(Event, body["id"])
    # the canonical data as the client decided it: the template versions the server filled in are not part of it
    canonical = {k: v for k, v in stored.data.items() if k != "templates"}
    assert canonical["warehouse"] == STORAGE["warehouse"]
    payload = {"stage": "storage", "batches": [batch.trace_code], "data": canonical,
               "occurred_at": dt.datetime.fromisoformat(body["occurredAt"])}
    assert stored.request_hash == content_digest(payload)


def test_bulk_retry_replays_and_a_changed_item_conflicts_with_nothing_stored(client, make, session):
    producer = make.actor("producer")
    batches = [make.batch(producer) for _ in range(2)]
    events = [event_body("storage", [b], STORAGE) for b in batches]
    first = client.post("/api/v1/events/bulk", json={"events": events}, headers=producer.headers)
    assert first.status_code == 201 and first.json["created"] == 2
    before = row_counts(session)
    again = client.post("/api/v1/events/bulk", json={"events": [respelled(e) for e in events]},
                        headers=producer.headers)
    assert again.status_code == 200, again.json
    assert (again.json["created"], again.json["replayed"]) == (0, 2)
    assert [i["id"] for i in again.json["items"]] == [e["id"] for e in events]
    assert [i["logIndex"] for i in again.json["items"]] == [i["logIndex"] for i in first.json["items"]]
    changed = [events[0], {**events[1], "data": {**STORAGE, "warehouse": "二号冷库"}},
               event_body("storage", [batches[0]], STORAGE)]
    body = assert_problem(client.post("/api/v1/events/bulk", json={"events": changed}, headers=producer.headers),
                          409, "conflict", "events")
    assert "1" in body["errors"]["events"]
    assert row_counts(session) == before


def test_transformation_retry_in_another_spelling_replays(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="10")
    body = {"id": str(uuid.uuid4()), "stage": "sorting", "occurredAt": "2026-05-01T08:00:00+08:00", "data": {},
            "inputs": [{"batch": source.trace_code, "quantity": "4", "uom": "KGM"}],
            "outputs": [{"product": product.id, "lot": "A1", "quantity": "4", "uom": "KGM"}]}
    first = client.post("/api/v1/transformations", json=body, headers=producer.headers)
    assert first.status_code == 201, first.json
    before = row_counts(session)
    same = {**body, "id": body["id"].upper(), "occurredAt": "2026-05-01T00:00:00Z",
            "inputs": [{"uom": "KGM", "quantity": "4.000", "batch": source.trace_code}],
            "outputs": [{"uom": "KGM", "quantity": "4.0", "lot": "A1", "product": product.id}]}
    again = client.post("/api/v1/transformations", json=same, headers=producer.headers)
    assert again.status_code == 200, again.json
    assert again.json == first.json
    changed = {**body, "outputs": [{**body["outputs"][0], "lot": "A2"}]}
    assert_problem(client.post("/api/v1/transformations", json=changed, headers=producer.headers),
                   409, "conflict", "id")
    assert row_counts(session) == before
    session.expire_all()
    assert session.get(Batch, source.id).available == 6


def test_certificate_retry_without_its_defaults_replays(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    key = str(uuid.uuid4())
    url = f"/api/v1/batches/{batch.trace_code}/certificate"
    first = client.post(url, json={"id": key, "basis": ["self_test"]}, headers=producer.headers)
    assert first.status_code == 201, first.json
    before = row_counts(session)
    # The number, quantity, contact and time were filled in by the first issue: a retry leaves them out too.
    again = client.post(url, json={"id": key.upper(), "basis": ["self_test"]}, headers=producer.headers)
    assert again.status_code == 200, again.json
    assert again.json == first.json
    assert_problem(client.post(url, json={"id": key, "basis": ["self_test", "quality_control"]},
                               headers=producer.headers), 409, "conflict", "id")
    assert row_counts(session) == before


def test_authorized_records_of_recalls_and_sensors_follow_the_rule(app, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    ledger = app.extensions["trace.ledger"]
    key = uuid.uuid4()
    payload = {"id": key, "stage": "recall", "batches": [batch.trace_code], "occurred_at": dt.datetime.now(dt.UTC),
               "data": {"action": "open", "recallId": 1, "reason": "农残超标", "origin": batch.trace_code},
               "attachments": []}
    (event,) = record_authorized(session, producer.user, [payload], ledger=ledger)
    before = row_counts(session)
    (again,) = record_authorized(session, producer.user, [{**payload, "id": str(key).upper()}], ledger=ledger)
    assert again.id == event.id == str(key)
    assert row_counts(session) == before
    with pytest.raises(ConflictError):
        record_authorized(session, producer.user, [{**payload, "data": {**payload["data"], "reason": "另一个原因"}}],
                          ledger=ledger)
    assert row_counts(session) == before


# --- capture -----------------------------------------------------------------------------------
def sale_doc(batch, quantity=12.5, event_id=None):
    event = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "retail_selling",
             "eventTime": "2026-05-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
             "quantityList": [{"epcClass": f"https://trace.example.cn/t/{batch.trace_code}", "quantity": quantity,
                               "uom": "KGM"}]}
    if event_id:
        event["eventID"] = event_id
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-01T00:00:00Z",
            "epcisBody": {"eventList": [event]}}


def post_ld(client, actor, doc):
    return client.post("/api/v1/capture", data=json.dumps(doc), content_type="application/ld+json",
                       headers=actor.headers)


def test_capture_of_an_event_without_an_id_names_it_by_its_event_hash(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    doc = sale_doc(batch)
    first = post_ld(client, producer, doc)
    assert first.status_code == 201, first.json
    hash_id = event_hash_id(json.loads(json.dumps(doc))["epcisBody"]["eventList"][0], doc["@context"])
    (event_id,) = first.json["events"]
    assert event_id == str(uuid.uuid5(uuid.NAMESPACE_URL, hash_id))
    assert session.get(Event, event_id).epcis_event_id == hash_id
    before = row_counts(session)
    again = client.post("/api/v1/capture", json=doc, headers=producer.headers)  # application/json works too
    assert again.status_code == 200, again.json
    assert (again.json["captured"], again.json["replayed"], again.json["events"]) == (0, 1, [event_id])
    assert row_counts(session) == before
    # Exports carry the hash ID, so a partner capturing our export names the event the same way.
    exported = client.get(f"/api/v1/exports/epcis?batch={batch.trace_code}", headers=producer.headers).get_json()
    assert [e["eventID"] for e in exported["epcisBody"]["eventList"]] == [hash_id]
    assert post_ld(client, producer, exported).json["replayed"] == 1
    assert row_counts(session) == before


def test_capture_of_a_known_event_id_with_another_quantity_is_409_and_stores_nothing(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    doc = sale_doc(batch, event_id="urn:uuid:" + str(uuid.uuid4()).upper())
    first = post_ld(client, producer, doc)
    assert first.status_code == 201, first.json
    assert first.json["events"] == [doc["epcisBody"]["eventList"][0]["eventID"][9:].lower()]
    before = row_counts(session)
    changed = copy.deepcopy(doc)
    changed["epcisBody"]["eventList"][0]["quantityList"][0]["quantity"] = 13
    assert_problem(post_ld(client, producer, changed), 409, "conflict", "eventList")
    # Different content with the same stage and time used to count as a retry: no longer.
    assert row_counts(session) == before
    assert session.scalar(sa.select(Event.data).where(Event.id == first.json["events"][0]))["quantity"] == "12.5"


def test_capture_takes_ld_json_and_refuses_other_media_types(client, make):
    producer = make.actor("producer")
    r = client.post("/api/v1/capture", data="{}", content_type="text/plain", headers=producer.headers)
    assert_problem(r, 415, "unsupported-media-type")
    assert "application/ld+json" in r.json["detail"]
    r = client.post("/api/v1/capture", data="{}", content_type="application/ld+json", headers=producer.headers)
    assert_problem(r, 422, "validation", "document")
    spec = client.get("/api/v1/openapi.json").json
    assert set(spec["paths"]["/api/v1/capture"]["post"]["requestBody"]["content"]) == {
        "application/ld+json", "application/json"}
