"""Sampling (监督抽检): an inspector samples any batch for a laboratory; producers never record it."""

from __future__ import annotations

from trace.stages import stage

SAMPLING = stage("sampling")


def test_schema_needs_a_laboratory(loads):
    assert loads(SAMPLING, {"laboratory": 3, "sampleNumber": "CJ-1", "items": ["镉"]}) == {}
    assert set(loads(SAMPLING, {"sampleNumber": "CJ-1"})) == {"laboratory"}


def test_an_inspector_samples_another_organizations_batch(make, record, as_epcis, client):
    from tests.factories import event_body

    producer, inspector = make.actor("producer"), make.actor("inspector", make.org("authority"))
    lab = make.org("inspection_agency", name="县检测站")
    batch = make.batch(producer)
    sampled = record(inspector, "sampling", [batch], {"laboratory": lab.id, "sampleNumber": "CJ-1"})
    assert sampled.organization_id == inspector.org.id and batch.status == "active"
    assert as_epcis(sampled)["bizStep"].endswith("BizStep-sampling")
    r = client.post("/api/v1/events", json=event_body("sampling", [batch], {"laboratory": lab.id}),
                    headers=producer.headers)
    assert r.status_code == 403


def test_labels(both):
    assert both(SAMPLING.label) == ("监督抽检", "Supervisory sampling")
    assert both(SAMPLING.labels["sampleNumber"]) == ("抽样单编号", "Sample no.")
