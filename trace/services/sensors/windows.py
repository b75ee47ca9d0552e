"""One signed record per sensor and time window: the messages it cites, then the excursions it shows.

When a window has closed (its end plus a grace period for late messages), ``seal_windows`` makes
one ``sensor_window`` record per sensor for it, signed by the sensor's organization, citing each
message it sent in the window by the SHA-256 of its signed bytes: the raw readings stay in
``sensor_messages`` and are covered by the record's hash. A message that comes after its window was
sealed goes into a second record for that window (``part``). Then each excursion the window shows
becomes a compliance finding on every batch that was at the place then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.db import utcnow
from trace.ledger.jcs import canonical
from trace.ledger.numbers import canonical_decimal
from trace.ledger.senml import body_of, digest
from trace.models import Device, Location, SensorMessage
from trace.services.compliance.compliance import store_findings
from trace.services.compliance.compliance_rules import Finding, fmt, iso, when
from trace.services.records.pipeline import Request, Service, record
from trace.services.sensors.excursions import Excursion, Stay, band_for, find_excursions, overlaps, stays
from trace.services.sensors.ingest import WINDOW, message_series
from trace.services.signing.keys import LedgerConfig
from trace.stages.sensor_window import SensorWindow
from trace.times import rfc3339

GRACE = dt.timedelta(minutes=5)
LOOKBACK = dt.timedelta(hours=12)  # how far back an excursion that ends in a window may have started
WINDOW_NAMESPACE = uuid.UUID("0b6f3e8e-5d4a-4c1e-9f1b-7a2d6c9e8f10")
CHUNK = 500
RULE = "cold_chain_excursion"


def seal_windows(session: Session, ledger: LedgerConfig, *, now: dt.datetime | None = None,
                 everything: bool = False) -> list[str]:
    """Make the record of every closed window (``everything``: of every window); return their ids."""
    cutoff = (now or utcnow()) - WINDOW - GRACE
    query = sa.select(SensorMessage).where(SensorMessage.record_id.is_(None))
    if not everything:
        query = query.where(SensorMessage.window_start <= cutoff)
    messages = list(session.scalars(query.order_by(SensorMessage.device_id, SensorMessage.window_start,
                                                   SensorMessage.id)))
    groups: dict[tuple[int, dt.datetime], list[SensorMessage]] = {}
    for message in messages:
        groups.setdefault((message.device_id, message.window_start), []).append(message)
    made: list[str] = []
    keys = list(groups)
    for start in range(0, len(keys), CHUNK):
        made.extend(_seal(session, ledger, {k: groups[k] for k in keys[start:start + CHUNK]}))
    return made


def _seal(session: Session, ledger: LedgerConfig, groups: dict[tuple[int, dt.datetime], list[SensorMessage]]
          ) -> list[str]:
    devices = {d.id: d for d in session.scalars(sa.select(Device).where(Device.id.in_({k[0] for k in groups}))
                                                .options(joinedload(Device.key)))}
    parts = {(d, w): n for d, w, n in session.execute(
        sa.select(SensorMessage.device_id, SensorMessage.window_start,
                  sa.func.count(sa.distinct(SensorMessage.record_id)))
        .where(SensorMessage.record_id.is_not(None), SensorMessage.device_id.in_({k[0] for k in groups}),
               SensorMessage.window_start.in_({k[1] for k in groups}))
        .group_by(SensorMessage.device_id, SensorMessage.window_start))}
    requests, owners = [], []
    for (device_id, window_start), messages in groups.items():
        device = devices[device_id]
        part = parts.get((device_id, window_start), 0)
        data = window_data(device, window_start, messages, part)
        record_id = str(uuid.uuid5(WINDOW_NAMESPACE, f"{device.key.key_id}/{rfc3339(window_start)}/{part}"))
        service = Service(device.organization_id, f"device:{device.key.name}",
                          hashlib.sha256(canonical(data)).hexdigest())
        requests.append(Request({"id": record_id, "stage": SensorWindow.name, "batches": [],
                                 "occurred_at": max(m.last_at for m in messages), "data": data}, service=service))
        owners.append((device, window_start, messages))
    recorded = record(session, None, requests, ledger=ledger)
    for result, (_, _, messages) in zip(recorded, owners, strict=True):
        for message in messages:
            message.record_id = result.id
    session.flush()
    present = _present(session, owners)
    for result, (device, window_start, _) in zip(recorded, owners, strict=True):
        if present.get(device.location_id or 0):
            check_window(session, device, window_start, result.id, present[device.location_id or 0])
    return [r.id for r in recorded]


def _present(session: Session, owners: list[tuple[Device, dt.datetime, list[SensorMessage]]]) -> dict[int, list[Stay]]:
    """Return the stays at each sensor's place over all the windows being sealed (one walk per place)."""
    spans: dict[int, tuple[dt.datetime, dt.datetime]] = {}
    for device, window_start, _ in owners:
        if device.location_id is not None:
            low, high = spans.get(device.location_id, (window_start, window_start))
            spans[device.location_id] = (min(low, window_start), max(high, window_start))
    out = {}
    for location_id, (low, high) in spans.items():
        location = session.get(Location, location_id)
        if location is not None:
            out[location_id] = stays(session, location, low - LOOKBACK, high + 2 * WINDOW)
    return out


def window_data(device: Device, window_start: dt.datetime, messages: list[SensorMessage], part: int) -> dict[str, Any]:
    """Return what a window's record says: the sensor, its place, the window, the messages by hash, a summary."""
    summary: dict[str, dict[str, Any]] = {}
    for message in messages:
        for quantity, s in message.summary.items():
            total = summary.setdefault(quantity, {"count": 0, "min": None, "max": None})
            total["count"] += s["count"]
            for side, pick in (("min", min), ("max", max)):
                value = Decimal(s[side])
                total[side] = value if total[side] is None else pick(total[side], value)
    data: dict[str, Any] = {
        "device": device.id, "sensor": device.key.name, "location": messages[0].location_id,
        "start": rfc3339(window_start), "end": rfc3339(window_start + WINDOW),
        "messages": [{"id": m.message_id, "sha256": m.sha256} for m in messages],
        "readings": {q: {"count": s["count"], "min": canonical_decimal(s["min"]), "max": canonical_decimal(s["max"])}
                     for q, s in sorted(summary.items())}}
    if part:
        data["part"] = part
    return data


def check_cited(session: Session, data: dict[str, Any]) -> list[str]:
    """Return the messages a window record cites whose stored content no longer has the cited hash."""
    cited = {m["id"]: m["sha256"] for m in data["messages"]}
    rows = session.scalars(sa.select(SensorMessage).where(SensorMessage.device_id == data["device"],
                                                          SensorMessage.message_id.in_(cited)))
    found = {m.message_id: m for m in rows}
    return sorted(i for i, sha in cited.items()
                  if i not in found or found[i].sha256 != sha or digest(body_of(found[i].body)) != sha)


def check_window(session: Session, device: Device, window_start: dt.datetime, record_id: str,
                 known: list[Stay] | None = None) -> int:
    """Store a finding per batch touched by each excursion the window's readings show; return how many were new.

    ``known``: the stays at the sensor's place over a span covering this window's (else looked up).
    """
    location = session.get(Location, device.location_id) if device.location_id else None
    if location is None:
        return 0
    end = window_start + WINDOW
    begin = window_start - LOOKBACK
    present = [s for s in (known if known is not None else stays(session, location, begin, end + WINDOW))
               if overlaps(s, begin, end + WINDOW)]
    if not present:
        return 0
    series = message_series(session, device_id=device.id, start=window_start - LOOKBACK, end=end + WINDOW)
    points = [(at, value) for at, value, _ in series]
    findings = []
    by_category: dict[int, list[Stay]] = {}
    for stay in present:
        by_category.setdefault(stay.batch.product.category_id, []).append(stay)
    for category_stays in by_category.values():
        band = band_for(category_stays[0].batch.product.category, location.kind)
        if band is None:
            continue
        for excursion in find_excursions(points, band):
            if series[excursion.known_at][2].window_start != window_start:
                continue  # it belongs to the window whose message showed it first
            for stay in category_stays:
                if overlaps(stay, excursion.start, excursion.end):
                    findings.append(_finding(stay, excursion, band, location, device, record_id))
    return store_findings(session, findings)


def _finding(stay: Stay, e: Excursion, band: Any, location: Location, device: Device, record_id: str) -> Finding:
    minutes = int(e.duration.total_seconds() // 60)
    low = fmt(band.low) if band.low is not None else "-∞"
    high = fmt(band.high) if band.high is not None else "+∞"
    zh_where, en_where = ("运输", "Transport") if location.kind == "vehicle" else ("仓储", "Storage")
    still_zh, still_en = ("（仍在持续）", " (still going on)") if e.ongoing else ("", "")
    tolerated = int(band.tolerated.total_seconds() // 60)
    return Finding(
        RULE, "high" if band.gap(e.peak) > 2 else "medium", stay.batch.id, record_id,
        f"{zh_where}超温：{location.name} {when(e.start)} 至 {when(e.end)}{still_zh} 超出 {low}～{high} °C "
        f"{minutes} 分钟（允许 {tolerated} 分钟），峰值 {fmt(e.peak)} °C；批次 {stay.batch.trace_code} 当时在场。",
        f"{en_where} excursion: {location.name} outside {low} to {high} °C from {when(e.start)} to {when(e.end)} "
        f"(UTC+8){still_en}, {minutes} minutes (tolerated {tolerated}), peak {fmt(e.peak)} °C; batch "
        f"{stay.batch.trace_code} was there.",
        {"location": location.id, "sensor": device.key.name, "start": iso(e.start), "end": iso(e.end),
         "peak": fmt(e.peak), "durationMinutes": minutes, "toleratedMinutes": tolerated, "ongoing": e.ongoing,
         "min": fmt(band.low) if band.low is not None else None,
         "max": fmt(band.high) if band.high is not None else None, "readingsOutside": e.readings})


def unsealed(session: Session, device_ids: Iterable[int] | None = None) -> int:
    """Return how many messages wait for their window's record."""
    query = sa.select(sa.func.count()).select_from(SensorMessage).where(SensorMessage.record_id.is_(None))
    if device_ids is not None:
        query = query.where(SensorMessage.device_id.in_(list(device_ids)))
    return session.scalar(query) or 0
