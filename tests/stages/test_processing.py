"""Processing: only through /transformations, consuming what the inputs had."""

from __future__ import annotations

import uuid

from tests.factories import ago, event_body
from trace.stages import stage

PROCESSING = stage("processing")


def test_schema_accepts_method_and_facility_and_refuses_other_fields(loads):
    assert loads(PROCESSING, {"method": "压榨", "facility": "城东油坊"}) == {}
    assert loads(PROCESSING, {"grades": []}) == {"grades": ["Unknown field."]}


def test_it_is_refused_through_events_and_consumes_its_inputs_through_transformations(client, make, session):
    producer = make.actor("producer")
    seeds = make.batch(producer, make.product(producer, category="grain_oil", name="油菜籽"))
    r = client.post("/api/v1/events", json=event_body("processing", [seeds], {}), headers=producer.headers)
    assert r.status_code == 422 and r.json["errors"] == {"stage": ["Use /api/v1/transformations."]}
    body = {"id": str(uuid.uuid4()), "stage": "processing", "occurredAt": ago(hours=1),
            "inputs": [{"batch": seeds.trace_code, "quantity": "40", "uom": "KGM"}],
            "outputs": [{"product": seeds.product_id, "lot": "OIL-1", "quantity": "12", "uom": "KGM"}],
            "data": {"method": "压榨"}}
    r = client.post("/api/v1/transformations", json=body, headers=producer.headers)
    assert r.status_code == 201, r.json
    session.refresh(seeds)
    assert (seeds.available, seeds.status) == (60, "active")


def test_labels(both):
    assert both(PROCESSING.label) == ("加工", "Processing")
    assert both(PROCESSING.labels["facility"]) == ("加工厂", "Facility")
