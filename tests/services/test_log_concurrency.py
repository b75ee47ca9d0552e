"""Concurrent writers get gapless, unique log indexes and a log that audits clean (real commits)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL, _scratch_database, make_config
from tests.factories import ago
from trace import create_app
from trace.db import db
from trace.models import Event, LogEntry, LogHead

WRITERS, EACH = 6, 8


def fresh_postgres_url() -> str:
    """Return an empty database of this test's own (the session's holds migrated test data)."""
    assert POSTGRES_URL
    url = _scratch_database(POSTGRES_URL)
    assert url and url != POSTGRES_URL
    return url


@pytest.fixture()
def live_app(engine_name, tmp_path: Path):
    config = make_config(engine_name, tmp_path)
    if engine_name == "postgresql":
        config = config.with_(database_url=fresh_postgres_url())
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        from trace.services.catalog.catalog import seed_categories

        upgrade(revision="heads")
        seed_categories(db.session)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def live_producer(app: Any, org_name: str) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """A cooperative with a producer on an app that commits: a client, the producer's headers, a product."""
    runner = app.test_cli_runner()
    token = runner.invoke(args=["trace", "token", "--role", "admin", "--name", "root"]).output.split()[-1]
    admin = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    org = client.post("/api/v1/organizations", headers=admin, json={
        "kind": "cooperative", "name": org_name, "region": {"province": "浙江省", "county": "松阳县"}}).json
    user = client.post(f"/api/v1/organizations/{org['id']}/members", headers=admin,
                       json={"name": "p", "role": "producer"}).json
    secret = client.post(f"/api/v1/organizations/{org['id']}/members/{user['id']}/tokens", headers=admin,
                         json={"name": "t"}).json["token"]
    headers = {"Authorization": f"Bearer {secret}"}
    product = client.post("/api/v1/products", headers=headers, json={"category": "vegetables", "name": "青菜"}).json
    return client, headers, product


def test_concurrent_writers_append_without_gaps_or_duplicates(live_app):
    client, headers, product = live_producer(live_app, "并发合作社")
    codes = [client.post("/api/v1/batches", headers=headers, json={
        "product": product["id"], "lot": f"C{i}", "quantity": "10", "uom": "KGM"}).json["code"] for i in range(WRITERS)]
    warm = client.post("/api/v1/events", headers=headers, json={
        "id": str(uuid.uuid4()), "stage": "storage", "batches": [codes[0]], "occurredAt": ago(hours=2), "data": {}})
    assert warm.status_code == 201

    failures: list[str] = []

    def writer(code: str) -> None:
        own = live_app.test_client()
        for _ in range(EACH):
            r = own.post("/api/v1/events", headers=headers, json={
                "id": str(uuid.uuid4()), "stage": "storage", "batches": [code], "occurredAt": ago(hours=1),
                "data": {"warehouse": "冷库"}})
            if r.status_code != 201:
                failures.append(f"{r.status_code} {r.get_data(as_text=True)[:200]}")

    threads = [threading.Thread(target=writer, args=(code,)) for code in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []

    with live_app.app_context():
        indexes = db.session.scalars(sa.select(LogEntry.index).order_by(LogEntry.index)).all()
        assert indexes == list(range(len(indexes)))
        assert db.session.get(LogHead, 1).size == len(indexes)
        from trace.services.audit.audit import audit_log

        report = audit_log(db.session, live_app.config["TRACE"].log_origin, workers=1)
        assert report.ok, [str(f) for f in report.findings]
        records = db.session.scalar(sa.select(sa.func.count()).select_from(LogEntry).where(LogEntry.kind == "record"))
        made = db.session.scalar(sa.select(sa.func.count()).select_from(Event)
                                 .where(Event.stage.in_(["registration", "product"])))
        assert records == WRITERS * EACH + 1 + made
