"""Export endpoints (EPCIS, KDE CSV/XLSX) and POST /capture."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook

from tests.api.helpers import assert_problem
from tests.services.genealogy import day
from trace.interop.kde import HEADER

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "standards/epcis/EPCIS-JSON-Schema.json").read_text())


@pytest.fixture()
def chain(gen, make):
    """Seeds from two fields merged into oil, shipped with temperatures and sold."""
    retailer = make.actor("producer", make.org("retailer", name="=cmd|' /C calc'!A0 超市"))
    a, b = gen.raw("100"), gen.raw("80")
    gen.event("harvest", [a], {"quantity": "100", "uom": "KGM"}, at=day(10))
    (oil,) = gen.transform([(a, "100"), (b, "50")], ["60"], at=day(20))
    gen.ship(oil, retailer, quantity="60", at=day(30), temperatures=["4", "5"])
    gen.event("sale", [oil], {"channel": "supermarket", "quantity": "20", "uom": "KGM"}, at=day(31), actor=retailer)
    return a, b, oil


def window(start, end):
    return {"from": day(start).isoformat(), "to": day(end).isoformat()}


def test_epcis_export_of_a_batch_validates(client, make, chain):
    a, b, oil = chain
    r = client.get(f"/api/v1/exports/epcis?batch={a.trace_code}", headers=make.actor("inspector").headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/ld+json"
    doc = json.loads(r.get_data())
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(doc)) == []
    stages = [e["trace:stage"] for e in doc["epcisBody"]["eventList"]]
    assert stages == ["harvest", "processing", "shipping", "receiving", "sale"]
    other = client.get(f"/api/v1/exports/epcis?batch={b.trace_code}", headers=make.actor("inspector").headers)
    # The co-input's own history is not in b's lineage (only the merge they share is).
    assert [e["trace:stage"] for e in other.get_json()["epcisBody"]["eventList"]] == stages[1:]


def test_export_scope_is_checked(client, make, chain):
    inspector = make.actor("inspector")
    assert_problem(client.get("/api/v1/exports/epcis", headers=inspector.headers), 422, "validation", "batch")
    assert_problem(client.get("/api/v1/exports/epcis", query_string={"batch": chain[0].trace_code, **window(0, 1)},
                              headers=inspector.headers), 422, "validation", "batch")
    assert_problem(client.get("/api/v1/exports/kde.csv", query_string=window(5, 1), headers=inspector.headers),
                   422, "validation", "to")
    assert_problem(client.get(f"/api/v1/exports/epcis?batch={chain[0].trace_code}",
                              headers=make.actor("producer").headers), 403, "forbidden")


def test_capture_over_http_is_idempotent_and_validated(client, make, chain):
    admin = make.actor("admin")
    doc = client.get("/api/v1/exports/epcis", query_string=window(0, 40), headers=admin.headers).get_json()
    assert len(doc["epcisBody"]["eventList"]) == 5
    r = client.post("/api/v1/capture", json=doc, headers=admin.headers)
    assert r.status_code == 200, r.json  # every event is already here: nothing new
    assert (r.json["captured"], r.json["replayed"]) == (0, 5)
    doc["epcisBody"]["eventList"][0]["eventTimeZoneOffset"] = "+8"
    body = assert_problem(client.post("/api/v1/capture", json=doc, headers=admin.headers), 422, "validation",
                          "document")
    assert any("eventTimeZoneOffset" in e for e in body["errors"]["document"])
    assert_problem(client.post("/api/v1/capture", json=doc, headers=make.actor("inspector").headers), 403, "forbidden")


def test_a_producer_captures_a_partners_sensor_event_on_its_own_batch(client, make, gen):
    batch = gen.raw()
    doc = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-01T00:00:00Z",
           "epcisBody": {"eventList": [{
               "type": "ObjectEvent", "eventID": "ni:///sha-256;abc?ver=CBV2.0", "action": "OBSERVE",
               "bizStep": "storing", "eventTime": day(50).isoformat(), "eventTimeZoneOffset": "+08:00",
               "quantityList": [{"epcClass": f"https://trace.example.cn/t/{batch.trace_code}"}],
               "sensorElementList": [{"sensorMetadata": {"time": day(50).isoformat()},
                                      "sensorReport": [{"type": "Temperature", "value": 14.5, "uom": "CEL"}]}]}]}}
    r = client.post("/api/v1/capture", json=doc, headers=gen.producer.headers)
    assert r.status_code == 201, r.json
    (event_id,) = r.json["events"]
    event = client.get(f"/api/v1/events/{event_id}", headers=gen.producer.headers).json
    assert event["stage"] == "storage" and event["data"]["temperatures"][0]["celsius"] == "14.5"
    assert client.post("/api/v1/capture", json=doc, headers=gen.producer.headers).json["replayed"] == 1


def test_kde_csv_has_a_row_per_event_line_in_both_languages(client, make, chain):
    a, b, oil = chain
    r = client.get("/api/v1/exports/kde.csv", query_string=window(0, 40), headers=make.actor("inspector").headers)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == HEADER and rows[0][4] == "追溯码 Trace code"
    body = rows[1:]
    assert len(body) == 1 + 3 + 1 + 1 + 1  # harvest; merge (2 inputs, 1 output); ship; receive; sale
    merge = [r for r in body if r[2] == "Transformation"]
    assert sorted((r[3], r[4], r[9]) for r in merge) == sorted([
        ("投入 input", a.trace_code, "100"), ("投入 input", b.trace_code, "50"), ("产出 output", oil.trace_code, "60")])
    ship = next(r for r in body if r[2] == "Shipping")
    assert (ship[9], ship[10], ship[12]) == ("60", "KGM", ship[11])
    assert ship[13].startswith("'=cmd")  # a formula in a name is neutralised
    assert ship[19].isdigit()  # the record's index in the log


def test_kde_xlsx_is_a_sortable_sheet(client, make, chain):
    r = client.get(f"/api/v1/exports/kde.xlsx?batch={chain[2].trace_code}", headers=make.actor("inspector").headers)
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(r.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert sheet.auto_filter.ref == f"A1:V{len(rows)}" and sheet.freeze_panes == "A2"
    assert all(isinstance(row[0], dt.datetime) for row in rows[1:])
    times = [row[0] for row in rows[1:]]
    assert times == sorted(times)
    assert {row[9] for row in rows[1:] if row[2] == "Transformation"} == {100, 50, 60}
