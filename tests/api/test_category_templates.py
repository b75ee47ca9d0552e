"""Versioned category templates: admins change them; records name and keep the version they were checked against."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa

from tests.api.helpers import assert_problem, row_counts
from tests.factories import event_body
from trace.models import CategoryTemplate, Event

JSON = {"Accept": "application/json"}
PICKER = {"name": "picker", "labelZh": "采摘人", "labelEn": "Picker", "type": "string", "maxLength": 20}
# One field of each type, for the harvest stage of a test template.
TYPED = [
    {"name": "grade", "labelZh": "等级", "labelEn": "Grade", "type": "enum",
     "options": [{"value": "A", "labelZh": "一级", "labelEn": "Grade A"},
                 {"value": "B", "labelZh": "二级", "labelEn": "Grade B"}]},
    {"name": "brix", "labelZh": "糖度", "labelEn": "Brix", "type": "number", "unit": "P1", "min": "0", "max": "40.0"},
    {"name": "picked", "labelZh": "采摘日期", "labelEn": "Picking date", "type": "date"},
    {"name": "washed", "labelZh": "是否清洗", "labelEn": "Washed", "type": "boolean"},
    {"name": "note", "labelZh": "备注", "labelEn": "Note", "type": "string", "maxLength": 10},
]


def _template(client: Any, code: str, **query: Any) -> Any:
    return client.get(f"/api/v1/categories/{code}/template", query_string=query)


def _with_harvest_fields(stages: list[dict[str, Any]], *defs: dict[str, Any]) -> list[dict[str, Any]]:
    stages = copy.deepcopy(stages)
    for step in stages:
        if step["stage"] == "harvest":
            step["fields"] = [*step["fields"], *defs]
    return stages


def _put(client: Any, admin: Any, code: str, stages: list[dict[str, Any]]) -> Any:
    return client.put(f"/api/v1/categories/{code}/template", json={"stages": stages}, headers=admin.headers)


def _harvest(client: Any, producer: Any, batch: Any, extra: dict[str, Any] | None = None, **data: Any) -> Any:
    body = event_body("harvest", [batch], {"quantity": "10", "uom": "KGM", **data,
                                           **({"extra": extra} if extra is not None else {})})
    return client.post("/api/v1/events", json=body, headers=producer.headers)


@pytest.fixture()
def vegetables(client, make):
    """Vegetables' template with the typed fields on harvest (a new version); return (admin, version)."""
    admin = make.actor("admin")
    current = _template(client, "vegetables").json
    r = _put(client, admin, "vegetables", _with_harvest_fields(current["stages"], *TYPED))
    assert r.status_code == 200, r.json
    assert r.json["version"] == current["version"] + 1
    return admin, r.json["version"]


def test_seeded_templates_carry_their_extra_fields(client):
    r = _template(client, "tea")
    assert r.status_code == 200 and r.json["category"] == "tea" and r.json["current"] is True
    harvest = next(s for s in r.json["stages"] if s["stage"] == "harvest")
    picking = next(f for f in harvest["fields"] if f["name"] == "pickingStandard")
    assert (picking["labelZh"], picking["type"]) == ("采摘标准", "enum")
    assert [o["labelZh"] for o in picking["options"]] == ["一芽一叶", "一芽二叶", "一芽三叶"]
    eggs = next(s for s in _template(client, "eggs").json["stages"] if s["stage"] == "harvest")
    assert {f["name"]: f["required"] for f in eggs["fields"]} == {"layingDate": True, "weightGrade": False}
    assert_problem(_template(client, "nonesuch"), 404, "not-found")


def test_an_admin_makes_a_new_version_and_unchanged_content_makes_none(client, make, session):
    admin = make.actor("admin")
    before = _template(client, "fruit").json
    stages = _with_harvest_fields(before["stages"], PICKER)
    r = _put(client, admin, "fruit", stages)
    assert r.status_code == 200, r.json
    assert (r.json["version"], r.json["current"], r.json["createdBy"]) == (before["version"] + 1, True, admin.user.id)
    assert r.json["stages"] == _with_harvest_fields(before["stages"], {**PICKER, "required": False})
    again = _put(client, admin, "fruit", stages)
    assert again.status_code == 200 and again.json["version"] == before["version"] + 1
    versions = client.get("/api/v1/categories/fruit/template/versions").json["items"]
    assert [(v["version"], v["current"]) for v in versions] == [(before["version"], False),
                                                                (before["version"] + 1, True)]
    old = _template(client, "fruit", version=before["version"])
    assert old.json["stages"] == before["stages"] and old.json["current"] is False
    assert_problem(_template(client, "fruit", version=99), 404, "not-found")
    assert client.get("/api/v1/categories/fruit").json["templateVersion"] == before["version"] + 1


@pytest.mark.parametrize("role", ["producer", "inspector"])
def test_only_admins_change_templates(client, make, session, role):
    stages = _template(client, "fruit").json["stages"]
    assert_problem(_put(client, make.actor(role), "fruit", stages), 403, "forbidden")
    assert_problem(client.put("/api/v1/categories/fruit/template", json={"stages": stages}), 401, "unauthenticated")
    assert session.scalar(sa.select(sa.func.count()).select_from(CategoryTemplate)
                          .where(CategoryTemplate.category.has(code="fruit"))) == 1


@pytest.mark.parametrize("field", [
    {**PICKER, "name": "quantity"},  # a built-in field of harvest
    {**PICKER, "name": "extra"},
    {**PICKER, "name": "1st"},
    {**PICKER, "type": "colour"},
    {**PICKER, "labelEn": ""},
    {**PICKER, "type": "number", "maxLength": None, "min": "5", "max": "1"},
    {**PICKER, "type": "number", "maxLength": None, "unit": "FURLONG"},
    {**PICKER, "unit": "KGM"},  # a unit on a string
    {**PICKER, "type": "enum", "maxLength": None},  # without options
    {**PICKER, "type": "enum", "maxLength": None, "options": [{"value": "a", "labelZh": "甲", "labelEn": "A"}] * 2},
    {**PICKER, "type": "number", "maxLength": None, "min": "1e20"},
], ids=["builtin-clash", "reserved", "not-identifier", "type", "label", "min-over-max", "unit", "unit-on-string",
        "enum-no-options", "enum-repeats", "huge-bound"])
def test_nonsense_definitions_are_refused(client, make, session, field):
    admin = make.actor("admin")
    field = {k: v for k, v in field.items() if v is not None}
    before = _template(client, "fruit").json
    body = assert_problem(_put(client, admin, "fruit", _with_harvest_fields(before["stages"], field)), 422,
                          "validation", "stages")
    assert body["errors"]["stages"]
    assert _template(client, "fruit").json["version"] == before["version"]


def test_a_field_defined_twice_is_refused(client, make):
    stages = _with_harvest_fields(_template(client, "fruit").json["stages"], PICKER, PICKER)
    body = assert_problem(_put(client, make.actor("admin"), "fruit", stages), 422, "validation", "stages")
    assert "defined twice" in str(body["errors"])


def test_old_records_stay_valid_when_a_field_becomes_required(client, make, session):
    admin, producer = make.actor("admin"), make.actor("producer")
    batch = make.batch(producer)
    base = _template(client, "vegetables").json
    v2 = _put(client, admin, "vegetables", _with_harvest_fields(base["stages"], PICKER)).json["version"]
    old = _harvest(client, producer, batch, {"picker": "王芳"})
    assert old.status_code == 201, old.json
    assert old.json["data"]["templates"] == {"vegetables": v2}
    v3 = _put(client, admin, "vegetables", _with_harvest_fields(base["stages"], {**PICKER, "required": True}))
    assert v3.json["version"] == v2 + 1

    missing = _harvest(client, producer, batch)
    body = assert_problem(missing, 422, "validation", "data")
    assert list(body["errors"]["data"]["extra"]) == ["picker"]
    counts = row_counts(session)
    assert_problem(_harvest(client, producer, batch, {"picker": ""}), 422, "validation", "data")
    assert row_counts(session) == counts

    offline = _harvest(client, producer, batch, templates={"vegetables": v2})  # made before the change
    assert offline.status_code == 201, offline.json
    assert offline.json["data"]["templates"] == {"vegetables": v2} and "extra" not in offline.json["data"]
    assert _harvest(client, producer, batch, {"picker": "李"}).json["data"]["templates"] == {"vegetables": v2 + 1}

    stored = session.get(Event, old.json["id"])
    assert stored.data["extra"] == {"picker": "王芳"}
    page = client.get(f"/t/{batch.trace_code}?lang=en", headers=JSON).json
    details = [d for e in page["timeline"] if e["id"] == old.json["id"] for d in e["details"]]
    assert {"label": "Picker", "value": "王芳"} in details


def test_a_record_names_only_versions_that_exist_of_categories_it_touches(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer)
    body = assert_problem(_harvest(client, producer, batch, templates={"vegetables": 99}), 422, "validation", "data")
    assert list(body["errors"]["data"]["templates"]) == ["vegetables"]
    body = assert_problem(_harvest(client, producer, batch, templates={"fruit": 1}), 422, "validation", "data")
    assert list(body["errors"]["data"]["templates"]) == ["fruit"]
    assert_problem(_harvest(client, producer, batch, templates={"vegetables": "1"}), 422, "validation", "data")
    body = assert_problem(_harvest(client, producer, batch, {"colour": "red"}), 422, "validation", "data")
    assert list(body["errors"]["data"]["extra"]) == ["colour"]


@pytest.mark.parametrize(("name", "value"), [
    ("grade", "C"), ("grade", 1), ("brix", "40.5"), ("brix", "-1"), ("brix", "abc"), ("brix", True),
    ("brix", "1234567890123456"), ("brix", "0.0000000001"), ("picked", "2026-02-30"), ("picked", "20260101"),
    ("picked", 20260101), ("washed", "true"), ("washed", 1), ("note", "x" * 11), ("note", "a\x00b"), ("note", 5),
    ("note", None),
])
def test_each_type_refuses_values_that_do_not_fit(client, make, session, vegetables, name, value):
    producer = make.actor("producer")
    body = assert_problem(_harvest(client, producer, make.batch(producer), {name: value}), 422, "validation", "data")
    assert list(body["errors"]["data"]["extra"]) == [name], body


def test_values_that_fit_are_stored_with_numbers_canonical(client, make, vegetables):
    _, version = vegetables
    producer = make.actor("producer")
    extra = {"grade": "A", "brix": "12.50", "picked": "2026-05-01", "washed": False, "note": "阴天\t采收"}
    r = _harvest(client, producer, make.batch(producer), extra)
    assert r.status_code == 201, r.json
    assert r.json["data"]["extra"] == {**extra, "brix": "12.5"}
    assert r.json["data"]["templates"] == {"vegetables": version}
    for given, canonical in (("1.50E1", "15"), (40, "40"), (0.25, "0.25"), ("-0.0", "0")):
        r = _harvest(client, producer, make.batch(producer), {"brix": given})
        assert r.status_code == 201 and r.json["data"]["extra"] == {"brix": canonical}, (given, r.json)


def test_the_page_and_the_kde_export_label_extra_fields(client, make, vegetables):
    producer = make.actor("producer")
    batch = make.batch(producer)
    extra = {"grade": "B", "brix": "14", "washed": True}
    assert _harvest(client, producer, batch, extra).status_code == 201
    expected = {"zh": [("等级", "二级"), ("糖度", "14%"), ("是否清洗", "是")],
                "en": [("Grade", "Grade B"), ("Brix", "14%"), ("Washed", "Yes")]}
    for lang, pairs in expected.items():
        page = client.get(f"/t/{batch.trace_code}?lang={lang}", headers=JSON).json
        details = [(d["label"], d["value"]) for e in page["timeline"] if e["stage"] == "harvest" for d in e["details"]]
        assert details[-3:] == pairs, details
    html = client.get(f"/t/{batch.trace_code}?lang=zh").get_data(as_text=True)
    assert "糖度" in html and "二级" in html

    r = client.get(f"/api/v1/exports/kde.csv?batch={batch.trace_code}", headers=make.actor("inspector").headers)
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True)[1:])))
    header = rows[0]
    assert header[-3:] == ["等级 Grade", "糖度 Brix (P1)", "是否清洗 Washed"]
    harvest = next(row for row in rows[1:] if row[1].startswith("采收"))
    assert harvest[-3:] == ["二级 Grade B", "14", "是 yes"]


def test_epcis_carries_extra_fields_as_extensions(client, make, vegetables):
    producer = make.actor("producer")
    batch = make.batch(producer)
    assert _harvest(client, producer, batch, {"grade": "A"}).status_code == 201
    doc = client.get(f"/api/v1/exports/epcis?batch={batch.trace_code}", headers=make.actor("inspector").headers).json
    (event,) = [e for e in doc["epcisBody"]["eventList"] if e["trace:stage"] == "harvest"]
    assert event["trace:extra"] == {"grade": "A"}
    assert event["trace:templates"] == {"vegetables": vegetables[1]}
    assert "extra" not in event["trace:data"] and "templates" not in event["trace:data"]
