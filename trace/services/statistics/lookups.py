"""Lookup counters (page lookups, unit scans) as statistics read them: operational figures, not records.

The counters are kept by the lookup pages (``services/public/counters.py``: per code and China day,
flushed from Redis or the process every second), so a period's figures lack at most the last
second's lookups. They are not signed and not rebuilt from records (``trace stats rebuild`` leaves
them as they are).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from trace.models.counter import PAGE, SCAN
from trace.services.public.counters import lookups_per_day


def lookup_counts(session: Session, start: dt.date, end: dt.date) -> dict[int, tuple[int, int]] | None:
    """Return (page lookups, unit scans) of each producing organization's batches from ``start`` to ``end``."""
    found: dict[int, list[int]] = {}
    for row in lookups_per_day(session, start, end, by="organization"):
        counts = found.setdefault(int(row["organization"]), [0, 0])
        counts[0 if row["kind"] == PAGE else 1 if row["kind"] == SCAN else 0] += int(row["count"] or 0)
    return {org: (pages, scans) for org, (pages, scans) in found.items()}
