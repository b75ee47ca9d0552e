"""Producers' batches in the console: registering, the generated stage forms, refusals that write nothing."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.console.helpers import csrf_of, field_errors, make_account, sign_in
from tests.factories import Actor
from trace.models import Batch, Event, LogEntry


def _producer(client, make):
    user = make_account(make, "producer")
    product = make.product(Actor(user, ""), category="vegetables", name="番茄")
    make.session.commit()
    assert sign_in(client, user.username).status_code == 302
    return user, product


def _counts(session):
    return (session.scalar(sa.select(sa.func.count()).select_from(Batch)),
            session.scalar(sa.select(sa.func.count()).select_from(Event)),
            session.scalar(sa.select(sa.func.count()).select_from(LogEntry)))


def _register(client, product, **fields):
    token = csrf_of(client.get("/console/batches/new").text)
    body = {"csrf_token": token, "product": str(product.id), "lot": "L-2026-1", "quantity": "120.50", "uom": "KGM",
            "origin": "3号地块", "producedAt": "2026-11-20T08:30", **fields}
    return client.post("/console/batches/new", data=body)


def test_a_producer_registers_a_batch_and_it_is_signed_and_listed(client, make, session):
    _user, product = _producer(client, make)
    response = _register(client, product)
    assert response.status_code == 302
    code = response.headers["Location"].rsplit("/", 1)[1]
    batch = session.scalar(sa.select(Batch).where(Batch.trace_code == code))
    facts = (f"{batch.quantity.normalize():f}", batch.uom, batch.lot, batch.origin["name"])
    assert facts == ("120.5", "KGM", "L-2026-1", "3号地块")
    assert batch.produced_at.isoformat().startswith("2026-11-20T00:30")  # 08:30 China time
    stages = session.scalars(sa.select(Event.stage).where(Event.batches.any(batch_id=batch.id))).all()
    assert "registration" in stages
    listed = client.get("/console/batches")
    assert code in listed.text and "番茄" in listed.text
    assert client.get(f"/console/batches?q={code}").headers["Location"] == f"/console/batches/{code}"
    found = client.get("/console/batches?q=番")
    assert code in found.text


def test_a_bad_registration_says_why_beside_the_fields_and_writes_nothing(client, make, session):
    _user, product = _producer(client, make)
    before = _counts(session)
    response = _register(client, product, quantity="abc", uom="")
    assert response.status_code == 422
    assert field_errors(response.text, "quantity") and field_errors(response.text, "uom")
    assert _counts(session) == before
    assert 'value="abc"' in response.text  # what was typed stays


def test_a_stage_form_comes_from_the_stage_and_records_through_the_pipeline(client, make, session):
    _user, product = _producer(client, make)
    code = _register(client, product).headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/console/batches/{code}")
    assert f"/console/batches/{code}/record/harvest" in page.text
    form = client.get(f"/console/batches/{code}/record/harvest")
    assert 'name="data.quantity"' in form.text and 'name="data.uom"' in form.text and 'name="data.method"' in form.text
    record_id = re.search(r'name="record_id" value="([^"]+)"', form.text).group(1)
    body = {"csrf_token": csrf_of(form.text), "record_id": record_id, "occurredAt": "2026-11-21T09:15",
            "data.quantity": "118", "data.uom": "KGM", "data.method": "人工采摘"}
    assert client.post(f"/console/batches/{code}/record/harvest", data=body).status_code == 302
    event = session.get(Event, record_id)
    assert event.stage == "harvest" and event.data["quantity"] == "118" and event.data["method"] == "人工采摘"
    assert session.scalar(sa.select(LogEntry).where(LogEntry.event_id == record_id)) is not None
    before = _counts(session)  # the same form sent again records nothing more
    assert client.post(f"/console/batches/{code}/record/harvest", data=body).status_code == 302
    assert _counts(session) == before
    timeline = client.get(f"/console/batches/{code}").text
    assert "人工采摘" in timeline


def test_a_refused_stage_form_keeps_what_was_typed_and_writes_nothing(client, make, session):
    _user, product = _producer(client, make)
    code = _register(client, product).headers["Location"].rsplit("/", 1)[1]
    form = client.get(f"/console/batches/{code}/record/harvest")
    before = _counts(session)
    body = {"csrf_token": csrf_of(form.text), "record_id": re.search(r'name="record_id" value="([^"]+)"',
                                                                      form.text).group(1),
            "occurredAt": "", "data.quantity": "-3", "data.uom": "KGM", "data.method": "人工"}
    response = client.post(f"/console/batches/{code}/record/harvest", data=body)
    assert response.status_code == 422
    assert field_errors(response.text, "occurredAt") == ["此项为必填项。"]
    assert field_errors(response.text, "data-quantity") == ["请填写大于零的数。"]
    assert 'value="-3"' in response.text and _counts(session) == before
    missing_csrf = client.post(f"/console/batches/{code}/record/harvest", data={**body, "csrf_token": ""})
    assert missing_csrf.status_code == 400 and _counts(session) == before


def test_another_organizations_batch_is_not_found_and_cannot_be_recorded(client, make, session):
    other = make.actor("producer")
    theirs = make.batch(other)
    make.session.commit()
    _producer(client, make)
    assert client.get(f"/console/batches/{theirs.trace_code}").status_code == 404
    form = client.get(f"/console/batches/{theirs.trace_code}/record/harvest")
    assert form.status_code == 404
