"""The test fixtures isolate tests: nothing a test writes is committed, and requests share no state."""

from __future__ import annotations

import sqlalchemy as sa

from trace.db import db
from trace.models import Organization


def test_a_tests_writes_stay_in_its_transaction(app, make, client, session):
    admin = make.actor("admin")
    r = client.post("/api/v1/organizations", headers=admin.headers, json={
        "kind": "cooperative", "name": "隔离测试合作社", "region": {"province": "浙江省", "county": "松阳县"}})
    assert r.status_code == 201
    query = sa.select(sa.func.count()).select_from(Organization).where(Organization.name == "隔离测试合作社")
    assert session.scalar(query) == 1
    with db.engine.connect() as outside:
        assert outside.scalar(query) == 0


def test_a_failed_request_keeps_the_tests_own_data(make, client, session):
    producer = make.actor("producer")
    r = client.post("/api/v1/organizations", headers=producer.headers, json={
        "kind": "cooperative", "name": "x", "region": {"province": "浙江省", "county": "松阳县"}})
    assert r.status_code == 403  # the request rolled back
    assert session.get(Organization, producer.org.id) is not None
    assert client.get("/api/v1/me", headers=producer.headers).status_code == 200


def test_a_token_does_not_carry_over_to_the_next_request(make, client):
    producer = make.actor("producer")
    assert client.get("/api/v1/me", headers=producer.headers).status_code == 200
    assert client.get("/api/v1/me").status_code == 401
