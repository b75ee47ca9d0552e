"""Lookup counters: pending tallies (in the process or in Redis) reach lookup_counts in one upsert per flush."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from trace.models import LookupCount
from trace.services.public.counters import (
    PAGE,
    SCAN,
    LookupCounter,
    MemoryStore,
    RedisStore,
    Tally,
    flush_tallies,
    lookups_per_day,
    unit_counts,
)

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("TRACE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
T1 = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def redis_reason() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception as exc:  # any connection error: no Redis here
        return f"Redis at {REDIS_URL} is not reachable ({exc.__class__.__name__}); start redis-server"
    return None


def rows(session):
    return session.execute(sa.select(LookupCount.code, LookupCount.day, LookupCount.kind, LookupCount.count,
                                      LookupCount.first_at, LookupCount.last_at).order_by(LookupCount.code)).all()


def test_flushes_add_up_and_keep_the_first_and_last_time(make, session):
    batch = make.batch(make.actor("producer"))
    day = dt.date(2026, 12, 1)
    assert flush_tallies(session, [Tally(batch.trace_code, day, PAGE, batch.id, 3, T2, T2)]) == 3
    assert flush_tallies(session, [Tally(batch.trace_code, day, PAGE, batch.id, 2, T1, T1)]) == 2
    assert rows(session) == [(batch.trace_code, day, PAGE, 5, T1, T2)]
    assert flush_tallies(session, []) == 0


def test_a_counter_holds_lookups_until_flushed(make, session):
    batch = make.batch(make.actor("producer"))
    counter = LookupCounter(MemoryStore(), interval=0)
    assert [counter.count("SERIAL0000001", batch.id, SCAN)[0] for _ in range(3)] == [1, 2, 3]
    counter.count(batch.trace_code, batch.id, PAGE)
    assert counter.pending("SERIAL0000001", batch.id, SCAN)[0] == 3
    assert rows(session) == []  # nothing written per lookup
    assert counter.flush(session) == 4
    assert counter.pending("SERIAL0000001", batch.id, SCAN) == (0, None)
    assert {r.code: r.count for r in rows(session)} == {"SERIAL0000001": 3, batch.trace_code: 1}
    assert unit_counts(session, ["SERIAL0000001", "NEVER"])["SERIAL0000001"].count == 3


def test_statistics_read_lookups_per_day_by_code_and_by_organization(make, session):
    one, two = make.actor("producer"), make.actor("producer")
    a, b, c = make.batch(one), make.batch(one), make.batch(two)
    d1, d2 = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
    flush_tallies(session, [Tally(a.trace_code, d1, PAGE, a.id, 4, T1, T1),
                            Tally(a.trace_code, d2, PAGE, a.id, 1, T2, T2),
                            Tally("UNIT000000001", d2, SCAN, b.id, 2, T2, T2),
                            Tally(c.trace_code, d2, PAGE, c.id, 7, T2, T2)])
    by_code = lookups_per_day(session, d2, d2, organization_id=one.org.id)
    assert {(r["code"], r["batch"], r["kind"], r["count"]) for r in by_code} == {
        (a.trace_code, a.trace_code, PAGE, 1), ("UNIT000000001", b.trace_code, SCAN, 2)}
    by_org = lookups_per_day(session, d1, d2, by="organization")
    assert {(r["day"], r["organization"], r["kind"], r["count"]) for r in by_org} == {
        (d1, one.org.id, PAGE, 4), (d2, one.org.id, PAGE, 1), (d2, one.org.id, SCAN, 2), (d2, two.org.id, PAGE, 7)}
    with pytest.raises(ValueError):
        lookups_per_day(session, d1, d2, by="township")


@pytest.fixture()
def redis_store():
    reason = redis_reason()
    if reason:
        pytest.skip(reason)
    store = RedisStore(REDIS_URL)
    store.PENDING = f"trace:test:{uuid.uuid4().hex}"  # this test's own keys
    yield store
    for key in store._redis.scan_iter(match=f"{store.PENDING}*"):
        store._redis.delete(key)


def test_workers_share_pending_tallies_in_redis(make, session, redis_store):
    batch = make.batch(make.actor("producer"))
    other_worker = RedisStore(REDIS_URL)
    other_worker.PENDING = redis_store.PENDING
    one, two = LookupCounter(redis_store, interval=0), LookupCounter(other_worker, interval=0)
    assert one.count("UNIT000000002", batch.id, SCAN)[0] == 1
    assert two.count("UNIT000000002", batch.id, SCAN)[0] == 2  # the other worker sees the same count
    assert one.pending("UNIT000000002", batch.id, SCAN)[0] == 2
    assert two.flush(session) == 2
    assert one.pending("UNIT000000002", batch.id, SCAN) == (0, None)
    taken = [k.decode() for k in redis_store._redis.scan_iter(match=f"{redis_store.PENDING}:*")]
    assert len(taken) == 1  # kept until the flush's commit is confirmed
    two.forget()
    assert list(redis_store._redis.scan_iter(match=f"{redis_store.PENDING}*")) == []
    assert [(r.code, r.kind, r.count) for r in rows(session)] == [("UNIT000000002", SCAN, 2)]


def test_a_flush_that_died_in_redis_is_taken_again(make, session, redis_store):
    batch = make.batch(make.actor("producer"))
    counter = LookupCounter(redis_store, interval=0)
    counter.count(batch.trace_code, batch.id, PAGE)
    counter.store.take()  # taken, then the process died before its commit: the hash stays in Redis
    (left,) = [k.decode() for k in redis_store._redis.scan_iter(match=f"{redis_store.PENDING}:*")]
    aged = left.split(":")
    aged[3] = f"{float(aged[3]) - RedisStore.STALE - 1:.3f}"
    redis_store._redis.rename(left, ":".join(aged))
    counter.count(batch.trace_code, batch.id, PAGE)
    assert counter.flush(session) == 2
    counter.forget()
    assert [(r.code, r.count) for r in rows(session)] == [(batch.trace_code, 2)]


CLEAN_STOP = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.helpers import build_migrated_app
from tests.factories import Factory
from trace.db import db
from trace.services.printing.labels import issue_labels

app = build_migrated_app("sqlite", Path({tmp!r}))
counter = app.extensions["trace.lookup_counter"]
counter.interval = 3600.0  # a flusher that would not run again before the end: the stop must flush
with app.app_context():
    make = Factory(db.session)
    producer = make.actor("producer")
    _, (unit,) = issue_labels(db.session, producer.user, make.batch(producer), 1)
    db.session.commit()
    serial = unit.serial
client = app.test_client()
for _ in range({n}):
    assert client.get("/T/" + serial, headers={{"Accept": "application/json"}}).status_code == 200
print(serial, flush=True)
{ending}
"""


@pytest.mark.parametrize(("ending", "kept"), [("sys.exit(0)", 7), ("import os; os._exit(1)", 0)])
def test_a_clean_stop_flushes_everything_and_a_crash_loses_only_the_pending(tmp_path, ending, kept):
    script = CLEAN_STOP.format(root=str(ROOT), tmp=str(tmp_path), n=7, ending=ending)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    serial = done.stdout.split()[-1]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'suyuan.sqlite3'}")
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT coalesce(sum(count), 0) FROM lookup_counts WHERE code = :c"),
                              {"c": serial}).scalar()
    engine.dispose()
    assert stored == kept, done.stderr[-2000:]


def test_the_app_counts_in_redis_when_trace_redis_url_is_set(tmp_path):
    from tests.helpers import make_config
    from trace import create_app
    from trace.config import Config

    assert Config.from_env({"TRACE_REDIS_URL": REDIS_URL}).redis_url == REDIS_URL
    assert Config.from_env({"TRACE_LOOKUP_FLUSH_INTERVAL": "0.5"}).lookup_flush_interval == 0.5
    with_redis = create_app(make_config("sqlite", tmp_path / "a").with_(redis_url=REDIS_URL))
    without = create_app(make_config("sqlite", tmp_path / "b"))
    assert isinstance(with_redis.extensions["trace.lookup_counter"].store, RedisStore)
    assert isinstance(without.extensions["trace.lookup_counter"].store, MemoryStore)
