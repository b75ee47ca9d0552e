"""Recording events at the service level: replays, exact arithmetic."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from trace.errors import ConflictError
from trace.services.records.events import record_event, record_transformation


@pytest.fixture()
def ledger(app):
    return app.extensions["trace.ledger"]


def payload(stage, batches, data):
    return {"id": uuid.uuid4(), "stage": stage, "batches": [b.trace_code for b in batches],
            "occurred_at": dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), "data": data, "attachments": []}


def test_replay_is_scoped_to_the_recording_organization(make, session, ledger):
    producer = make.actor("producer")
    inspector = make.actor("inspector")
    batch = make.batch(producer)
    body = payload("recall", [batch], {"reason": "农残超标"})
    event, new = record_event(session, producer.user, body, ledger=ledger)
    assert new
    again, new = record_event(session, producer.user, body, ledger=ledger)
    assert (again.id, new) == (event.id, False)
    with pytest.raises(ConflictError):
        record_event(session, inspector.user, body, ledger=ledger)


def test_transformation_arithmetic_is_exact(make, session, ledger):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="0.3")
    for i, qty in enumerate(["0.1", "0.1", "0.1"]):
        body = {"id": uuid.uuid4(), "stage": "sorting", "occurred_at": dt.datetime.now(dt.UTC), "data": {},
                "inputs": [{"batch": source.trace_code, "quantity": Decimal(qty), "uom": "KGM"}],
                "outputs": [{"product": product.id, "lot": f"S{i}", "quantity": Decimal(qty), "uom": "KGM"}]}
        record_transformation(session, producer.user, body, ledger=ledger)
    session.expire_all()
    assert source.available == 0
    assert source.status == "consumed"
