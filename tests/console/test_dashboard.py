"""The inspectors' dashboard: its figures equal counts taken from the records; its chart is drawn on the server."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from tests.console.helpers import make_account, sign_in
from tests.factories import Actor, event_body
from trace.models import ComplianceFinding, Event
from trace.schemas.events import EventIn
from trace.services.records.events import record_event
from trace.times import CHINA


def _failed_test(make, session):
    producer = make_account(make, "producer")
    batch = make.batch(Actor(producer, ""))
    items = [{"item": "毒死蜱", "limit": "0.02", "measured": "0.5", "unit": "mg/kg", "result": "fail"}]
    body = EventIn().load(event_body("inspection", [batch], {"items": items, "result": "fail"}))
    record_event(session, producer, body, ledger=make.ledger)
    session.commit()
    return batch


def _figure(html, name):
    return int(re.search(rf'<dd id="{name}">(\d+)</dd>', html).group(1))


def test_the_dashboard_counts_what_the_records_hold(client, make, session):
    batch = _failed_test(make, session)
    inspector = make_account(make, "inspector")
    sign_in(client, inspector.username)
    page = client.get("/console/dashboard")
    assert page.status_code == 200
    failed = session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.stage == "inspection", Event.data["result"].as_string() == "fail"))
    findings = session.scalar(sa.select(sa.func.count()).select_from(ComplianceFinding).where(
        ComplianceFinding.resolved_at.is_(None)))
    assert failed == 1 and _figure(page.text, "failed-tests") == failed
    assert _figure(page.text, "open-findings") == findings
    assert batch.trace_code in page.text
    bars = re.findall(r'<rect [^>]*><title>([0-9-]+): (\d+)</title>', page.text)
    assert len(bars) == 30
    today = dt.datetime.now(CHINA).date().isoformat()
    start = dt.datetime.combine(dt.datetime.now(CHINA).date(), dt.time(), CHINA)
    todays = session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.occurred_at >= start))
    assert bars[-1] == (today, str(todays)) and todays > 0


def test_producers_do_not_open_the_dashboard(client, make):
    producer = make_account(make, "producer")
    sign_in(client, producer.username)
    assert client.get("/console/dashboard").status_code == 403
