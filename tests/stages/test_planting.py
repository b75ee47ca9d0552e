"""Planting: where and what was sown; no effect on the batch."""

from __future__ import annotations

from trace.stages import stage

PLANTING = stage("planting")
VALID = {"plot": "3号地块", "variety": "浙粉702", "area": "12", "areaUnit": "MU", "method": "大棚"}


def test_schema_accepts_a_planting_and_refuses_an_unknown_area_unit(loads):
    assert loads(PLANTING, VALID) == {}
    assert set(loads(PLANTING, {**VALID, "areaUnit": "acre"})) == {"areaUnit"}


def test_it_leaves_the_batch_as_it_was(make, record, as_epcis):
    producer = make.actor("producer")
    batch = make.batch(producer)
    event = record(producer, "planting", [batch], VALID)
    assert (batch.status, batch.available, batch.custodian_id) == ("active", 100, producer.org.id)
    exported = as_epcis(event)
    assert (exported["bizStep"], exported["disposition"]) == ("trace:planting", "https://ref.gs1.org/cbv/Disp-in_progress")


def test_labels(both):
    assert both(PLANTING.label) == ("种植/育苗/投苗", "Planting")
    assert both(PLANTING.labels["plot"]) == ("地块", "Plot")
    assert both(PLANTING.values["areaUnit"]["MU"]) == ("亩", "mu")
