"""A batch's cold chain as its sensors saw it: the places and vehicles it was in, their signed readings, excursions.

Only readings of sealed windows count (messages a signed window record cites): the page shows
what is in the log. A category without a cold-chain claim (eggs, grain and oil) has none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.ledger.senml import resolve
from trace.models import Batch, Event, EventBatch, Location, SensorMessage
from trace.services.sensors.excursions import Band, Excursion, band_for, find_excursions, stays
from trace.stages import names

MAX_POINTS = 240  # per segment on the page's chart


@dataclass
class Segment:
    """The batch's time at one place or in one vehicle, with what that place's sensors read."""

    location: Location
    start: dt.datetime
    end: dt.datetime | None
    band: Band | None
    series: list[tuple[dt.datetime, Decimal]] = field(default_factory=list)
    excursions: list[Excursion] = field(default_factory=list)


def _places_of(session: Session, batch: Batch) -> list[Location]:
    """Return the registered places and vehicles the batch's records name."""
    rows: Any = session.execute(
        sa.select(Event.organization_id, Event.location, Event.data).join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id == batch.id, EventBatch.role == "subject",
               Event.stage.in_(names(lambda s: s.ships or s.receives or s.cold_chain)))).all()
    ids: set[int] = set()
    named: set[tuple[int, str]] = set()
    for org_id, location, data in rows:
        if isinstance(location, dict) and isinstance(location.get("id"), int):
            ids.add(location["id"])
        for key in ("vehicle", "warehouse"):
            value = data.get(key) if isinstance(data, dict) else None
            if isinstance(value, str):
                named.add((org_id, value))
    conditions: list[Any] = [Location.id.in_(ids)] if ids else []
    conditions += [sa.and_(Location.organization_id == o, Location.name == n) for o, n in named]
    if not conditions:
        return []
    return list(session.scalars(sa.select(Location).where(sa.or_(*conditions)).order_by(Location.id)))


def _sealed_series(session: Session, location: Location, start: dt.datetime, end: dt.datetime
                   ) -> list[tuple[dt.datetime, Decimal]]:
    query = (sa.select(SensorMessage.body).where(
        SensorMessage.location_id == location.id, SensorMessage.record_id.is_not(None),
        SensorMessage.first_at <= end, SensorMessage.last_at >= start).order_by(SensorMessage.first_at))
    bodies: list[Any] = list(session.scalars(query))
    series = [(r.at, r.value) for body in bodies for r in resolve(body["senml"])
              if r.quantity == "temperature" and start <= r.at <= end]
    series.sort(key=lambda p: p[0])
    return series


def batch_cold_chain(session: Session, batch: Batch) -> list[Segment] | None:
    """Return the batch's cold-chain segments with readings, in time order; None if its category claims none."""
    category = batch.product.category
    if not category.cold_chain:
        return None
    now = utcnow()
    segments = []
    for location in _places_of(session, batch):
        for stay in stays(session, location, batch.created_at - dt.timedelta(days=3650), now):
            if stay.batch.id != batch.id:
                continue
            series = _sealed_series(session, location, stay.start, stay.end or now)
            if not series:
                continue
            band = band_for(category, location.kind)
            excursions = find_excursions(series, band) if band else []
            segments.append(Segment(location, stay.start, stay.end, band, series, excursions))
    segments.sort(key=lambda s: s.start)
    return segments


def thin(series: list[tuple[dt.datetime, Decimal]], most: int = MAX_POINTS) -> list[tuple[dt.datetime, Decimal]]:
    """Return at most ``most`` points of a series, keeping each bucket's lowest and highest (peaks stay visible)."""
    if len(series) <= most:
        return series
    size = -(-len(series) // (most // 2))
    out: list[tuple[dt.datetime, Decimal]] = []
    for i in range(0, len(series), size):
        bucket = series[i:i + size]
        low, high = min(bucket, key=lambda p: p[1]), max(bucket, key=lambda p: p[1])
        out.extend(sorted({low, high}, key=lambda p: p[0]))
    return out
