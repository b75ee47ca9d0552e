"""The log over HTTP: checkpoints, proofs, tlog-proofs, audit bundles, keys, devices, bulk capture."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.factories import event_body, registration_leaf_hash
from trace import ledger
from trace.models import Event, LogEntry


def b64(items):
    return [base64.b64decode(x) for x in items]


@pytest.fixture()
def alice(make):
    return make.actor()


@pytest.fixture()
def batch(make, alice):
    return make.batch(alice)


def record(client, actor, body):
    r = client.post("/api/v1/events", json=body, headers=actor.headers)
    assert r.status_code == 201, r.json
    return r.json


def log_verifier(client):
    keys = client.get("/api/v1/log/keys").json
    (log_key,) = [k for k in keys if k["role"] == "log"]
    return ledger.parse_vkey(log_key["vkey"])


def test_checkpoint_and_inclusion_proofs_verify(client, alice, batch):
    for stage, data in (("planting", {"plot": "1", "variety": "v"}), ("harvest", {"quantity": "1", "uom": "KGM"})):
        record(client, alice, event_body(stage, [batch], data))
    note = client.get("/api/v1/log/checkpoint")
    assert note.status_code == 200 and note.mimetype == "text/plain"
    checkpoint = ledger.open_checkpoint(note.data.decode(), log_verifier(client))
    for index in range(checkpoint.size):
        entry = client.get(f"/api/v1/log/entries/{index}").json
        leaf = base64.b64decode(entry["leaf"])
        assert base64.b64decode(entry["leafHash"]) == ledger.leaf_hash(leaf)
        proof = client.get(f"/api/v1/log/proof/inclusion?index={index}&size={checkpoint.size}").json
        ledger.verify_inclusion(
            ledger.leaf_hash(leaf), index, checkpoint.size, b64(proof["proof"]), checkpoint.root_hash
        )
    page = client.get(f"/api/v1/log/entries?start=0&limit={checkpoint.size}").json
    assert [e["index"] for e in page["items"]] == list(range(checkpoint.size))


def test_consistency_between_issued_checkpoints(client, alice, batch):
    record(client, alice, event_body("planting", [batch], {"plot": "1", "variety": "v"}))
    verifier = log_verifier(client)
    old = ledger.open_checkpoint(client.get("/api/v1/log/checkpoint").data.decode(), verifier)
    record(client, alice, event_body("harvest", [batch], {"quantity": "1", "uom": "KGM"}))
    new = ledger.open_checkpoint(client.get("/api/v1/log/checkpoint").data.decode(), verifier)
    assert new.size > old.size
    proof = client.get(f"/api/v1/log/proof/consistency?old={old.size}&new={new.size}").json
    ledger.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, b64(proof["proof"]))
    with pytest.raises(ledger.ProofError):
        ledger.verify_consistency(old.size, new.size, new.root_hash, new.root_hash, b64(proof["proof"]))


def test_proof_queries_out_of_range_are_422(client, alice, batch):
    record(client, alice, event_body("planting", [batch], {"plot": "1", "variety": "v"}))
    assert client.get("/api/v1/log/proof/inclusion?index=5&size=2").status_code == 422
    assert client.get("/api/v1/log/proof/inclusion?index=0&size=999999").status_code == 422
    assert client.get("/api/v1/log/proof/consistency?old=3&new=2").status_code == 422
    assert client.get("/api/v1/log/proof/inclusion?index=x&size=2").status_code == 422
    assert client.get("/api/v1/log/entries/999999").status_code == 404


def test_tlog_proof_of_an_event_verifies(client, session, alice, batch):
    body = event_body("planting", [batch], {"plot": "1", "variety": "v"})
    record(client, alice, body)
    text = client.get(f"/api/v1/events/{body['id']}/tlog-proof").data.decode()
    assert text.startswith("c2sp.org/tlog-proof@v1\n")
    leaf = session.scalar(sa.select(LogEntry.leaf).where(LogEntry.event_id == body["id"]))
    checkpoint = ledger.verify_tlog_proof(text, leaf, log_verifier(client))
    assert checkpoint.size >= 1
    with pytest.raises(ledger.LedgerError):
        ledger.verify_tlog_proof(text, leaf + b" ", log_verifier(client))


def test_records_are_signed_by_the_organization_and_linked_by_prev(client, session, alice, batch):
    first = event_body("planting", [batch], {"plot": "1", "variety": "v"})
    second = event_body("harvest", [batch], {"quantity": "12.50", "uom": "KGM"})
    record(client, alice, first)
    record(client, alice, second)
    rows = {
        e.event_id: e
        for e in session.scalars(sa.select(LogEntry).where(LogEntry.event_id.in_([first["id"], second["id"]])))
    }
    rec1, sigs1 = ledger.parse_leaf(rows[first["id"]].leaf)
    rec2, _ = ledger.parse_leaf(rows[second["id"]].leaf)
    assert rec1["prev"] == {batch.trace_code: registration_leaf_hash(session, batch)}  # the chain begins there
    assert rec2["prev"] == {batch.trace_code: rows[first["id"]].leaf_hash.hex()}
    assert rec2["data"] == {"quantity": "12.5", "uom": "KGM", "templates": {"vegetables": 1}}  # canonical
    assert rec1["org"] == str(alice.org.id)
    keys = {k["keyId"]: k for k in client.get("/api/v1/log/keys").json}
    key = keys[sigs1[0]["keyId"]]
    assert key["role"] == "organization" and key["org"] == str(alice.org.id)
    assert ledger.verify_record(ledger.parse_vkey(key["vkey"]).public_raw, rec1, base64.b64decode(sigs1[0]["sig"]))


def test_audit_bundle_verifies_offline_across_a_key_rotation(client, make, alice, batch):
    inspector = make.actor("inspector")
    record(client, alice, event_body("planting", [batch], {"plot": "1", "variety": "v"}))
    rotated = client.post(f"/api/v1/organizations/{alice.org.id}/keys/rotate", headers=alice.headers)
    assert rotated.status_code == 201
    record(client, alice, event_body("harvest", [batch], {"quantity": "1", "uom": "KGM"}))
    r = client.get(f"/api/v1/batches/{batch.trace_code}/audit-bundle", headers=inspector.headers)
    assert r.status_code == 200
    report = ledger.verify_bundle(r.json, log_verifier(client).vkey)
    assert report.ok, report.problems
    signers = [entry.signers for entry in report.entries]
    # registration and planting signed by the old key, the harvest by the new one
    assert len(signers) == 3 and signers[0] == signers[1] != signers[2]
    assert client.get(f"/api/v1/batches/{batch.trace_code}/audit-bundle").status_code == 401


def device(client, actor, name="scanner-1"):
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    r = client.post(
        "/api/v1/devices", json={"name": name, "publicKey": base64.b64encode(public).decode()}, headers=actor.headers
    )
    assert r.status_code == 201, r.json
    return private, r.json


def device_signed(private, key, actor, body):
    """Sign an event as a scanner does: the record without recordedAt and prev."""
    import datetime as dt

    from trace.times import rfc3339

    occurred = dt.datetime.fromisoformat(body["occurredAt"])
    view = {
        "v": 1,
        "id": body["id"],
        "stage": body["stage"],
        "bizStep": "https://ref.gs1.org/cbv/BizStep-receiving",
        "batches": body["batches"],
        "occurredAt": rfc3339(occurred),
        "org": str(actor.org.id),
        "actor": f"device:{key['name']}",
        "data": body["data"],
        "attachments": [],
    }
    sig = private.sign(ledger.RECORD_PREFIX + ledger.canonical(view))
    return {**body, "deviceSignature": {"keyId": key["keyId"], "sig": base64.b64encode(sig).decode()}}


def test_device_signed_record_is_accepted_and_both_signatures_are_in_the_leaf(client, session, make, alice, batch):
    private, key = device(client, alice)
    body = device_signed(private, key, alice, event_body("receiving", [batch], {"from": alice.org.id}))
    record(client, alice, body)
    leaf = session.scalar(sa.select(LogEntry.leaf).where(LogEntry.event_id == body["id"]))
    rec, sigs = ledger.parse_leaf(leaf)
    assert rec["actor"] == f"device:{key['name']}"
    assert key["keyId"] in {s["keyId"] for s in sigs} and len(sigs) == 2


def count(session):
    """Return (events, log entries not about keys)."""
    return session.scalar(sa.select(sa.func.count()).select_from(Event)), session.scalar(
        sa.select(sa.func.count()).select_from(LogEntry).where(LogEntry.kind == "record")
    )


def test_forged_device_signature_is_rejected_and_nothing_stored(client, session, alice, batch):
    private, key = device(client, alice)
    body = device_signed(private, key, alice, event_body("receiving", [batch], {"from": alice.org.id}))
    body["data"] = {"from": alice.org.id, "quantity": "999"}  # changed after signing
    before = count(session)
    r = client.post("/api/v1/events", json=body, headers=alice.headers)
    assert r.status_code == 422 and r.json["type"].endswith("/bad-signature")
    assert count(session) == before


def test_revoked_device_key_is_rejected_after_revocation(client, session, make, alice, batch):
    private, key = device(client, alice)
    r = client.post(f"/api/v1/log/keys/{key['keyId']}/revoke", json={"reason": "lost"}, headers=alice.headers)
    assert r.status_code == 200 and r.json["revokedAt"]
    body = device_signed(private, key, alice, event_body("receiving", [batch], {"from": alice.org.id}))
    before = count(session)
    r = client.post("/api/v1/events", json=body, headers=alice.headers)
    assert r.status_code == 422 and "revoked" in r.json["detail"]
    assert count(session) == before
    other = make.actor()
    assert (
        client.post(f"/api/v1/log/keys/{key['keyId']}/revoke", json={"reason": "x"}, headers=other.headers).status_code
        == 403
    )


def test_organization_signatures_cannot_be_supplied(client, session, alice, batch):
    record(client, alice, event_body("planting", [batch], {"plot": "1", "variety": "v"}))
    org_key = [k for k in client.get("/api/v1/log/keys").json if k["role"] == "organization"][0]
    body = event_body(
        "harvest",
        [batch],
        {"quantity": "1", "uom": "KGM"},
        deviceSignature={"keyId": org_key["keyId"], "sig": base64.b64encode(b"x" * 64).decode()},
    )
    r = client.post("/api/v1/events", json=body, headers=alice.headers)
    assert r.status_code == 422 and "Organization keys sign on the server" in r.json["detail"]


def test_bulk_capture_is_all_or_nothing(client, session, alice, batch):
    good = [
        event_body("planting", [batch], {"plot": "1", "variety": "v"}),
        event_body("harvest", [batch], {"quantity": "1", "uom": "KGM"}),
    ]
    bad = event_body("harvest", [batch], {"quantity": "-1", "uom": "KGM"})
    before = count(session)
    r = client.post("/api/v1/events/bulk", json={"events": [*good, bad]}, headers=alice.headers)
    assert r.status_code == 422 and "2" in r.json["errors"]["events"]
    assert count(session) == before
    r = client.post("/api/v1/events/bulk", json={"events": good}, headers=alice.headers)
    assert r.status_code == 201 and r.json["created"] == 2
    assert count(session) == (before[0] + 2, before[1] + 2)
    again = client.post("/api/v1/events/bulk", json={"events": good}, headers=alice.headers)
    assert again.status_code == 200 and again.json["replayed"] == 2
    assert count(session) == (before[0] + 2, before[1] + 2)


def test_bulk_capture_has_a_limit(client, app, alice, batch):
    limit = app.config["TRACE"].bulk_limit
    events = [event_body("storage", [batch], {"warehouse": "库"}) for _ in range(limit + 1)]
    r = client.post("/api/v1/events/bulk", json={"events": events}, headers=alice.headers)
    assert r.status_code == 413
