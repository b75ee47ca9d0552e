"""Two app nodes (gunicorn on two ports, two workers each) on one PostgreSQL write at once: one sequencer.

The log starts empty, so both nodes race for the log key, the organization's key and the first
index; the advisory lock lets exactly one sequence at a time. Then: no fork (one checkpoint per
size, each matching the recomputed tree), no gap, one log key, and the audit is clean.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.factories import ago
from tests.helpers import POSTGRES_URL, fresh_postgres_url, postgres_reason
from tests.servers import (
    app_env,
    gunicorn,
    http,
    make_producer,
    migrate_empty,
    private_postgres,
    private_postgres_reason,
)
from trace.models import Checkpoint, LogEntry, LogHead, SigningKey
from trace.services.audit.audit import audit_log

THREADS, EVENTS = 3, 6

pytestmark = pytest.mark.skipif(postgres_reason() is not None and private_postgres_reason() is not None,
                                reason=f"{postgres_reason()}; {private_postgres_reason()}")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database: on TRACE_TEST_POSTGRES_URL's server when set, else on a private cluster."""
    if POSTGRES_URL and postgres_reason() is None:
        yield fresh_postgres_url()
        return
    with private_postgres() as cluster:
        yield cluster.url


def test_two_nodes_write_at_once_without_fork_or_gap(tmp_path: Path) -> None:
    with postgres_database() as url:
        token = migrate_empty(app_env(url, tmp_path / "setup"))
        failures: list[str] = []
        created: list[str] = []

        def writer(base: str, n: int) -> None:
            status, body, _ = http("POST", f"{base}/api/v1/products", {"category": "vegetables", "name": f"菜{n}"},
                                   headers)
            if status != 201:
                failures.append(f"product {status} {body[:200]}")
                return
            product = json.loads(body)["id"]
            status, body, _ = http("POST", f"{base}/api/v1/batches", {"product": product, "lot": f"N{n}",
                                                                      "quantity": "10", "uom": "KGM"}, headers)
            if status != 201:
                failures.append(f"batch {status} {body[:200]}")
                return
            code = json.loads(body)["code"]
            for _ in range(EVENTS):
                event_id = str(uuid.uuid4())
                status, body, _ = http("POST", f"{base}/api/v1/events", {
                    "id": event_id, "stage": "storage", "batches": [code], "occurredAt": ago(hours=1),
                    "data": {"warehouse": "冷库"}}, headers)
                if status == 201:
                    created.append(event_id)
                else:
                    failures.append(f"event {status} {body[:200]}")

        with gunicorn(app_env(url, tmp_path / "node-a"), tmp_path) as a, \
                gunicorn(app_env(url, tmp_path / "node-b"), tmp_path) as b:
            headers = make_producer(a.url, token)
            threads = [threading.Thread(target=writer, args=(node.url, i * 10 + j))
                       for i, node in enumerate((a, b)) for j in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert failures == []
        assert len(created) == 2 * THREADS * EVENTS

        engine = sa.create_engine(url)
        with Session(engine) as session:
            indexes = session.scalars(sa.select(LogEntry.index).order_by(LogEntry.index)).all()
            assert indexes == list(range(len(indexes)))  # no gap, no duplicate
            assert session.get(LogHead, 1).size == len(indexes)
            assert session.scalar(sa.select(sa.func.max(Checkpoint.size))) == len(indexes)
            keys = session.execute(sa.select(SigningKey.role, sa.func.count()).group_by(SigningKey.role)).all()
            assert dict(keys) == {"log": 1, "organization": 1}  # both nodes raced to make them: made once
            logged = set(session.scalars(sa.select(LogEntry.event_id).where(LogEntry.event_id.in_(created))))
            assert logged == set(created)
            report = audit_log(session, "nodes.test/log", workers=1)
            assert report.ok, [str(f) for f in report.findings]  # every checkpoint matches the recomputed tree
        engine.dispose()
