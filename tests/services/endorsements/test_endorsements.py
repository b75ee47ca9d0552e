"""Certifications and brands in the rules: a sale under an expired or never verified certification is flagged;
expiry is read on the day asked."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from trace.models import ComplianceFinding
from trace.services.audit.verification import page_verdict
from trace.services.catalog.catalog import create_product
from trace.services.compliance.compliance import run_checks
from trace.services.endorsements import china_today
from trace.services.endorsements.certifications import declare_certification, verify_certification
from trace.services.records.batches import batch_events
from trace.services.records.events import record_event

TODAY = china_today()
RULE = "sale_under_invalid_certification"


def _sold(make, session, *, start, until, verified, declared=None):
    producer, inspector = make.actor("producer"), make.actor("inspector")
    product = make.product(producer)
    fields = {"kind": "green_food", "issuer": "中国绿色食品发展中心", "number": "LB-1", "products": [product.id],
              "valid_from": start, "valid_until": until}
    cert = declare_certification(session, producer.user, fields, ledger=make.ledger, today=declared)
    if verified:
        verify_certification(session, inspector.user, cert.id, {"result": "verified"}, ledger=make.ledger)
    batch = make.batch(producer, product)
    record_event(session, producer.user, {
        "id": uuid.uuid4(), "stage": "sale", "batches": [batch.trace_code], "attachments": [],
        "occurred_at": dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        "data": {"channel": "market", "quantity": "10", "uom": "KGM"}}, ledger=make.ledger)
    session.commit()
    return batch, cert


def _findings(session, batch):
    return list(session.scalars(sa.select(ComplianceFinding).where(ComplianceFinding.batch_id == batch.id,
                                                                   ComplianceFinding.rule == RULE)))


def test_a_sale_under_an_expired_certification_is_flagged(make, session):
    lapsed = TODAY - dt.timedelta(days=3)
    batch, cert = _sold(make, session, start=lapsed - dt.timedelta(days=300), until=lapsed, verified=True,
                        declared=lapsed - dt.timedelta(days=200))
    (finding,) = _findings(session, batch)
    assert finding.severity == "high"
    assert finding.details["certifications"] == [{"kind": "green_food", "number": "LB-1", "record": cert.record_id,
                                                  "state": "expired", "validUntil": lapsed.isoformat()}]
    assert f"已于 {lapsed} 过期" in finding.message_zh and f"expired on {lapsed}" in finding.message_en


def test_a_sale_under_a_never_verified_certification_is_flagged(make, session):
    batch, _ = _sold(make, session, start=TODAY, until=TODAY + dt.timedelta(days=90), verified=False)
    (finding,) = _findings(session, batch)
    assert finding.severity == "medium" and finding.details["certifications"][0]["state"] == "unverified"


def test_a_sale_under_a_verified_valid_certification_is_not_flagged_and_reruns_add_nothing(make, session):
    batch, _ = _sold(make, session, start=TODAY - dt.timedelta(days=1), until=TODAY + dt.timedelta(days=90),
                     verified=True)
    assert _findings(session, batch) == []
    run_checks(session, make.actor("inspector").user, {"batch": batch.trace_code})
    assert _findings(session, batch) == []


def test_a_sale_under_self_declared_free_text_is_flagged(make, session):
    producer = make.actor("producer")
    product = create_product(session, producer.user, {"category": "vegetables", "name": "番茄", "certifications": [
        {"kind": "organic", "number": "ORG-9", "validUntil": (TODAY + dt.timedelta(days=9)).isoformat()}]},
        ledger=make.ledger)
    batch = make.batch(producer, product)
    record_event(session, producer.user, {
        "id": uuid.uuid4(), "stage": "sale", "batches": [batch.trace_code], "attachments": [],
        "occurred_at": dt.datetime.now(dt.UTC), "data": {"channel": "market"}}, ledger=make.ledger)
    (finding,) = _findings(session, batch)
    assert finding.details["certifications"][0] == {"kind": "organic", "number": "ORG-9", "record": None,
                                                    "state": "unverified", "validUntil": None}


def test_the_verdict_reads_expiry_on_the_day_asked(make, session):
    until = TODAY + dt.timedelta(days=10)
    batch, _ = _sold(make, session, start=TODAY, until=until, verified=True)
    events = batch_events(session, batch)
    states = [page_verdict(session, make.ledger, batch, events, today=day).credentials[0].state
              for day in (until, until + dt.timedelta(days=1))]
    assert states == ["verified", "expired"]


def test_a_grant_reads_expired_after_its_last_day(make, session):
    brand, owner = make.brand("松阳好产")
    producer = make.actor("producer")
    grant = make.grant(brand, owner, producer.org, days=30)
    product = create_product(session, producer.user, {"category": "vegetables", "name": "番茄",
                                                      "regional_brand": "松阳好产"}, ledger=make.ledger)
    batch = make.batch(producer, product)
    events = batch_events(session, batch)
    states = [(e.state, e.until) for day in (grant.valid_until, grant.valid_until + dt.timedelta(days=1))
              for e in page_verdict(session, make.ledger, batch, events, today=day).credentials]
    assert states == [("authorised", grant.valid_until), ("expired", grant.valid_until)]
