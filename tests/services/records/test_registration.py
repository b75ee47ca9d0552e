"""Signed batch and product facts: registration and product records, and rows tampered with in the database."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import ago, event_body
from trace import ledger as ledger_lib
from trace.codes.tracecode import new_trace_code
from trace.models import Batch, Event, EventBatch, LogEntry, Product, SigningKey
from trace.services.audit.audit import audit_log
from trace.services.records.backfill import backfill

JSON = {"Accept": "application/json"}


@pytest.fixture()
def ledger(app):
    return app.extensions["trace.ledger"]


def audit(session, app):
    session.expire_all()
    return audit_log(session, app.config["TRACE"].log_origin, workers=1)


def page_verification(client, code):
    r = client.get(f"/t/{code}", headers=JSON)
    assert r.status_code == 200
    return r.json["verification"]


def entry_of(session, event_id):
    entry = session.scalar(sa.select(LogEntry).where(LogEntry.event_id == event_id))
    record, signatures = ledger_lib.parse_leaf(entry.leaf)
    return entry, record, signatures


def registration_of(session, batch_id):
    return session.scalar(sa.select(Event).join(EventBatch, EventBatch.event_id == Event.id)
                          .where(Event.stage == "registration", EventBatch.batch_id == batch_id))


def test_registering_a_batch_signs_its_facts_first_in_its_chain(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer, gtin="06970000000024", name="高山番茄")
    body = {"product": product.id, "lot": "L-0401", "quantity": "1.50E3", "uom": "KGM",
            "origin": {"name": "3号地块", "latitude": "28.45", "longitude": "119.48"},
            "producedAt": "2026-04-01T08:00:00+08:00"}
    r = client.post("/api/v1/batches", json=body, headers=producer.headers)
    assert r.status_code == 201, r.json
    batch = session.scalar(sa.select(Batch).where(Batch.trace_code == r.json["code"]))
    _, record, signatures = entry_of(session, registration_of(session, batch.id).id)
    assert record["stage"] == "registration" and record["bizStep"].endswith("BizStep-commissioning")
    assert record["batches"] == [batch.trace_code] and record["prev"] == {batch.trace_code: None}
    assert record["org"] == str(producer.org.id)
    assert record["data"] == {
        "product": {"id": product.id, "name": "高山番茄", "nameEn": None, "gtin": "06970000000024",
                    "category": "vegetables"},
        "organization": str(producer.org.id), "lot": "L-0401", "quantity": "1500", "uom": "KGM",
        "origin": {"name": "3号地块", "latitude": "28.45", "longitude": "119.48"},
        "producedAt": "2026-04-01T00:00:00Z",
    }
    key = session.scalar(sa.select(SigningKey).where(SigningKey.key_id == signatures[0]["keyId"]))
    assert (key.role, key.organization_id) == ("organization", producer.org.id)
    assert page_verification(client, batch.trace_code)["verified"] is True


def test_each_transformation_output_is_registered_before_the_transformation(client, make, session):
    producer = make.actor("producer")
    source = make.batch(producer, quantity="100")
    body = {"id": str(uuid.uuid4()), "stage": "sorting", "occurredAt": ago(hours=1), "data": {},
            "inputs": [{"batch": source.trace_code, "quantity": "60", "uom": "KGM"}],
            "outputs": [{"product": source.product_id, "lot": "A", "quantity": "40", "uom": "KGM"},
                        {"product": source.product_id, "lot": "B", "quantity": "20", "uom": "KGM"}]}
    r = client.post("/api/v1/transformations", json=body, headers=producer.headers)
    assert r.status_code == 201, r.json
    split, _, _ = entry_of(session, body["id"])
    for out in r.json["outputs"]:
        batch = session.scalar(sa.select(Batch).where(Batch.trace_code == out["batch"]))
        entry, record, _ = entry_of(session, registration_of(session, batch.id).id)
        assert record["data"]["transformation"] == body["id"]
        assert record["data"]["quantity"] == out["quantity"] and record["data"]["lot"] in ("A", "B")
        assert entry.index < split.index
    assert audit(session, client.application).ok


BATCH_TAMPERING = {
    "lot": "'FORGED'",
    "quantity": "999",
    "uom": "'TNE'",
    "origin": "'{\"name\": \"假地块\"}'",
    "produced_at": "'2020-01-01 00:00:00.000000'",
}


@pytest.mark.parametrize("column", [*BATCH_TAMPERING, "product_id", "organization_id"])
def test_an_edited_batch_column_is_named_by_the_audit_and_loses_the_mark(client, make, session, app, column):
    producer = make.actor("producer")
    batch = make.batch(producer)
    other = make.batch(make.actor("producer"))  # another organization and product to point at
    assert audit(session, app).ok
    value = {"product_id": str(other.product_id), "organization_id": str(other.organization_id)}.get(column) \
        or BATCH_TAMPERING[column]
    if column == "quantity":
        session.execute(sa.text("UPDATE batches SET quantity = 999, available = 999 WHERE id = :id"), {"id": batch.id})
    else:
        session.execute(sa.text(f"UPDATE batches SET {column} = {value} WHERE id = :id"), {"id": batch.id})  # noqa: S608
    session.commit()
    report = audit(session, app)
    rows = [f for f in report.findings if f.kind == "batch-row"]
    renamed = {"product_id": "product", "organization_id": "organization", "produced_at": "producedAt"}
    named = renamed.get(column, column)
    assert len(rows) == 1 and batch.trace_code in rows[0].message and named in rows[0].message, report.findings
    assert rows[0].index == entry_of(session, registration_of(session, batch.id).id)[0].index
    shown = page_verification(client, batch.trace_code)
    assert shown["verified"] is False and "facts" in [p["kind"] for p in shown["problems"]]


PRODUCT_TAMPERING = {
    "name": "'假番茄'",
    "name_en": "'Fake'",
    "gtin": "'06970000000031'",
    "brand": "'名牌'",
    "regional_brand": "'西湖龙井'",
    "certifications": "'[{\"kind\": \"organic\", \"number\": \"X\"}]'",
}


@pytest.mark.parametrize("column", [*PRODUCT_TAMPERING, "category_id"])
def test_an_edited_product_column_is_named_by_the_audit_and_loses_the_mark(client, make, session, app, column):
    producer = make.actor("producer")
    batch = make.batch(producer)
    product = session.get(Product, batch.product_id)
    if column == "category_id":
        value = str(session.scalar(sa.text("SELECT id FROM categories WHERE code = 'tea'")))
    else:
        value = PRODUCT_TAMPERING[column]
    session.execute(sa.text(f"UPDATE products SET {column} = {value} WHERE id = :id"), {"id": product.id})  # noqa: S608
    session.commit()
    report = audit(session, app)
    named = {"name_en": "nameEn", "regional_brand": "regionalBrand", "category_id": "category"}.get(column, column)
    rows = [f for f in report.findings if f.kind == "product-row"]
    assert len(rows) == 1 and f"product {product.id}" in rows[0].message and named in rows[0].message, rows
    shown = page_verification(client, batch.trace_code)
    assert shown["verified"] is False and "facts" in [p["kind"] for p in shown["problems"]]


def test_a_deleted_registration_entry_is_named_and_the_page_loses_the_mark(client, make, session, app):
    producer = make.actor("producer")
    batch = make.batch(producer)
    registration = registration_of(session, batch.id)
    entry, _, _ = entry_of(session, registration.id)
    session.execute(sa.delete(LogEntry).where(LogEntry.index == entry.index))
    session.commit()
    report = audit(session, app)
    assert {f.kind for f in report.findings if f.index == entry.index} in ({"missing"}, {"rolled-back"})
    assert f"batch {batch.trace_code} has no registration record" in [f.message for f in report.findings
                                                                       if f.kind == "batch-row"]
    assert page_verification(client, batch.trace_code)["verified"] is False


def test_a_batch_without_registration_is_named_until_backfilled_by_the_log_key(client, make, session, app, ledger):
    producer = make.actor("producer")
    code = new_trace_code()
    # a product and a batch as they were before their records existed
    session.execute(sa.text(
        "INSERT INTO products (organization_id, category_id, name, certifications, created_at) "
        "SELECT :o, id, '老番茄', '[]', :t FROM categories WHERE code = 'vegetables'"),
        {"o": producer.org.id, "t": dt.datetime(2025, 9, 1, tzinfo=dt.UTC)})
    product = session.scalar(sa.select(Product).where(Product.name == "老番茄"))
    session.execute(sa.text(
        "INSERT INTO batches (trace_code, product_id, organization_id, custodian_id, lot, quantity, available, uom, "
        "status, disposition, created_at) VALUES (:code, :p, :o, :o, 'OLD-1', 50, 50, 'KGM', 'active', "
        "'active', :t)"),
        {"p": product.id, "o": producer.org.id, "t": dt.datetime(2025, 9, 1, tzinfo=dt.UTC), "code": code})
    session.commit()
    messages = [f.message for f in audit(session, app).findings]
    assert f"batch {code} has no registration record" in messages
    assert f"product {product.id} names no product record of its own" in messages

    assert backfill(session, ledger) == (1, 1)
    session.commit()
    assert backfill(session, ledger) == (0, 0)  # once only
    assert audit(session, app).ok
    old = session.scalar(sa.select(Batch).where(Batch.trace_code == code))
    _, record, signatures = entry_of(session, registration_of(session, old.id).id)
    assert record["data"]["backfilled"] is True and record["data"]["lot"] == "OLD-1"
    key = session.scalar(sa.select(SigningKey).where(SigningKey.key_id == signatures[0]["keyId"]))
    assert key.role == "log"
    assert page_verification(client, code)["verified"] is True



def test_the_audit_bundle_carries_the_shown_facts_and_its_verifier_compares_them(client, make, session, app):
    producer, inspector = make.actor("producer"), make.actor("inspector")
    batch = make.batch(producer)
    fix = client.post(f"/api/v1/events/{registration_of(session, batch.id).id}/corrections",
                      json={"fields": {"lot": "L-FIX"}, "reason": "批号写错"}, headers=producer.headers)
    assert fix.status_code == 201, fix.json
    log_vkey = next(k["vkey"] for k in client.get("/api/v1/log/keys").json if k["role"] == "log")

    def bundle():
        r = client.get(f"/api/v1/batches/{batch.trace_code}/audit-bundle", headers=inspector.headers)
        assert r.status_code == 200
        return r.json

    clean = bundle()
    assert clean["facts"][batch.trace_code]["lot"] == "L-FIX"
    assert ledger_lib.verify_bundle(clean, log_vkey).ok  # the correction in the bundle explains the new lot
    session.execute(sa.text("UPDATE batches SET quantity = 7, available = 7 WHERE id = :id"), {"id": batch.id})
    session.commit()
    session.expire_all()
    report = ledger_lib.verify_bundle(bundle(), log_vkey)
    assert [(p.code, p.index) for p in report.problems] == [
        ("facts", entry_of(session, registration_of(session, batch.id).id)[0].index)]
    assert "quantity" in report.problems[0].reason


def post(client, actor, path, body):
    r = client.post(f"/api/v1/{path}", json=body, headers=actor.headers)
    assert r.status_code == 201, r.json
    return r.json


def lived_batches(client, make, session):
    """Batches each changed by the records that change a row: shipping and sale, a transformation,
    a recall, a destruction, a corrected quantity after a sale."""
    producer = make.actor("producer")
    buyer = make.actor("producer", make.org("retailer"))
    product = make.product(producer)
    shipped, consumed, recalled, destroyed, corrected = (make.batch(producer, product, quantity="100")
                                                         for _ in range(5))
    post(client, producer, "events", event_body("shipping", [shipped], {"recipient": buyer.org.id}))
    post(client, buyer, "events", event_body("receiving", [shipped], {"from": producer.org.id}))
    post(client, buyer, "events", event_body("sale", [shipped], {"channel": "supermarket", "quantity": "30",
                                                                 "uom": "KGM"}))
    post(client, producer, "transformations", {
        "id": str(uuid.uuid4()), "stage": "sorting", "occurredAt": ago(hours=1),
        "inputs": [{"batch": consumed.trace_code, "quantity": "100", "uom": "KGM"}],
        "outputs": [{"product": product.id, "lot": "G1", "quantity": "100", "uom": "KGM"}]})
    post(client, producer, "events", event_body("recall", [recalled], {"reason": "抽检不合格"}))
    post(client, producer, "events", event_body("destruction", [destroyed], {"method": "深埋", "quantity": "100",
                                                                             "uom": "KGM"}))
    post(client, producer, "events", event_body("sale", [corrected], {"channel": "market", "quantity": "10",
                                                                      "uom": "KGM"}))
    post(client, producer, f"events/{registration_of(session, corrected.id).id}/corrections",
         {"fields": {"quantity": "120"}, "reason": "称重录入错误"})
    session.expire_all()
    return {"shipped": shipped, "consumed": consumed, "recalled": recalled, "destroyed": destroyed,
            "corrected": corrected, "buyer": buyer, "producer": producer}


def test_rows_changed_by_their_records_replay_to_what_the_rows_hold(client, make, session, app):
    scene = lived_batches(client, make, session)
    state = {name: (b.status, b.disposition, b.custodian_id, format(b.available.normalize(), "f"))
             for name, b in scene.items() if isinstance(b, Batch)}
    producer, buyer = scene["producer"].org.id, scene["buyer"].org.id
    assert state == {"shipped": ("active", "active", buyer, "70"), "consumed": ("consumed", "active", producer, "0"),
                     "recalled": ("recalled", "recalled", producer, "100"),
                     "destroyed": ("destroyed", "destroyed", producer, "0"),
                     "corrected": ("active", "active", producer, "110")}
    assert audit(session, app).ok
    for name in state:
        assert page_verification(client, scene[name].trace_code)["verified"] is True, name


STATE_TAMPERING = [  # batch, column, forged value, the field named
    ("recalled", "status", "'active'", "status"),
    ("shipped", "status", "'recalled'", "status"),
    ("destroyed", "status", "'active'", "status"),
    ("consumed", "status", "'active'", "status"),
    ("recalled", "disposition", "'active'", "disposition"),
    ("shipped", "custodian_id", "organization_id", "custodian"),
    ("shipped", "available", "100", "available"),
    ("corrected", "available", "120", "available"),
]


@pytest.mark.parametrize(("name", "column", "value", "field"), STATE_TAMPERING)
def test_an_edited_state_column_is_named_by_the_audit_and_loses_the_mark(client, make, session, app, name, column,
                                                                          value, field):
    scene = lived_batches(client, make, session)
    batch = scene[name]
    session.execute(sa.text(f"UPDATE batches SET {column} = {value} WHERE id = :id"), {"id": batch.id})  # noqa: S608
    session.commit()
    report = audit(session, app)
    assert [f.kind for f in report.findings] == ["batch-state"], report.findings
    (finding,) = report.findings
    assert batch.trace_code in finding.message and finding.message.endswith(f" in {field}"), finding.message
    assert finding.index == entry_of(session, registration_of(session, batch.id).id)[0].index
    shown = page_verification(client, batch.trace_code)
    assert shown["verified"] is False and "facts" in [p["kind"] for p in shown["problems"]]


RECALL_TAMPERING = {  # column, forged value, the field named
    "reason": ("'未发现问题'", "reason"),
    "status": ("'closed'", "status"),
    "batch_id": (None, "origin"),
}


@pytest.mark.parametrize("column", RECALL_TAMPERING)
def test_an_edited_recall_notice_is_named_by_the_audit(client, make, session, app, column):
    producer = make.actor("producer")
    batch, other = make.batch(producer), make.batch(producer)
    recall = post(client, producer, f"batches/{batch.trace_code}/recalls", {"reason": "抽检不合格"})
    assert audit(session, app).ok
    value, field = RECALL_TAMPERING[column]
    session.execute(sa.text(f"UPDATE recalls SET {column} = {value or other.id} WHERE id = :id"),  # noqa: S608
                    {"id": recall["id"]})
    session.commit()
    report = audit(session, app)
    assert [(f.kind, f.message) for f in report.findings] == [
        ("recall-row", f"recall {recall['id']} differs from its signed recall records in {field}")]


def test_a_closed_recall_matches_its_closing_record(client, make, session, app):
    producer = make.actor("producer")
    batch = make.batch(producer)
    recall = post(client, producer, f"batches/{batch.trace_code}/recalls", {"reason": "抽检不合格"})
    r = client.post(f"/api/v1/recalls/{recall['id']}/close", json={"note": "复检合格"}, headers=producer.headers)
    assert r.status_code in (200, 201), r.json
    assert audit(session, app).ok
    session.execute(sa.text("UPDATE recalls SET status = 'open' WHERE id = :id"), {"id": recall["id"]})
    session.commit()
    assert [f.message for f in audit(session, app).findings] == [
        f"recall {recall['id']} differs from its signed recall records in status"]
