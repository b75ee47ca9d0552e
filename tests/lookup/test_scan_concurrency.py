"""Concurrent lookups of one unit serial: each counts exactly once (real commits, both engines)."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from tests.factories import Factory
from tests.lookup.helpers import JSON
from trace.db import db
from trace.models import UnitCode
from trace.services.printing.labels import issue_labels

READERS, EACH = 6, 8


def test_concurrent_lookups_each_count_once(live_app):  # noqa: F811
    live_app.config["TRACE"] = live_app.config["TRACE"].with_(public_rate_limit="100000/minute")
    with live_app.app_context():
        make = Factory(db.session)
        producer = make.actor("producer")
        _, (unit,) = issue_labels(db.session, producer.user, make.batch(producer), 1)
        db.session.commit()
        serial = unit.serial
    seen: list[int] = []
    failures: list[object] = []

    def reader() -> None:
        client = live_app.test_client()
        for _ in range(EACH):
            r = client.get(f"/T/{serial}", headers=JSON)
            if r.status_code == 200:
                seen.append(r.json["unit"]["scanCount"])
            else:
                failures.append((r.status_code, r.get_data(as_text=True)[:200]))

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(seen) == list(range(1, READERS * EACH + 1))  # every lookup saw its own count
    with live_app.app_context():
        row = db.session.scalar(sa.select(UnitCode).where(UnitCode.serial == serial))
        assert row.scan_count == READERS * EACH
        assert row.first_scanned_at <= row.last_scanned_at
