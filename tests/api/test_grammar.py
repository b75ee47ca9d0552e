"""One number and text grammar on every way in: the same value signs the same; outside it, 422 and nothing stored."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.api.helpers import assert_problem
from tests.factories import ago, event_body
from trace import ledger
from trace.models import Event, LogEntry
from trace.times import rfc3339

SLOT = "@VALUE@"  # replaced by a JSON literal in the raw body, so numbers reach the server exactly as written


def raw_post(client, actor, path, body, literal):
    """POST a body whose ``SLOT`` string is replaced by the JSON text ``literal``."""
    text = json.dumps(body, ensure_ascii=False).replace(json.dumps(SLOT), literal)
    return client.post(path, data=text.encode(), content_type="application/json", headers=actor.headers)


def grades(quantity=SLOT):
    return {"grades": [{"grade": "一级", "quantity": quantity, "uom": "KGM"}]}


def scene(make):
    """Return a producer, a product and a batch of it (their own records are made here, not by what is sent)."""
    producer = make.actor()
    product = make.product(producer)
    return producer, product, make.batch(producer, product, quantity="100")


def send_grade(client, make, way, literal, prepared=None):
    """Record a sorting whose grade quantity is ``literal`` through one way in; return the response and event id."""
    producer, product, source = prepared or scene(make)
    if way == "transformations":
        body = {"id": str(uuid.uuid4()), "stage": "sorting", "occurredAt": ago(hours=1),
                "inputs": [{"batch": source.trace_code, "quantity": "15", "uom": "KGM"}],
                "outputs": [{"product": product.id, "lot": "G1", "quantity": "15", "uom": "KGM"}],
                "data": grades()}
        return raw_post(client, producer, "/api/v1/transformations", body, literal), body["id"]
    body = event_body("sorting", [source], grades())
    if way == "bulk":
        return raw_post(client, producer, "/api/v1/events/bulk", {"events": [body]}, literal), body["id"]
    return raw_post(client, producer, "/api/v1/events", body, literal), body["id"]


def signed_record(client, session, event_id):
    """Return the record signed for an event, read from its leaf through GET /api/v1/log/entries/<i>."""
    index = session.scalar(sa.select(LogEntry.index).where(LogEntry.event_id == event_id))
    entry = client.get(f"/api/v1/log/entries/{index}").json
    record, _ = ledger.parse_leaf(base64.b64decode(entry["leaf"]))
    return record


def counts(session):
    """Return (events, log size)."""
    return (session.scalar(sa.select(sa.func.count()).select_from(Event)),
            session.scalar(sa.select(sa.func.count()).select_from(LogEntry)))


WAYS = ["events", "bulk", "transformations"]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("literal", ['"1.50E1"', "15", '"15.0"', "1.50E1", "15.000", '"15"'])
def test_the_same_quantity_signs_the_same_on_every_way_in(client, session, make, way, literal):
    r, event_id = send_grade(client, make, way, literal)
    assert r.status_code == 201, r.json
    assert signed_record(client, session, event_id)["data"] == {
        "grades": [{"grade": "一级", "quantity": "15", "uom": "KGM"}]
    }
    assert session.get(Event, event_id).data["grades"][0]["quantity"] == "15"  # stored as signed


@pytest.mark.parametrize("literal, canonical", [
    ('"123456789012345"', "123456789012345"),
    ('"0.123456789"', "0.123456789"),
    ('"123456789012345.123456789"', "123456789012345.123456789"),
    ("123456789012345.123456789", "123456789012345.123456789"),
    ('"1.23456789012345E14"', "123456789012345"),
    ('"1E-9"', "0.000000001"),
    ('"0.5E-8"', "0.000000005"),
    ('"1.000000000000"', "1"),
])
def test_numbers_at_the_bounds_are_accepted_in_canonical_form(client, session, make, literal, canonical):
    r, event_id = send_grade(client, make, "events", literal)
    assert r.status_code == 201, r.json
    assert signed_record(client, session, event_id)["data"]["grades"][0]["quantity"] == canonical


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("literal", [
    '"1234567890123456"', '"0.1234567891"', "1234567890123456", "0.1234567891", '"1E15"', '"1e-10"',
    '"1_000"', '" 5"', '"5 "', '"+5"', '".5"', '"0x10"', '"1e50000000"', "1e50000000", "1e-50000000",
    '"NaN"', '"Infinity"', '"-Infinity"', "1" * 5000, '"' + "1" * 5000 + '"', "true", '"-15"', '"0"', "0",
])
def test_numbers_outside_the_grammar_are_422_and_store_nothing(client, session, make, way, literal):
    prepared = scene(make)
    before = counts(session)
    r, _ = send_grade(client, make, way, literal, prepared)
    assert r.status_code == 422, r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json" and len(r.get_data()) < 5000
    assert counts(session) == before


def test_nan_literal_is_not_json(client, session, make):
    prepared = scene(make)
    before = counts(session)
    r, _ = send_grade(client, make, "events", "NaN", prepared)
    assert_problem(r, 400, "malformed-request")
    assert counts(session) == before


@pytest.mark.parametrize("way", ["events", "bulk"])
@pytest.mark.parametrize("literal", [
    '"冷库\\u0001"', '"\\u0000"', '"冷库\\ud800"', '"\\udc00库"', '"a\\rb"', '"a\\u007f"', '"a\\u0085"',
    '"' + "库" * 201 + '"', '""', '"   "',
])
def test_text_outside_the_grammar_is_422_and_stores_nothing(client, session, make, way, literal):
    producer = make.actor()
    body = event_body("storage", [make.batch(producer)], {"warehouse": SLOT})
    path, sent = ("/api/v1/events", body) if way == "events" else ("/api/v1/events/bulk", {"events": [body]})
    before = counts(session)
    r = raw_post(client, producer, path, sent, literal)
    problem = assert_problem(r, 422, "validation")
    assert "warehouse" in json.dumps(problem["errors"])
    assert counts(session) == before


def test_tab_and_newline_are_kept_as_sent(client, session, make):
    producer = make.actor()
    body = event_body("storage", [make.batch(producer)], {"warehouse": "1号\t冷库\n北区 ", "sensor": "库" * 64})
    r = client.post("/api/v1/events", json=body, headers=producer.headers)
    assert r.status_code == 201, r.json
    assert signed_record(client, session, body["id"])["data"] == {"warehouse": "1号\t冷库\n北区 ", "sensor": "库" * 64}


def test_measurements_and_times_sign_canonically(client, session, make):
    producer = make.actor()
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).replace(microsecond=0)
    readings = [{"time": when.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(), "celsius": "-3.50"}]
    inspection = {"items": [{"item": "铅", "limit": "2E-1", "measured": 0.050, "result": "pass"}],
                  "result": "pass", "lab": "县检测站"}
    batch = make.batch(producer)
    stored = event_body("storage", [batch], {"temperatures": readings}, location={"latitude": "28.50"})
    inspected = event_body("inspection", [batch], inspection)
    for body in (stored, inspected):
        assert client.post("/api/v1/events", json=body, headers=producer.headers).status_code == 201
    record = signed_record(client, session, stored["id"])
    assert record["data"] == {"temperatures": [{"time": rfc3339(when), "celsius": "-3.5"}]}
    assert record["location"] == {"latitude": "28.5"}
    assert signed_record(client, session, inspected["id"])["data"]["items"][0] | {} == {
        "item": "铅", "limit": "0.2", "measured": "0.05", "result": "pass"}


def test_other_input_text_follows_the_grammar(client, session, make):
    producer = make.actor()
    r = client.post("/api/v1/products", json={"category": "vegetables", "name": "番\u0001茄"}, headers=producer.headers)
    assert_problem(r, 422, "validation", "name")
    batch = make.batch(producer)
    inspector = make.actor("inspector")
    before = counts(session)
    r = client.post(f"/api/v1/batches/{batch.trace_code}/recalls", json={"reason": "铅\x00超标"},
                    headers=inspector.headers)
    assert_problem(r, 422, "validation", "reason")
    assert counts(session) == before


def enrolled_device(client, actor):
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    r = client.post("/api/v1/devices", json={"name": "scanner-g", "publicKey": base64.b64encode(public).decode()},
                    headers=actor.headers)
    assert r.status_code == 201, r.json
    return private, r.json


def device_signed(private, key, actor, body):
    """Sign an event as a scanner does: the record without recordedAt and prev, over the data as sent."""
    view = {"v": 1, "id": body["id"], "stage": body["stage"], "bizStep": "https://ref.gs1.org/cbv/BizStep-receiving",
            "batches": body["batches"], "occurredAt": rfc3339(dt.datetime.fromisoformat(body["occurredAt"])),
            "org": str(actor.org.id), "actor": f"device:{key['name']}", "data": body["data"], "attachments": []}
    sig = private.sign(ledger.RECORD_PREFIX + ledger.canonical(view))
    return {**body, "deviceSignature": {"keyId": key["keyId"], "sig": base64.b64encode(sig).decode()}}


@pytest.mark.parametrize("quantity, status", [("15", 201), ("15.0", 422), ("1.5E1", 422)])
def test_device_signed_records_must_already_be_canonical(client, session, make, quantity, status):
    producer = make.actor()
    private, key = enrolled_device(client, producer)
    data = {"from": producer.org.id, "quantity": quantity, "uom": "KGM"}
    body = device_signed(private, key, producer, event_body("receiving", [make.batch(producer)], data))
    before = counts(session)
    r = client.post("/api/v1/events", json=body, headers=producer.headers)
    if status == 201:
        assert r.status_code == 201, r.json
        assert signed_record(client, session, body["id"])["data"]["quantity"] == "15"
        return
    problem = assert_problem(r, 422, "validation", "data")
    assert "canonical" in problem["detail"] and problem["errors"]["data"]["quantity"]
    assert counts(session) == before
