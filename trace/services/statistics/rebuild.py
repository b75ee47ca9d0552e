"""Recompute the statistics counters from the records: what the pipeline kept must agree exactly."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.models import Batch, Category, Event, EventBatch, LogEntry, OrganizationTownship, PrivateValues, Product
from trace.models.statistics import StatisticsCounter
from trace.services.statistics.counters import Key, Tally, new_tally, save, tally
from trace.services.statistics.figures import Place, apply_corrections, day_of, figures_of

CHUNK = 5000


def recount(session: Session) -> Tally:
    """Return the counters as the records say they must be (records read in chunks, never all at once)."""
    places = _Townships(session)
    corrections: dict[str, list[dict[str, Any]]] = defaultdict(list)
    query = (sa.select(Event.data).join(LogEntry, LogEntry.event_id == Event.id)
             .where(Event.stage == "correction").order_by(LogEntry.index))
    data: Any
    for data in session.scalars(query):
        corrections[str((data or {}).get("record"))].append(data)
    first_line = (sa.select(EventBatch.event_id, sa.func.min(EventBatch.id).label("line"))
                  .group_by(EventBatch.event_id).subquery())
    rows = (sa.select(Event.id, Event.stage, Event.data, Event.organization_id, Event.occurred_at, Event.recorded_at,
                      Category.code, Batch.uom, PrivateValues.values)
            .join(first_line, first_line.c.event_id == Event.id, isouter=True)
            .join(EventBatch, EventBatch.id == first_line.c.line, isouter=True)
            .join(Batch, Batch.id == EventBatch.batch_id, isouter=True)
            .join(Product, Product.id == Batch.product_id, isouter=True)
            .join(Category, Category.id == Product.category_id, isouter=True)
            .join(PrivateValues, PrivateValues.event_id == Event.id, isouter=True)
            .order_by(Event.id)
            .execution_options(yield_per=CHUNK))
    into = new_tally()
    found: Any = session.execute(rows)
    for event_id, stage, data, org, occurred, recorded, category, uom, private in found:
        effective, void = apply_corrections(data or {}, corrections.get(event_id, []))
        place = Place(day_of(occurred), places.at(org, recorded), category or "", org)
        tally(into, place, figures_of(stage, effective, private, uom, void))
    return {k: v for k, v in into.items() if v != [0, 0, 0]}


def stored(session: Session) -> dict[Key, list[int]]:
    """Return the counters as kept."""
    table = StatisticsCounter.__table__
    found = {}
    for row in session.execute(sa.select(table).execution_options(yield_per=CHUNK)):
        if (row.count, row.quantity_micro, row.amount_fen) != (0, 0, 0):
            key = (row.grain, row.period, row.township_code, row.category, row.organization_id, row.figure, row.uom)
            found[key] = [row.count, row.quantity_micro, row.amount_fen]
    return found


def compare(session: Session) -> list[str]:
    """Return each difference between the counters kept and the counters recomputed (empty when they agree)."""
    kept, due = stored(session), recount(session)
    differences = []
    for key in sorted(kept.keys() | due.keys()):
        if kept.get(key) != due.get(key):
            differences.append(f"{'/'.join(map(str, key))}: kept {kept.get(key)}, records say {due.get(key)}")
    return differences


def rebuild(session: Session) -> int:
    """Replace the counters with those recomputed from the records; return how many rows there are."""
    due = recount(session)
    session.execute(sa.delete(StatisticsCounter))
    save(session, due)
    session.flush()
    return len(due)


class _Townships:
    """Each organization's placements in time order, to find where it was when a record was made."""

    def __init__(self, session: Session) -> None:
        self.history: dict[int, tuple[list[dt.datetime], list[str]]] = {}
        query = sa.select(OrganizationTownship.organization_id, OrganizationTownship.since,
                          OrganizationTownship.township_code).order_by(OrganizationTownship.since,
                                                                       OrganizationTownship.id)
        for org, since, code in session.execute(query):
            times, codes = self.history.setdefault(org, ([], []))
            times.append(since)
            codes.append(code or "")

    def at(self, organization_id: int, moment: dt.datetime) -> str:
        times, codes = self.history.get(organization_id, ([], []))
        i = bisect.bisect_right(times, moment)
        return codes[i - 1] if i else ""
