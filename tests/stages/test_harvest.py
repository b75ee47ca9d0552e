"""Harvest: commissioning, an ADD event; its quantity round-trips through EPCIS."""

from __future__ import annotations

from trace.stages import by_captured_biz_step, stage

HARVEST = stage("harvest")
VALID = {"quantity": "100", "uom": "KGM", "method": "人工采摘"}


def test_schema_accepts_a_harvest_and_refuses_a_negative_quantity(loads):
    assert loads(HARVEST, VALID) == {}
    assert set(loads(HARVEST, {**VALID, "quantity": "-1"})) == {"quantity"}


def test_epcis_round_trip(make, record, as_epcis, foreign, organization_by_uri):
    producer = make.actor("producer")
    batch = make.batch(producer)
    event = record(producer, "harvest", [batch], VALID)
    assert batch.status == "active"
    exported = foreign(as_epcis(event))
    assert (exported["action"], exported["bizStep"]) == ("ADD", "https://ref.gs1.org/cbv/BizStep-commissioning")
    assert by_captured_biz_step("commissioning") is HARVEST
    assert HARVEST.from_epcis(exported, organization_by_uri) == {"quantity": "100", "uom": "KGM"}


def test_labels(both):
    assert both(HARVEST.label) == ("采收/屠宰/捕捞", "Harvest")
    assert both(HARVEST.labels["quantity"]) == ("数量", "Quantity")
