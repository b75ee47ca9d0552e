"""Certificate: a 承诺达标合格证 needs a number and at least one basis."""

from __future__ import annotations

from trace.stages import stage
from trace.stages.certificate import bases

CERTIFICATE = stage("certificate")
VALID = {"number": "HGZ-1", "basis": ["quality_control", "self_test"]}


def test_schema_accepts_a_certificate_and_refuses_one_without_basis(loads):
    assert loads(CERTIFICATE, VALID) == {}
    assert set(loads(CERTIFICATE, {**VALID, "basis": []})) == {"basis"}


def test_it_leaves_the_batch_as_it_was(make, record, as_epcis):
    producer = make.actor("producer")
    batch = make.batch(producer)
    event = record(producer, "certificate", [batch], VALID)
    assert (batch.status, batch.available) == ("active", 100)
    assert "disposition" not in as_epcis(event)


def test_labels(both):
    assert both(CERTIFICATE.label) == ("开具合格证", "Certificate")
    assert [both(b) for b in bases(VALID)] == [("质量安全控制符合要求", "Quality and safety controls met"),
                                               ("自行检测合格", "Passed its own test")]
