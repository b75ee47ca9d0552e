"""Tamper with the log directly in the database, bypassing the app; audit names exactly that entry."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import event_body
from trace.models import LogEntry
from trace.services.audit.audit import audit_log
from trace.services.records.attachments import attachment_path

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture()
def logged(client, make, app):
    """A producer's two batches with a few events each, and an inspection citing a report."""
    alice = make.actor()
    a, b = make.batch(alice), make.batch(alice)
    up = client.post("/api/v1/attachments?name=report.png", data=PNG, content_type="image/png", headers=alice.headers)
    assert up.status_code == 201, up.json
    bodies = [
        event_body("planting", [a], {"plot": "1号", "variety": "浙粉"}),
        event_body("planting", [b], {"plot": "2号", "variety": "浙粉"}),
        event_body("harvest", [a], {"quantity": "100", "uom": "KGM"}),
        event_body(
            "inspection",
            [a],
            {"items": [{"item": "毒死蜱", "result": "pass"}], "result": "pass", "lab": "站"},
            attachments=[up.json],
        ),
        event_body("harvest", [b], {"quantity": "100", "uom": "KGM"}),
        event_body("packing", [a, b], {"packageType": "箱"}),
    ]
    for body in bodies:
        r = client.post("/api/v1/events", json=body, headers=alice.headers)
        assert r.status_code == 201, r.json
    return {body["id"]: body for body in bodies}


def index_of(session, event_id: str) -> int:
    return session.scalar(sa.select(LogEntry.index).where(LogEntry.event_id == event_id))


def audit(session, app, **kw):
    session.expire_all()
    return audit_log(session, app.config["TRACE"].log_origin, attachments_root=Path(app.instance_path), **kw)


def ids(logged, stage):
    return [i for i, body in logged.items() if body["stage"] == stage]


def test_a_clean_log_audits_clean_with_worker_processes(session, app, logged):
    report = audit(session, app, workers=2)
    assert report.ok, [str(f) for f in report.findings]
    assert report.entries >= len(logged)
    assert report.checkpoints >= 1


def test_changed_event_data_is_named(session, app, logged):
    event_id = ids(logged, "harvest")[0]
    session.execute(
        sa.text("UPDATE events SET data = :d WHERE id = :id"),
        {"d": json.dumps({"quantity": "900", "uom": "KGM"}), "id": event_id},
    )
    report = audit(session, app, workers=1)
    assert report.indexes() == {index_of(session, event_id)}
    assert {f.kind for f in report.findings} == {"event-row"}


def test_changed_leaf_is_named(session, app, logged):
    event_id = ids(logged, "harvest")[0]
    index = index_of(session, event_id)
    leaf = session.scalar(sa.select(LogEntry.leaf).where(LogEntry.index == index))
    forged = leaf.replace(b'"quantity":"100"', b'"quantity":"900"')
    assert forged != leaf
    session.execute(sa.text('UPDATE log_entries SET leaf = :l WHERE "index" = :i'), {"l": forged, "i": index})
    report = audit(session, app, workers=1)
    assert report.indexes() == {index}
    assert {"signature", "leaf-hash", "not-committed"} <= {f.kind for f in report.findings}


def test_deleted_entry_is_named(session, app, logged):
    event_id = ids(logged, "harvest")[0]
    index = index_of(session, event_id)
    session.execute(sa.text('DELETE FROM log_entries WHERE "index" = :i'), {"i": index})
    report = audit(session, app, workers=1)
    assert report.indexes() == {index}
    assert any(f.kind == "missing" for f in report.findings)


def test_reordered_entries_are_named(session, app, logged):
    first, second = (index_of(session, i) for i in ids(logged, "planting"))
    session.execute(sa.text('UPDATE log_entries SET "index" = -1 WHERE "index" = :i'), {"i": first})
    session.execute(sa.text('UPDATE log_entries SET "index" = :a WHERE "index" = :b'), {"a": first, "b": second})
    session.execute(sa.text('UPDATE log_entries SET "index" = :b WHERE "index" = -1'), {"b": second})
    report = audit(session, app, workers=1)
    assert report.indexes() == {first, second}
    assert all("reordered" in f.message for f in report.findings if f.kind == "not-committed")


def test_swapped_attachment_is_named(session, app, logged):
    event_id = ids(logged, "inspection")[0]
    sha = logged[event_id]["attachments"][0]["sha256"]
    path = attachment_path(Path(app.instance_path), sha)
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"tampered")
        report = audit(session, app, workers=1)
    finally:
        path.write_bytes(original)
    assert report.indexes() == {index_of(session, event_id)}
    assert {f.kind for f in report.findings} == {"attachment"}


def test_replaced_signature_is_named(session, app, logged):
    event_id = ids(logged, "packing")[0]
    index = index_of(session, event_id)
    leaf = session.scalar(sa.select(LogEntry.leaf).where(LogEntry.index == index))
    doc = json.loads(leaf)
    sig = bytearray(base64.b64decode(doc["signatures"][0]["sig"]))
    sig[0] ^= 1
    doc["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    from trace import ledger

    forged = ledger.leaf_bytes(doc["record"], doc["signatures"])
    session.execute(
        sa.text('UPDATE log_entries SET leaf = :l, leaf_hash = :h WHERE "index" = :i'),
        {"l": forged, "h": ledger.leaf_hash(forged), "i": index},
    )
    report = audit(session, app, workers=1)
    assert report.indexes() == {index}
    assert "signature" in {f.kind for f in report.findings}


def test_rolled_back_log_is_caught_by_a_checkpoint_issued_earlier(session, app, logged, client):
    note = client.get("/api/v1/log/checkpoint").data.decode()
    size = int(note.splitlines()[1])
    last = size - 1
    # Roll back: drop the newest entry, its checkpoint and the head, as an operator could.
    session.execute(sa.text('DELETE FROM log_entries WHERE "index" = :i'), {"i": last})
    session.execute(sa.text("DELETE FROM checkpoints WHERE size = :s"), {"s": size})
    session.execute(sa.text("UPDATE log_head SET size = :s"), {"s": last})
    report = audit(session, app, workers=1, external_checkpoints=[note])
    assert report.indexes() == {last}
    assert any(f.kind == "rolled-back" for f in report.findings)


def test_a_deleted_latest_checkpoint_is_named(session, app, logged):
    from trace.models import Checkpoint

    latest = session.scalar(sa.select(sa.func.max(Checkpoint.size)))
    session.execute(sa.delete(Checkpoint).where(Checkpoint.size == latest))
    report = audit(session, app, workers=1)
    assert [(f.kind, f.index) for f in report.findings] == [("deleted-checkpoint", None)]


def test_a_rollback_below_what_a_witness_cosigned_is_named(session, app, logged):
    import datetime as dt

    from trace.models import WitnessCosignature

    size = session.scalar(sa.select(sa.func.max(LogEntry.index))) + 1
    session.add(WitnessCosignature(witness="w1.example/witness", size=size + 3, line="—",
                                   cosigned_at=dt.datetime.now(dt.UTC)))
    session.flush()
    report = audit(session, app, workers=1)
    assert [(f.kind, f.index) for f in report.findings] == [("rolled-back", None)]
    assert "w1.example/witness" in report.findings[0].message
