"""Lookup counters (page lookups, unit scans) as statistics read them: operational figures, not records.

The counters are kept by the lookup pages' service (DESIGN §12, the ``lookup`` work). Statistics
read them through ``lookup_counts``; until that service is part of the application, the figures are
absent (null in the API, empty in reports) and ``ABSENT`` says why.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy.orm import Session

ABSENT = ("Lookup counters are not part of this deployment yet (they are kept by the lookup pages' "
          "service): lookups and unit scans are not reported.")


class LookupCounter(Protocol):
    """What a lookup counter service offers statistics: counts per organization over days (Asia/Shanghai)."""

    def __call__(self, session: Session, start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
        """Return (page lookups, unit scans) of each producing organization's batches from ``start`` to ``end``."""
        ...


def lookup_counts(session: Session, start: dt.date, end: dt.date) -> dict[int, tuple[int, int]] | None:
    """Return (lookups, unit scans) by organization, or None while no lookup counter service exists."""
    counter: LookupCounter | None = None  # the lookup service's reader goes here when it is merged
    return counter(session, start, end) if counter is not None else None
