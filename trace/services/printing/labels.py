"""Unit labels: issue runs of random serials for a batch, list them with their lookups (services/public/counters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.codes.digital_link import DigitalLinkError, digital_link_url
from trace.codes.qr import lookup_url, qr_friendly_url
from trace.codes.tracecode import new_trace_code
from trace.db import utcnow
from trace.errors import NotFoundError, PermissionDeniedError, ValidationError
from trace.limits import IN_CHUNK, MAX_LABEL_RUN
from trace.models import Batch, LabelRun, LookupCount, UnitCode, User
from trace.models.organization import Role
from trace.services.organizations.permissions import can_read_batch


@dataclass(frozen=True)
class UnitScan:
    """A unit serial with how often it was looked up (the counters': flushed plus pending) and when first."""

    id: int | None  # None when a lookup took the counts from the counter's memory
    batch_id: int
    serial: str
    scan_count: int
    first_scanned_at: dt.datetime | None


def unit_url(public_url: str, batch: Batch, serial: str) -> str:
    """Return the QR-friendly URL of a unit: GS1 Digital Link with /21/ when the product has a GTIN."""
    if batch.product.gtin:
        try:
            return digital_link_url(qr_friendly_url(public_url.rstrip("/")), batch.product.gtin, batch.lot, serial)
        except DigitalLinkError:
            pass  # a lot outside GS1 character set 82 has no Digital Link
    return lookup_url(public_url, serial)


def _may_issue(actor: User, batch: Batch) -> None:
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.PRODUCER and actor.organization_id == batch.organization_id:
        return
    raise PermissionDeniedError("Only a producer of the organization that made the batch, or an admin, issues labels.")


def _taken(session: Session, serials: list[str]) -> set[str]:
    """Return the serials already used as a unit serial or a batch trace code."""
    taken: set[str] = set()
    for start in range(0, len(serials), IN_CHUNK):
        chunk = serials[start:start + IN_CHUNK]
        taken.update(session.scalars(sa.select(UnitCode.serial).where(UnitCode.serial.in_(chunk))))
        taken.update(session.scalars(sa.select(Batch.trace_code).where(Batch.trace_code.in_(chunk))))
    return taken


def _fresh_serials(session: Session, count: int) -> list[str]:
    serials: set[str] = set()
    while len(serials) < count:  # 60 random bits each: a clash is astronomically rare, but checked
        wanted = {new_trace_code() for _ in range(count - len(serials))}
        serials |= wanted - _taken(session, sorted(wanted))
    return sorted(serials)


def issue_labels(session: Session, actor: User, batch: Batch, count: int) -> tuple[LabelRun, list[UnitCode]]:
    """Issue a run of ``count`` unit serials for a batch, all or nothing."""
    _may_issue(actor, batch)
    if not 1 <= count <= MAX_LABEL_RUN:
        raise ValidationError(f"Issue 1 to {MAX_LABEL_RUN:,} labels at a time.", errors={"count": ["Out of range."]})
    if batch.status == "destroyed":
        raise ValidationError(f"Batch {batch.trace_code} was destroyed.", errors={"batch": ["Destroyed."]})
    now = utcnow()
    run = LabelRun(batch_id=batch.id, count=count, created_by=actor.id, created_at=now)
    session.add(run)
    session.flush()
    rows = [{"batch_id": batch.id, "run_id": run.id, "serial": s, "created_at": now}
            for s in _fresh_serials(session, count)]
    session.execute(sa.insert(UnitCode), rows)
    return run, run_units(session, run)


def run_units(session: Session, run: LabelRun) -> list[UnitCode]:
    """Return a run's unit codes in serial order."""
    return list(session.scalars(sa.select(UnitCode).where(UnitCode.run_id == run.id).order_by(UnitCode.serial)))


def get_run(session: Session, actor: User, batch: Batch, run_id: int) -> LabelRun:
    """Return a label run of a batch the actor may read."""
    if not can_read_batch(actor, batch):
        raise PermissionDeniedError(f"Batch {batch.trace_code} belongs to another organization.")
    run = session.get(LabelRun, run_id)
    if run is None or run.batch_id != batch.id:
        raise NotFoundError(f"Batch {batch.trace_code} has no label run {run_id}.")
    return run


def list_runs(session: Session, actor: User, batch: Batch) -> list[tuple[LabelRun, int]]:
    """Return a batch's label runs, newest first, each with how many of its units were looked up (as flushed)."""
    if not can_read_batch(actor, batch):
        raise PermissionDeniedError(f"Batch {batch.trace_code} belongs to another organization.")
    scanned = (sa.select(sa.func.count(sa.distinct(UnitCode.id)))
               .join(LookupCount, LookupCount.code == UnitCode.serial)
               .where(UnitCode.run_id == LabelRun.id).correlate(LabelRun).scalar_subquery())
    rows: Any = session.execute(sa.select(LabelRun, scanned).where(LabelRun.batch_id == batch.id)
                           .order_by(LabelRun.created_at.desc(), LabelRun.id.desc()))
    return [(run, int(n)) for run, n in rows]


def unit_scans(session: Session, serials: list[str]) -> dict[str, tuple[int, dt.datetime | None, dt.datetime | None]]:
    """Return each unit's lookups as flushed: count, first and last time (serials never looked up are absent)."""
    found: dict[str, tuple[int, dt.datetime | None, dt.datetime | None]] = {}
    for start in range(0, len(serials), IN_CHUNK):
        rows = session.execute(sa.select(LookupCount.code, sa.func.sum(LookupCount.count),
                                         sa.func.min(LookupCount.first_at), sa.func.max(LookupCount.last_at))
                               .where(LookupCount.code.in_(serials[start:start + IN_CHUNK]))
                               .group_by(LookupCount.code))
        found.update({code: (int(n), first, last) for code, n, first, last in rows})
    return found


_MINE = LookupCount.code == UnitCode.serial
# Built once: a unit and its lookups as flushed (one round trip; the statement's compiled form is cached).
_PEEK = sa.select(UnitCode.id, UnitCode.batch_id, UnitCode.serial,
                  sa.select(sa.func.coalesce(sa.func.sum(LookupCount.count), 0)).where(_MINE).scalar_subquery(),
                  sa.select(sa.func.min(LookupCount.first_at)).where(_MINE).scalar_subquery()
                  ).where(UnitCode.serial == sa.bindparam("serial"))
_PEEK_IN_BATCH = _PEEK.where(UnitCode.batch_id == sa.bindparam("batch_id"))


def peek_unit(session: Session, serial: str, *, batch_id: int | None = None) -> UnitScan | None:
    """Return a unit serial with its lookups as flushed to the database (pending ones are the counter's)."""
    if batch_id is None:
        row = session.execute(_PEEK, {"serial": serial}).one_or_none()
    else:
        row = session.execute(_PEEK_IN_BATCH, {"serial": serial, "batch_id": batch_id}).one_or_none()
    if row is None:
        return None
    first_at = row[4]
    if isinstance(first_at, str):  # SQLite hands an aggregate's time back as text
        first_at = dt.datetime.fromisoformat(first_at)
    if first_at is not None and first_at.tzinfo is None:
        first_at = first_at.replace(tzinfo=dt.UTC)
    return UnitScan(row[0], row[1], row[2], int(row[3]), first_at)
