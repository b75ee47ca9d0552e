"""Storage: temperatures become an EPCIS sensorElementList and come back from it."""

from __future__ import annotations

from tests.factories import ago
from trace.stages import stage

STORAGE = stage("storage")


def valid():
    return {"warehouse": "合作社冷库", "temperatures": [{"time": ago(hours=3), "celsius": "3.5"},
                                                        {"time": ago(hours=2), "celsius": "4.25"}]}


def test_schema_accepts_readings_and_refuses_one_out_of_range(loads):
    assert loads(STORAGE, valid()) == {}
    data = valid()
    data["temperatures"][1]["celsius"] = "100"
    assert set(loads(STORAGE, data)["temperatures"][1]) == {"celsius"}


def test_epcis_round_trip(make, record, as_epcis, foreign, organization_by_uri):
    producer = make.actor("producer")
    batch = make.batch(producer)
    data = valid()
    exported = foreign(as_epcis(record(producer, "storage", [batch], data)))
    assert [r["value"] for r in exported["sensorElementList"][0]["sensorReport"]] == [3.5, 4.25]
    canonical = STORAGE.loader.dump(STORAGE.loader.load(data))  # times in UTC, as records hold them
    assert STORAGE.from_epcis(exported, organization_by_uri) == {"temperatures": canonical["temperatures"]}
    assert batch.available == 100


def test_labels(both):
    assert both(STORAGE.label) == ("仓储", "Storage")
    assert both(STORAGE.labels["temperatures"]) == ("温度", "Temperature")
