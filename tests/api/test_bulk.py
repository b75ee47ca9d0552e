"""POST /api/v1/events/bulk: the fast path writes the same rows, log entries and findings as one-by-one."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import ago, event_body, registration_leaf_hash, transformation
from trace import ledger
from trace.models import ComplianceFinding, Event, EventBatch, LogEntry


def bulk(client, actor, events):
    return client.post("/api/v1/events/bulk", json={"events": events}, headers=actor.headers)


def test_items_report_status_and_the_log_index_of_each_event(client, make, session):
    alice = make.actor()
    batch = make.batch(alice)
    events = [event_body("storage", [batch], {"warehouse": f"{i}号库"}) for i in range(3)]
    r = bulk(client, alice, events)
    assert r.status_code == 201 and r.json["created"] == 3 and r.json["replayed"] == 0
    stored = dict(session.execute(sa.select(LogEntry.event_id, LogEntry.index)
                                  .where(LogEntry.event_id.in_([e["id"] for e in events]))).all())
    assert r.json["items"] == [{"id": e["id"], "status": "created", "logIndex": stored[e["id"]]} for e in events]
    assert sorted(stored.values()) == list(range(min(stored.values()), min(stored.values()) + 3))

    again = bulk(client, alice, [events[1], event_body("storage", [batch], {"warehouse": "新库"})])
    assert again.status_code == 201 and (again.json["created"], again.json["replayed"]) == (1, 1)
    assert again.json["items"][0] == {"id": events[1]["id"], "status": "replayed", "logIndex": stored[events[1]["id"]]}


def test_bulk_rows_and_records_equal_those_of_single_posts(client, make, session):
    alice = make.actor()
    one, other = make.batch(alice), make.batch(alice)
    data = {"warehouse": "1号冷库", "temperatures": [{"time": ago(hours=2), "celsius": "3.5"}]}
    single, bulked = event_body("storage", [one], data), event_body("storage", [other], data)
    assert client.post("/api/v1/events", json=single, headers=alice.headers).status_code == 201
    assert bulk(client, alice, [bulked]).status_code == 201

    def shown(event_id):
        body = client.get(f"/api/v1/events/{event_id}", headers=alice.headers).json
        return {k: v for k, v in body.items() if k not in ("id", "recordedAt", "batches")}

    assert shown(single["id"]) == shown(bulked["id"])
    leaves = dict(session.execute(sa.select(LogEntry.event_id, LogEntry.leaf)
                                  .where(LogEntry.event_id.in_([single["id"], bulked["id"]]))).all())
    records = {k: ledger.parse_leaf(leaf)[0] for k, leaf in leaves.items()}
    drop = ("id", "recordedAt", "prev", "batches")
    assert {k: v for k, v in records[single["id"]].items() if k not in drop} == \
           {k: v for k, v in records[bulked["id"]].items() if k not in drop}
    assert records[bulked["id"]]["prev"] == {other.trace_code: registration_leaf_hash(session, other)}
    assert session.scalar(sa.select(sa.func.count()).select_from(EventBatch)
                          .where(EventBatch.event_id == bulked["id"])) == 1


def test_prev_links_chain_through_one_request(client, make, session):
    alice = make.actor()
    batch = make.batch(alice)
    events = [event_body("storage", [batch], {"warehouse": f"{i}号库"}) for i in range(3)]
    assert bulk(client, alice, events).status_code == 201
    entries = session.scalars(sa.select(LogEntry).where(LogEntry.event_id.in_([e["id"] for e in events]))
                              .order_by(LogEntry.index)).all()
    prevs = [ledger.parse_leaf(e.leaf)[0]["prev"][batch.trace_code] for e in entries]
    assert prevs[1:] == [entries[0].leaf_hash.hex(), entries[1].leaf_hash.hex()]


def test_a_transformation_between_events_sees_and_is_seen_by_them(client, make, session):
    alice = make.actor()
    tomatoes = make.batch(alice, quantity="100")
    product = make.product(alice)
    before = event_body("storage", [tomatoes], {"warehouse": "库"})
    split = transformation("sorting", [(tomatoes, "100")], [(product, "A1", "60"), (product, "A2", "40")],
                           data={"grades": [{"grade": "一级", "quantity": "60", "uom": "KGM"},
                                            {"grade": "二级", "quantity": "40", "uom": "KGM"}]})
    after = event_body("storage", [tomatoes], {"warehouse": "库"})
    r = bulk(client, alice, [before, split, after])
    assert r.status_code == 201 and r.json["created"] == 3
    assert [i["logIndex"] for i in r.json["items"]] == sorted(i["logIndex"] for i in r.json["items"])
    assert session.get(Event, before["id"]) is not None and session.get(Event, after["id"]) is not None
    client_view = client.get(f"/api/v1/batches/{tomatoes.trace_code}", headers=alice.headers).json
    assert client_view["status"] == "consumed"


def test_compliance_rules_run_on_bulk_events(client, make, session):
    alice = make.actor()
    batch = make.batch(alice)
    buyer = make.org(kind="retailer")
    failed = event_body("inspection", [batch], {"items": [{"item": "毒死蜱", "limit": "0.02", "measured": "0.5",
                                                           "unit": "mg/kg", "result": "fail"}],
                                                "result": "fail", "lab": "检测站"}, occurredAt=ago(hours=3))
    shipped = event_body("shipping", [batch], {"recipient": buyer.id}, occurredAt=ago(hours=2))
    warm = event_body("storage", [batch], {"temperatures": [{"time": ago(hours=2), "celsius": "30"}]})
    r = bulk(client, alice, [failed, shipped, warm])
    assert r.status_code == 201, r.json
    rules = set(session.scalars(sa.select(ComplianceFinding.rule).where(ComplianceFinding.batch_id == batch.id)))
    assert {"sale_after_failed_inspection", "temperature_out_of_range"} <= rules


def test_a_bad_reading_names_its_index_and_field_and_stores_nothing(client, make, session):
    alice = make.actor()
    batch = make.batch(alice)
    readings = [{"time": ago(hours=2), "celsius": "3"}, {"time": ago(hours=1), "celsius": "99", "humidity": 3}, {}]
    good = event_body("storage", [batch], {"warehouse": "库"})
    bad = event_body("storage", [batch], {"temperatures": readings})
    count = session.scalar(sa.select(sa.func.count()).select_from(Event))
    r = bulk(client, alice, [good, bad])
    assert r.status_code == 422
    errors = r.json["errors"]["events"]["1"]["data"]["temperatures"]
    assert set(errors) == {"1", "2"}
    assert set(errors["1"]) == {"celsius", "humidity"} and set(errors["2"]) == {"time", "celsius"}
    assert session.scalar(sa.select(sa.func.count()).select_from(Event)) == count


def test_many_batches_are_read_in_chunks(client, make, session, monkeypatch):
    from trace.services.records import bulk_rows
    from trace.services.signing import log

    monkeypatch.setattr(bulk_rows, "IN_CHUNK", 2)
    monkeypatch.setattr(log, "IN_CHUNK", 2)
    alice = make.actor()
    batches = [make.batch(alice) for _ in range(5)]
    events = [event_body("storage", batches[:3], {"warehouse": "库"}), event_body("storage", batches[2:], {})]
    r = bulk(client, alice, events)
    assert r.status_code == 201 and r.json["created"] == 2, r.json
    entries = session.scalars(
        sa.select(LogEntry).where(LogEntry.event_id.in_([e["id"] for e in events])).order_by(LogEntry.index)).all()
    leaves = [ledger.parse_leaf(e.leaf)[0] for e in entries]
    assert set(leaves[0]["prev"]) == {b.trace_code for b in batches[:3]}
    assert leaves[1]["prev"][batches[2].trace_code] == entries[0].leaf_hash.hex()  # chained to the first event
    assert set(leaves[1]["batches"]) == {b.trace_code for b in batches[2:]}
