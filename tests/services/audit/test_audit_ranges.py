"""The audit's two paths and its worker processes.

- Every intact event entry takes the fast path (the raw row rebuilds the signed bytes), and what
  it reads equals what parsing the leaf gives; tampered entries fall back to the reference path.
- Worker processes reading ranges on their own connections report exactly what one process does,
  whatever the range size, also when tampering sits on a range boundary.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings

from tests.factories import ago, event_body, live_producer
from tests.ledger.helpers import json_values
from trace import ledger
from trace.db import db
from trace.ledger.jcs import reference_canonical
from trace.models import LogEntry
from trace.services.audit import audit_fast, audit_worker
from trace.services.audit.audit import audit_log

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def varied_events(client, producer, batch, other) -> list[dict]:
    """Events of every shape a record can take: location, sensors, attachments, inputs and outputs, CJK text."""
    up = client.post("/api/v1/attachments?name=检测报告.png", data=PNG, content_type="image/png",
                     headers=producer.headers)
    assert up.status_code == 201, up.json
    sensors = [{"sensorMetadata": {"time": ago(hours=2)},
                "sensorReport": [{"type": "gs1:MT-Temperature", "value": "3.25", "uom": "CEL"}]}]
    bodies = [
        event_body("harvest", [batch], {"quantity": "100", "uom": "KGM", "method": "人工采摘"},
                   location={"name": "3号地块", "latitude": "28.45", "longitude": "119.48"}),
        event_body("storage", [batch], {"warehouse": "1号\"冷库\"\\东"}, sensors=sensors),
        event_body("inspection", [batch], {"items": [{"item": "毒死蜱", "result": "pass"}], "result": "pass",
                                           "lab": "县检测站"}, attachments=[up.json]),
        event_body("packing", [batch, other], {"packageType": "箱"}),
    ]
    for body in bodies:
        r = client.post("/api/v1/events", json=body, headers=producer.headers)
        assert r.status_code == 201, r.json
    split = {"id": str(uuid.uuid4()), "stage": "sorting", "occurredAt": ago(minutes=30), "data": {},
             "inputs": [{"batch": batch.trace_code, "quantity": "60.5", "uom": "KGM"}],
             "outputs": [{"product": batch.product_id, "lot": "G1", "quantity": "40.25", "uom": "KGM"},
                         {"product": batch.product_id, "lot": "G2", "quantity": "20.25", "uom": "KGM"}]}
    r = client.post("/api/v1/transformations", json=split, headers=producer.headers)
    assert r.status_code == 201, r.json.get("errors")
    return [*bodies, split]


def test_every_intact_event_takes_the_fast_path_and_reads_what_the_leaf_says(session, client, make, app, monkeypatch):
    producer = make.actor("producer")
    batch, other = make.batch(producer), make.batch(producer)
    varied_events(client, producer, batch, other)
    referenced: list[int] = []
    original = audit_worker.Checker._reference

    def spy(self, out, index, leaf, event_id):
        referenced.append(index)
        return original(self, out, index, leaf, event_id)

    monkeypatch.setattr(audit_worker.Checker, "_reference", spy)
    checker = audit_worker.Checker(session.connection(), {}, {}, None)
    rows = checker.reader.read(checker.reader.entries_query, {"lo": 0, "hi": 10**9})
    by_index: dict[int, list] = {}
    for row in rows:
        by_index.setdefault(row[0], []).append(row)
    checked = 0
    for index, same in by_index.items():
        row = same[0]
        if row[4] is None:
            continue  # key records have no event row
        codes = checker.reader.codes({r[16] for r in same if r[16] is not None})
        lines = [(r[15], codes[r[16]], audit_fast.quantity(r[17]), r[18]) for r in same if r[15] is not None]
        leaf = bytes(row[1])
        fast = audit_fast.fast_record(leaf, row, lines, checker.keys)
        assert fast is not None, f"entry {index} ({row[5]}) missed the fast path"
        fields, signed, sigs = fast
        record, signatures = ledger.parse_leaf(leaf)
        assert ledger.canonical(record) == signed
        assert {k: record.get(k) for k in fields} == fields
        assert sigs == [(s["keyId"], base64.b64decode(s["sig"])) for s in signatures]
        checked += 1
    # four events, the split, and the registration and product records
    assert checked == session.scalar(
        sa.select(sa.func.count()).select_from(LogEntry).where(LogEntry.event_id.is_not(None)))
    report = audit_log(session, app.config["TRACE"].log_origin, workers=1)
    keyless = {i for i, same in by_index.items() if same[0][4] is None}
    assert set(referenced) == keyless, "only key records (no event row) go the reference way"
    assert all(f.kind not in ("event-row", "leaf") for f in report.findings)


@pytest.mark.parametrize("column, value", [
    ("data", json.dumps({"quantity": "900", "uom": "KGM", "method": "人工采摘"})),
    ("location", json.dumps({"name": "4号地块", "latitude": "28.45", "longitude": "119.48"})),
    ("actor", "user:999"),
    ("occurred_at", "2020-01-01 00:00:00.000000"),
])
def test_a_changed_column_falls_back_and_is_named(session, client, make, app, column, value):
    if column == "occurred_at" and session.get_bind().dialect.name != "sqlite":
        value = "2020-01-01T00:00:00+00:00"
    producer = make.actor("producer")
    batch, other = make.batch(producer), make.batch(producer)
    bodies = varied_events(client, producer, batch, other)
    target = bodies[0]["id"]
    session.execute(sa.text(f"UPDATE events SET {column} = :v WHERE id = :id"), {"v": value, "id": target})
    session.expire_all()
    report = audit_log(session, app.config["TRACE"].log_origin, workers=1)
    index = session.scalar(sa.select(LogEntry.index).where(LogEntry.event_id == target))
    assert report.indexes() == {index}
    assert [f.kind for f in report.findings] == ["event-row"]


def _build_log(app, events: int) -> tuple[Any, dict[str, str], list[str]]:
    """Three batches and ``events`` storage records in one bulk request; return the client, headers, codes."""
    client, headers, product = live_producer(app, "区段合作社")
    codes = []
    for i in range(3):
        r = client.post("/api/v1/batches", headers=headers, json={
            "product": product["id"], "lot": f"R{i}", "quantity": "100", "uom": "KGM"})
        assert r.status_code == 201, r.json
        codes.append(r.json["code"])
    items = [{"id": str(uuid.uuid4()), "stage": "storage", "batches": [codes[i % 3]], "occurredAt": ago(hours=2),
              "data": {"warehouse": f"{i}号冷库"}} for i in range(events)]
    r = client.post("/api/v1/events/bulk", headers=headers, json={"events": items})
    assert r.status_code in (200, 201), r.json
    return client, headers, codes


def _findings(app, **kw) -> list[tuple]:
    with app.app_context():
        report = audit_log(db.session, app.config["TRACE"].log_origin, attachments_root=Path(app.instance_path),
                           **kw)
        db.session.rollback()
        return [(f.index, f.kind, f.message) for f in report.findings], report.entries


def test_worker_processes_report_exactly_what_one_process_does(live_app):  # noqa: F811
    _build_log(live_app, 40)
    clean, entries = _findings(live_app, workers=2, chunk=8)
    assert clean == [] and entries >= 40
    with live_app.app_context():
        s = db.session
        first = s.scalar(sa.select(sa.func.min(LogEntry.index)).where(LogEntry.event_id.is_not(None)))
        on_boundary = (first // 8 + 2) * 8  # the first entry of a range
        s.execute(sa.text('DELETE FROM log_entries WHERE "index" = :i'), {"i": on_boundary})
        changed = s.scalar(sa.select(LogEntry.event_id).where(LogEntry.index == on_boundary + 11))
        forged = {"d": '{"warehouse": "假冷库"}', "id": changed}
        s.execute(sa.text("UPDATE events SET data = :d WHERE id = :id"), forged)
        a, b = on_boundary + 7, on_boundary + 8  # the last entry of one range and the first of the next
        s.execute(sa.text('UPDATE log_entries SET "index" = -1 WHERE "index" = :i'), {"i": a})
        s.execute(sa.text('UPDATE log_entries SET "index" = :a WHERE "index" = :b'), {"a": a, "b": b})
        s.execute(sa.text('UPDATE log_entries SET "index" = :b WHERE "index" = -1'), {"b": b})
        s.commit()
    parallel, _ = _findings(live_app, workers=2, chunk=8)
    assert parallel == _findings(live_app, workers=1, chunk=8)[0] == _findings(live_app, workers=1)[0]
    named = {index for index, _, _ in parallel}
    assert {on_boundary, on_boundary + 11, a, b} <= named
    assert ("missing" in {k for i, k, _ in parallel if i == on_boundary})
    assert ("event-row" in {k for i, k, _ in parallel if i == on_boundary + 11})
    assert all("reordered" in m for i, k, m in parallel if i in (a, b) and k == "not-committed")


def test_tampered_checkpoints_are_named_by_worker_processes_too(live_app):  # noqa: F811
    client, headers, codes = _build_log(live_app, 5)
    for _ in range(3):  # more checkpoints, one per request, at sizes across several ranges
        r = client.post("/api/v1/events", headers=headers, json={
            "id": str(uuid.uuid4()), "stage": "storage", "batches": [codes[0]], "occurredAt": ago(hours=1),
            "data": {}})
        assert r.status_code == 201, r.json
    with live_app.app_context():
        s = db.session
        sizes = [size for (size,) in s.execute(sa.text("SELECT size FROM checkpoints ORDER BY size"))]
        assert len(sizes) >= 4
        wrong_root, bad_note = sizes[-2], sizes[-3]
        zeroed = {"r": b"\x00" * 32, "s": wrong_root}
        s.execute(sa.text("UPDATE checkpoints SET root_hash = :r WHERE size = :s"), zeroed)
        note = s.scalar(sa.text("SELECT note FROM checkpoints WHERE size = :s"), {"s": bad_note})
        at = len(note) - 20  # inside the signature's base64, past the key hash
        forged = note[:at] + ("A" if note[at] != "A" else "B") + note[at + 1 :]
        s.execute(sa.text("UPDATE checkpoints SET note = :n WHERE size = :s"), {"n": forged, "s": bad_note})
        s.commit()
    parallel, _ = _findings(live_app, workers=2, chunk=4)
    assert parallel == _findings(live_app, workers=1)[0]
    messages = [m for _, kind, m in parallel if kind == "checkpoint"]
    assert f"checkpoint row {wrong_root} differs from its signed note" in messages
    assert f"the recomputed tree of size {wrong_root} does not match its checkpoint" in messages
    assert any(m.startswith(f"checkpoint {bad_note} does not verify") for m in messages)
    assert len(messages) == 3, parallel


def test_a_worker_that_cannot_open_the_database_fails_the_audit_with_the_reason(tmp_path):
    from trace.services.audit.audit_worker import check_range, init_worker

    init_worker(f"sqlite:///{tmp_path}/missing-dir/none.sqlite3", {}, {}, None)
    with pytest.raises(RuntimeError, match="could not open the database: OperationalError"):
        check_range((0, 8))


@settings(max_examples=400)
@given(json_values)
def test_the_fast_path_writes_jcs_exactly_as_rfc8785_does(value):
    """orjson with sorted keys, for what is_plain accepts; anything else is a ValueError (the reference way)."""
    try:
        text = audit_fast.canonical_text(value)
    except (ValueError, TypeError):  # lone surrogates, keys that JCS sorts in UTF-16 order
        return
    assert text.encode() == reference_canonical(value)


def test_floats_and_big_integers_leave_the_fast_path():
    for value in ({"a": 1.5}, {"a": 2**53}, [1e21]):
        with pytest.raises(ValueError):
            audit_fast.canonical_text(value)


def test_an_event_with_no_log_entry_is_named(session, client, make, app):
    producer = make.actor("producer")
    batch = make.batch(producer)
    body = event_body("harvest", [batch], {"quantity": "10", "uom": "KGM"})
    assert client.post("/api/v1/events", json=body, headers=producer.headers).status_code == 201
    session.execute(sa.text("DELETE FROM log_entries WHERE event_id = :id"), {"id": body["id"]})
    session.expire_all()
    report = audit_log(session, app.config["TRACE"].log_origin, workers=1)
    assert f"event {body['id']} has no log entry" in [f.message for f in report.findings if f.kind == "unlogged-event"]


def test_the_log_only_audit_names_the_same_entries_except_event_rows(live_app):  # noqa: F811
    """--log-only: signatures and the log. A changed event row is the one thing it does not see."""
    _build_log(live_app, 24)
    assert _findings(live_app, workers=2, chunk=8, rows=False) == ([], _findings(live_app, workers=1)[1])
    with live_app.app_context():
        s = db.session
        first = s.scalar(sa.select(sa.func.min(LogEntry.index)).where(LogEntry.event_id.is_not(None)))
        changed = s.scalar(sa.select(LogEntry.event_id).where(LogEntry.index == first + 3))
        s.execute(sa.text("UPDATE events SET data = :d WHERE id = :id"), {"d": '{"warehouse": "假"}', "id": changed})
        leaf = s.scalar(sa.select(LogEntry.leaf).where(LogEntry.index == first + 9))
        forged = leaf.replace("冷库".encode(), "热库".encode())  # JCS writes CJK as UTF-8
        assert forged != leaf
        s.execute(sa.text('UPDATE log_entries SET leaf = :l WHERE "index" = :i'), {"l": forged, "i": first + 9})
        s.execute(sa.text('DELETE FROM log_entries WHERE "index" = :i'), {"i": first + 17})
        s.commit()
    full, _ = _findings(live_app, workers=2, chunk=8)
    log_only, _ = _findings(live_app, workers=2, chunk=8, rows=False)
    assert log_only == _findings(live_app, workers=1, rows=False)[0]
    rows_only = ("event-row", "unlogged-event", "batch-row", "batch-state", "recall-row", "product-row")
    assert log_only == [f for f in full if f[1] not in rows_only]
    assert {first + 9, first + 17} <= {i for i, _, _ in log_only}
    assert first + 3 in {i for i, k, _ in full if k == "event-row"}
