"""The dates printed codes state: the producer's local date, and when a batch was harvested or produced."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import object_session

from trace.models import Batch, Event, EventBatch
from trace.stages import names
from trace.times import CHINA


def local_date(moment: dt.datetime) -> dt.date:
    """Return the date of a stored (UTC) time in the producer's zone."""
    return moment.astimezone(CHINA).date()


def made_on(batch: Batch) -> tuple[str, dt.date] | None:
    """Return how and when (local date) the batch came to be: ``harvested`` or ``produced``; None if unrecorded.

    Its signed production time if it has one, else its latest harvest, or the transformation
    (processing, a split or merge) that made it. Never when it was registered: that is the
    day someone typed it in, not a date a buyer can use.
    """
    if batch.produced_at is not None:
        return "produced", local_date(batch.produced_at)
    session = object_session(batch)
    if session is None:
        return None
    harvests = names(lambda s: s.harvests)
    row = session.execute(
        sa.select(Event.stage, Event.occurred_at).join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id == batch.id,
               sa.or_(sa.and_(EventBatch.role == "subject", Event.stage.in_(harvests)), EventBatch.role == "output"))
        .order_by(Event.occurred_at.desc()).limit(1)).first()
    if row is None:
        return None
    return ("harvested" if row.stage in harvests else "produced"), local_date(row.occurred_at)
