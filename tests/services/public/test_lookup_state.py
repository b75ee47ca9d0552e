"""The log state lookups key their caches on: read once per max_age, at once with 0."""

from __future__ import annotations

from trace.db import utcnow
from trace.models import Checkpoint
from trace.services.public.lookup import log_state


def test_a_state_younger_than_max_age_is_reused_and_zero_always_reads(session):
    first = log_state(session)
    size = first[0] + 1 if first else 1
    session.add(Checkpoint(size=size, root_hash=b"\x01" * 32, note="test", created_at=utcnow()))
    session.flush()
    assert log_state(session, max_age=3600) == first  # read a moment ago: served from memory
    assert log_state(session) == (size, b"\x01" * 32)
    assert log_state(session, max_age=3600) == (size, b"\x01" * 32)  # the fresh read is remembered
