"""Issuing unit serials and counting their lookups."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trace.codes.tracecode import parse_trace_code
from trace.errors import ValidationError
from trace.limits import MAX_LABEL_RUN
from trace.models import LabelRun, UnitCode
from trace.services.printing.labels import count_scan, issue_labels, peek_unit


def test_count_scan_increments_once_per_call_and_keeps_the_first_time(make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    _, (unit,) = issue_labels(session, producer.user, batch, 1)
    assert peek_unit(session, unit.serial).scan_count == 0
    first = count_scan(session, unit.serial)
    assert (first.id, first.batch_id, first.serial, first.scan_count) == (unit.id, batch.id, unit.serial, 1)
    assert first.first_scanned_at is not None and first.first_scanned_at.tzinfo is not None
    second = count_scan(session, unit.serial)
    assert second.scan_count == 2 and second.first_scanned_at == first.first_scanned_at
    assert peek_unit(session, unit.serial).scan_count == 2  # peeking does not count
    session.expire_all()
    row = session.get(UnitCode, unit.id)
    assert row.scan_count == 2 and row.last_scanned_at >= row.first_scanned_at
    assert count_scan(session, unit.serial, batch_id=batch.id + 1000) is None
    assert count_scan(session, "0000000000000") is None and peek_unit(session, "0000000000000") is None


def test_the_largest_run_is_issued_at_once_and_a_larger_one_not_at_all(make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    run, units = issue_labels(session, producer.user, batch, MAX_LABEL_RUN)
    assert run.count == len(units) == len({u.serial for u in units}) == MAX_LABEL_RUN
    assert all(parse_trace_code(u.serial) == u.serial for u in units[:100])
    with pytest.raises(ValidationError):
        issue_labels(session, producer.user, batch, MAX_LABEL_RUN + 1)
    assert session.scalar(sa.select(sa.func.count(LabelRun.id)).where(LabelRun.batch_id == batch.id)) == 1


def test_a_destroyed_batch_gets_no_labels(make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    batch.status = "destroyed"
    with pytest.raises(ValidationError, match="destroyed"):
        issue_labels(session, producer.user, batch, 1)
