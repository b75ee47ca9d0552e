"""Issuing unit serials and counting their lookups."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from trace.codes.tracecode import parse_trace_code
from trace.errors import ValidationError
from trace.limits import MAX_LABEL_RUN
from trace.models import LabelRun
from trace.services.printing.labels import issue_labels, peek_unit, unit_scans
from trace.services.public.counters import SCAN, Tally, flush_tallies


def test_peek_unit_adds_up_the_flushed_lookups_of_every_day(make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    _, (unit, other) = issue_labels(session, producer.user, batch, 2)
    assert peek_unit(session, unit.serial).scan_count == 0 and peek_unit(session, unit.serial).first_scanned_at is None
    early = dt.datetime(2026, 11, 30, 1, 2, tzinfo=dt.UTC)
    late = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    flush_tallies(session, [Tally(unit.serial, dt.date(2026, 11, 30), SCAN, batch.id, 3, early, early),
                            Tally(unit.serial, dt.date(2026, 12, 1), SCAN, batch.id, 2, late, late)])
    found = peek_unit(session, unit.serial)
    assert (found.id, found.batch_id, found.serial, found.scan_count) == (unit.id, batch.id, unit.serial, 5)
    assert found.first_scanned_at == early
    assert unit_scans(session, [unit.serial, other.serial]) == {unit.serial: (5, early, late)}
    assert peek_unit(session, unit.serial, batch_id=batch.id + 1000) is None
    assert peek_unit(session, "0000000000000") is None


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
