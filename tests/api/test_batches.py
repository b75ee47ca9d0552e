"""Batches: registration, listing with pagination and filters, detail with events."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.helpers import assert_problem, row_counts
from tests.factories import ago, event_body
from trace.codes.tracecode import ALPHABET, parse_trace_code
from trace.models import Batch


def batch_body(product, /, **overrides):
    body = {"product": product.id, "lot": "A-001", "quantity": "1250.5", "uom": "KGM",
            "origin": {"name": "石仓村大棚7号", "latitude": "28.3301", "longitude": "119.3455", "area": "3.5",
                       "areaUnit": "MU"},
            "producedAt": ago(days=1)}
    body.update(overrides)
    return body


def test_producer_registers_a_batch_with_a_fresh_trace_code(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    r = client.post("/api/v1/batches", json=batch_body(product), headers=producer.headers)
    assert r.status_code == 201, r.json
    code = r.json["code"]
    assert parse_trace_code(code) == code
    assert r.headers["Location"] == f"/api/v1/batches/{code}"
    assert r.json["quantity"] == r.json["available"] == "1250.5"
    assert r.json["status"] == "active"
    assert r.json["organization"] == r.json["custodian"] == producer.org.id
    assert r.json["category"] == "vegetables"
    assert r.json["origin"] == {"name": "石仓村大棚7号", "latitude": "28.3301", "longitude": "119.3455",
                                "area": "3.5", "areaUnit": "MU"}
    stored = session.query(Batch).filter_by(trace_code=code).one()
    assert str(stored.quantity.normalize()) == "1250.5"


def test_trace_codes_are_distinct(client, make):
    producer = make.actor("producer")
    product = make.product(producer)
    codes = {client.post("/api/v1/batches", json=batch_body(product, lot=f"L{i}"),
                         headers=producer.headers).json["code"] for i in range(20)}
    assert len(codes) == 20


def test_largest_quantity_round_trips_exactly(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    r = client.post("/api/v1/batches", json=batch_body(product, quantity="999999999.999999"), headers=producer.headers)
    assert r.status_code == 201, r.json
    session.expire_all()
    fetched = client.get(f"/api/v1/batches/{r.json['code']}", headers=producer.headers)
    assert fetched.json["quantity"] == fetched.json["available"] == "999999999.999999"
    too_big = client.post("/api/v1/batches", json=batch_body(product, lot="BIG", quantity="1000000000"),
                          headers=producer.headers)
    assert_problem(too_big, 422, "validation", "quantity")


def test_lot_is_unique_per_product(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    assert client.post("/api/v1/batches", json=batch_body(product), headers=producer.headers).status_code == 201
    before = row_counts(session)
    assert_problem(client.post("/api/v1/batches", json=batch_body(product), headers=producer.headers),
                   409, "conflict", "lot")
    assert row_counts(session) == before


def test_batch_of_another_organizations_product_is_forbidden(client, make, session):
    owner = make.actor("producer")
    stranger = make.actor("producer")
    product = make.product(owner)
    before = row_counts(session)
    assert_problem(client.post("/api/v1/batches", json=batch_body(product), headers=stranger.headers),
                   403, "forbidden")
    assert row_counts(session) == before


def test_batch_of_an_unknown_product_is_422(client, make):
    producer = make.actor("producer")
    r = client.post("/api/v1/batches", json={"product": 999999, "lot": "X", "quantity": "1", "uom": "KGM"},
                    headers=producer.headers)
    assert_problem(r, 422, "validation", "product")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"uom": "kg"}, "uom"), ({"lot": "批次一"}, "lot"), ({"lot": "x" * 21}, "lot"), ({"product": "1"}, "product"),
     ({"origin": {"name": "x", "latitude": "91"}}, "origin"), ({"quantity": "0"}, "quantity"),
     ({"quantity": "1.0000001"}, "quantity")],
    ids=["unit-not-rec20", "lot-not-ascii", "lot-too-long", "product-as-string", "latitude-out-of-range",
         "zero-quantity", "seven-decimals"],
)
def test_invalid_batch_fields_are_422(client, make, session, overrides, field):
    producer = make.actor("producer")
    product = make.product(producer)
    before = row_counts(session)
    assert_problem(client.post("/api/v1/batches", json=batch_body(product, **overrides), headers=producer.headers),
                   422, "validation", field)
    assert row_counts(session) == before


def _three_batches(make, session):
    """Batches created 10 days ago (vegetables), 2 days ago (tea, consumed) and now (vegetables)."""
    producer = make.actor("producer")
    veg = make.product(producer, "vegetables")
    tea = make.product(producer, "tea", name="绿茶")
    old, mid, new = make.batch(producer, veg), make.batch(producer, tea), make.batch(producer, veg)
    now = dt.datetime.now(dt.UTC)
    old.created_at, mid.created_at, new.created_at = now - dt.timedelta(days=10), now - dt.timedelta(days=2), now
    mid.status = "consumed"
    session.commit()
    return producer, old, mid, new


def _codes(response):
    assert response.status_code == 200, response.json
    return [b["code"] for b in response.json["items"]]


def test_list_is_newest_first_and_paginated(client, make, session):
    producer, old, mid, new = _three_batches(make, session)
    first = client.get("/api/v1/batches?perPage=2", headers=producer.headers)
    assert _codes(first) == [new.trace_code, mid.trace_code]
    assert (first.json["page"], first.json["perPage"], first.json["total"]) == (1, 2, 3)
    second = client.get("/api/v1/batches?perPage=2&page=2", headers=producer.headers)
    assert _codes(second) == [old.trace_code]
    assert _codes(client.get("/api/v1/batches?perPage=2&page=3", headers=producer.headers)) == []


def test_list_filters(client, make, session):
    producer, old, mid, new = _three_batches(make, session)
    h = producer.headers
    five_days_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=5)).isoformat()
    assert _codes(client.get("/api/v1/batches", query_string={"category": "tea"}, headers=h)) == [mid.trace_code]
    assert _codes(client.get("/api/v1/batches", query_string={"status": "consumed"}, headers=h)) == [mid.trace_code]
    assert _codes(client.get("/api/v1/batches", query_string={"status": "active", "category": "vegetables"},
                             headers=h)) == [new.trace_code, old.trace_code]
    assert _codes(client.get("/api/v1/batches", query_string={"from": five_days_ago}, headers=h)) == \
        [new.trace_code, mid.trace_code]
    assert _codes(client.get("/api/v1/batches", query_string={"to": five_days_ago}, headers=h)) == [old.trace_code]
    assert _codes(client.get("/api/v1/batches", query_string={"organization": producer.org.id}, headers=h)) == \
        [new.trace_code, mid.trace_code, old.trace_code]
    assert _codes(client.get("/api/v1/batches", query_string={"organization": producer.org.id + 1000}, headers=h)) == []


def test_producers_list_only_their_own_batches_but_inspectors_see_all(client, make, session):
    producer, old, mid, new = _three_batches(make, session)
    stranger = make.actor("producer")
    theirs = make.batch(stranger)
    inspector = make.actor("inspector")
    assert _codes(client.get("/api/v1/batches", headers=stranger.headers)) == [theirs.trace_code]
    seen = _codes(client.get("/api/v1/batches?perPage=500", headers=inspector.headers))
    assert {old.trace_code, mid.trace_code, new.trace_code, theirs.trace_code} <= set(seen)


@pytest.mark.parametrize(
    "query",
    [{"status": "lost"}, {"from": "yesterday"}, {"from": "2026-01-01T00:00:00"}, {"to": "0001-01-01T00:00:00+01:00"},
     {"perPage": "0"}, {"perPage": "501"}, {"page": "0"}, {"organization": "abc"}, {"organization": str(10**30)},
     {"colour": "red"}],
    ids=["unknown-status", "unparsable-from", "timezone-less-from", "to-before-year-1-in-utc", "per-page-zero",
         "per-page-too-big", "page-zero", "organization-not-a-number", "organization-huge", "unknown-parameter"],
)
def test_bad_list_queries_are_422(client, make, query):
    producer = make.actor("producer")
    body = assert_problem(client.get("/api/v1/batches", query_string=query, headers=producer.headers), 422,
                          "validation")
    assert set(body["errors"]) == set(query)


def test_batch_detail_lists_its_events_in_the_order_they_happened(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer)
    steps = [("harvest", 5, {"quantity": "100", "uom": "KGM"}),
             ("inspection", 1, {"items": [{"item": "毒死蜱", "result": "pass"}], "result": "pass", "lab": "检测站"}),
             ("planting", 48, {"plot": "3号地块", "variety": "浙粉702"})]
    ids = {}
    for stage, hours, data in steps:
        body = event_body(stage, [batch], data, occurredAt=ago(hours=hours))
        assert client.post("/api/v1/events", json=body, headers=producer.headers).status_code == 201
        ids[stage] = body["id"]
    r = client.get(f"/api/v1/batches/{batch.trace_code}", headers=producer.headers)
    assert r.status_code == 200
    # the registration record is the batch's own: registered now, after the stages it records
    assert [e["stage"] for e in r.json["events"]] == ["planting", "harvest", "inspection", "registration"]
    assert [e["id"] for e in r.json["events"]][:3] == [ids["planting"], ids["harvest"], ids["inspection"]]
    assert r.json["events"][0]["data"] == {"plot": "3号地块", "variety": "浙粉702", "templates": {"vegetables": 1}}
    assert r.json["events"][1]["batches"] == [batch.trace_code]
    listed = client.get(f"/api/v1/batches/{batch.trace_code}/events", headers=producer.headers)
    assert listed.json["items"] == r.json["events"]


def test_batch_detail_accepts_a_code_typed_in_lowercase_with_hyphens(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer)
    typed = "-".join([batch.trace_code[:4], batch.trace_code[4:8], batch.trace_code[8:]]).lower()
    r = client.get(f"/api/v1/batches/{typed}", headers=producer.headers)
    assert r.status_code == 200
    assert r.json["code"] == batch.trace_code


def test_a_mistyped_code_is_404_saying_why(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer)
    code = batch.trace_code
    wrong = next(c for c in ALPHABET if c != code[3])
    typo = code[:3] + wrong + code[4:]
    assert assert_problem(client.get(f"/api/v1/batches/{typo}", headers=producer.headers), 404,
                          "not-found")["reason"] == "check"
    assert assert_problem(client.get(f"/api/v1/batches/{code[:-1]}", headers=producer.headers), 404,
                          "not-found")["reason"] == "length"


def test_unknown_but_valid_code_is_404(client, make):
    from trace.codes.tracecode import new_trace_code

    producer = make.actor("producer")
    body = assert_problem(client.get(f"/api/v1/batches/{new_trace_code()}", headers=producer.headers), 404,
                          "not-found")
    assert "reason" not in body


def test_another_organizations_batch_is_private_but_inspectors_read_it(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer)
    assert_problem(client.get(f"/api/v1/batches/{batch.trace_code}", headers=make.actor("producer").headers),
                   403, "forbidden")
    assert_problem(client.get(f"/api/v1/batches/{batch.trace_code}/events",
                              headers=make.actor("producer").headers), 403, "forbidden")
    assert client.get(f"/api/v1/batches/{batch.trace_code}", headers=make.actor("inspector").headers).status_code == 200
    assert client.get(f"/api/v1/batches/{batch.trace_code}", headers=make.actor("admin").headers).status_code == 200
    assert_problem(client.get(f"/api/v1/batches/{batch.trace_code}"), 401, "unauthenticated")
