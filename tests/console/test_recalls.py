"""Recalls in the console: an inspector recalls a batch, each holder answers, the inspector sees who has."""

from __future__ import annotations

import sqlalchemy as sa

from tests.console.helpers import csrf_of, make_account, sign_in
from tests.factories import Actor, event_body
from trace.models import Event, Recall, RecallAcknowledgement
from trace.schemas.events import EventIn
from trace.services.records.events import record_event


def _shipped(make, session):
    """A producer's batch, shipped to a retailer, which then holds it."""
    producer = make_account(make, "producer")
    retailer = make_account(make, "producer", org=make.org("retailer"))
    batch = make.batch(Actor(producer, ""))
    body = EventIn().load(event_body("shipping", [batch], {"recipient": retailer.organization_id}))
    record_event(session, producer, body, ledger=make.ledger)
    session.commit()
    return producer, retailer, batch


def _sign_out(client):
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/console/").text)})


def test_an_inspector_recalls_a_holder_answers_and_the_inspector_sees_it(client, make, session):
    producer, retailer, batch = _shipped(make, session)
    inspector = make_account(make, "inspector")
    sign_in(client, inspector.username)
    page = client.get(f"/console/batches/{batch.trace_code}").text
    opened = client.post(f"/console/batches/{batch.trace_code}/recall",
                         data={"csrf_token": csrf_of(page), "reason": "农残超标"})
    assert opened.status_code == 302
    recall = session.scalar(sa.select(Recall).where(Recall.batch_id == batch.id))
    assert recall.reason == "农残超标" and session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.stage == "recall")) >= 1
    holders = client.get(f"/console/recalls/{recall.id}").text
    assert retailer.organization.name in holders and "尚未回复" in holders
    _sign_out(client)

    sign_in(client, retailer.username)
    work = client.get("/console/recalls").text
    assert f'id="recall-{recall.id}"' in work and batch.trace_code in work
    answered = client.post(f"/console/recalls/{recall.id}/answer",
                           data={"csrf_token": csrf_of(work), "batch": str(batch.id), "action": "returned",
                                 "note": "已退回 20 箱"})
    assert answered.status_code == 302
    ack = session.scalar(sa.select(RecallAcknowledgement).where(RecallAcknowledgement.recall_id == recall.id))
    assert (ack.organization_id, ack.action, ack.note) == (retailer.organization_id, "returned", "已退回 20 箱")
    _sign_out(client)

    sign_in(client, inspector.username)
    holders = client.get(f"/console/recalls/{recall.id}").text
    assert "已退回" in holders and "已退回 20 箱" in holders
    listed = client.get("/console/recalls").text
    assert "1 / 1" in listed  # the retailer holds it (shipped and in its custody): one line


def test_an_organization_that_holds_nothing_cannot_answer(client, make, session):
    _producer, _retailer, batch = _shipped(make, session)
    inspector = make_account(make, "inspector")
    sign_in(client, inspector.username)
    page = client.get(f"/console/batches/{batch.trace_code}").text
    client.post(f"/console/batches/{batch.trace_code}/recall", data={"csrf_token": csrf_of(page), "reason": "x"})
    recall = session.scalar(sa.select(Recall).where(Recall.batch_id == batch.id))
    _sign_out(client)
    stranger = make_account(make, "producer")
    sign_in(client, stranger.username)
    assert f'id="recall-{recall.id}"' not in client.get("/console/recalls").text
    refused = client.post(f"/console/recalls/{recall.id}/answer",
                          data={"csrf_token": csrf_of(client.get("/console/").text), "batch": str(batch.id),
                                "action": "destroyed"})
    assert refused.status_code == 403
    assert session.scalar(sa.select(sa.func.count()).select_from(RecallAcknowledgement)) == 0


def test_a_recall_needs_a_reason_and_only_an_inspector_or_the_producer_opens_one(client, make, session):
    _producer, retailer, batch = _shipped(make, session)
    sign_in(client, retailer.username)
    page = client.get("/console/").text
    refused = client.post(f"/console/batches/{batch.trace_code}/recall", data={"csrf_token": csrf_of(page),
                                                                                "reason": "x"})
    assert refused.status_code in (403, 404)
    inspector = make_account(make, "inspector")
    _sign_out(client)
    sign_in(client, inspector.username)
    empty = client.post(f"/console/batches/{batch.trace_code}/recall",
                        data={"csrf_token": csrf_of(client.get("/console/").text), "reason": " "})
    assert empty.status_code == 422
    assert session.scalar(sa.select(sa.func.count()).select_from(Recall)) == 0
