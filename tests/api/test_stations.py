"""Township service stations record on behalf of their township's producers; each record names both."""

from __future__ import annotations

from tests.api.helpers import assert_problem, row_counts
from tests.factories import event_body
from trace.models import Event
from trace.services.organizations.organizations import add_member, create_organization, issue_token
from trace.services.organizations.township_seeds import seed_townships, township_code_named
from trace.services.signing.log import event_record

HARVEST = {"quantity": "100", "uom": "KGM", "method": "人工采摘"}


def _placed(make, kind: str, township: str | None):
    seed_townships(make.session)
    region = {"province": "浙江省", "county": "松阳县"}
    if township:
        region["township_code"] = township_code_named(township)
    return make._keep(create_organization(make.session, None, {"kind": kind, "name": f"{township}{kind}{id(region)}",
                                                               "region": region}))


def _station(make, township: str | None = "新兴镇"):
    org = _placed(make, "station", township)
    user = add_member(make.session, None, org, "clerk", "station")
    _, secret = issue_token(make.session, None, user, "test")
    make.session.commit()
    return user, {"Authorization": f"Bearer {secret}"}


def _producer_batch(make, township: str):
    org = _placed(make, "cooperative", township)
    producer = make.actor("producer", org)
    return producer, make.batch(producer)


def test_a_station_records_for_a_producer_of_its_township_naming_both(client, make, session):
    station, headers = _station(make)
    producer, batch = _producer_batch(make, "新兴镇")
    body = event_body("harvest", [batch], HARVEST)
    r = client.post("/api/v1/events", json=body, headers=headers)
    assert r.status_code == 201, r.json
    assert r.json["organization"] == producer.org.id  # the producer's record
    assert r.json["actor"] == f"station:{station.organization_id}:user:{station.id}"  # made by the station
    event = session.get(Event, body["id"])
    assert (event.organization_id, event.actor) == (producer.org.id, r.json["actor"])
    signed = event_record(event)  # what the log holds, signed by the producer's organization key
    assert (signed["org"], signed["actor"]) == (str(producer.org.id), r.json["actor"])
    assert client.get(f"/api/v1/batches/{batch.trace_code}", headers=headers).status_code == 200


def test_a_station_outside_the_producers_township_is_refused_and_nothing_is_written(client, make, session):
    _, headers = _station(make, "新兴镇")
    _, batch = _producer_batch(make, "大东坝镇")
    before = row_counts(session)
    r = client.post("/api/v1/events", json=event_body("harvest", [batch], HARVEST), headers=headers)
    assert_problem(r, 403, "forbidden")
    assert "township" in r.json["detail"]
    assert row_counts(session) == before
    assert client.get(f"/api/v1/batches/{batch.trace_code}", headers=headers).status_code in (403, 404)


def test_a_station_placed_in_no_township_records_for_no_one(client, make, session):
    _, headers = _station(make, None)
    _, batch = _producer_batch(make, "新兴镇")
    r = client.post("/api/v1/events", json=event_body("harvest", [batch], HARVEST), headers=headers)
    assert_problem(r, 403, "forbidden")
    assert "no township" in r.json["detail"]


def test_a_station_records_neither_inspectors_stages_nor_for_two_producers_at_once(client, make, session):
    _, headers = _station(make)
    _, first = _producer_batch(make, "新兴镇")
    _, second = _producer_batch(make, "新兴镇")
    both = client.post("/api/v1/events", json=event_body("storage", [first, second], {"warehouse": "一号冷库"}),
                       headers=headers)
    assert_problem(both, 422, "validation", "batches")
    lab = make.org("inspection_agency")
    sample = client.post("/api/v1/events", json=event_body("sampling", [first], {"laboratory": lab.id}),
                         headers=headers)
    assert_problem(sample, 403, "forbidden")  # supervisory sampling is the inspectors'
    assert "stations" in sample.json["detail"]
