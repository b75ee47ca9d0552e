"""What readings mean: excursions outside a category's range longer than it tolerates, and whose batches they touched.

An excursion is a run of consecutive readings outside ``[low, high]``: it starts at the first
reading outside and ends at the first reading back inside (or, still outside at the last reading,
at that reading: ``ongoing``). It counts when it lasted longer than the category tolerates
(``toleratedMinutes``; e.g. above 8 °C for more than 30 minutes). Which batches were at the place
or in the vehicle is read from custody and storage records (``stays``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.models import Batch, Category, Event, EventBatch, Location
from trace.stages import names

SEVERE = Decimal(2)  # °C beyond the range that make an excursion high severity


@dataclass(frozen=True)
class Band:
    low: Decimal | None
    high: Decimal | None
    tolerated: dt.timedelta

    def outside(self, value: Decimal) -> bool:
        return (self.low is not None and value < self.low) or (self.high is not None and value > self.high)

    def gap(self, value: Decimal) -> Decimal:
        if self.low is not None and value < self.low:
            return self.low - value
        if self.high is not None and value > self.high:
            return value - self.high
        return Decimal(0)


@dataclass(frozen=True)
class Excursion:
    start: dt.datetime
    end: dt.datetime
    peak: Decimal
    readings: int  # readings outside
    ongoing: bool
    known_at: int  # index in the series of the first reading that shows it lasted too long

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start


def band_for(category: Category, kind: str) -> Band | None:
    """Return a category's range for a place's kind (vehicles: transport; other places: storage), if it claims one."""
    chain = category.cold_chain or {}
    rng = chain.get("transport" if kind == "vehicle" else "storage")
    if not rng:
        return None
    low, high = rng.get("min"), rng.get("max")
    return Band(Decimal(low) if low is not None else None, Decimal(high) if high is not None else None,
                dt.timedelta(minutes=int(chain.get("toleratedMinutes", 0))))


def find_excursions(series: Sequence[tuple[dt.datetime, Decimal]], band: Band) -> list[Excursion]:
    """Return the excursions in a series sorted by time that lasted longer than the band tolerates."""
    found = []
    start: int | None = None
    for i, (_, value) in enumerate([*series, (None, None)]):
        out = value is not None and band.outside(value)
        if out and start is None:
            start = i
        if not out and start is not None:
            ongoing = value is None
            end_index = i - 1 if ongoing else i
            first, end = series[start][0], series[end_index][0]
            if end - first > band.tolerated:
                run = series[start:i]
                peak = max(run, key=lambda r: band.gap(r[1]))[1]
                known = next(j for j in range(start, end_index + 1) if series[j][0] - first > band.tolerated)
                found.append(Excursion(first, end, peak, len(run), ongoing, known))
            start = None
    return found


@dataclass(frozen=True)
class Stay:
    batch: Batch
    start: dt.datetime
    end: dt.datetime | None  # None: still there


def _places(session: Session, location: Location) -> Any:
    """Return the condition under which an event puts its batches at the location."""
    by_id = Event.location["id"].as_integer() == location.id
    own = Event.organization_id == location.organization_id
    if location.kind == "vehicle":
        return sa.or_(by_id, sa.and_(own, Event.stage.in_(names(lambda s: s.ships)),
                                     Event.data["vehicle"].as_string() == location.name))
    return sa.or_(by_id, sa.and_(own, Event.stage.in_(names(lambda s: s.cold_chain)),
                                 Event.data["warehouse"].as_string() == location.name))


def stays(session: Session, location: Location, start: dt.datetime, end: dt.datetime) -> list[Stay]:
    """Return the batches at a place (or in a vehicle) some time between two moments, and from when until when.

    A batch is there from a record that puts it there (storage or receiving naming the place,
    shipping in the vehicle) until its next record that moves it (storage elsewhere, shipping,
    receiving, sale, destruction).
    """
    candidates = set(session.scalars(
        sa.select(EventBatch.batch_id).join(Event, Event.id == EventBatch.event_id)
        .where(EventBatch.role == "subject", Event.occurred_at <= end, _places(session, location))))
    if not candidates:
        return []
    placing = _places(session, location)
    moving = names(lambda s: s.ships or s.receives or s.sells or s.cold_chain or s.name == "destruction")
    rows: Any = session.execute(
        sa.select(EventBatch.batch_id, Event.occurred_at, placing.label("here"))
        .join(Event, Event.id == EventBatch.event_id)
        .where(EventBatch.batch_id.in_(candidates), EventBatch.role == "subject", Event.stage.in_(moving))
        .order_by(EventBatch.batch_id, Event.occurred_at, Event.recorded_at)).all()
    intervals: dict[int, list[tuple[dt.datetime, dt.datetime | None]]] = {}
    since: dict[int, dt.datetime | None] = {}
    for batch_id, at, here in rows:
        if here and since.get(batch_id) is None:
            since[batch_id] = at
        elif not here and (began := since.get(batch_id)) is not None:
            intervals.setdefault(batch_id, []).append((began, at))
            since[batch_id] = None
    for batch_id, at in since.items():
        if at is not None:
            intervals.setdefault(batch_id, []).append((at, None))
    batches = {b.id: b for b in session.scalars(sa.select(Batch).where(Batch.id.in_(intervals)))}
    return [Stay(batches[b], s, e) for b, spans in sorted(intervals.items()) for s, e in spans
            if s <= end and (e is None or e >= start)]


def overlaps(stay: Stay, start: dt.datetime, end: dt.datetime) -> bool:
    return stay.start <= end and (stay.end is None or stay.end >= start)


def where_zh_en(location: Location) -> tuple[str, str]:
    return ("运输", "Transport") if location.kind == "vehicle" else ("仓储", "Storage")


__all__ = ["Band", "Excursion", "Stay", "band_for", "find_excursions", "overlaps", "stays"]
