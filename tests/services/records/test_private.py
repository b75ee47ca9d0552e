"""Private sale values: sealed in a salted commitment, kept apart, read by the permitted, checked by the audit."""

from __future__ import annotations

import hashlib
import uuid

import sqlalchemy as sa

from tests.api.helpers import assert_problem
from tests.factories import event_body
from trace.ledger import canonical
from trace.models import Event, LogEntry, PrivateValues
from trace.services.organizations.aid import mark_aid
from trace.services.records.private import check_commitments
from trace.services.statistics.rebuild import compare

SECRETS = ("ORD-SECRET-7731", "张三丰", "4.5", "unitPrice", "buyerKind", "households")
HTML = {"Accept": "text/html"}


def _sale(client, make, session):
    producer = make.actor("producer")
    mark_aid(session, None, producer.org, "cooperative", 5)
    session.commit()
    batch = make.batch(producer, quantity="100")
    body = event_body("sale", [batch], {"channel": "online", "platform": "淘宝", "quantity": "10", "uom": "KGM",
                                        "unitPrice": "4.5", "order": "ORD-SECRET-7731", "buyer": "张三丰",
                                        "buyerKind": "consumer"})
    r = client.post("/api/v1/events", json=body, headers=producer.headers)
    assert r.status_code == 201, r.json
    return producer, batch, body, r.json["id"]


def test_the_record_holds_a_salted_commitment_and_the_values_sit_apart(client, make, session):
    producer, batch, body, event_id = _sale(client, make, session)
    event = session.get(Event, event_id)
    assert set(event.data) == {"channel", "platform", "quantity", "uom", "commitment"}
    private = session.get(PrivateValues, event_id)
    assert private.values == {"unitPrice": "4.5", "amount": "45", "order": "ORD-SECRET-7731", "buyer": "张三丰",
                              "buyerKind": "consumer", "currency": "CNY",
                              "aid": {"kind": "cooperative", "households": 5}}
    salt = bytes.fromhex(private.salt)
    assert len(salt) == 16
    assert event.data["commitment"] == hashlib.sha256(salt + canonical(private.values)).hexdigest()
    leaf = session.scalar(sa.select(LogEntry.leaf).where(LogEntry.event_id == event_id))
    for secret in SECRETS:
        assert secret.encode() not in leaf
    assert event.data["commitment"].encode() in leaf
    # A retry seals to the same commitment (the salt comes from the record id): replayed, not a conflict.
    again = client.post("/api/v1/events", json=body, headers=producer.headers)
    assert again.status_code == 200, again.json
    changed = {**body, "data": {**body["data"], "unitPrice": "5"}}
    assert_problem(client.post("/api/v1/events", json=changed, headers=producer.headers), 409, "conflict")


def test_private_values_are_read_by_inspectors_admins_and_the_recording_organization(client, make, session):
    producer, _, _, event_id = _sale(client, make, session)
    url = f"/api/v1/events/{event_id}/private"
    for reader in (producer, make.actor("inspector"), make.actor("admin")):
        r = client.get(url, headers=reader.headers)
        assert r.status_code == 200, r.json
        assert r.json["values"]["order"] == "ORD-SECRET-7731"
        assert r.headers["Cache-Control"] == "no-store"
    assert_problem(client.get(url, headers=make.actor("producer").headers), 403, "forbidden")
    assert_problem(client.get(url), 401, "unauthenticated")


def test_private_values_never_appear_in_pages_events_or_exports(client, make, session):
    producer, batch, _, event_id = _sale(client, make, session)
    inspector = make.actor("inspector")
    bodies = [
        client.get(f"/api/v1/events/{event_id}", headers=producer.headers),
        client.get(f"/api/v1/batches/{batch.trace_code}", headers=producer.headers),
        client.get(f"/T/{batch.trace_code}", headers=HTML),
        client.get(f"/T/{batch.trace_code}?lang=en", headers=HTML),
        client.get(f"/api/v1/exports/epcis?batch={batch.trace_code}", headers=inspector.headers),
        client.get(f"/api/v1/exports/kde.csv?batch={batch.trace_code}", headers=inspector.headers),
        client.get(f"/api/v1/batches/{batch.trace_code}/audit-bundle", headers=inspector.headers),
    ]
    client.get(f"/T/{batch.trace_code}?lang=zh", headers=HTML)
    for r in bodies:
        assert r.status_code == 200, (r.request.path, r.status_code)
    for r in bodies:
        text = r.get_data(as_text=True)
        for secret in ("ORD-SECRET-7731", "张三丰", "unitPrice", "households"):
            assert secret not in text, (r.request.path, secret)
    assert "淘宝" in bodies[0].get_data(as_text=True)  # the platform is public


def test_private_values_are_neither_corrected_in_clear_nor_sent_by_clients_as_a_commitment(client, make, session):
    producer, batch, _, event_id = _sale(client, make, session)
    r = client.post(f"/api/v1/events/{event_id}/corrections", headers=producer.headers,
                    json={"id": str(uuid.uuid4()), "fields": {"amount": "50"}, "reason": "改价"})
    assert_problem(r, 422, "validation", "fields")
    forged = event_body("sale", [batch], {"channel": "market", "commitment": "0" * 64})
    assert_problem(client.post("/api/v1/events", json=forged, headers=producer.headers), 422, "validation", "data")


def test_the_audit_names_private_values_that_do_not_match_their_commitment(client, make, session):
    _, _, _, event_id = _sale(client, make, session)
    assert check_commitments(session) == []
    row = session.get(PrivateValues, event_id)
    row.values = {**row.values, "amount": "4500.00"}
    session.commit()
    assert check_commitments(session) == [f"record {event_id}: private values do not match the signed commitment"]
    assert compare(session)  # the counters kept the sealed amount; the tampered row says otherwise
