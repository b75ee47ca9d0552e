"""Farm inputs: pesticides and veterinary drugs need a registration number and an interval."""

from __future__ import annotations

from trace.stages import stage

INPUT = stage("input")
VALID = {"inputType": "pesticide", "product": "吡虫啉", "dose": "20", "doseUnit": "g/亩",
         "registrationNumber": "PD20080001", "preHarvestIntervalDays": 7, "target": "蚜虫"}


def test_schema_accepts_a_pesticide_and_refuses_one_without_registration(loads):
    assert loads(INPUT, VALID) == {}
    assert loads(INPUT, {k: v for k, v in VALID.items() if k != "registrationNumber"}) == {
        "registrationNumber": ["Required for pesticides and veterinary drugs."]}


def test_it_leaves_the_batch_as_it_was_and_names_its_registration_in_kde(make, record):
    producer = make.actor("producer")
    batch = make.batch(producer)
    event = record(producer, "input", [batch], VALID)
    assert (batch.status, batch.available) == ("active", 100)
    assert [event.data[key] for key, _ in INPUT.references] == ["PD20080001"]


def test_labels(both):
    assert both(INPUT.label) == ("农事/投入品", "Farm inputs")
    assert both(INPUT.labels["product"]) == ("投入品", "Product")
    assert both(INPUT.values["inputType"]["veterinary_drug"]) == ("兽药", "Veterinary drug")
