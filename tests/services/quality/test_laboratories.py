"""Who may sign which test result: laboratories answer requests and samples addressed to them, producers 自检."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem, row_counts
from tests.services.quality.helpers import RESIDUE
from trace.models import Event


def test_a_laboratory_answers_a_request_addressed_to_it_and_its_result_says_so(county, session):
    batch = county.make.batch(county.producer)
    request = county.request_test(batch)
    r = county.answer(batch, "request", request["id"])
    assert r.status_code == 201, r.get_data(as_text=True)
    event = session.get(Event, r.json["id"])
    assert event.organization_id == county.lab.org.id  # signed by the laboratory's key
    assert event.data["basis"] == "commissioned" and event.data["request"] == request["id"]


def test_a_laboratory_cannot_answer_another_laboratorys_request(county, session):
    batch = county.make.batch(county.producer)
    request = county.request_test(batch, lab=county.other_lab)
    before = row_counts(session)
    assert_problem(county.answer(batch, "request", request["id"]), 403, "forbidden")
    assert row_counts(session) == before


def test_a_laboratory_records_nothing_it_was_not_asked(county, session):
    batch, other = county.make.batch(county.producer), county.make.batch(county.producer)
    request = county.request_test(batch)
    before = row_counts(session)
    unasked = county.record(county.lab, "inspection", [batch], {"items": RESIDUE, "result": "pass"})
    assert_problem(unasked, 403, "forbidden")
    assert "request" in unasked.json["detail"]
    # a request names its batches: the answer cannot reach another one
    assert_problem(county.answer(other, "request", request["id"]), 403, "forbidden")
    # a laboratory records no other stage on producers' batches
    assert_problem(county.record(county.lab, "harvest", [batch], {"quantity": "1", "uom": "KGM"}), 403, "forbidden")
    assert row_counts(session) == before


def test_a_reference_must_be_a_request_or_sample(county):
    batch = county.make.batch(county.producer)
    harvest = county.ok(county.producer, "harvest", [batch], {"quantity": "1", "uom": "KGM"})
    assert_problem(county.answer(batch, "request", harvest["id"]), 422, "validation", "data")
    assert_problem(county.answer(batch, "sample", "6f1c2b1e-0000-4000-8000-000000000000"), 422, "validation", "data")


def test_a_producer_cannot_record_a_result_as_a_laboratory(county, session):
    batch = county.make.batch(county.producer)
    request = county.request_test(batch)
    before = row_counts(session)
    as_lab = county.record(county.producer, "inspection", [batch],
                           {"items": RESIDUE, "result": "pass", "request": request["id"]})
    assert_problem(as_lab, 403, "forbidden")
    claimed = county.record(county.producer, "inspection", [batch],
                            {"items": RESIDUE, "result": "pass", "basis": "commissioned"})
    assert_problem(claimed, 403, "forbidden", "data")
    assert row_counts(session) == before
    # its own test, naming a laboratory in free text, is recorded as 自检 and signed by the producer
    own = county.ok(county.producer, "inspection", [batch],
                    {"items": RESIDUE, "result": "pass", "lab": county.lab.org.name})
    assert own["data"]["basis"] == "self_check" and own["organization"] == county.producer.org.id


def test_an_inspector_samples_any_batch_and_the_named_laboratory_answers(county, session):
    batch = county.make.batch(county.stranger)  # neither the inspector's nor the laboratory's
    sample = county.ok(county.inspector, "sampling", [batch],
                       {"laboratory": county.lab.org.id, "sampleNumber": "CJ-2026-17", "items": ["镉"]})
    assert_problem(county.answer(batch, "sample", sample["id"], lab=county.other_lab), 403, "forbidden")
    r = county.answer(batch, "sample", sample["id"])
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.json["data"]["basis"] == "supervisory" and r.json["organization"] == county.lab.org.id
    # an inspector's own rapid test is supervisory too, signed by the inspector's organization
    own = county.ok(county.inspector, "inspection", [batch], {"kind": "rapid_test", "items": RESIDUE, "result": "pass"})
    assert own["data"]["basis"] == "supervisory"


@pytest.mark.parametrize("who", ["producer", "lab"])
def test_only_inspectors_take_supervisory_samples(county, session, who):
    batch = county.make.batch(county.producer)
    before = row_counts(session)
    r = county.record(getattr(county, who), "sampling", [batch], {"laboratory": county.lab.org.id})
    assert_problem(r, 403, "forbidden")
    assert row_counts(session) == before


def test_requests_and_samples_name_a_laboratory(county):
    batch = county.make.batch(county.producer)
    r = county.record(county.producer, "test_request", [batch], {"laboratory": county.stranger.org.id, "items": ["镉"]})
    assert_problem(r, 422, "validation", "data")
    r = county.record(county.inspector, "sampling", [batch], {"laboratory": county.producer.org.id})
    assert_problem(r, 422, "validation", "data")


def test_the_lab_role_is_for_laboratories_only(county, make):
    from trace.errors import ValidationError

    with pytest.raises(ValidationError):
        make.actor("lab", make.org("cooperative"))


def test_who_vouches_is_never_corrected(county):
    batch = county.make.batch(county.producer)
    own = county.ok(county.producer, "inspection", [batch], {"items": RESIDUE, "result": "pass"})
    r = county.post(county.producer, f"/events/{own['id']}/corrections",
                    {"fields": {"basis": "commissioned"}, "reason": "改为委托检测"})
    assert_problem(r, 422, "validation", "fields")


def test_a_laboratory_lists_the_tests_it_was_asked_and_their_answers(county):
    batch = county.make.batch(county.producer)
    request = county.request_test(batch)
    county.request_test(county.make.batch(county.producer), lab=county.other_lab)
    answer = county.answer(batch, "request", request["id"])
    listed = county.client.get("/api/v1/test-requests", headers=county.lab.headers)
    assert listed.status_code == 200
    assert [(i["id"], i["batches"], i["answers"]) for i in listed.json["items"]] == [
        (request["id"], [batch.trace_code], [answer.json["id"]])]
    mine = county.client.get("/api/v1/test-requests", headers=county.producer.headers).json["items"]
    assert len(mine) == 2
