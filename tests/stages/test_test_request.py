"""Test request (委托检测): a producer names a laboratory and the items; EPCIS names the laboratory as destination."""

from __future__ import annotations

from trace.stages import stage

REQUEST = stage("test_request")


def test_schema_needs_a_laboratory_and_items(loads):
    assert loads(REQUEST, {"laboratory": 3, "items": ["镉"]}) == {}
    assert set(loads(REQUEST, {"items": []})) == {"laboratory", "items"}


def test_a_producer_asks_a_laboratory_and_nothing_changes_on_the_batch(make, record, refused, as_epcis):
    producer = make.actor("producer")
    lab = make.org("inspection_agency", name="县检测站")
    batch = make.batch(producer)
    asked = record(producer, "test_request", [batch], {"laboratory": lab.id, "items": ["镉", "铅"]})
    assert batch.status == "active" and batch.custodian_id == producer.org.id
    assert as_epcis(asked)["bizStep"].endswith("BizStep-sampling")
    assert set(refused(producer, "test_request", [batch], {"laboratory": producer.org.id, "items": ["镉"]})) == {
        "laboratory"}


def test_labels(both):
    assert both(REQUEST.label) == ("委托检测申请", "Test request")
    assert both(REQUEST.labels["items"]) == ("委托检测项目", "Items requested")
