"""Packing: packages of the batch; another system's packing event is taken as one."""

from __future__ import annotations

from trace.stages import by_captured_biz_step, stage

PACKING = stage("packing")
VALID = {"packageType": "礼盒", "units": 100, "netWeight": "5", "uom": "KGM"}


def test_schema_accepts_packages_and_refuses_zero_units(loads):
    assert loads(PACKING, VALID) == {}
    assert set(loads(PACKING, {**VALID, "units": 0})) == {"units"}


def test_epcis_round_trip_names_the_stage(make, record, as_epcis, foreign, organization_by_uri):
    producer = make.actor("producer")
    batch = make.batch(producer)
    exported = foreign(as_epcis(record(producer, "packing", [batch], VALID)))
    assert by_captured_biz_step(exported["bizStep"].rsplit("-", 1)[1]) is PACKING
    assert PACKING.from_epcis(exported, organization_by_uri) == {}  # EPCIS carries none of its fields
    assert batch.available == 100


def test_labels(both):
    assert both(PACKING.label) == ("包装", "Packing")
    assert both(PACKING.labels["netWeight"]) == ("净含量", "Net weight")
