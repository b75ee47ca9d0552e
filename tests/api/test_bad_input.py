"""Bad input gets a clear 4xx problem and leaves the database as it was."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import assert_problem, row_counts
from tests.factories import ago, event_body
from trace.api import ROUTES


@pytest.fixture()
def scene(make):
    producer = make.actor("producer")
    product = make.product(producer)
    batch = make.batch(producer, product, quantity="10")
    return {"producer": producer, "product": product, "batch": batch}


def valid(kind: str, scene: dict[str, Any]) -> dict[str, Any]:
    batch, product = scene["batch"], scene["product"]
    if kind == "events":
        return event_body("harvest", [batch], {"quantity": "10", "uom": "KGM"})
    if kind == "transformations":
        return {"id": str(uuid.uuid4()), "stage": "sorting", "occurredAt": ago(hours=1),
                "inputs": [{"batch": batch.trace_code, "quantity": "4", "uom": "KGM"}],
                "outputs": [{"product": product.id, "lot": "OUT", "quantity": "4", "uom": "KGM"}]}
    return {"product": product.id, "lot": "NEW-1", "quantity": "5", "uom": "KGM",
            "origin": {"name": "3号地块", "latitude": "28.45", "longitude": "119.48"}}


def send(client, scene, kind, *, data=None, body=None, content_type="application/json"):
    payload = data if data is not None else json.dumps(body, ensure_ascii=False)
    return client.post(f"/api/v1/{kind}", data=payload, content_type=content_type, headers=scene["producer"].headers)


KINDS = ["events", "transformations", "batches"]
SOON = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(hours=1)).isoformat(timespec="seconds")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("raw", "content_type", "status", "slug"),
    [
        (b'{"id": ', "application/json", 400, "malformed-request"),
        (b"", "application/json", 400, "malformed-request"),
        (b'{"quantity": NaN}', "application/json", 400, "malformed-request"),
        (b'{"lot": "\xff\xfe"}', "application/json", 400, "malformed-request"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "malformed-request"),
        (b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, "application/json", 400, "malformed-request"),
        (b"[1, 2]", "application/json", 422, "validation"),
        (b'"text"', "application/json", 422, "validation"),
        (b'{"lot": "x"}', "text/plain", 415, "unsupported-media-type"),
        (b"lot=x", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
        (b'{"lot": "x"}', "", 415, "unsupported-media-type"),
    ],
    ids=["truncated-json", "empty-body", "nan-literal", "invalid-utf8", "deeply-nested-array", "deeply-nested-object",
         "array-body", "string-body", "text-plain",
         "form-encoded", "no-content-type"],
)
def test_unreadable_bodies(client, session, scene, kind, raw, content_type, status, slug):
    before = row_counts(session)
    assert_problem(send(client, scene, kind, data=raw, content_type=content_type), status, slug)
    assert row_counts(session) == before


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [100, 600, 900])
def test_deeply_nested_values_are_refused_before_they_reach_the_services(client, session, scene, depth):
    body = event_body("storage", [scene["batch"]], {"warehouse": "冷库"}, sensors=[{"deep": _nested(depth)}])
    before = row_counts(session)
    problem = assert_problem(send(client, scene, "events", body=body), 400, "malformed-request")
    assert "nested" in problem["detail"]
    assert row_counts(session) == before


def test_reasonably_nested_sensor_reports_are_accepted(client, scene):
    body = event_body("storage", [scene["batch"]], {"warehouse": "冷库"}, sensors=[{"deep": _nested(20)}])
    assert send(client, scene, "events", body=body).status_code == 201


@pytest.mark.parametrize("kind", KINDS)
def test_oversized_body_is_413(client, app, session, scene, kind):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == app.config["TRACE"].max_body_bytes
    body = valid(kind, scene)
    body["padding"] = "x" * limit
    before = row_counts(session)
    assert_problem(send(client, scene, kind, body=body), 413, "payload-too-large")
    assert row_counts(session) == before


def _set(path: str, value: Any):
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _drop(key: str):
    return lambda body: body.pop(key)


# (endpoint, mutation, the field named in errors)
FIELD_ERRORS = [
    ("events", _set("id", "not-a-uuid"), "id"),
    ("events", _set("id", 12), "id"),
    ("events", _set("stage", "juggling"), "stage"),
    ("events", _set("stage", None), "stage"),
    ("events", _set("batches", "ABC"), "batches"),
    ("events", _set("batches", []), "batches"),
    ("events", _set("batches.0", "NOTACODE"), "batches"),
    ("events", _set("data", ["x"]), "data"),
    ("events", _set("data.quantity", "-3"), "data"),
    ("events", _set("data.quantity", "ten"), "data"),
    ("events", _set("data.quantity", True), "data"),
    ("events", _set("occurredAt", SOON), "occurredAt"),
    ("events", _set("occurredAt", "2026-05-01T08:30:00"), "occurredAt"),
    ("events", _set("occurredAt", "2026-05-01"), "occurredAt"),
    ("events", _set("occurredAt", 1714523400), "occurredAt"),
    ("events", _set("occurredAt", "0001-01-01T00:00:00+01:00"), "occurredAt"),
    ("events", _set("occurredAt", "9999-12-31T23:59:59-01:00"), "occurredAt"),
    ("events", _drop("occurredAt"), "occurredAt"),
    ("events", _set("location", {"latitude": "north"}), "location"),
    ("events", _set("attachments", [{"sha256": "nope", "name": "r.pdf", "mime": "application/pdf", "size": 1}]),
     "attachments"),
    ("events", _set("unexpected", 1), "unexpected"),
    ("transformations", _set("stage", "juggling"), "stage"),
    ("transformations", _set("inputs.0.quantity", "-4"), "inputs"),
    ("transformations", _set("inputs.0.quantity", "four"), "inputs"),
    ("transformations", _set("inputs.0.quantity", "Infinity"), "inputs"),
    ("transformations", _set("inputs.0.quantity", "1e400"), "inputs"),
    ("transformations", _set("outputs.0.quantity", -4), "outputs"),
    ("transformations", _set("outputs.0.product", "1"), "outputs"),
    ("transformations", _set("outputs.0.product", 10**30), "outputs"),
    ("transformations", _set("outputs.0.uom", "kilo"), "outputs"),
    ("transformations", _set("occurredAt", SOON), "occurredAt"),
    ("transformations", _set("occurredAt", "2026-05-01T08:30:00"), "occurredAt"),
    ("transformations", _set("inputs", {"batch": "x"}), "inputs"),
    ("batches", _set("quantity", "-5"), "quantity"),
    ("batches", _set("quantity", "five"), "quantity"),
    ("batches", _set("quantity", [5]), "quantity"),
    ("batches", _set("quantity", False), "quantity"),
    ("batches", _set("product", 10**30), "product"),
    ("batches", _set("product", 0), "product"),
    ("batches", _set("producedAt", SOON), "producedAt"),
    ("batches", _set("producedAt", "2026-05-01T08:30:00"), "producedAt"),
    ("batches", _set("producedAt", "0001-01-01T00:00:00+08:00"), "producedAt"),
    ("batches", _drop("uom"), "uom"),
]


@pytest.mark.parametrize(
    ("kind", "mutate", "field"), FIELD_ERRORS,
    ids=[f"{kind}-{i}-{field}" for i, (kind, _, field) in enumerate(FIELD_ERRORS)],
)
def test_invalid_fields_are_422_naming_the_field(client, session, scene, kind, mutate, field):
    body = valid(kind, scene)
    mutate(body)
    before = row_counts(session)
    problem = assert_problem(send(client, scene, kind, body=body), 422, "validation", field)
    assert problem["instance"] == f"/api/v1/{kind}"
    assert row_counts(session) == before


@pytest.mark.parametrize("kind", KINDS)
def test_the_valid_body_is_accepted(client, session, scene, kind):
    """The bodies the tests above break are themselves valid, so each rejection is due to its one change."""
    before = row_counts(session)
    r = send(client, scene, kind, body=valid(kind, scene))
    assert r.status_code == 201, r.json
    assert row_counts(session)["batches"] == before["batches"] + (1 if kind != "events" else 0)


@pytest.mark.parametrize(
    ("data", "field"),
    [({"recipient": 10**30}, "recipient"), ({"recipient": "5"}, "recipient"), ({"recipient": 0}, "recipient"),
     ({}, "recipient")],
    ids=["huge-recipient", "recipient-as-string", "recipient-zero", "no-recipient"],
)
def test_bad_shipping_data_is_422(client, session, scene, data, field):
    before = row_counts(session)
    body = event_body("shipping", [scene["batch"]], data)
    problem = assert_problem(send(client, scene, "events", body=body), 422, "validation", "data")
    assert field in problem["errors"]["data"]
    assert row_counts(session) == before


ID_ROUTES = [doc for doc in ROUTES if "<id:" in doc.rule]


@pytest.mark.parametrize("number", [0, 2**31, 10**30], ids=["zero", "past-int32", "huge"])
@pytest.mark.parametrize("doc", ID_ROUTES, ids=[f"{d.method}-{d.rule}" for d in ID_ROUTES])
def test_ids_no_row_can_have_are_404_for_every_method(client, make, doc, number):
    admin = make.actor("admin")
    url = "/api/v1" + re.sub(r"<id:\w+>", str(number), doc.rule)
    assert_problem(client.open(url, method=doc.method, json={}, headers=admin.headers), 404, "not-found")


def test_row_id_routes_exist():
    rules = {doc.rule for doc in ID_ROUTES}
    assert {"/organizations/<id:org_id>", "/products/<id:product_id>", "/tokens/<id:token_id>"} <= rules


@pytest.mark.parametrize(
    "query",
    [{"organization": str(10**30)}, {"organization": "abc"}, {"colour": "red"}],
    ids=["huge", "not-a-number", "unknown-parameter"],
)
def test_bad_product_queries_are_422(client, scene, query):
    assert_problem(client.get("/api/v1/products", query_string=query, headers=scene["producer"].headers), 422,
                   "validation")


def test_huge_organization_filter_on_batches_is_422(client, scene):
    r = client.get("/api/v1/batches", query_string={"organization": str(10**30)}, headers=scene["producer"].headers)
    assert_problem(r, 422, "validation", "organization")


def test_wrong_method_is_405_with_allow(client, scene):
    r = client.put("/api/v1/batches", json={}, headers=scene["producer"].headers)
    assert_problem(r, 405, "method-not-allowed")
    assert set(r.headers["Allow"].split(", ")) >= {"GET", "POST"}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "0", "-1", "1e400", "2026-05-01T08:30:00+08:00", "0001-01-01T00:00:00+01:00", "KGM", "NaN"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
PATHS = {
    "events": ["id", "stage", "batches", "batches.0", "occurredAt", "data", "data.quantity", "data.uom", "location",
               "sensors", "attachments", "deviceSignature", "extra"],
    "transformations": ["id", "stage", "occurredAt", "inputs", "inputs.0", "inputs.0.batch", "inputs.0.quantity",
                        "outputs", "outputs.0", "outputs.0.product", "outputs.0.lot", "outputs.0.origin", "data"],
    "batches": ["product", "lot", "quantity", "uom", "origin", "origin.latitude", "producedAt", "extra"],
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_json_in_any_field_gets_a_clear_answer_never_a_500(client, scene, data):
    kind = data.draw(st.sampled_from(KINDS))
    body = valid(kind, scene)
    if kind != "batches":
        body["id"] = str(uuid.uuid4())
    _set(data.draw(st.sampled_from(PATHS[kind])), data.draw(JSON_VALUES))(body)
    r = send(client, scene, kind, body=body)
    assert r.status_code in (200, 201, 400, 403, 409, 422), r.get_data(as_text=True)
    if r.status_code >= 400:
        assert_problem(r, r.status_code, r.json["type"].rsplit("/", 1)[-1])
