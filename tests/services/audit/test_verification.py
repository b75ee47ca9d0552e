"""The verified mark: signatures, records, log inclusion and the checkpoint, each able to fail; the cache."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import entry_of, forge_signature
from tests.lookup.helpers import grow, new_life
from trace import ledger as ledger_lib
from trace.models import Checkpoint, Event, EventBatch, LogEntry, SigningKey
from trace.services.audit.verification import VerificationCache, verify_batch
from trace.services.records.batches import batch_events


@pytest.fixture()
def life(make, session, ledger):
    return grow(new_life(make, session, ledger))


def verify(session, ledger, life, cache=None):
    session.expire_all()
    return verify_batch(session, ledger, life.batch, batch_events(session, life.batch), cache)


def kinds(result):
    return {(p.kind, p.event_id) for p in result.problems}


def test_a_recorded_batch_is_verified(session, ledger, life):
    result = verify(session, ledger, life)
    assert result.verified and result.records == 11 and result.problems == ()  # its registration and 10 stages
    assert result.checkpoint_size == session.scalar(sa.select(sa.func.max(Checkpoint.size)))


def test_a_forged_signature_fails_the_signature_and_the_inclusion(session, ledger, life):
    victim = life.events[3]
    forge_signature(session, victim)
    result = verify(session, ledger, life)
    assert not result.verified
    assert kinds(result) == {("signature", victim.id), ("inclusion", victim.id)}


def test_an_altered_event_row_no_longer_matches_its_record(session, ledger, life):
    victim = life.events[2]
    session.execute(sa.text("UPDATE events SET data = :d WHERE id = :i"),
                    {"d": '{"quantity": "9999", "uom": "KGM"}', "i": victim.id})
    session.commit()
    assert kinds(verify(session, ledger, life)) == {("record", victim.id)}


def test_a_missing_log_entry_is_found(session, ledger, life):
    victim = life.events[0]
    session.execute(sa.delete(LogEntry).where(LogEntry.event_id == victim.id))
    session.commit()
    # the next record names the missing one as its predecessor: the chain has a gap there too
    assert kinds(verify(session, ledger, life)) == {("missing", victim.id), ("chain", life.events[1].id)}


def test_a_record_deleted_with_its_row_leaves_a_gap_in_the_chain(session, ledger, life):
    victim = life.events[3]
    session.execute(sa.delete(LogEntry).where(LogEntry.event_id == victim.id))
    session.execute(sa.delete(EventBatch).where(EventBatch.event_id == victim.id))
    session.execute(sa.delete(Event).where(Event.id == victim.id))
    session.commit()
    assert kinds(verify(session, ledger, life)) == {("chain", life.events[4].id)}


def test_deleting_the_newest_records_takes_the_mark_away(session, ledger, life):
    referring = [t for t in Event.metadata.sorted_tables if "event_id" in t.c]
    for victim in life.events[-2:]:  # the last two records, rows and entries: the rest still chains
        for table in referring:
            session.execute(table.delete().where(table.c.event_id == victim.id))
        session.execute(sa.delete(Event).where(Event.id == victim.id))
    session.commit()
    result = verify(session, ledger, life)
    assert not result.verified
    assert kinds(result) == {("chain", None)}
    assert "latest log entry" in result.problems[0].detail


def test_a_key_revoked_before_the_record_was_made_invalidates_it(session, ledger, life):
    key_id = ledger_lib.parse_leaf(entry_of(session, life.events[0]).leaf)[1][0]["keyId"]
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    session.execute(sa.update(SigningKey).where(SigningKey.key_id == key_id).values(revoked_at=long_ago))
    session.commit()
    result = verify(session, ledger, life)
    own = {e.id for e in batch_events(session, life.batch) if e.organization_id == life.producer.org.id}
    assert {p.event_id for p in result.problems if p.kind == "signature"} == own


def test_a_checkpoint_that_does_not_verify_fails_everything(session, ledger, life):
    latest = session.scalar(sa.select(Checkpoint).order_by(Checkpoint.size.desc()).limit(1))
    body, _, signatures = latest.note.partition("\n\n")
    lines = body.split("\n")
    lines[1] = str(int(lines[1]) + 1)
    session.execute(sa.update(Checkpoint).where(Checkpoint.size == latest.size)
                    .values(note="\n".join(lines) + "\n\n" + signatures))
    session.commit()
    result = verify(session, ledger, life)
    assert [p.kind for p in result.problems] == ["checkpoint"]


def test_results_are_cached_until_the_log_grows(session, ledger, life):
    cache = VerificationCache()
    assert verify(session, ledger, life, cache).verified
    forge_signature(session, life.events[1])
    assert verify(session, ledger, life, cache).verified  # same checkpoint: the cached answer
    assert not verify(session, ledger, life).verified
    new_life(life.make, session, ledger).record("storage", {"warehouse": "another farm's store"})
    assert not verify(session, ledger, life, cache).verified


def test_the_cache_forgets_the_oldest():
    cache = VerificationCache(size=2)
    for n in range(3):
        cache.put(("code", n, b""), n)  # type: ignore[arg-type]
    assert cache.get(("code", 0, b"")) is None and cache.get(("code", 2, b"")) == 2
