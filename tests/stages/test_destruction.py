"""Destruction: nothing of the batch is available any more."""

from __future__ import annotations

from trace.stages import stage

DESTRUCTION = stage("destruction")


def test_schema_accepts_a_method_and_refuses_none(loads):
    assert loads(DESTRUCTION, {"method": "深埋", "quantity": "100", "uom": "KGM"}) == {}
    assert loads(DESTRUCTION, {"quantity": "100"}) == {"method": ["Missing data for required field."]}


def test_the_batch_is_destroyed(make, record, as_epcis):
    producer = make.actor("producer")
    batch = make.batch(producer)
    event = record(producer, "destruction", [batch], {"method": "深埋"})
    assert (batch.status, batch.disposition, batch.available) == ("destroyed", "destroyed", 0)
    assert as_epcis(event)["disposition"].endswith("Disp-destroyed")


def test_labels(both):
    assert both(DESTRUCTION.label) == ("销毁", "Destruction")
    assert both(DESTRUCTION.labels["method"]) == ("方法", "Method")
