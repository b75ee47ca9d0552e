"""Faults: a full or read-only database, PostgreSQL stopped mid-traffic, kill -9 mid-bulk and mid-witness round.

Each answers 503 problem+json (never 500) while the database cannot take the write, writes nothing
partial, loses nothing it acknowledged, and audits clean afterwards. The PostgreSQL faults run on a
private cluster (tests/servers.py), never on the machine's shared server.
"""

from __future__ import annotations

import io
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from tests.factories import Factory, ago
from tests.helpers import build_migrated_app
from tests.servers import (
    app_env,
    flask_command,
    gunicorn,
    http,
    make_batch,
    make_producer,
    migrate_empty,
    private_postgres,
    private_postgres_reason,
    spawn_flask,
    wait_until,
)
from trace import ledger
from trace.db import db
from trace.models import Checkpoint, Event, LogEntry, WitnessCosignature
from trace.services.audit.audit import audit_log
from trace.witness import WitnessApp, WitnessState

PROBLEM = "application/problem+json"


def _event(code: str, warehouse: str = "冷库") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "stage": "storage", "batches": [code], "occurredAt": ago(hours=1),
            "data": {"warehouse": warehouse}}


def _counts(session: Any) -> tuple[int, int, int]:
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Event, LogEntry, Checkpoint))


# --- SQLite: full and read-only -----------------------------------------------------------------


@pytest.fixture()
def sqlite_app(tmp_path: Path) -> Iterator[tuple[Any, str, dict[str, str]]]:
    app = build_migrated_app("sqlite", tmp_path)
    with app.app_context():
        make = Factory(db.session)
        alice = make.actor()
        code, headers = make.batch(alice).trace_code, alice.headers
    yield app, code, headers
    with app.app_context():
        db.engine.dispose()


def _with_pragma(app: Any, pragma: str) -> Any:
    """Open every new connection with ``pragma``; return the listener (remove it to undo)."""
    with app.app_context():
        engine = db.engine

        def apply(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(pragma)

        sa.event.listen(engine, "connect", apply)
        engine.dispose()
    return apply


def _without(app: Any, listener: Any) -> None:
    with app.app_context():
        sa.event.remove(db.engine, "connect", listener)
        db.engine.dispose()


def _audit_clean(app: Any) -> None:
    with app.app_context():
        report = audit_log(db.session(), app.config["TRACE"].log_origin, workers=1,
                           attachments_root=Path(app.instance_path))
        assert report.ok, [str(f) for f in report.findings]


def test_a_full_sqlite_database_answers_503_and_keeps_nothing_partial(sqlite_app) -> None:
    app, code, headers = sqlite_app
    with app.app_context():
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        pages = db.session.execute(sa.text("PRAGMA page_count")).scalar()
        before = _counts(db.session)
        db.session.remove()
    cap = _with_pragma(app, f"PRAGMA max_page_count = {pages + 2}")
    bulk = {"events": [_event(code, "冷库" + "满" * 150) for _ in range(300)]}
    r = app.test_client().post("/api/v1/events/bulk", json=bulk, headers=headers)
    assert r.status_code == 503 and r.mimetype == PROBLEM, r.get_data(as_text=True)[:300]
    assert r.json["type"].endswith("/database-unavailable") and r.headers["Retry-After"]
    _without(app, cap)
    with app.app_context():
        assert _counts(db.session) == before  # not one of the 300, no entry, no checkpoint
    again = app.test_client().post("/api/v1/events/bulk", json=bulk, headers=headers)
    assert again.status_code == 201 and again.json["created"] == 300
    _audit_clean(app)


def test_a_read_only_sqlite_database_answers_503_and_pages_still_read(sqlite_app) -> None:
    app, code, headers = sqlite_app
    locked = _with_pragma(app, "PRAGMA query_only = ON")
    client = app.test_client()
    r = client.post("/api/v1/events", json=_event(code), headers=headers)
    assert r.status_code == 503 and r.mimetype == PROBLEM
    page = client.get(f"/t/{code}", headers={"Accept": "text/html"})
    assert page.status_code == 200  # reading still works
    html = client.post("/api/v1/events", json=_event(code), headers=headers | {"Accept": "text/html"})
    assert html.status_code == 503
    _without(app, locked)
    assert client.post("/api/v1/events", json=_event(code), headers=headers).status_code == 201
    _audit_clean(app)


# --- PostgreSQL on a private cluster ------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str], str, Path]]:
    reason = private_postgres_reason()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("faults")
    with private_postgres() as pg:
        env = app_env(pg.url, folder / "node")
        yield pg, env, migrate_empty(env), folder


@contextmanager
def _session(url: str) -> Iterator[Session]:
    engine = sa.create_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _check(url: str, acknowledged: list[str]) -> None:
    """Every acknowledged record is there and the log audits clean."""
    with _session(url) as session:
        present = set(session.scalars(sa.select(Event.id).where(Event.id.in_(acknowledged)))) if acknowledged else set()
        assert present == set(acknowledged)
        report = audit_log(session, "nodes.test/log", workers=1)
        assert report.ok, [str(f) for f in report.findings]


def test_postgres_stopped_mid_traffic_answers_503_then_recovers(cluster) -> None:
    pg, env, token, folder = cluster
    with gunicorn(env, folder, workers=1) as node:
        headers = make_producer(node.url, token, "停库合作社")
        code = make_batch(node.url, headers, "PG-STOP")
        acknowledged: list[str] = []
        answers: list[tuple[int, str]] = []
        stop = threading.Event()

        def traffic() -> None:
            while not stop.is_set():
                body = _event(code)
                try:
                    status, text, head = http("POST", f"{node.url}/api/v1/events", body, headers, timeout=30)
                except OSError:
                    continue
                answers.append((status, head.get("Content-Type", "")))
                if status == 201:
                    acknowledged.append(body["id"])
                time.sleep(0.02)

        thread = threading.Thread(target=traffic)
        thread.start()
        try:
            wait_until(lambda: len(acknowledged) >= 5, what="first writes")
            pg.stop()
            wait_until(lambda: any(s == 503 for s, _ in answers), what="a 503 while PostgreSQL is down")
            pg.start()
            seen = len(acknowledged)
            wait_until(lambda: len(acknowledged) > seen + 3, timeout=60, what="writes after PostgreSQL is back")
        finally:
            stop.set()
            thread.join()
    assert {s for s, _ in answers} <= {201, 503}, answers  # never a 500
    assert all(kind.startswith(PROBLEM) for s, kind in answers if s == 503)
    _check(pg.url, acknowledged)


def test_kill_9_mid_bulk_keeps_all_or_nothing(cluster) -> None:
    pg, env, token, folder = cluster
    bulk: dict[str, Any] = {}
    with gunicorn(env, folder, workers=1) as node:
        headers = make_producer(node.url, token, "断电合作社")
        code = make_batch(node.url, headers, "KILL-BULK")
        bulk = {"events": [_event(code, "冷库" + "批" * 50) for _ in range(1000)]}
        outcome: list[Any] = []

        def send() -> None:
            try:
                outcome.append(http("POST", f"{node.url}/api/v1/events/bulk", bulk, headers, timeout=120)[0])
            except OSError as exc:
                outcome.append(exc)

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(0.5)  # the bulk is being parsed, signed or written
        node.kill()
        sender.join()
    ids = [e["id"] for e in bulk["events"]]
    with _session(pg.url) as session:
        present = session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.id.in_(ids)))
        assert present in (0, len(ids)), present  # all or nothing
        if outcome and outcome[0] == 201:
            assert present == len(ids)
    with gunicorn(env, folder, workers=1) as node:  # the client retries with the same ids
        status, text, _ = http("POST", f"{node.url}/api/v1/events/bulk", bulk, headers, timeout=120)
        assert status in (200, 201), text[:300]
    _check(pg.url, ids)


def test_read_only_postgres_answers_503_and_writes_nothing(cluster) -> None:
    pg, env, token, folder = cluster
    admin = sa.create_engine(pg.url, isolation_level="AUTOCOMMIT")
    with gunicorn(env, folder, workers=1) as node:
        headers = make_producer(node.url, token, "只读合作社")
        code = make_batch(node.url, headers, "READ-ONLY")
        with _session(pg.url) as session:
            before = _counts(session)
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql("ALTER SYSTEM SET default_transaction_read_only = on")
                conn.exec_driver_sql("SELECT pg_reload_conf()")
            time.sleep(0.5)
            status, text, head = http("POST", f"{node.url}/api/v1/events", _event(code), headers)
            assert status == 503 and head["Content-Type"].startswith(PROBLEM), text[:300]
            assert http("GET", f"{node.url}/t/{code}", headers={"Accept": "application/json"})[0] == 200
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql("SET default_transaction_read_only = off")
                conn.exec_driver_sql("ALTER SYSTEM RESET default_transaction_read_only")
                conn.exec_driver_sql("SELECT pg_reload_conf()")
            admin.dispose()
        with _session(pg.url) as session:
            assert _counts(session) == before
        time.sleep(0.5)
        assert http("POST", f"{node.url}/api/v1/events", _event(code), headers)[0] == 201
    _check(pg.url, [])


class _SlowWitness:
    """A witness whose add-checkpoint answers after a pause, telling when a request arrived and when it was done."""

    def __init__(self, inner: WitnessApp, pause: float) -> None:
        self.inner, self.pause = inner, pause
        self.arrived, self.done = threading.Event(), threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/add-checkpoint" and not self.done.is_set():
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))  # all of it, then the pause
            environ["wsgi.input"] = io.BytesIO(body)
            self.arrived.set()
            time.sleep(self.pause)
            try:
                return self.inner(environ, start_response)
            finally:
                self.done.set()
        return self.inner(environ, start_response)


def test_kill_9_mid_witness_round_recovers_on_the_next(cluster) -> None:
    pg, env, token, folder = cluster
    with gunicorn(env, folder, workers=1) as node:
        headers = make_producer(node.url, token, "见证合作社")
        make_batch(node.url, headers, "WITNESS")
    with _session(pg.url) as session:
        key = session.execute(sa.text("SELECT name, public_key FROM signing_keys WHERE role = 'log'")).one()
        size = session.scalar(sa.select(sa.func.max(Checkpoint.size)))
    state = WitnessState(folder / "witness", "w1.example/witness")
    slow = _SlowWitness(WitnessApp(state, {"nodes.test/log": [ledger.parse_vkey(ledger.vkey(key[0], bytes(key[1])))]}),
                        pause=2.0)
    server = make_server("127.0.0.1", 0, slow, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    witnessed = env | {"TRACE_WITNESSES": f"{state.vkey} http://127.0.0.1:{server.server_port}"}
    try:
        publisher = spawn_flask(witnessed, folder / "publisher.log", "trace", "witness", "publish", "--interval", "1")
        assert slow.arrived.wait(60), (folder / "publisher.log").read_text()
        os.killpg(publisher.pid, signal.SIGKILL)  # kill -9 while its request is at the witness
        publisher.wait(timeout=10)
        assert slow.done.wait(10)
        with state.locked() as held:
            assert state.latest(held)["nodes.test/log"].size == size  # the witness cosigned and kept it
        with _session(pg.url) as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(WitnessCosignature)) == 0  # never stored
        again = flask_command(witnessed, "trace", "witness", "publish", "--once")
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"cosigned {size}" in again.stdout + again.stderr
        audit = flask_command(witnessed, "trace", "audit", "--workers", "1", "--witnesses")
        assert audit.returncode == 0, audit.stdout + audit.stderr
    finally:
        server.shutdown()
        server.server_close()
    _check(pg.url, [])
