"""Concurrent lookups of one unit serial: each counts exactly once, and all reach the database (both engines)."""

from __future__ import annotations

import threading

from tests.factories import Factory
from tests.lookup.helpers import JSON
from trace.db import db
from trace.services.printing.labels import issue_labels, unit_scans

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
    assert live_app.extensions["trace.lookup_counter"].flush_now() == READERS * EACH  # what a clean stop does
    with live_app.app_context():
        count, first, last = unit_scans(db.session, [serial])[serial]
        assert count == READERS * EACH and first <= last
