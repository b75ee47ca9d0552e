"""The log state lookups key their caches on: read once per max_age, at once with 0."""

from __future__ import annotations

import sqlalchemy as sa

from trace.db import utcnow
from trace.models import Checkpoint, WitnessCosignature
from trace.services.public.lookup import log_state


def test_a_state_younger_than_max_age_is_reused_and_zero_always_reads(session):
    first = log_state(session)
    size = first[0] + 1 if first else 1
    cosigned = session.scalar(sa.select(sa.func.max(WitnessCosignature.size))) or 0
    session.add(Checkpoint(size=size, root_hash=b"\x01" * 32, note="test", created_at=utcnow()))
    session.flush()
    assert log_state(session, max_age=3600) == first  # read a moment ago: served from memory
    state = (size, b"\x01" * 32 + cosigned.to_bytes(8, "big"))
    assert log_state(session) == state
    assert log_state(session, max_age=3600) == state  # the fresh read is remembered


def test_a_witness_round_changes_the_state(session):
    before = log_state(session)
    session.add(Checkpoint(size=(before[0] if before else 0) + 1, root_hash=b"\x02" * 32, note="test",
                           created_at=utcnow()))
    session.flush()
    unwitnessed = log_state(session)
    session.add(WitnessCosignature(witness="w1.example/witness", size=unwitnessed[0], line="—",
                                   cosigned_at=utcnow()))
    session.flush()
    witnessed = log_state(session)
    assert witnessed[0] == unwitnessed[0] and witnessed[1][:32] == unwitnessed[1][:32]
    assert witnessed != unwitnessed and witnessed[1][32:] == unwitnessed[0].to_bytes(8, "big")
