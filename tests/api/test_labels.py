"""Unit labels: issue runs of serials (producer of the batch's organization or admin), list them, look them up."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.api.helpers import assert_problem
from tests.lookup.helpers import new_gtin
from trace.codes.tracecode import parse_trace_code
from trace.models import LabelRun, UnitCode


def counts(session):
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (LabelRun, UnitCode))


def test_a_producer_issues_serials_with_digital_link_urls(client, make, session, app):
    producer = make.actor("producer")
    batch = make.batch(producer, make.product(producer, gtin=new_gtin()), lot="T-88")
    r = client.post(f"/api/v1/batches/{batch.trace_code.lower()}/labels", json={"count": 3}, headers=producer.headers)
    assert r.status_code == 201, r.json
    run = r.json
    assert r.headers["Location"] == f"/api/v1/batches/{batch.trace_code}/labels/{run['id']}"
    assert (run["batch"], run["count"], run["scanned"], len(run["units"])) == (batch.trace_code, 3, 0, 3)
    serials = [u["serial"] for u in run["units"]]
    assert len(set(serials)) == 3 and all(parse_trace_code(s) == s for s in serials)
    assert batch.trace_code not in serials
    gtin = batch.product.gtin
    for unit in run["units"]:
        assert unit["url"] == f"HTTPS://TRACE.EXAMPLE.CN/01/{gtin}/10/T-88/21/{unit['serial']}"
        assert unit["scanCount"] == 0 and unit["firstScannedAt"] is None
    # the URL leads to the unit's page, which counts the lookup
    looked = client.get(urlsplit(run["units"][0]["url"]).path, headers={"Accept": "application/json"})
    assert looked.status_code == 200 and looked.json["unit"]["scanCount"] == 1
    r = client.get(r.headers["Location"], headers=producer.headers)
    assert r.json["scanned"] == 0  # the lookup counters hold it until their flusher runs (every second)
    app.extensions["trace.lookup_counter"].flush(session)
    r = client.get(f"/api/v1/batches/{batch.trace_code}/labels/{run['id']}", headers=producer.headers)
    assert r.status_code == 200
    listed = {u["serial"]: u for u in r.json["units"]}
    assert set(listed) == set(serials) and r.json["scanned"] == 1
    assert listed[serials[0]]["scanCount"] == 1 and listed[serials[0]]["firstScannedAt"].endswith("Z")


def test_without_a_gtin_the_url_is_the_short_lookup_url(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer)
    r = client.post(f"/api/v1/batches/{batch.trace_code}/labels", json={"count": 1}, headers=producer.headers)
    (unit,) = r.json["units"]
    assert unit["url"] == f"HTTPS://TRACE.EXAMPLE.CN/T/{unit['serial']}"
    assert client.get(f"/T/{unit['serial']}").status_code == 200


def test_runs_are_listed_newest_first(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer)
    first = client.post(f"/api/v1/batches/{batch.trace_code}/labels", json={"count": 2}, headers=producer.headers).json
    second = client.post(f"/api/v1/batches/{batch.trace_code}/labels", json={"count": 1}, headers=producer.headers).json
    r = client.get(f"/api/v1/batches/{batch.trace_code}/labels", headers=producer.headers)
    assert [(run["id"], run["count"], run["scanned"]) for run in r.json["items"]] == [
        (second["id"], 1, 0), (first["id"], 2, 0)]
    assert "units" not in r.json["items"][0]


def test_who_may_issue_and_read(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    other, inspector, admin = make.actor("producer"), make.actor("inspector"), make.actor("admin")
    url = f"/api/v1/batches/{batch.trace_code}/labels"
    assert_problem(client.post(url, json={"count": 1}), 401, "unauthenticated")
    assert_problem(client.post(url, json={"count": 1}, headers=other.headers), 403, "forbidden")
    assert_problem(client.post(url, json={"count": 1}, headers=inspector.headers), 403, "forbidden")
    r = client.post(url, json={"count": 1}, headers=admin.headers)
    assert r.status_code == 201
    run = r.headers["Location"]
    assert client.get(run, headers=inspector.headers).status_code == 200
    assert_problem(client.get(run, headers=other.headers), 403, "forbidden")
    assert_problem(client.get(url + "/999999", headers=producer.headers), 404, "not-found")
    other_batch = make.batch(other)
    assert_problem(client.get(f"/api/v1/batches/{other_batch.trace_code}/labels/{r.json['id']}",
                              headers=other.headers), 404, "not-found")
    assert_problem(client.post("/api/v1/batches/0000000000000/labels", json={"count": 1},
                               headers=producer.headers), 404, "not-found")


@pytest.mark.parametrize("body", [{"count": 0}, {"count": 10_001}, {"count": "5"}, {"count": 2.5}, {}, {"count": None}])
def test_counts_outside_1_to_10000_are_refused_and_nothing_is_stored(client, make, session, body):
    producer = make.actor("producer")
    batch = make.batch(producer)
    before = counts(session)
    r = client.post(f"/api/v1/batches/{batch.trace_code}/labels", json=body, headers=producer.headers)
    assert_problem(r, 422, "validation", "count")
    assert counts(session) == before
