"""GET /api/v1/feedback: producers see their organization's feedback, inspectors and admins all."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem
from trace.services.public.feedback import submit_feedback


@pytest.fixture()
def two_producers(make, session):
    a, b = make.actor("producer"), make.actor("producer")
    batch_a, batch_b = make.batch(a), make.batch(b)
    submit_feedback(session, batch_a, None, {"kind": "rating", "rating": 5, "text": "好吃"}, nonce="n1", lang="zh")
    submit_feedback(session, batch_a, None, {"kind": "complaint", "text": "烂了"}, nonce="n2", lang="zh")
    submit_feedback(session, batch_b, None, {"kind": "rating", "rating": 2}, nonce="n3", lang="en")
    session.commit()
    return a, b, batch_a, batch_b


def test_producers_see_their_own_organizations_feedback(client, two_producers):
    a, b, batch_a, batch_b = two_producers
    r = client.get("/api/v1/feedback", headers=a.headers)
    assert r.status_code == 200
    assert r.json["total"] == 2
    assert [(f["batch"], f["kind"], f["rating"], f["text"]) for f in r.json["items"]] == [
        (batch_a.trace_code, "complaint", None, "烂了"), (batch_a.trace_code, "rating", 5, "好吃")]
    assert r.json["items"][0]["product"] == "番茄" and r.json["items"][0]["organization"] == a.org.id
    r = client.get("/api/v1/feedback", headers=b.headers)
    assert [f["rating"] for f in r.json["items"]] == [2]
    r = client.get(f"/api/v1/feedback?batch={batch_b.trace_code}", headers=a.headers)
    assert r.json["items"] == []


def test_inspectors_and_admins_see_all_and_filter(client, make, two_producers):
    _, _, batch_a, _ = two_producers
    for role in ("inspector", "admin"):
        actor = make.actor(role)
        assert client.get("/api/v1/feedback", headers=actor.headers).json["total"] == 3
        r = client.get(f"/api/v1/feedback?batch={batch_a.trace_code.lower()}&kind=complaint", headers=actor.headers)
        assert [f["text"] for f in r.json["items"]] == ["烂了"]
        r = client.get("/api/v1/feedback?perPage=1&page=2", headers=actor.headers)
        assert len(r.json["items"]) == 1 and r.json["total"] == 3


def test_feedback_needs_a_token_and_valid_filters(client, make, two_producers):
    assert_problem(client.get("/api/v1/feedback"), 401, "unauthenticated")
    inspector = make.actor("inspector")
    assert_problem(client.get("/api/v1/feedback?kind=praise", headers=inspector.headers), 422, "validation", "kind")
    assert_problem(client.get("/api/v1/feedback?batch=NOTACODE", headers=inspector.headers), 422, "validation",
                   "batch")
