"""The statistics counters: added to by the recording pipeline as it writes, in one upsert per write.

Each figure of a record goes to five rows: its day and its month for its organization, and its
month county-wide (organization 0) by township (grain T), by category (C) and in all (A), so a
county query reads only the rows of the grouping it asks for. Figures:
``figures.py``; the rebuild (``rebuild.py``) recomputes the same rows from the records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from trace.models import Event, EventBatch, LogEntry, Organization, OrganizationTownship, PrivateValues
from trace.models.statistics import StatisticsCounter
from trace.services.statistics.figures import Figures, Place, apply_corrections, day_of, difference, figures_of

ALL = 0  # the organization id of county-wide rows
EVERY = "*"  # the township or category of county-wide rows summed over all of them
MILLION = Decimal(1_000_000)
SUMS = ("count", "quantity_micro", "amount_fen")
# (grain, period, township, category, organization, figure, uom) -> [count, quantity, amount]
Key = tuple[str, str, str, str, int, str, str]
Tally = dict[Key, list[Any]]


def new_tally() -> Tally:
    """Return an empty tally: [count, quantity in millionths, amount in fen] by key."""
    return defaultdict(lambda: [0, 0, 0])


def micro(quantity: Decimal) -> int:
    """Return a quantity in millionths of its unit (the stored scale)."""
    return int((quantity * MILLION).to_integral_value(ROUND_HALF_EVEN))


def fen(amount: Decimal) -> int:
    """Return an amount of yuan in fen."""
    return int((amount * 100).to_integral_value(ROUND_HALF_EVEN))


def tally(into: Tally, place: Place, figures: Figures) -> None:
    """Add a record's figures at its place: its day and month for its organization, and its month county-wide
    by township, by category and in all (the rows each kind of county query reads)."""
    day, month = place.day.isoformat(), place.day.isoformat()[:7]
    org, township, category = place.organization_id, place.township, place.category
    rows = (("d", day, township, category, org), ("m", month, township, category, org),
            ("T", month, township, EVERY, ALL), ("C", month, EVERY, category, ALL), ("A", month, EVERY, EVERY, ALL))
    for (figure, uom), (count, quantity, amount) in figures.items():
        for grain, period, in_township, in_category, of in rows:
            row = into[(grain, period, in_township, in_category, of, figure, uom)]
            row[0] += count
            row[1] += micro(quantity)
            row[2] += fen(amount)


def category_of(lines: Iterable[Any]) -> str:
    """Return the category code of a record's first batch ('' for a record of no batch)."""
    for line in lines:
        return str(line.batch.product.category.code)
    return ""


def count_records(session: Session, rows: Sequence[Any], private: dict[str, dict[str, Any]]) -> None:
    """Add the figures of newly written records (``NewRecord``s) to the counters.

    Back-filled records are left out: only the migration that makes them (``r1signed``) writes them,
    before the counters exist; ``trace stats rebuild`` counts them (docs/statistics.md).
    """
    rows = [row for row in rows if not (row.data or {}).get("backfilled")]
    if not rows:
        return
    orgs = {row.organization_id for row in rows}
    townships = dict(session.execute(sa.select(Organization.id, Organization.township_code)
                                     .where(Organization.id.in_(orgs))).all())
    into = new_tally()
    for row in rows:
        first = row.batches[0].batch if row.batches else None
        place = Place(day_of(row.occurred_at), townships.get(row.organization_id) or "", category_of(row.batches),
                      row.organization_id)
        tally(into, place, figures_of(row.stage, row.data, private.get(row.id), first.uom if first else None))
        if row.stage == "correction":
            _count_correction(session, into, row)
    save(session, into)


def _count_correction(session: Session, into: Tally, row: Any) -> None:
    """Move the corrected record's figures from what they were to what they are now, at its own place."""
    target = session.get(Event, row.data.get("record"))
    if target is None:
        return
    earlier = corrections_of(session, target.id)  # those logged: this one is appended after its rows are written
    before, void_before = apply_corrections(target.data or {}, earlier)
    after, void_after = apply_corrections(target.data or {}, [*earlier, row.data])
    private = session.get(PrivateValues, target.id)
    lines = sorted(target.batches, key=lambda eb: eb.id)
    uom = lines[0].batch.uom if lines else None
    values = private.values if private else None
    change = difference(figures_of(target.stage, after, values, uom, void_after),
                        figures_of(target.stage, before, values, uom, void_before))
    if change:
        township = township_at(session, target.organization_id, target.recorded_at)
        tally(into, Place(day_of(target.occurred_at), township, category_of(lines), target.organization_id), change)


def corrections_of(session: Session, target_id: str) -> list[dict[str, Any]]:
    """Return the data of the logged corrections of a record, in log order."""
    touched = sa.select(EventBatch.batch_id).where(EventBatch.event_id == target_id)
    query = (sa.select(Event.data).join(LogEntry, LogEntry.event_id == Event.id)
             .where(Event.stage == "correction",
                    Event.id.in_(sa.select(EventBatch.event_id).where(EventBatch.batch_id.in_(touched))))
             .order_by(LogEntry.index))
    records: list[dict[str, Any]] = list(session.scalars(query))
    return [data for data in records if (data or {}).get("record") == target_id]


def township_at(session: Session, organization_id: int, moment: dt.datetime) -> str:
    """Return the township an organization was placed in at a moment ('' when none)."""
    code = session.scalar(sa.select(OrganizationTownship.township_code)
                          .where(OrganizationTownship.organization_id == organization_id,
                                 OrganizationTownship.since <= moment)
                          .order_by(OrganizationTownship.since.desc(), OrganizationTownship.id.desc()).limit(1))
    return code or ""


def save(session: Session, into: Tally) -> None:
    """Add a tally to the counters: one upsert (insert, or add to the row there)."""
    if not into:
        return
    table: Any = StatisticsCounter.__table__
    values = [{"grain": k[0], "period": k[1], "township_code": k[2], "category": k[3], "organization_id": k[4],
               "figure": k[5], "uom": k[6], "count": v[0], "quantity_micro": v[1], "amount_fen": v[2]}
              for k, v in sorted(into.items())]  # one order for every writer: no deadlocks between upserts
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = insert.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={name: getattr(table.c, name) + getattr(insert.excluded, name) for name in SUMS},
    )
    for start in range(0, len(values), 2000):
        session.execute(statement, values[start:start + 2000])

