"""The one recording pipeline: every way in signs the same content; a request is all or nothing; one row type."""

from __future__ import annotations

import base64
import datetime as dt
import typing
import uuid

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.factories import ago, event_body
from trace import ledger
from trace.models import Batch, Checkpoint, Event, LogEntry
from trace.services.records import bulk_rows, events, pipeline
from trace.times import rfc3339

# What the client decides and the server signs as is; id, batches, recordedAt, prev and actor differ by way.
SAME = ("v", "stage", "bizStep", "occurredAt", "org", "data", "attachments")


def signed(session, event_id):
    leaf = session.scalar(sa.select(LogEntry.leaf).where(LogEntry.event_id == event_id))
    record, signatures = ledger.parse_leaf(leaf)
    return record, signatures


def counts(session):
    """Return (events, log entries, checkpoints, batches)."""
    tables = (Event, LogEntry, Checkpoint, Batch)
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables)


def device_signed(client, actor, body):
    """Enroll a scanner and sign the body as it does (the record without recordedAt and prev)."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    r = client.post("/api/v1/devices", json={"name": "scanner-p", "publicKey": base64.b64encode(public).decode()},
                    headers=actor.headers)
    assert r.status_code == 201, r.json
    key = r.json
    view = {"v": 1, "id": body["id"], "stage": body["stage"], "bizStep": "https://ref.gs1.org/cbv/BizStep-receiving",
            "batches": body["batches"], "occurredAt": rfc3339(dt.datetime.fromisoformat(body["occurredAt"])),
            "org": str(actor.org.id), "actor": f"device:{key['name']}", "data": body["data"], "attachments": []}
    sig = private.sign(ledger.RECORD_PREFIX + ledger.canonical(view))
    return {**body, "deviceSignature": {"keyId": key["keyId"], "sig": base64.b64encode(sig).decode()}}


def test_the_same_record_signs_the_same_through_every_way_in(client, session, make, app):
    producer = make.actor()
    product = make.product(producer)
    when = ago(hours=2)
    spelled = {"from": producer.org.id, "quantity": "1.50E1", "uom": "KGM"}  # canonical: "15"

    def body(data):
        return {**event_body("receiving", [make.batch(producer, product)], data), "occurredAt": when}

    single = body(spelled)
    assert client.post("/api/v1/events", json=single, headers=producer.headers).status_code == 201
    bulk = body({**spelled, "quantity": 15})
    r = client.post("/api/v1/events/bulk", json={"events": [bulk]}, headers=producer.headers)
    assert r.status_code == 201, r.json
    device = device_signed(client, producer, body({**spelled, "quantity": "15"}))
    r = client.post("/api/v1/events", json=device, headers=producer.headers)
    assert r.status_code == 201, r.json
    authorized = body({**spelled, "quantity": "15.000"})
    loaded = {"id": uuid.UUID(authorized["id"]), "stage": "receiving", "batches": authorized["batches"],
              "occurred_at": dt.datetime.fromisoformat(when), "data": authorized["data"], "attachments": []}
    (event,) = events.record_authorized(session, producer.user, [loaded], ledger=app.extensions["trace.ledger"])

    records = [signed(session, b["id"])[0] for b in (single, bulk, device)] + [signed(session, event.id)[0]]
    assert records[0]["data"] == {"from": producer.org.id, "quantity": "15", "uom": "KGM"}
    for record in records[1:]:
        assert {k: record[k] for k in SAME} == {k: records[0][k] for k in SAME}
    assert records[2]["actor"].startswith("device:") and len(signed(session, device["id"])[1]) == 2


def test_a_mixed_bulk_request_is_all_or_nothing(client, session, make):
    producer = make.actor()
    product = make.product(producer)
    stored_batch, target, source = (make.batch(producer, product) for _ in range(3))
    earlier = event_body("storage", [stored_batch], {"warehouse": "1号冷库"})
    assert client.post("/api/v1/events", json=earlier, headers=producer.headers).status_code == 201
    split = {"id": str(uuid.uuid4()), "stage": "sorting", "occurredAt": ago(hours=1),
             "inputs": [{"batch": source.trace_code, "quantity": "40", "uom": "KGM"}],
             "outputs": [{"product": product.id, "lot": "MIX1", "quantity": "40", "uom": "KGM"}], "data": {}}
    fresh = event_body("storage", [target], {"warehouse": "2号冷库"})
    reused = {**earlier, "data": {"warehouse": "3号冷库"}}  # the stored id with other content: 409
    before = counts(session)

    r = client.post("/api/v1/events/bulk", json={"events": [fresh, split, earlier, reused]},
                    headers=producer.headers)
    assert r.status_code == 409, r.json
    assert "3" in r.json["errors"]["events"]
    session.expire_all()
    assert counts(session) == before
    assert session.get(Event, fresh["id"]) is None and session.get(Event, split["id"]) is None
    assert source.available == 100 and source.status != "consumed"

    r = client.post("/api/v1/events/bulk", json={"events": [fresh, split, earlier]}, headers=producer.headers)
    assert r.status_code == 201, r.json
    assert [i["status"] for i in r.json["items"]] == ["created", "created", "replayed"]
    events_before, log_before, checkpoints_before, batches_before = before
    # the output's registration record is appended in the same call, between the two new records
    assert counts(session) == (events_before + 3, log_before + 3, checkpoints_before + 1, batches_before + 1)
    fresh_index, split_index, replayed_index = (i["logIndex"] for i in r.json["items"])
    assert split_index == fresh_index + 2 and replayed_index < fresh_index
    session.expire_all()
    assert source.available == 60


def test_one_row_type_and_no_union_in_the_pipeline():
    assert not hasattr(bulk_rows, "RecordedEvent") and not hasattr(bulk_rows, "EventRow")
    for function in (pipeline.record, events.record_event, events.record_transformation, events.record_bulk,
                     events.record_authorized):
        hints = typing.get_type_hints(function)
        assert "EventRow" not in repr(hints) and "NewRecord" not in repr(hints), function
        assert typing.get_origin(hints["return"]) in (list, tuple)
    assert typing.get_type_hints(pipeline.record)["return"] == list[pipeline.Recorded]


def test_a_bulk_item_that_is_not_an_object_is_refused_by_its_index(client, make):
    producer = make.actor()
    body = event_body("storage", [make.batch(producer)], {"warehouse": "1号冷库"})
    r = client.post("/api/v1/events/bulk", json={"events": [body, 7]}, headers=producer.headers)
    assert r.status_code == 422
    assert r.json["errors"]["events"]["1"] == ["Not a valid mapping type."]


def test_a_captured_record_signs_what_the_same_record_through_events_and_bulk_signs(client, session, make):
    producer = make.actor()
    product = make.product(producer)
    captured_batch, posted_batch, bulk_batch = (make.batch(producer, product) for _ in range(3))
    event = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "retail_selling",
             "eventTime": "2026-05-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
             "quantityList": [{"epcClass": f"https://trace.example.cn/t/{captured_batch.trace_code}",
                               "quantity": 12.5, "uom": "KGM"}]}
    doc = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
           "schemaVersion": "2.0", "creationDate": "2026-05-01T00:00:00Z", "epcisBody": {"eventList": [event]}}
    r = client.post("/api/v1/capture", json=doc, headers=producer.headers)
    assert r.status_code == 201, r.json
    captured, _ = signed(session, r.json["events"][0])
    assert captured["data"]["quantity"] == "12.5"

    # A sale's data carries the commitment to its private values (salted per record): the rest must match.
    spelled = {**{k: v for k, v in captured["data"].items() if k != "commitment"}, "quantity": "1.250E1"}
    single = {**event_body("sale", [posted_batch], spelled), "occurredAt": event["eventTime"]}
    assert client.post("/api/v1/events", json=single, headers=producer.headers).status_code == 201
    bulk = {**event_body("sale", [bulk_batch], {**spelled, "quantity": 12.50}), "occurredAt": event["eventTime"]}
    assert client.post("/api/v1/events/bulk", json={"events": [bulk]}, headers=producer.headers).status_code == 201
    def unsealed(record):
        assert len(record["data"]["commitment"]) == 64
        return {**record, "data": {k: v for k, v in record["data"].items() if k != "commitment"}}

    for record in (signed(session, single["id"])[0], signed(session, bulk["id"])[0]):
        assert {k: unsealed(record)[k] for k in SAME} == {k: unsealed(captured)[k] for k in SAME}
