"""Concurrent writers get gapless, unique log indexes and a log that audits clean (real commits)."""

from __future__ import annotations

import threading
import uuid

import sqlalchemy as sa

from tests.factories import ago, live_producer
from trace.db import db
from trace.models import Event, LogEntry, LogHead

WRITERS, EACH = 6, 8


def test_concurrent_writers_append_without_gaps_or_duplicates(live_app):
    client, headers, product = live_producer(live_app, "并发合作社")
    codes = [client.post("/api/v1/batches", headers=headers, json={
        "product": product["id"], "lot": f"C{i}", "quantity": "10", "uom": "KGM"}).json["code"] for i in range(WRITERS)]
    warm = client.post("/api/v1/events", headers=headers, json={
        "id": str(uuid.uuid4()), "stage": "storage", "batches": [codes[0]], "occurredAt": ago(hours=2), "data": {}})
    assert warm.status_code == 201

    failures: list[str] = []

    def writer(code: str) -> None:
        own = live_app.test_client()
        for _ in range(EACH):
            r = own.post("/api/v1/events", headers=headers, json={
                "id": str(uuid.uuid4()), "stage": "storage", "batches": [code], "occurredAt": ago(hours=1),
                "data": {"warehouse": "冷库"}})
            if r.status_code != 201:
                failures.append(f"{r.status_code} {r.get_data(as_text=True)[:200]}")

    threads = [threading.Thread(target=writer, args=(code,)) for code in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []

    with live_app.app_context():
        indexes = db.session.scalars(sa.select(LogEntry.index).order_by(LogEntry.index)).all()
        assert indexes == list(range(len(indexes)))
        assert db.session.get(LogHead, 1).size == len(indexes)
        from trace.services.audit.audit import audit_log

        report = audit_log(db.session, live_app.config["TRACE"].log_origin, workers=1)
        assert report.ok, [str(f) for f in report.findings]
        records = db.session.scalar(sa.select(sa.func.count()).select_from(LogEntry).where(LogEntry.kind == "record"))
        made = db.session.scalar(sa.select(sa.func.count()).select_from(Event)
                                 .where(Event.stage.in_(["registration", "product"])))
        assert records == WRITERS * EACH + 1 + made
