"""Inspection: an inspector records it on any batch; the disposition says whether it conformed."""

from __future__ import annotations

from trace.stages import stage

INSPECTION = stage("inspection")
VALID = {"items": [{"item": "毒死蜱", "limit": "0.02", "measured": "0.003", "unit": "mg/kg", "result": "pass"}],
         "result": "pass", "lab": "松阳县检测站", "reportNumber": "SY-1"}
FAILED_ITEM = {**VALID, "items": [{**VALID["items"][0], "result": "fail"}]}


def test_schema_accepts_a_pass_and_refuses_a_pass_with_a_failed_item(loads):
    assert loads(INSPECTION, VALID) == {}
    assert set(loads(INSPECTION, FAILED_ITEM)) == {"result"}


def test_an_inspector_records_it_and_epcis_says_conformant_or_not(make, record, as_epcis):
    producer, inspector = make.actor("producer"), make.actor("inspector")
    batch = make.batch(producer)
    passed = record(inspector, "inspection", [batch], VALID)
    failed = record(inspector, "inspection", [batch], {**FAILED_ITEM, "result": "fail"})
    assert batch.status == "active"
    assert as_epcis(passed)["disposition"].endswith("Disp-conformant")
    assert as_epcis(failed)["disposition"].endswith("Disp-non_conformant")


def test_labels(both):
    assert both(INSPECTION.label) == ("检测", "Inspection")
    assert both(INSPECTION.labels["lab"]) == ("检测机构", "Laboratory")
    assert both(INSPECTION.values["result"]["fail"]) == ("不合格", "Fail")
