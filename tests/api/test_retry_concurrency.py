"""Simultaneous retries of one record give one event and one log entry, and never a 500 (real commits)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import sqlalchemy as sa

from tests.factories import ago, live_producer
from trace.db import db
from trace.models import Event, LogEntry

RETRIES = 6


def race(app, url, headers, bodies):
    """POST every body at once (one thread each); return the status codes."""
    start = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def post(body):
        client = app.test_client()
        start.wait()
        statuses.append(client.post(url, json=body, headers=headers).status_code)

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Counter(statuses)


def entries(app, event_id):
    with app.app_context():
        events = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.id == event_id))
        logged = db.session.scalar(
            sa.select(sa.func.count()).select_from(LogEntry).where(LogEntry.event_id == event_id))
        return events, logged


def test_simultaneous_retries_record_once(live_app):  # noqa: F811
    client, headers, product = live_producer(live_app, "重试合作社")
    code = client.post("/api/v1/batches", headers=headers, json={
        "product": product["id"], "lot": "R1", "quantity": "10", "uom": "KGM"}).json["code"]
    event_id = str(uuid.uuid4())
    body = {"id": event_id, "stage": "storage", "batches": [code], "occurredAt": ago(hours=1),
            "data": {"warehouse": "冷库"}}
    spellings = [body if i % 2 else {**body, "id": event_id.upper()} for i in range(RETRIES)]
    assert race(live_app, "/api/v1/events", headers, spellings) == Counter({201: 1, 200: RETRIES - 1})
    assert entries(live_app, event_id) == (1, 1)


def test_simultaneous_conflicting_bodies_store_one_and_refuse_the_others(live_app):  # noqa: F811
    client, headers, product = live_producer(live_app, "冲突合作社")
    code = client.post("/api/v1/batches", headers=headers, json={
        "product": product["id"], "lot": "R2", "quantity": "10", "uom": "KGM"}).json["code"]
    event_id = str(uuid.uuid4())
    bodies = [{"id": event_id, "stage": "storage", "batches": [code], "occurredAt": ago(hours=1),
               "data": {"warehouse": f"冷库{i}"}} for i in range(RETRIES)]
    statuses = race(live_app, "/api/v1/events", headers, bodies)
    assert statuses == Counter({201: 1, 409: RETRIES - 1})
    assert entries(live_app, event_id) == (1, 1)


def test_simultaneous_transformation_retries_consume_once(live_app):  # noqa: F811
    client, headers, product = live_producer(live_app, "分拣合作社")
    code = client.post("/api/v1/batches", headers=headers, json={
        "product": product["id"], "lot": "R3", "quantity": "10", "uom": "KGM"}).json["code"]
    event_id = str(uuid.uuid4())
    body = {"id": event_id, "stage": "sorting", "occurredAt": ago(hours=1), "data": {},
            "inputs": [{"batch": code, "quantity": "4", "uom": "KGM"}],
            "outputs": [{"product": product["id"], "lot": "S1", "quantity": "4", "uom": "KGM"}]}
    assert race(live_app, "/api/v1/transformations", headers, [body] * RETRIES) == Counter({201: 1, 200: RETRIES - 1})
    assert entries(live_app, event_id) == (1, 1)
    assert client.get(f"/api/v1/batches/{code}", headers=headers).json["available"] == "6"


def test_simultaneous_bulk_retries_record_each_event_once(live_app):  # noqa: F811
    client, headers, product = live_producer(live_app, "批量合作社")
    codes = [client.post("/api/v1/batches", headers=headers, json={
        "product": product["id"], "lot": f"B{i}", "quantity": "10", "uom": "KGM"}).json["code"] for i in range(3)]
    events = [{"id": str(uuid.uuid4()), "stage": "storage", "batches": [c], "occurredAt": ago(hours=1),
               "data": {"warehouse": "冷库"}} for c in codes]
    statuses = race(live_app, "/api/v1/events/bulk", headers, [{"events": events}] * 4)
    assert statuses == Counter({201: 1, 200: 3})
    assert [entries(live_app, e["id"]) for e in events] == [(1, 1)] * 3
