"""Sorting: grades of a batch, recorded as an event or as a transformation that splits it."""

from __future__ import annotations

from trace.stages import stage

SORTING = stage("sorting")
VALID = {"grades": [{"grade": "一级", "quantity": "60", "uom": "KGM"}], "method": "人工分拣"}


def test_schema_accepts_grades_and_refuses_a_grade_without_unit(loads):
    assert loads(SORTING, VALID) == {}
    assert loads(SORTING, {"grades": [{"grade": "一级", "quantity": "60"}]}) == {
        "grades": {0: {"uom": ["Missing data for required field."]}}}


def test_it_may_be_an_event_and_changes_nothing_then(make, record):
    producer = make.actor("producer")
    batch = make.batch(producer)
    record(producer, "sorting", [batch], VALID)
    assert (batch.status, batch.available) == ("active", 100)
    assert SORTING.transformation and not SORTING.transformation_only


def test_labels(both):
    assert both(SORTING.label) == ("分拣/分级", "Sorting")
    assert both(SORTING.labels["grades"]) == ("等级", "Grades")
