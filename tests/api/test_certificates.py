"""承诺达标合格证: issuing is one signed, logged record; the PDF shows it with the batch's QR code."""

from __future__ import annotations

import base64
import uuid

import pytest
import sqlalchemy as sa

from tests.api.helpers import assert_problem, row_counts
from tests.codes.helpers import decode, open_pdf, page_text, render
from tests.factories import event_body
from trace import ledger as ledger_lib
from trace.models import Event, EventBatch, LogEntry, SigningKey

PRINTING_TABLES = ("events", "event_batches", "log_entries")
BASIS = ["quality_control", "self_test"]


def issue(client, actor, batch, **body):
    return client.post(f"/api/v1/batches/{batch.trace_code}/certificate", json={"basis": BASIS, **body},
                       headers=actor.headers)


def certificate_events(session, batch):
    return list(session.scalars(
        sa.select(Event).join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id == batch.id, Event.stage == "certificate")))


def signer(session, event_id):
    """Return the organization whose key signed the event's log entry, after verifying the signature."""
    entry = session.scalar(sa.select(LogEntry).where(LogEntry.event_id == event_id))
    record, signatures = ledger_lib.parse_leaf(entry.leaf)
    (signature,) = signatures
    key = session.scalar(sa.select(SigningKey).where(SigningKey.key_id == signature["keyId"]))
    assert ledger_lib.verify_record(key.public_key, record, base64.b64decode(signature["sig"]))
    return key.organization_id, record


def test_issuing_records_one_signed_logged_event_and_the_pdf_shows_it(client, session, labelled, producer):
    batch, url = labelled
    event_entries = sa.select(sa.func.count()).select_from(LogEntry).where(LogEntry.event_id.is_not(None))
    logged = session.scalar(event_entries)
    r = issue(client, producer, batch, quantity="20", uom="KGM", contact="王五 13800000000")
    assert r.status_code == 201, r.json
    event = r.json["event"]
    assert r.headers["Location"] == f"/api/v1/events/{event['id']}"
    assert (event["stage"], event["batches"]) == ("certificate", [batch.trace_code])
    certificate = r.json["certificate"]
    assert certificate["number"].startswith("HGZ-")
    assert certificate["quantity"] == "20 千克"
    assert certificate["subject"] == producer.org.name
    assert certificate["origin"] == "浙江省松阳县新兴镇 3号地块"
    assert certificate["basis"] == ["self_test", "quality_control"]
    assert certificate["url"] == url

    (stored,) = certificate_events(session, batch)
    assert session.scalar(event_entries) == logged + 1  # (key records may precede the organization's first)
    org_id, record = signer(session, stored.id)
    assert org_id == producer.org.id
    assert record["stage"] == "certificate" and record["bizStep"] == "trace:certificate"
    assert record["data"] == {"number": certificate["number"], "basis": ["self_test", "quality_control"],
                              "quantity": "20", "uom": "KGM", "origin": certificate["origin"],
                              "contact": "王五 13800000000"}

    pdf = client.get(r.json["pdf"], headers=producer.headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    with open_pdf(pdf.data) as document:
        (found,) = decode(render(document[0]))
        text = page_text(document[0])
    assert found.text == url
    for expected in ("承诺达标合格证", certificate["number"], batch.product.name, "20 千克", producer.org.name,
                     "王五 13800000000", "3号地块", batch.trace_code):
        assert expected in text, expected
    latest = client.get(f"/api/v1/batches/{batch.trace_code}/certificate.pdf", headers=producer.headers)
    assert latest.status_code == 200
    assert latest.headers["ETag"] == pdf.headers["ETag"]


def test_defaults_come_from_the_batch_and_organization(client, session, producer, make):
    batch = make.batch(producer, quantity="150")
    r = issue(client, producer, batch)
    assert r.status_code == 201, r.json
    certificate = r.json["certificate"]
    assert certificate["quantity"] == "150 千克"
    assert certificate["contact"] == "王五 0578-8000000"
    assert r.json["event"]["data"]["quantity"] == "150"


def test_certificate_pdf_before_any_is_issued_is_404_saying_how(client, producer, make):
    batch = make.batch(producer)
    r = client.get(f"/api/v1/batches/{batch.trace_code}/certificate.pdf", headers=producer.headers)
    body = assert_problem(r, 404, "not-found")
    assert f"POST /api/v1/batches/{batch.trace_code}/certificate" in body["detail"]
    assert "尚未开具" in body["detail"]


def test_latest_certificate_by_default_earlier_ones_by_event(client, producer, make):
    batch = make.batch(producer)
    first = issue(client, producer, batch, number="HGZ-A-1").json
    second = issue(client, producer, batch, number="HGZ-A-2").json
    path = f"/api/v1/batches/{batch.trace_code}/certificate.pdf"
    for query, number in (({}, "HGZ-A-2"), ({"event": first["event"]["id"]}, "HGZ-A-1"),
                          ({"event": second["event"]["id"]}, "HGZ-A-2")):
        r = client.get(path, query_string=query, headers=producer.headers)
        with open_pdf(r.data) as document:
            assert number in page_text(document[0])
    assert_problem(client.get(path, query_string={"event": str(uuid.uuid4())}, headers=producer.headers),
                   404, "not-found")
    assert_problem(client.get(path, query_string={"event": "42"}, headers=producer.headers), 422, "validation", "event")
    other = make.batch(producer)
    assert_problem(client.get(f"/api/v1/batches/{other.trace_code}/certificate.pdf",
                              query_string={"event": first["event"]["id"]}, headers=producer.headers), 404, "not-found")


def test_a_certificate_recorded_through_events_prints_with_the_batch_values(client, producer, make):
    batch = make.batch(producer, quantity="75")
    body = event_body("certificate", [batch], {"number": "HGZ-OLD-9", "basis": ["self_test"]})
    assert client.post("/api/v1/events", json=body, headers=producer.headers).status_code == 201
    r = client.get(f"/api/v1/batches/{batch.trace_code}/certificate.pdf", headers=producer.headers)
    with open_pdf(r.data) as document:
        text = page_text(document[0])
    assert "HGZ-OLD-9" in text and "75 千克" in text


@pytest.mark.parametrize(("who", "status"), [
    ("anonymous", 401), ("other producer", 403), ("inspector", 403), ("producer", 201), ("admin", 201),
])
def test_only_the_producing_organization_or_an_admin_issues(client, session, make, producer, who, status):
    batch = make.batch(producer)
    actors = {"producer": producer, "other producer": make.actor("producer"), "inspector": make.actor("inspector"),
              "admin": make.actor("admin")}
    before = row_counts(session, PRINTING_TABLES)
    r = client.post(f"/api/v1/batches/{batch.trace_code}/certificate", json={"basis": ["self_test"]},
                    headers=actors[who].headers if who in actors else {})
    assert r.status_code == status, r.get_data(as_text=True)
    if status != 201:
        assert row_counts(session, PRINTING_TABLES) == before
        return
    (event,) = certificate_events(session, batch)
    org_id, record = signer(session, event.id)
    assert org_id == actors[who].org.id  # an admin's 代开 is signed by the admin's organization
    assert record["org"] == str(actors[who].org.id)
    assert r.json["certificate"]["subject"] == producer.org.name  # the promise stays the producer's
    issuer = actors[who].org.name if who == "admin" else None
    assert r.json["certificate"]["issuedBy"] == issuer
    pdf = client.get(f"/api/v1/batches/{batch.trace_code}/certificate.pdf", headers=producer.headers)
    with open_pdf(pdf.data) as document:
        text = "".join(page_text(document[0]).split())
    assert (f"（{issuer}代开）" in text) if issuer else ("代开" not in text), text


def test_custodian_reads_but_does_not_issue(client, make, producer):
    batch = make.batch(producer)
    retailer = make.actor("producer", make.org("retailer"))
    shipped = event_body("shipping", [batch], {"recipient": retailer.org.id})
    assert client.post("/api/v1/events", json=shipped, headers=producer.headers).status_code == 201
    assert issue(client, producer, batch).status_code == 201
    pdf = client.get(f"/api/v1/batches/{batch.trace_code}/certificate.pdf", headers=retailer.headers)
    assert pdf.status_code == 200
    assert_problem(issue(client, retailer, batch), 403, "forbidden")


@pytest.mark.parametrize(("body", "field"), [
    ({"basis": []}, "basis"),
    ({"basis": ["self_test", "self_test"]}, "basis"),
    ({"basis": ["lab_test"]}, "basis"),
    ({"basis": ["self_test"], "quantity": "-1"}, "quantity"),
    ({"basis": ["self_test"], "quantity": "1000"}, "quantity"),  # more than the batch's 100 KGM
    ({"basis": ["self_test"], "uom": "BX"}, "quantity"),  # another unit needs a quantity
    ({"basis": ["self_test"], "uom": "furlong"}, "uom"),
    ({"basis": ["self_test"], "contact": "  "}, "contact"),
    ({"basis": ["self_test"], "number": "x" * 65}, "number"),
    ({"basis": ["self_test"], "id": "not-a-uuid"}, "id"),
    ({"basis": ["self_test"], "issuer": "me"}, "issuer"),
    ({"quantity": "5"}, "basis"),
])
def test_bad_certificate_input_is_422_and_stores_nothing(client, session, producer, make, body, field):
    batch = make.batch(producer)
    before = row_counts(session, PRINTING_TABLES)
    r = client.post(f"/api/v1/batches/{batch.trace_code}/certificate", json=body, headers=producer.headers)
    assert_problem(r, 422, "validation", field)
    assert row_counts(session, PRINTING_TABLES) == before


def test_no_contact_anywhere_is_422(client, session, make):
    org = make.org()
    org.contact_name = org.contact_phone = None
    session.commit()
    producer = make.actor("producer", org)
    batch = make.batch(producer)
    assert_problem(issue(client, producer, batch), 422, "validation", "contact")
    assert certificate_events(session, batch) == []


def test_recalled_or_failed_batches_cannot_be_certified(client, session, make, producer):
    inspector = make.actor("inspector")
    failed, recalled = make.batch(producer), make.batch(producer)
    inspection = {"items": [{"item": "毒死蜱", "result": "fail"}], "result": "fail", "lab": "松阳县检测站"}
    assert client.post("/api/v1/events", json=event_body("inspection", [failed], inspection),
                       headers=inspector.headers).status_code == 201
    assert client.post(f"/api/v1/batches/{recalled.trace_code}/recalls", json={"reason": "抽检不合格"},
                       headers=inspector.headers).status_code == 201
    for batch, words in ((failed, "检测不合格"), (recalled, "已召回")):
        body = assert_problem(issue(client, producer, batch), 409, "conflict")
        assert words in body["detail"]
        assert certificate_events(session, batch) == []


def test_retry_with_the_same_id_returns_the_first_issue(client, session, producer, make):
    batch = make.batch(producer)
    key = str(uuid.uuid4())
    first = issue(client, producer, batch, id=key, quantity="5")
    assert first.status_code == 201
    again = issue(client, producer, batch, id=key, quantity="5.0")
    assert again.status_code == 200
    assert again.json == first.json
    assert len(certificate_events(session, batch)) == 1
    assert_problem(issue(client, producer, batch, id=key, quantity="6"), 409, "conflict", "id")
    assert_problem(issue(client, producer, make.batch(producer), id=key, quantity="5"), 409, "conflict", "id")
    assert len(certificate_events(session, batch)) == 1


def test_the_qr_form_of_the_certificate_is_headed_by_its_name_and_decodes_to_the_batch_url(client, producer, make):
    batch = make.batch(producer)
    assert issue(client, producer, batch).status_code == 201
    path = f"/api/v1/batches/{batch.trace_code}/certificate.pdf"
    card = client.get(path, headers=producer.headers)
    sticker = client.get(path, query_string={"form": "qr"}, headers=producer.headers)
    assert sticker.status_code == 200 and sticker.mimetype == "application/pdf"
    assert sticker.headers["ETag"] != card.headers["ETag"]
    with open_pdf(sticker.data) as document:
        assert [found.text for found in decode(render(document[0]))] == [f"HTTPS://TRACE.EXAMPLE.CN/T/{batch.trace_code}"]
        text = page_text(document[0])
    assert text.startswith("承诺达标合格证") and batch.organization.name in text
    assert_problem(client.get(path, query_string={"form": "poster"}, headers=producer.headers), 422, "validation",
                   "form")
